"""The audit trail's filters through the API of the app in this process: by person (part of a name, or an account),
action, object (a case number with its footage, or an id of a case, media item or upload, or its start), and days in
the agency's time zone; newest first on request; every event described in Chinese. (The pages: tests/test_audit_pages.py.)"""

import uuid
from datetime import datetime, timedelta

from ..support.api import assert_problem, create, patch
from ..support.cases import case_body
from ..support.inprocess import create_person, signed_in_client

AGENCY, OTHER = "AUDF", "AUDG"


def events(http, **params) -> list[dict]:
    answer = http.get("/api/v1/audit/events", params={"limit": 500, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_an_auditor_filters_the_trail_by_person_action_object_and_day(inproc):
    clerk = inproc.token("case_system", AGENCY, fresh=True, name="办案系统-Clerk")
    other_clerk = inproc.token("case_system", AGENCY, fresh=True, name="另一办案系统")
    foreign = inproc.token("case_system", OTHER, fresh=True, name="外单位办案系统")
    number = f"濉卫医罚〔2026〕{uuid.uuid4().int % 100000}号"
    with inproc.client(clerk) as http:
        case = http.post("/api/v1/cases", json=case_body(case_number=number)).json()
    with inproc.client(other_clerk) as http:
        assert http.post("/api/v1/cases", json=case_body()).status_code == 201
    with inproc.client(foreign) as http:  # the same number in another agency: never in AUDF's trail
        assert http.post("/api/v1/cases", json=case_body(case_number=number)).status_code == 201
    with inproc.client(inproc.token("dock", AGENCY)) as dock:
        upload = create(dock, 5, filename="clip.mp4").headers["Location"].rsplit("/", 1)[1]
        media_id = patch(dock, f"/api/v1/uploads/{upload}", 0, b"abcde").headers["Upload-Media-Id"]

    with inproc.client(inproc.token("auditor", AGENCY)) as auditor:
        # Person: part of the actor's name in any case, or the account's id exactly.
        by_name = events(auditor, person="clerk")
        assert by_name and {e["actor"]["name"] for e in by_name} == {"办案系统-Clerk"}
        assert [e["seq"] for e in events(auditor, person=by_name[0]["actor"]["token_id"])] == [e["seq"] for e in by_name]
        assert events(auditor, person="nobody-of-that-name") == []
        # Action, with its description and the payload as people read them.
        created = events(auditor, action="case.created")
        assert len(created) == 2 and {e["action_zh"] for e in created} == {"立案登记"}
        mine = next(e for e in created if e["case_id"] == case["id"])
        assert f"案号：{number}" in mine["details_zh"] and "保存类别：案件证据" in mine["details_zh"]
        assert {e["action_zh"] for e in events(auditor, action="media.created")} == {"上传音像记录"}
        # Object: the case number (the case and its footage, this agency's only), an id or the start of one.
        about_case = events(auditor, object=number)
        assert {e["case_id"] for e in about_case} == {case["id"]}
        assert [e["action"] for e in about_case] == ["case.created"]
        assert events(auditor, object=case["id"][:8]) == about_case
        about_upload = events(auditor, object=upload)
        assert {e["action"] for e in about_upload} >= {"upload.created", "upload.completed"}
        assert {e["upload_id"] for e in about_upload} == {upload}
        assert [e["action"] for e in events(auditor, upload_id=upload, action="upload.created")] == ["upload.created"]
        assert "media.created" in {e["action"] for e in events(auditor, object=media_id)}
        assert events(auditor, object="濉卫医罚〔2026〕不存在号") == []
        # Days in the agency's time zone, both included; newest first on request.
        today = datetime.now(inproc.settings.tz).date()
        assert events(auditor, **{"from": today.isoformat(), "to": today.isoformat(), "person": "clerk"}) == by_name
        assert events(auditor, to=(today - timedelta(days=1)).isoformat(), person="clerk") == []
        assert events(auditor, **{"from": (today + timedelta(days=1)).isoformat()}) == []
        assert_problem(
            auditor.get("/api/v1/audit/events", params={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}),
            400,
            "invalid-period",
        )
        newest = events(auditor, order="desc", limit=3)
        assert [e["seq"] for e in newest] == sorted((e["seq"] for e in newest), reverse=True)
        assert newest[0]["seq"] == max(e["seq"] for e in events(auditor))
        # Every action with its description, for the scripts that build their own selects.
        actions = {a["code"]: a for a in auditor.get("/api/v1/audit/actions").json()}
        assert actions["media.created"]["name_zh"] == "上传音像记录" and actions["timeline.read"]["name_zh"] == "查阅案件时间线"

    with inproc.client(inproc.token("auditor", OTHER)) as auditor_b:
        assert {e["case_id"] for e in events(auditor_b, object=number)} != {case["id"]}
        assert events(auditor_b, object=upload) == []
    with inproc.client(inproc.token("reviewer", AGENCY)) as reviewer:
        assert_problem(reviewer.get("/api/v1/audit/actions"), 403)


def test_the_trail_pages_read_their_filters_once_and_refuse_unknown_ones(inproc):
    with inproc.client(inproc.token("case_system", AGENCY, fresh=True, name="页面筛选办案系统")) as http:
        case = http.post("/api/v1/cases", json=case_body()).json()
    username = f"aud{uuid.uuid4().hex[:6]}"
    create_person(inproc, username, "auditor", AGENCY, "筛选检查")
    with signed_in_client(inproc, username) as browser:
        for path in ("/audit", f"/cases/{case['id']}/audit"):
            found = browser.get(path, params={"person": "页面筛选", "action": "case.created"})
            assert found.status_code == 200 and "立案登记" in found.text
            for sheet in ("csv", "xlsx"):
                answer = browser.get(f"{path}.{sheet}", params={"person": "页面筛选", "page": 3})
                assert answer.status_code == 200 and answer.headers["content-disposition"].startswith("attachment")
            csv_rows = browser.get(f"{path}.csv", params={"person": "页面筛选", "action": "case.created"}).text.splitlines()
            assert len(csv_rows) == 2 and "立案登记" in csv_rows[1]  # the header and the one event the filters leave
            for typo in ({"actoin": "case.created"}, {"cursor": "abc"}):
                refused = browser.get(path, params=typo)
                assert refused.status_code == 400 and "不认识的查询条件" in refused.text, refused.text[:300]
                assert browser.get(f"{path}.csv", params=typo).status_code == 400
            assert browser.get(path, params={"page": 0}).status_code == 422
