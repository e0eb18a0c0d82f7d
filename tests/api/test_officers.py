"""The officer register through the API of the app in this process: maintained by an admin, read by reviewers,
imported from CSV and XLSX all or nothing, published without a token, and checked against the officers of every
stage. (The public list's paging and filters, which the database answers: tests/test_officers.py.)"""

import io
import uuid
from datetime import date, timedelta

from openpyxl import Workbook

from ..support.api import assert_problem
from ..support.clock import agency_today
from ..support.officers import import_csv


def officer(officer_id: str, **overrides) -> dict:
    body = {
        "officer_id": officer_id,
        "name": "李四",
        "unit": "濉溪县卫生健康委员会",
        "certificate_number": f"皖卫执{officer_id}",
        "categories": ["医疗卫生", "公共场所卫生"],
        "regions": ["濉溪县"],
        "valid_from": "2024-01-01",
        "valid_to": (agency_today() + timedelta(days=400)).isoformat(),
    }
    return {**body, **overrides}


def test_register_maintain_and_publish(inproc):
    agency = f"OF{uuid.uuid4().hex[:6]}"
    with (
        inproc.client(inproc.token("admin", agency)) as admin,
        inproc.client(inproc.token("reviewer", agency)) as reviewer,
        inproc.client(inproc.token("admin", "OTHER1")) as other,
        inproc.client() as anonymous,
    ):
        created = admin.post("/api/v1/officers", json=officer("3401001"))
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "valid" and created.json()["status_name"] == "有效"
        assert_problem(admin.post("/api/v1/officers", json=officer("3401001")), 409, "officer-exists")
        assert admin.post("/api/v1/officers", json={**officer("3401009"), "certficate_number": "x"}).status_code == 422  # a typo
        assert admin.post("/api/v1/officers", json=officer("3401008", valid_to="2023-01-01")).status_code == 422
        assert reviewer.post("/api/v1/officers", json=officer("3401002")).status_code == 403
        assert (
            admin.post(
                "/api/v1/officers", json=officer("3401002", name="王五", valid_to=(agency_today() + timedelta(days=30)).isoformat())
            ).status_code
            == 201
        )
        assert (
            admin.post(
                "/api/v1/officers", json=officer("3401003", name="赵六", valid_to=(agency_today() - timedelta(days=1)).isoformat())
            ).status_code
            == 201
        )

        # A suspension needs a reason and keeps the history; the certificate's standing is read per day.
        assert admin.patch("/api/v1/officers/3401001", json={"status": "suspended"}).status_code == 422
        suspended = admin.patch(
            "/api/v1/officers/3401001",
            json={"status": "suspended", "reason": "涉嫌违纪，暂扣执法证", "effective_on": agency_today().isoformat()},
        )
        assert suspended.status_code == 200, suspended.text
        history = reviewer.get("/api/v1/officers/3401001").json()["history"]
        assert [h["status"] for h in history] == ["valid", "suspended"] and history[1]["reason"] == "涉嫌违纪，暂扣执法证"
        assert_problem(other.get("/api/v1/officers/3401001"), 404, "officer-not-found")  # another agency's

        expiring = reviewer.get("/api/v1/officers", params={"expiring_within_days": 60}).json()["items"]
        assert [o["officer_id"] for o in expiring] == ["3401002"]

        published = anonymous.get("/api/v1/public/officers", params={"agency": agency})
        assert published.status_code == 200
        rows = published.json()["items"]
        assert [r["name"] for r in rows] == ["王五"]  # suspended and expired certificates are not listed
        assert set(rows[0]) == {"name", "unit", "certificate_number", "categories", "regions", "valid_from", "valid_to", "agency"}

    with inproc.client(inproc.token("auditor", agency)) as auditor:  # the agency's own events
        actions = [e["action"] for e in auditor.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]]
    assert actions.count("officer.registered") == 3 and actions.count("officer.updated") == 1


def test_import_is_all_rows_or_none(inproc):
    agency = f"OI{uuid.uuid4().hex[:6]}"
    header = "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止,状态\n"
    good = [f"35{n:05d},人员{n},某县卫健委,皖卫执35{n:05d},医疗卫生、职业卫生,某县,2025-01-01,2028-12-31,有效\n" for n in range(1, 4)]
    with inproc.client(inproc.token("admin", agency)) as admin:
        bad_sheet = header + "".join(good) + "3500099,无证,某县卫健委,,医疗卫生,某县,2025-01-01,2024-01-01,有效\n" + good[0]
        refused = admin.post("/api/v1/officers/import", files={"file": ("清单.csv", ("\ufeff" + bad_sheet).encode(), "text/csv")})
        assert_problem(refused, 422, "import-refused")
        problems = refused.json()["errors"]
        assert {p["row"] for p in problems} == {5, 6}  # the empty certificate and bad validity, and the repeated officer
        assert admin.get("/api/v1/officers").json()["items"] == []  # nothing half-imported

        done = admin.post("/api/v1/officers/import", files={"file": ("清单.csv", (header + "".join(good)).encode(), "text/csv")})
        assert done.status_code == 200, done.text
        assert done.json() == {"created": 3, "updated": 0, "unchanged": 0, "rows": 3}
        assert admin.get("/api/v1/officers/3500001").json()["categories"] == ["医疗卫生", "职业卫生"]

        # The same people from an XLSX sheet: one changed unit, one revoked, one as before.
        book = Workbook()
        sheet = book.active
        sheet.append(["officer_id", "name", "unit", "certificate_number", "categories", "regions", "valid_from", "valid_to", "status"])
        sheet.append(
            ["3500001", "人员1", "某市卫健委", "皖卫执3500001", "医疗卫生,职业卫生", "某县", date(2025, 1, 1), date(2028, 12, 31), "有效"]
        )
        sheet.append(
            ["3500002", "人员2", "某县卫健委", "皖卫执3500002", "医疗卫生、职业卫生", "某县", date(2025, 1, 1), date(2028, 12, 31), "吊销"]
        )
        sheet.append(["3500003", "人员3", "某县卫健委", "皖卫执3500003", "医疗卫生、职业卫生", "某县", "2025-01-01", "2028-12-31", "有效"])
        data = io.BytesIO()
        book.save(data)
        again = admin.post("/api/v1/officers/import", files={"file": ("清单.xlsx", data.getvalue(), "application/octet-stream")})
        assert again.status_code == 200, again.text
        assert again.json() == {"created": 0, "updated": 2, "unchanged": 1, "rows": 3}
        assert admin.get("/api/v1/officers/3500001").json()["unit"] == "某市卫健委"
        assert admin.get("/api/v1/officers/3500002").json()["status"] == "revoked"

        for name, content in (
            ("x.xlsx", b"not a workbook"),
            ("x.csv", "姓名\n张三\n".encode()),
            ("x.csv", b"\xff\xfe\x00bad"),
            ("x.csv", b""),
            ("x.csv", header.encode() + b"35\x0000001,a,b,c,d,e,2025-01-01,2028-12-31,\xe6\x9c\x89\xe6\x95\x88\n"),
        ):
            assert_problem(admin.post("/api/v1/officers/import", files={"file": (name, content, "text/csv")}), 422, "import-refused")


def test_a_forged_public_cursor_is_refused_and_a_page_answers_its_etag(inproc):
    import base64
    import json

    agency = f"OR{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin:
        import_csv(admin, [f"43{n:05d},人员{n},某县卫健委,皖卫执43{n:05d},医疗卫生,某县,2024-01-01,2030-12-31,有效\n" for n in range(3)])
    with inproc.client() as anonymous:
        first = anonymous.get("/api/v1/public/officers", params={"agency": agency, "limit": 2})
        issued = first.json()["next_cursor"]
        assert issued
        for forged in ([1, 2, 3, 4], ["a", "b", "c"], ["a", "b", "c", {"t": "2026-01-01T00:00:00+00:00"}], ["a", None, "c", "d"]):
            cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
            assert_problem(anonymous.get("/api/v1/public/officers", params={"agency": agency, "cursor": cursor}), 400, "invalid-cursor")
        assert_problem(anonymous.get("/api/v1/public/officers", params={"cursor": "!!not base64"}), 400, "invalid-cursor")
        assert anonymous.get("/api/v1/public/officers", params={"limit": 0}).status_code == 422
        second = anonymous.get("/api/v1/public/officers", params={"agency": agency, "limit": 2, "cursor": issued})
        assert [i["name"] for i in second.json()["items"]] == ["人员2"] and second.json()["next_cursor"] is None
        # A reader who has the page already is told so, without the body.
        again = anonymous.get(
            "/api/v1/public/officers", params={"agency": agency, "limit": 2}, headers={"If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]


def test_officers_must_be_certified_on_the_stage_day(inproc):
    from ..support.cases import DAY, CaseWalk

    agency = f"OC{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin:
        for officer_id, overrides in (
            ("3401001", {}),
            ("3401002", {"valid_to": "2026-11-01"}),  # lapsed two days before the stage
            ("3401004", {}),
            ("3401005", {"categories": ["职业卫生"]}),  # not this case's category
            ("3401006", {}),
        ):
            assert admin.post("/api/v1/officers", json=officer(officer_id, **overrides)).status_code == 201
        suspended = admin.patch(
            "/api/v1/officers/3401004", json={"status": "suspended", "effective_on": "2026-11-01", "reason": "暂扣执法证"}
        )
        assert suspended.status_code == 200
        restored = admin.patch("/api/v1/officers/3401004", json={"status": "valid", "effective_on": "2026-11-05"})
        assert restored.status_code == 200 and restored.json()["status"] == "valid"  # valid again, but after the stage

    with inproc.client(inproc.token("case_system", agency)) as http:
        walk = CaseWalk.__new__(CaseWalk)
        body = {
            "case_number": f"OC-{uuid.uuid4().hex[:8]}",
            "procedure": "penalty-general",
            "title": "某诊所案",
            "category": "医疗卫生",
            "officers": [{"officer_id": o, "name": o} for o in ("3401001", "3401002", "3401003", "3401004", "3401005", "3401006")],
            "opened_at": f"{DAY}T08:00:00+08:00",
        }
        created = http.post("/api/v1/cases", json=body)
        assert created.status_code == 201 and created.json()["category"] == "医疗卫生"
        walk.http, walk.case, walk.stages = http, created.json(), {}
        walk.stage("filing", "08:00", "08:30", officers=("3401001", "3401006"), docs=["case_filing_form"])
        walk.stage(
            "investigation", "09:00", "10:00", officers=("3401001", "3401002", "3401003", "3401004", "3401005"), docs=["onsite_record"]
        )
        findings = walk.timeline()["completeness"]["findings"]
    uncertified = {(f["stage"], f["officer_id"], f["reason"]) for f in findings if f["kind"] == "uncertified_officer"}
    assert uncertified == {
        ("investigation", "3401002", "outside_validity"),
        ("investigation", "3401003", "not_registered"),
        ("investigation", "3401004", "suspended"),
        ("investigation", "3401005", "category"),
    }
    one = next(f for f in findings if f["kind"] == "uncertified_officer" and f["officer_id"] == "3401004")
    assert one["on"] == DAY and "暂扣" in one["message_zh"]
    assert "执法人员 李四（3401004）" in one["message_zh"]  # by the register's name (the case typed the number as the name)
    unknown = next(f for f in findings if f["kind"] == "uncertified_officer" and f["officer_id"] == "3401003")
    assert "执法人员 3401003 在" in unknown["message_zh"]  # the register does not know it: the number, as the case gives it
    short = [f for f in findings if f["kind"] == "insufficient_officers" and f["stage"] == "investigation"]
    assert short and short[0]["present"] == 1  # only 3401001 counts
    assert not [f for f in findings if f["stage"] == "filing" and f["kind"] in ("uncertified_officer", "insufficient_officers")]

    with inproc.client(inproc.token("admin", agency)) as admin:  # the certificate was renewed in time after all
        assert admin.patch("/api/v1/officers/3401002", json={"valid_to": "2027-12-31"}).status_code == 200
    with inproc.client(inproc.token("case_system", agency)) as http:
        findings = http.get(f"/api/v1/cases/{walk.case['id']}/timeline").json()["completeness"]["findings"]
    assert "3401002" not in {f.get("officer_id") for f in findings}
    assert not [f for f in findings if f["kind"] == "insufficient_officers"]  # two certified now: enough
