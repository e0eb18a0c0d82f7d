"""Hostile and malformed input: every odd value answers 4xx with a problem (never 500), typos are
refused instead of silently dropped, look-alike identifiers cannot open a parallel case, a damaged
case file is reported, and the package works as installed without extras."""

import base64
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .support.api import TUS, assert_problem, create, metadata_header, patch
from .support.cases import case_body
from .support.media import upload_bytes

AGENCY = "HOSTILE"


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


OFFSET = "application/offset+octet-stream"


def test_odd_digits_and_huge_numbers_in_headers(leg):
    with leg.client(leg.token("dock", AGENCY)) as http:
        superscript = "²".encode("latin-1")  # str.isdigit() says yes, int() says no
        assert_problem(http.post("/api/v1/uploads", headers={**TUS, "Upload-Length": superscript}), 400, "invalid-header")
        assert_problem(http.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "9" * 5000}), 400, "invalid-header")
        location = create(http, 10, filename="odd.bin").headers["Location"]
        odd = {**TUS, "Upload-Offset": "٣".encode().decode("latin-1").encode("latin-1"), "Content-Type": "application/offset+octet-stream"}
        assert_problem(http.patch(location, content=b"x", headers=odd), 400, "invalid-header")
        assert_problem(http.patch(location, content=b"x", headers={**odd, "Upload-Offset": superscript}), 400, "invalid-header")
        # Offsets past a 64-bit integer, or at its edge (the body's end past it): an answer about the offset, not a 500.
        for offset in ("9" * 19, str(2**63 - 1), str(2**63 - 2)):
            answer = http.patch(location, content=b"xx", headers={**TUS, "Upload-Offset": offset, "Content-Type": OFFSET})
            assert_problem(answer, 409, "offset-mismatch")
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == "0"
        media_id = patch(http, location, 0, b"0123456789").headers["Upload-Media-Id"]
        # A Range the server cannot honour is ignored (RFC 9110): the whole representation, not a 500.
        for header in ("bytes=" + "9" * 5000 + "-", b"bytes=\xb2-", "bytes=0-" + "9" * 5000):
            response = http.get(f"/api/v1/media/{media_id}/content", headers={"Range": header})
            assert response.status_code == 200 and response.content == b"0123456789", header


def test_forged_cursors_and_calendar_edges(leg):
    with leg.client(leg.token("admin", AGENCY)) as http:
        for forged in (
            cursor_of([[1], [2]]),
            cursor_of([{"t": "x"}, "a"]),
            cursor_of([{"a": 1}, 5]),
            cursor_of([1e308, 5]),
            cursor_of([{"t": "9999-12-31T23:00:00-10:00"}, "a"]),
            cursor_of([2**70]),
            "!!!",
            "A" * 10000,
        ):
            for path in ("/api/v1/media", "/api/v1/cases", "/api/v1/audit/events"):
                assert_problem(http.get(path, params={"cursor": forged}), 400, "invalid-cursor")
        edge = "9999-12-31T23:00:00-10:00"  # in UTC: year 10000
        assert_problem(http.get("/api/v1/media", params={"recorded_from": edge}), 400, "invalid-query")
        assert_problem(http.get("/api/v1/audit/events", params={"since": edge}), 400, "invalid-time")
    with leg.client(leg.token("dock", AGENCY)) as http:
        for when in (edge, "0001-01-01T00:00:00+14:00", "1900-01-01T00:00:00+08:00"):
            response = http.post(
                "/api/v1/uploads", headers={**TUS, "Upload-Length": "3", "Upload-Metadata": metadata_header(recorded_at=when)}
            )
            assert_problem(response, 400, "invalid-metadata")
        assert http.get("/api/v1/media").status_code == 200  # and the agency's list still answers
    with leg.client(leg.token("case_system", AGENCY)) as http:
        body = http.post("/api/v1/cases", json=case_body(opened_at=edge))
        assert_problem(body, 422, "validation-error")


def test_cursors_of_the_wrong_shape_or_types_are_refused_on_every_list(leg):
    """A cursor is checked against the list's own key types: a well-formed list of the wrong values is forged too."""
    deep = base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=")
    forged = [
        cursor_of([1, 2]),
        cursor_of("a string"),
        cursor_of(7),
        cursor_of(None),
        cursor_of({"a": [1, 2]}),
        cursor_of([{"t": "2026-01-01T00:00:00+00:00"}, 5]),
        cursor_of([{"t": 5}, "a"]),
        cursor_of(["2026-01-01", 5]),
        cursor_of([True, "a"]),
        cursor_of([[], {}]),
        cursor_of([{"d": "2026-01-01"}, "a"]),
        cursor_of([{"t": "2026-01-01T00:00:00+00:00", "x": 1}, "a"]),
        "[1,2]",
        "%%%%",
        "bm90IGpzb24",
        deep,
        base64.urlsafe_b64encode(os.urandom(90)).decode(),
    ]
    with leg.client(leg.token("admin", AGENCY)) as http:
        for path in (
            "/api/v1/media",
            "/api/v1/cases",
            "/api/v1/audit/events",
            "/api/v1/officers",
            "/api/v1/publications",
            "/api/v1/agencies",
        ):
            for cursor in forged:
                assert_problem(http.get(path, params={"cursor": cursor}), 400, "invalid-cursor")
        for cursor in forged:  # the public list, without a token
            assert_problem(
                http.get("/api/v1/public/publications", params={"cursor": cursor}, headers={"Authorization": ""}), 400, "invalid-cursor"
            )


def test_typos_and_look_alikes_are_refused(leg):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        typo = case_body()
        typo["oficers"] = typo.pop("officers")
        refused = assert_problem(http.post("/api/v1/cases", json=typo), 422, "validation-error")
        assert "oficers" in refused["detail"] and refused["errors"][0]["loc"] == ["body", "oficers"]
        assert_problem(http.post("/api/v1/cases", json={**case_body(), "retention_clas": "brief"}), 422, "validation-error")
    with leg.client(leg.token("dock", AGENCY)) as http:
        for key in ("sha-256", "SHA256", "Sha_256", "recordedAt", "officer_id", "flags", "caseNumber"):
            response = http.post(
                "/api/v1/uploads", headers={**TUS, "Upload-Length": "3", "Upload-Metadata": metadata_header(**{key: "0" * 64})}
            )
            problem = assert_problem(response, 400, "invalid-metadata")
            assert "did you mean" in problem["detail"], problem
        # Keys that are merely unknown are kept (docks add their own).
        assert create(http, 3, camera_model="DSJ-V9").status_code == 201


def test_case_numbers_are_normalised(leg):
    number = f"濉卫医罚〔2026〕{os.urandom(2).hex()}号"
    with leg.client(leg.token("case_system", AGENCY)) as http:
        first = http.post("/api/v1/cases", json=case_body(case_number=f"  {number} "))
        assert first.status_code == 201 and first.json()["case_number"] == number
        full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        assert_problem(http.post("/api/v1/cases", json=case_body(case_number=full_width)), 409, "case-number-taken")
        for invisible in ("\u200b", "\u202e", "\u2066", "\ufeff"):
            assert_problem(
                http.post("/api/v1/cases", json=case_body(case_number=number[:3] + invisible + number[3:])), 400, "invalid-case-number"
            )
        found = http.get("/api/v1/cases", params={"case_number": full_width}).json()["items"]
        assert [c["id"] for c in found] == [first.json()["id"]]


def test_binding_offsets_and_duplicates(leg, clips):
    with leg.client(leg.token("dock", AGENCY)) as http:
        media_id = upload_bytes(http, clips("hostile.mp4", seconds=2).read_bytes(), filename="hostile.mp4")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}).json()
        url = f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media"
        for raw in (
            '{"media_id": "%s", "start_offset_s": NaN}',
            '{"media_id": "%s", "end_offset_s": Infinity}',
            '{"media_id": "%s", "start_offset_s": 1e400}',
            '{"media_id": "%s", "end_offset_s": -Infinity}',
        ):
            response = http.post(url, content=raw % media_id, headers={"Content-Type": "application/json"})
            assert_problem(response, 422, "validation-error")
        assert_problem(http.post(url, json={"media_id": media_id, "end_offset_s": 3600}), 422, "invalid-segment")
        stages = f"/api/v1/cases/{case['id']}/stages"
        for huge in (
            '{"stage": "closing", "started_at": "2026-11-03T11:00:00+08:00", "attributes": {"n": 100000000000000000000000000000}}',
            '{"stage": "closing", "started_at": "2026-11-03T11:00:00+08:00", "attributes": {"n": 9007199254740993}}',
        ):
            assert_problem(http.post(stages, content=huge, headers={"Content-Type": "application/json"}), 422, "validation-error")
        first = http.post(url, json={"media_id": media_id, "start_offset_s": 0.5, "end_offset_s": 1.5})
        assert first.status_code == 201
        again = assert_problem(
            http.post(url, json={"media_id": media_id, "start_offset_s": 0.5, "end_offset_s": 1.5}), 409, "already-bound"
        )
        assert again["binding_id"] == first.json()["id"]
        assert http.post(url, json={"media_id": media_id}).status_code == 201  # the whole clip is another binding


def test_offsets_beyond_reason_are_refused_and_stored_ones_do_not_break_reads(leg, clips):
    from sqlalchemy import create_engine, text

    from recording_service.core.db import sync_url

    with leg.client(leg.token("dock", AGENCY)) as http:
        clip_id = upload_bytes(http, clips("offsets.mp4", seconds=2).read_bytes(), filename="offsets.mp4")
        # Not a recording: the probe finds no duration, so only the offsets themselves can be checked.
        unknown_id = upload_bytes(http, os.urandom(2000), filename="unknown-length.bin")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}).json()
        url = f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media"
        for media_id in (clip_id, unknown_id):
            for offsets in (
                {"end_offset_s": 1e300},
                {"start_offset_s": 1e300},
                {"start_offset_s": 1e300, "end_offset_s": 1e308},
                {"start_offset_s": -1, "end_offset_s": 1},
                {"start_offset_s": 1.5, "end_offset_s": 0.5},
                {"start_offset_s": 1, "end_offset_s": 1},
                {"end_offset_s": 0},
            ):
                refused = http.post(url, json={"media_id": media_id, **offsets})
                assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json", (offsets, refused.text)
        assert_problem(http.post(url, json={"media_id": clip_id, "start_offset_s": 2.5}), 422, "invalid-segment")
        assert_problem(http.post(url, json={"media_id": clip_id, "end_offset_s": 9}), 422, "invalid-segment")
        assert http.post(url, json={"media_id": clip_id, "start_offset_s": 0.5, "end_offset_s": 2.3}).status_code == 201  # within tolerance
        # Legacy rows, stored before offsets were checked.
        legacy = {}
        for i, (name, media_id, start, end) in enumerate(
            (
                ("huge", clip_id, None, 1e300),
                ("inverted", clip_id, 1.5, 0.2),
                ("negative", unknown_id, -30.0, 5.0),
                ("infinite", unknown_id, 0.1, float("inf")),
            )
        ):
            bound = http.post(url, json={"media_id": media_id, "start_offset_s": 0.1 * (i + 1), "note": name})
            assert bound.status_code == 201, bound.text
            legacy[bound.json()["id"]] = (start, end, 2.5 if media_id == clip_id else 7 * 24 * 3600)
    engine = create_engine(sync_url(leg.service.env["RECORDING_DATABASE_URL"]))
    with engine.begin() as db:
        for binding_id, (start, end, _) in legacy.items():
            db.execute(
                text("UPDATE media_bindings SET start_offset_s = :start, end_offset_s = :end WHERE id = :id"),
                {"start": start, "end": end, "id": binding_id},
            )
    engine.dispose()
    with leg.client(leg.token("admin", AGENCY)) as http:
        timeline = http.get(f"/api/v1/cases/{case['id']}/timeline")
        assert timeline.status_code == 200, timeline.text
        shown = {m["binding_id"]: m for s in timeline.json()["stages"] for m in s["media"]}
        for binding_id, (_, _, longest) in legacy.items():
            segment = shown[binding_id]["segment"]
            assert segment["adjusted"] and segment["problem"], segment
            start, end = segment["start_offset_s"], segment["end_offset_s"]
            assert start is None or 0 <= start <= longest, segment
            assert end is None or (0 < end <= longest and (start is None or start < end)), segment
        exported = http.get(f"/api/v1/cases/{case['id']}/export")
        assert exported.status_code == 200
        with zipfile.ZipFile(__import__("io").BytesIO(exported.content)) as bag:
            timeline_json = json.loads(bag.read(next(n for n in bag.namelist() if n.endswith("data/timeline.json"))))
        assert all(m["segment"]["adjusted"] for s in timeline_json["stages"] for m in s["media"] if m["binding_id"] in legacy)
    from .support.web import create_person, signed_in_client

    person = f"offsets{os.urandom(3).hex()}"
    create_person(leg, person, "auditor", AGENCY, "吴偏移")
    with signed_in_client(leg.url, person) as http:
        for path in (f"/cases/{case['id']}", f"/footage/{clip_id}", f"/footage/{unknown_id}"):
            answer = http.get(path)
            assert answer.status_code == 200 and "片段偏移量无效" in answer.text, path


def test_probe_errors_show_no_storage_path_or_store_url(leg):
    from sqlalchemy import create_engine, text

    from recording_service.core.db import sync_url

    workdir = str(leg.workdir.resolve())
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media_id = upload_bytes(dock, b"not footage at all " * 64, filename="garbage.mp4")
        media = dock.get(f"/api/v1/media/{media_id}").json()
        assert media["status"] == "probe_failed" and media["probe_error"], media
        for leak in (workdir, "/objects/", "evidence/", "http://", "https://", "X-Amz-"):
            assert leak not in media["probe_error"], media["probe_error"]
        assert media_id in media["probe_error"]
        # An error stored before errors were scrubbed (a legacy row) is scrubbed when read.
        stored = {
            "sqlite-fs": f"{workdir}/objects/evidence/{AGENCY}/ab/cd/{'0' * 64}: Invalid data found when processing input",
            "postgres-s3": f"{leg.seaweed.endpoint if leg.seaweed else 'http://s3'}/{leg.bucket}/rs/evidence/x?X-Amz-Credential=KEY"
            f"&X-Amz-Signature=abc: Invalid data found when processing input",
        }[leg.name]
        engine = create_engine(sync_url(leg.service.env["RECORDING_DATABASE_URL"]))
        with engine.begin() as db:
            db.execute(text("UPDATE media SET probe_error = :error WHERE id = :id"), {"error": stored, "id": media_id})
        engine.dispose()
        for shown in (
            dock.get(f"/api/v1/media/{media_id}").json()["probe_error"],
            next(m for m in dock.get("/api/v1/media", params={"limit": 500}).json()["items"] if m["id"] == media_id)["probe_error"],
        ):
            assert shown.endswith("Invalid data found when processing input"), shown
            for leak in (workdir, "http://", "X-Amz-", "/objects/"):
                assert leak not in shown, shown
    from .support.web import create_person, signed_in_client

    person = f"probe{os.urandom(3).hex()}"
    create_person(leg, person, "auditor", AGENCY, "郑解析")
    with signed_in_client(leg.url, person) as http:
        page = http.get(f"/footage/{media_id}")
        assert page.status_code == 200 and "Invalid data found" in page.text and workdir not in page.text and "X-Amz-" not in page.text


def test_a_crafted_link_cannot_show_a_banner_and_a_form_message_is_shown_once(leg):
    import re

    from .support.publishing import decided, draft, with_profile
    from .support.web import create_person, signed_in_client

    agency = with_profile(leg, f"FL{os.urandom(2).hex().upper()}")
    admin = f"flash{os.urandom(3).hex()}"
    create_person(leg, admin, "admin", agency, "冯提示")
    with leg.client(leg.token("case_system", agency)) as http:
        case, document = decided(http)
        pid = draft(http, case, document).json()["id"]
    forged = "系统通知：账号异常，请拨打 400-000-0000 核实"
    with signed_in_client(leg.url, admin) as browser:
        for path, params in (
            (f"/publications/{pid}", {"error": forged}),
            (f"/publications/{pid}/edit", {"error": forged, "saved": "1"}),
            ("/publications/new", {"case_id": case.id, "document_id": document["id"], "error": forged}),
            (f"/agencies/{agency}", {"notice": forged}),
            ("/officers", {"notice": forged}),
        ):
            answer = browser.get(path, params=params)
            assert answer.status_code in (200, 303), (path, answer.status_code)
            shown = browser.get(answer.headers["location"]) if answer.status_code == 303 else answer
            assert forged not in shown.text and "已保存为第" not in shown.text, path
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"/publications/{pid}").text).group(1)
        answer = browser.post(
            f"/publications/{pid}/notice",
            data={"method": "pigeon", "notified_at": "2026-09-25T10:00", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and "?" not in answer.headers["location"]
        first = browser.get(answer.headers["location"])
        assert 'role="alert"' in first.text  # the form's message, once
        assert 'role="alert"' not in browser.get(answer.headers["location"]).text  # and not again
        # Another browser cannot be handed the message: the flash is bound to the session that caused it.
        stolen = answer.cookies.get("rs_flash") or answer.headers.get("set-cookie", "").split("rs_flash=")[1].split(";")[0]
    with signed_in_client(leg.url, admin) as other:
        other.cookies.set("rs_flash", stolen)
        assert 'role="alert"' not in other.get(f"/publications/{pid}").text


def test_notices_and_publication_dates_far_in_the_future_or_past_are_refused(leg):
    from .support.cases import Case, at
    from .support.publishing import decided, draft, published, with_profile

    agency = with_profile(leg, f"DT{os.urandom(2).hex().upper()}")
    with leg.client(leg.token("case_system", agency)) as http, leg.client(leg.token("auditor", agency)) as auditor:
        case, document = decided(http)
        pid = draft(http, case, document).json()["id"]
        for when in ("2199-01-01", "2100-06-01", "1999-12-31", "1970-01-01"):
            assert_problem(http.post(f"/api/v1/publications/{pid}/notice", json={"method": "mail", "notified_at": at(when)}), 422)
        for value in ("2199-01-01", "1900-01-01", "0001-01-01"):
            refused = assert_problem(
                http.patch(f"/api/v1/publications/{pid}", json={"fields": {"decided_on": value}}), 422, "invalid-field"
            )
            assert refused["field"] == "decided_on", refused
        licence_case = Case(
            http,
            procedure="license",
            filed="2026-11-01",
            parties=[{"name": "濉溪县康宁诊所", "kind": "organization", "id_number": "91340600MA2N0ABCDT"}],
        )
        licence_case.stage("acceptance", "2026-11-01")
        licence_case.skip("verification")
        licence_case.stage("decision", "2026-11-20")
        decision = licence_case.document(
            "decision",
            "license_decision",
            issued_at=at("2026-11-20"),
            title="准予行政许可决定书",
            text="濉溪县康宁诊所：你单位申请的医疗机构执业登记，经审查符合条件，决定准予许可。",
        )
        licence = http.post(
            "/api/v1/publications",
            json={"case_id": licence_case.id, "document_id": decision["id"], "kind": "license", "severity": "ordinary"},
        ).json()["id"]
        for name, value in (
            ("valid_from", "2199-01-01"),
            ("valid_from", "1999-12-31"),
            ("valid_to", "2199-01-01"),
            ("valid_to", "0001-01-01"),
        ):
            refused = assert_problem(http.patch(f"/api/v1/publications/{licence}", json={"fields": {name: value}}), 422, "invalid-field")
            assert refused["field"] == name, refused
        term = {"valid_from": "2026-12-01", "valid_to": "2031-11-30"}  # a licence's five-year term is no typo
        assert http.patch(f"/api/v1/publications/{licence}", json={"fields": term}).status_code == 200
        public = published(http, auditor)
        for when in ("2199-01-01", "2100-01-01", "1999-01-01"):
            refused = assert_problem(
                http.post(f"/api/v1/publications/{public}/annotate", json={"note": "经行政复议变更", "changed_on": when}),
                422,
                "annotation-date",
            )
            assert refused["field"] == "changed_on"
        assert (
            http.post(f"/api/v1/publications/{public}/annotate", json={"note": "经行政复议变更", "changed_on": "2026-10-10"}).status_code
            == 200
        )
        shown = http.get(f"/api/v1/public/publications/{public}", headers={"Authorization": ""}).json()
        assert "2199" not in json.dumps(shown, ensure_ascii=False)


def test_verify_export_reports_a_damaged_zip(leg, tmp_path):
    good = tmp_path / "bag.zip"
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("case-x/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        archive.writestr("case-x/data/footage/a.mp4", b"A" * 4096)
    damaged = bytearray(good.read_bytes())
    damaged[damaged.index(b"A" * 16) + 100] ^= 0xFF  # a payload byte: the member's CRC no longer matches
    bad = tmp_path / "damaged.zip"
    bad.write_bytes(bytes(damaged))
    result = leg.service.cli("verify-export", str(bad), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ok"] is False and report["failures"]


@pytest.mark.parametrize("leg", ["sqlite-fs"], indirect=True)  # packaging does not depend on the store
def test_plain_install_runs_the_dock_client(leg, tmp_path):
    """`pip install recording-service` without extras gives working `recording-service` and `recording-dock`."""
    venv = tmp_path / "plain"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    source = Path(__file__).resolve().parents[1]  # this checkout, built and installed as a user would
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(source)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    assert subprocess.run([str(venv / "bin" / "recording-service"), "--help"], capture_output=True, timeout=60).returncode == 0
    dock = tmp_path / "dock"
    dock.mkdir()
    (dock / "clip.mp4").write_bytes(os.urandom(100_000))
    result = subprocess.run(
        [
            str(venv / "bin" / "recording-dock"),
            "sync",
            str(dock),
            "--server",
            leg.url,
            "--token",
            leg.token("dock", AGENCY),
            "--json",
            "--min-age",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["uploaded"] == 1


def test_oversized_bodies_and_forms_are_refused_before_anything_else(leg):
    """No token needed to try: a 300 MiB JSON body or a form of 1,500 fields is refused without
    the service holding it in memory."""
    import httpx
    import psutil

    service = psutil.Process(leg.service.process.pid)
    before = service.memory_info().rss
    MiB = 1 << 20
    with httpx.Client(base_url=leg.url, timeout=120) as anonymous:
        declared = anonymous.post("/api/v1/cases", content=b"{" + b" " * (2 * MiB) + b"}", headers={"Content-Type": "application/json"})
        assert_problem(declared, 413, "body-too-large")

        def endless():
            for _ in range(300):
                yield b" " * MiB

        streamed = anonymous.post("/api/v1/cases", content=endless(), headers={"Content-Type": "application/json"})
        assert_problem(streamed, 413, "body-too-large")
    with leg.client(leg.token("dock", AGENCY)) as http:
        fields = {f"field{i}": "x" * 300 for i in range(1500)}
        form = http.post("/api/v1/media", data=fields, files={"file": ("a.mp4", b"abc", "video/mp4")})
        assert_problem(form, 413, "form-too-large")
        wide = http.post("/api/v1/media", data={f"k{i}": "y" * 60_000 for i in range(3)}, files={"file": ("b.mp4", b"abc", "video/mp4")})
        assert_problem(wide, 413, "form-too-large")
        assert (
            http.post("/api/v1/media", data={"device_id": "CAM-1"}, files={"file": ("c.mp4", os.urandom(1000), "video/mp4")}).status_code
            == 201
        )
    assert service.memory_info().rss - before < 64 * MiB


def test_open_uploads_per_token_are_bounded(leg, tmp_path):
    from .support.servers import ServiceProcess

    limited = ServiceProcess({**leg.service.env, "RECORDING_MAX_OPEN_UPLOADS_PER_TOKEN": "3"}, tmp_path).start()
    try:
        token = leg.token("dock", "OPENUP", fresh=True)
        with leg.client(token) as http:
            http.base_url = limited.base_url
            locations = [create(http, 10).headers["Location"] for _ in range(3)]
            assert_problem(create(http, 10), 429, "too-many-open-uploads")
            assert http.delete(locations[0], headers=TUS).status_code == 204  # a finished one frees a place
            assert create(http, 10).status_code == 201
        with leg.client(leg.token("dock", "OPENUP2", fresh=True)) as other:
            other.base_url = limited.base_url
            assert create(other, 10).status_code == 201  # the limit is per token
    finally:
        limited.stop()


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(leg, tmp_path):
    from .support.servers import ServiceProcess

    def recorded_address(service, forwarded: str) -> str:
        with leg.client(leg.token("case_system", "PROXY")) as http:
            http.base_url = service.base_url
            case = http.post("/api/v1/cases", json=case_body(), headers={"X-Forwarded-For": forwarded}).json()
        with leg.client(leg.token("auditor", "PROXY")) as http:
            created = [
                e for e in http.get("/api/v1/audit/events", params={"case_id": case["id"]}).json()["items"] if e["action"] == "case.created"
            ]
        return created[0]["client_address"]

    assert recorded_address(leg.service, "203.0.113.7") == "127.0.0.1"  # no proxy configured: the peer
    (tmp_path / "proxied").mkdir()
    proxied = ServiceProcess({**leg.service.env, "RECORDING_TRUSTED_PROXIES": "127.0.0.1"}, tmp_path / "proxied").start()
    try:
        assert recorded_address(proxied, "203.0.113.7") == "203.0.113.7"  # from the trusted proxy: the client
    finally:
        proxied.stop()


@pytest.mark.parametrize("leg", ["postgres-s3"], indirect=True)  # the filesystem store appends to one file: nothing is rewritten
def test_many_small_patches_cost_their_bytes(leg, tmp_path):
    """Each small PATCH stores only its own bytes (a tail segment), not the whole pending part again
    (before, 40 PATCHes of 100 KiB wrote ~82 MB of tail for 4 MB received). A versioned bucket, so that
    clean-up must remove every version."""
    import hashlib

    from .support.servers import S3_ACCESS_KEY, S3_SECRET_KEY, ServiceProcess, create_postgres_database, drop_postgres_database

    s3 = leg.seaweed.client()
    bucket = leg.seaweed.create_bucket(f"segments-{os.urandom(4).hex()}", object_lock=True)  # lock-enabled: versioned
    database = create_postgres_database()
    env = {
        **leg.service.env,
        "RECORDING_DATABASE_URL": database,
        "RECORDING_STORAGE_URL": f"s3://{bucket}/rs",
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
    }
    service = ServiceProcess(env, tmp_path).start()
    try:
        chunk, count = 100 * 1024, 40
        data = os.urandom(chunk * count + 3 * 1024 * 1024)  # then past the 5 MiB part
        with leg.client(service.token("dock", "SEG")) as http:
            http.base_url = service.base_url
            location = create(http, len(data), filename="small.mp4", sha256=hashlib.sha256(data).hexdigest()).headers["Location"]
            upload_id = location.rsplit("/", 1)[1]
            for index in range(count):
                assert patch(http, location, index * chunk, data[index * chunk : (index + 1) * chunk]).status_code == 204
            # Each PATCH stored its own bytes once (a segment); nothing was rewritten.
            stored = s3.list_objects_v2(Bucket=bucket, Prefix=f"rs/.uploads/{upload_id}/").get("Contents", [])
            assert sorted(o["Size"] for o in stored) == [chunk] * count, [o["Size"] for o in stored]
            last = patch(http, location, chunk * count, data[chunk * count :])
            assert last.status_code == 204, last.text
            assert http.get(f"/api/v1/media/{last.headers['Upload-Media-Id']}/content").content == data
        assert not s3.list_objects_v2(Bucket=bucket, Prefix=f"rs/.uploads/{upload_id}/").get("Contents")
    finally:
        service.stop()
        drop_postgres_database(database)


def test_slow_and_oversized_request_heads_are_cut_off(leg, tmp_path):
    """Half a request head, then silence, does not hold a connection; nor does a head of 1 MB, whose
    sender still reads the 431."""
    import socket
    import time

    from .support.servers import ServiceProcess

    service = ServiceProcess({**leg.service.env, "RECORDING_HEADER_TIMEOUT_SECONDS": "2"}, tmp_path).start()
    try:

        def read_all(sock) -> bytes:
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            return data

        with socket.create_connection(("127.0.0.1", service.port), timeout=20) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            started = time.monotonic()
            answer = read_all(sock)  # the server ends the connection
            assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 15
        # The 431 must reach the client every time, not only when the server happened to read the whole
        # head before closing: closing with unread input makes the kernel reset the connection (RST),
        # which throws the answer away. So the server half-closes and drains, as HTTP servers do.
        for attempt in range(50):
            with socket.create_connection(("127.0.0.1", service.port), timeout=20) as sock:
                # 1 MB: far more than the server reads before it answers, so much is still unread when it does.
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
                answer = read_all(sock)
                assert answer.startswith(b"HTTP/1.1 431"), (attempt, answer[:100])
        with socket.create_connection(("127.0.0.1", service.port), timeout=20) as sock:  # a normal request still works
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert read_all(sock).startswith(b"HTTP/1.1 200")
        with socket.create_connection(("127.0.0.1", service.port), timeout=20) as sock:
            # A small head with a large body in the same write: the body is not head (an upload's PATCH is like this).
            body = os.urandom(300_000)
            token = leg.token("dock", "HEADS").encode()
            sock.sendall(
                b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nConnection: close\r\n"
                b"Authorization: Bearer "
                + token
                + b"\r\nContent-Type: application/offset+octet-stream\r\n"
                + f"Upload-Length: {len(body)}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            assert read_all(sock).startswith(b"HTTP/1.1 201")  # created with all its bytes, not cut off as a head
    finally:
        service.stop()
