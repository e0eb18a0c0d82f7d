"""案卷评查 by people: the reviewer's deductions and 评查意见 on the items a reviewer judges, the sign-off, an
admin's reopening — through the HTTP API of the app in this process."""

import io
import json
import zipfile

from recording_service.export.verify import verify_export

from ..support.api import assert_problem
from ..support.cases import decided_case

AGENCY = "MREV1"
MANUAL = {"facts_evidence": 10, "law_discretion": 10, "document_quality": 5, "archiving": 5}


def judged(**deductions) -> list[dict]:
    return [
        {"item": code, "points_lost": points, "opinion": f"{code}：扣 {points} 分的理由" if points else ""}
        for code, points in deductions.items()
    ]


def events(inproc, case_id: str, action: str) -> list[dict]:
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        answer = http.get("/api/v1/audit/events", params={"action": action, "case_id": case_id, "limit": 500})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]


def test_a_reviewer_scores_the_manual_items_and_signs(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        sheet = http.get("/api/v1/review-sheet").json()
        assert {i["code"]: i["points"] for i in sheet["items"] if i["judged_by"] == "reviewer"} == MANUAL
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")
        automatic = http.get(f"/api/v1/cases/{case.id}/review").json()["automatic_score"]
    url = f"/api/v1/cases/{case.id}/review"
    with inproc.client(inproc.token("reviewer", AGENCY, name="钱评查")) as http:
        empty = http.get(url + "/manual").json()
        assert (empty["status"], empty["version"], empty["complete"], empty["signed"]) == ("not_started", 0, False, False)
        assert [i["item"] for i in empty["items"]] == list(MANUAL) and all(i["points_lost"] is None for i in empty["items"])

        # Part of the sheet first: the others stay unjudged and lose nothing yet.
        saved = http.put(url + "/manual", json={"items": judged(facts_evidence=3), "opinion": "", "version": 0})
        assert saved.status_code == 200, saved.text
        assert (saved.json()["version"], saved.json()["status"], saved.json()["complete"], saved.json()["score"]) == (1, "draft", False, 27)
        refused = http.post(url + "/sign-off", json={"version": 1})
        assert "尚未评定" in assert_problem(refused, 422, "review-incomplete")["detail_zh"]

        # The whole sheet, with the overall opinion: the total is the data's items plus the reviewer's.
        body = {
            "items": judged(facts_evidence=3, law_discretion=2.5, document_quality=0, archiving=5),
            "opinion": "证据基本充分，裁量说理不足。",
        }
        saved = http.put(url + "/manual", json={**body, "version": 1})
        assert saved.status_code == 200 and saved.json()["version"] == 2 and saved.json()["complete"], saved.text
        review = http.get(url).json()
        assert (review["manual_score"], review["manual_max_score"], review["signed"]) == (19.5, 30, False)
        assert review["score"] == automatic + 19.5 and review["max_score"] == 100
        items = {i["item"]: i for i in review["items"]}
        assert items["law_discretion"]["points_lost"] == 2.5 and items["law_discretion"]["judged_by"] == "reviewer"
        assert items["law_discretion"]["opinion"].startswith("law_discretion")
        assert {d["item"] for d in review["deductions"]} >= {"facts_evidence", "law_discretion", "archiving"}

        # The same again changes nothing: no version, no event.
        assert http.put(url + "/manual", json=body).json()["version"] == 2
        # A change made on an old version is refused.
        assert_problem(http.put(url + "/manual", json={**body, "opinion": "另一意见", "version": 1}), 409, "review-changed")

        signed = http.post(url + "/sign-off", json={"version": 2})
        assert signed.status_code == 200, signed.text
        out = signed.json()
        assert (out["status"], out["signed"], out["version"], out["signed_by"]) == ("signed", True, 3, "钱评查")
        assert out["signature"].startswith("钱评查 20") and out["signed_at"]
        assert [v["action"] for v in out["versions"]] == ["saved", "saved", "signed"]
        assert http.get(url).json()["signed"] is True

        # Signed: read-only, for the reviewer and an admin alike, and it cannot be signed twice.
        assert "退回重评" in assert_problem(http.put(url + "/manual", json=body), 409, "review-signed")["detail_zh"]
        assert_problem(http.post(url + "/sign-off"), 409, "review-already-signed")
        # Only an admin reopens it.
        assert_problem(http.post(url + "/reopen", json={"reason": "评查员自己想改"}), 403)

    with inproc.client(inproc.token("admin", AGENCY, name="管理员")) as admin:
        assert_problem(admin.put(url + "/manual", json=body), 409, "review-signed")
        assert_problem(admin.post(url + "/reopen", json={"reason": "   "}), 422, "reason-required")
        reopened = admin.post(url + "/reopen", json={"reason": "复核发现裁量依据引用错误"})
        assert reopened.status_code == 200, reopened.text
        out = reopened.json()
        assert (out["status"], out["signed"], out["version"], out["signed_by"]) == ("draft", False, 4, None)
        assert out["items"][1]["points_lost"] == 2.5  # the deductions are kept
        assert out["versions"][-1]["reason"] == "复核发现裁量依据引用错误" and out["versions"][-1]["action"] == "reopened"
        assert_problem(admin.post(url + "/reopen", json={"reason": "再退一次"}), 409, "review-not-signed")

    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        changed = http.put(
            url + "/manual", json={**body, "items": judged(facts_evidence=3, law_discretion=4, document_quality=0, archiving=5)}
        )
        assert changed.status_code == 200 and changed.json()["version"] == 5
        assert http.post(url + "/sign-off").json()["version"] == 6
        assert http.get(url).json()["manual_score"] == 18

    # The case file carries the review as signed, with every version, and verifies offline.
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        bag = http.get(f"/api/v1/cases/{case.id}/export")
        assert bag.status_code == 200, bag.text
    path = inproc.workdir / "case.zip"
    path.write_bytes(bag.content)
    check = verify_export(path)
    assert check.ok, check.failures
    with zipfile.ZipFile(io.BytesIO(bag.content)) as archive:
        root = f"case-{case.id}/"
        filed = json.loads(archive.read(root + "data/review.json"))
        info = archive.read(root + "bag-info.txt").decode()
        summary = json.loads(archive.read(root + "data/export.json"))["review"]
    assert (filed["signed"], filed["manual_score"], filed["manual"]["signed_by"]) == (True, 18, "钱评查")
    assert [v["action"] for v in filed["manual"]["versions"]] == ["saved", "saved", "signed", "reopened", "saved", "signed"]
    assert filed["manual"]["opinion"] == "证据基本充分，裁量说理不足。"
    assert f"Review-Score: {filed['score']:g}/100" in info and "Review-Signed: true" in info
    assert (summary["status"], summary["version"], summary["signed_by"]) == ("signed", 6, "钱评查")

    # Every save, sign-off and reopening is an audit event on the case.
    assert [e["payload"]["version"] for e in events(inproc, case.id, "review.saved")] == [1, 2, 5]
    assert [e["payload"]["version"] for e in events(inproc, case.id, "review.signed")] == [3, 6]
    reopenings = events(inproc, case.id, "review.reopened")
    assert len(reopenings) == 1 and reopenings[0]["payload"]["reason"] == "复核发现裁量依据引用错误"
    assert reopenings[0]["payload"]["signed_by"] == "钱评查" and reopenings[0]["actor"]["role"] == "admin"


def test_deductions_are_checked_against_the_sheet(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")
    url = f"/api/v1/cases/{case.id}/review/manual"
    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        cases = [
            (judged(facts_evidence=10.5), "deduction-exceeds-points", "超过该项分值 10 分"),
            (judged(archiving=-1), "invalid-deduction", "不能为负数"),
            (judged(no_such_item=1), "unknown-review-item", "没有“no_such_item”"),
            (judged(officers=2), "automatic-review-item", "自动评分"),
            (judged(archiving=1) + judged(archiving=2), "duplicate-review-item", "两次"),
            ([{"item": "archiving", "points_lost": 1, "opinion": "  "}], "opinion-required", "须写明评查意见"),
        ]
        for items, code, text in cases:
            problem = assert_problem(http.put(url, json={"items": items}), 422, code)
            assert text in problem["detail_zh"] and problem["errors"][0]["field"].startswith("items."), problem
        # A deduction of the whole item is allowed; nothing above was saved.
        assert http.get(url).json()["version"] == 0
        assert http.put(url, json={"items": judged(archiving=5)}).json()["items"][3]["points_lost"] == 5
        # Not a number, or unknown fields: the request is refused as malformed.
        assert http.put(url, json={"items": [{"item": "archiving", "points_lost": "很多"}]}).status_code == 422
        assert http.put(url, json={"items": [], "signature": "x"}).status_code == 422
    assert len(events(inproc, case.id, "review.saved")) == 1


def test_who_may_read_score_sign_and_reopen(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")
    url = f"/api/v1/cases/{case.id}/review"
    body = {"items": judged(facts_evidence=0, law_discretion=0, document_quality=0, archiving=0), "opinion": "案卷规范。"}
    for role in ("dock", "case_system", "auditor"):
        with inproc.client(inproc.token(role, AGENCY)) as http:
            assert_problem(http.put(url + "/manual", json=body), 403)
            assert_problem(http.post(url + "/sign-off"), 403)
            assert_problem(http.post(url + "/reopen", json={"reason": "无权"}), 403)
            assert http.get(url + "/manual").status_code == (403 if role == "dock" else 200)
    with inproc.client(inproc.token("reviewer", "MREV2")) as http:  # another agency's reviewer: no such case
        assert_problem(http.put(url + "/manual", json=body), 404)
        assert_problem(http.get(url + "/manual"), 404)
    with inproc.client(inproc.token("admin", AGENCY)) as admin:  # an admin may score and sign too
        assert admin.put(url + "/manual", json=body).status_code == 200
        assert_problem(admin.post(url + "/reopen", json={"reason": "未签署"}), 409, "review-not-signed")
        assert admin.post(url + "/sign-off").json()["signed"] is True
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        review = http.get(url).json()
        assert review["signed"] is True and review["manual"]["signed_by"] and review["manual_score"] == 30


def test_the_case_page_form_saves_signs_and_answers_in_chinese(inproc):
    import re
    import uuid

    from ..support.inprocess import create_person, signed_in_client

    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")
    reviewer, admin = f"rev{uuid.uuid4().hex[:6]}", f"adm{uuid.uuid4().hex[:6]}"
    create_person(inproc, reviewer, "reviewer", AGENCY, "钱评查")
    create_person(inproc, admin, "admin", AGENCY, "孙管理")
    with signed_in_client(inproc, reviewer) as browser:
        page = browser.get(f"/cases/{case.id}").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert 'id="review-form"' in page and "事实认定与证据" in page and "待评定" in page and 'id="review-reopen"' not in page
        form = {"csrf_token": csrf, "version": "0", "opinion": "", "lost_facts_evidence": "１２", "opinion_facts_evidence": "证据不足"}
        answer = browser.post(f"/cases/{case.id}/review", data=form)  # 全角 12: more than the item's 10
        assert answer.status_code == 303
        page = browser.get(f"/cases/{case.id}").text
        assert "“事实认定与证据”扣 12 分，超过该项分值 10 分，未保存。" in page
        form.update(lost_facts_evidence="2", action="sign")  # saved, but not signed: items left
        browser.post(f"/cases/{case.id}/review", data=form)
        page = browser.get(f"/cases/{case.id}").text
        assert "已保存，但未签署：尚未评定：法律适用与自由裁量、文书制作质量、立卷归档" in page
        form.update(
            version="1",
            opinion="卷宗较规范。",
            lost_law_discretion="0",
            lost_document_quality="1",
            lost_archiving="0",
            opinion_document_quality="文书用语欠规范",
        )
        browser.post(f"/cases/{case.id}/review", data=form)
        page = browser.get(f"/cases/{case.id}").text
        assert "评查已签署。" in page and 'id="review-form"' not in page
        assert re.search(r'<span class="signed-name">钱评查 \([^)]+\) 20\d\d-\d\d-\d\d \d\d:\d\d</span>', page), page
        assert "卷宗较规范。" in page and "文书用语欠规范" in page
        # Signed: the form is gone, and a post is refused with the reason, in Chinese.
        browser.post(f"/cases/{case.id}/review", data={**form, "version": "3"})
        assert "不能修改；如需修改，请管理员填写原因后退回重评" in browser.get(f"/cases/{case.id}").text
        assert browser.post(f"/cases/{case.id}/review/reopen", data={"csrf_token": csrf, "reason": "想改"}).status_code == 403
    with signed_in_client(inproc, admin) as browser:
        page = browser.get(f"/cases/{case.id}").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert 'id="review-reopen"' in page
        browser.post(f"/cases/{case.id}/review/reopen", data={"csrf_token": csrf, "reason": "裁量依据需复核"})
        page = browser.get(f"/cases/{case.id}").text
        assert "已退回重评" in page and 'id="review-form"' in page
    with inproc.client(inproc.token("auditor", AGENCY)) as http:
        assert [v["action"] for v in http.get(f"/api/v1/cases/{case.id}/review/manual").json()["versions"]] == [
            "saved",
            "saved",
            "signed",
            "reopened",
        ]


def test_the_statistics_count_the_reviewers_deductions(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")
    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        saved = http.put(f"/api/v1/cases/{case.id}/review/manual", json={"items": judged(facts_evidence=4, law_discretion=2)})
        assert saved.status_code == 200, saved.text
        live = http.get(f"/api/v1/cases/{case.id}/review").json()
        assert live["manual_score"] == 24
        answer = http.get("/api/v1/stats/review-scores", params={"from": "2026-01-01", "to": "2026-12-31"})
        assert answer.status_code == 200, answer.text
    rows = {r["procedure"]: r for r in answer.json()["rows"]}
    assert rows["penalty-general"]["cases"] == 1
    assert rows["penalty-general"]["mean"] == round(live["score"] * 100 / live["max_score"], 1)
