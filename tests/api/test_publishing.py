"""公示 through the API of the app in this process: the draft's fields come from the case, approval waits for the
双公示 field rules and a second person, a published item is corrected by a new version and its 履行情况 shown publicly;
fields and withdrawal reasons with personal data are redacted; the drafting pages answer bad input and change nothing.
(Public search and exports, profiles set by the CLI and the round in Chromium: tests/test_publishing.py.)"""

import re
import uuid
from datetime import timedelta

from ..support.api import assert_problem
from ..support.cases import at, case_body
from ..support.clock import agency_today
from ..support.inprocess import create_person, signed_in_client
from ..support.publishing import AUTHORITY_CODE, CLINIC_CODE, ID_NUMBER, decided, draft, organisation_decided, published, with_profile


def test_a_decision_is_drafted_from_the_case_approved_by_another_person_published_corrected_and_performed(inproc):
    agency = with_profile(inproc, f"PE{uuid.uuid4().hex[:4].upper()}", name="淮北市濉溪县卫生健康委员会", uscc=AUTHORITY_CODE)
    with (
        inproc.client(inproc.token("case_system", agency)) as http,
        inproc.client(inproc.token("auditor", agency)) as auditor,
        inproc.client(inproc.token("admin", agency)) as admin,
    ):
        case, document = organisation_decided(http)
        created = http.post(
            "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary"}
        )
        assert created.status_code == 201, created.text
        draft = created.json()
        fields = draft["fields"]
        # The fields come from the case and the agency's profile, not from the document's title or the agency's code.
        assert fields["penalty_content"] == "警告；没收违法所得 5,000 元；罚款 30,000 元", fields
        assert fields["penalty_category"] == "警告、没收违法所得、罚款" and fields["fine_wan"] == 3 and fields["confiscated_wan"] == 0.5
        assert fields["legal_representative"] == "李建国" and fields["party_code"] == CLINIC_CODE
        assert fields["basis"] == "《放射诊疗管理规定》第三十八条第一项"
        assert fields["violation_facts"].startswith("你单位于2026年8月5日") and "13912345678" not in fields["violation_facts"]
        assert "周小红" not in fields["violation_facts"]  # a patient named in the facts is removed there as in the text
        assert fields["authority"] == fields["data_source"] == "淮北市濉溪县卫生健康委员会"
        assert fields["authority_code"] == fields["data_source_code"] == AUTHORITY_CODE
        assert draft["problems"] == [], draft["problems"]
        facts_spans = [span for span in draft["redaction"] if span["field"] == "violation_facts" and span["removed"]]
        assert {span["kind"] for span in facts_spans} >= {"phone", "name"}, facts_spans  # the report names each field
        # Officers and the legal representative stay public; the officer's 执法证号 is no phone number.
        for kept in ("李四", "王五", "李建国", "34062120230001", "淮海路18号"):
            assert kept in draft["public_text"], kept
        pid = draft["id"]

        # Whoever edits a draft cannot approve it; an approval with fields missing is refused with the list, in Chinese.
        edited = admin.patch(f"/api/v1/publications/{pid}", json={"fields": {"basis": None}, "note": "核对依据"})
        assert edited.status_code == 200 and edited.json()["editors"] and len(edited.json()["editors"]) == 2
        problems = edited.json()["problems"]
        assert problems == [{"field": "basis", "code": "CF_YJ", "message": "处罚依据（CF_YJ）必填"}], problems
        assert_problem(admin.post(f"/api/v1/publications/{pid}/approve"), 409, "approver-edited")
        refused = auditor.post(f"/api/v1/publications/{pid}/approve")
        assert_problem(refused, 422, "publication-incomplete")
        assert "处罚依据（CF_YJ）必填" in refused.json()["detail"] and refused.json()["problems"][0]["field"] == "basis"
        assert (
            http.patch(f"/api/v1/publications/{pid}", json={"fields": {"basis": "《放射诊疗管理规定》第三十八条第一项"}}).status_code == 200
        )
        # The notice is neither in the future nor before the decision.
        assert_problem(
            http.post(f"/api/v1/publications/{pid}/notice", json={"method": "mail", "notified_at": at("2027-01-05")}),
            422,
            "notice-in-future",
        )
        assert_problem(
            http.post(f"/api/v1/publications/{pid}/notice", json={"method": "mail", "notified_at": at("2026-09-20")}),
            422,
            "notice-before-decision",
        )
        assert (
            http.post(
                f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24", "16:00")}
            ).status_code
            == 200
        )
        assert auditor.post(f"/api/v1/publications/{pid}/approve").status_code == 200
        assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200

        # A published item is corrected by a new version with its 变更说明 (required), shown publicly as history.
        assert_problem(
            http.patch(f"/api/v1/publications/{pid}", json={"fields": {"penalty_content": "x"}}), 422, "correction-note-required"
        )
        corrected = http.patch(
            f"/api/v1/publications/{pid}",
            json={
                "fields": {"violation_type": "未取得放射诊疗许可证开展放射诊疗活动"},
                "note": "更正违法行为类型的表述",
                "changed_on": "2026-10-08",
            },
        )
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["version"] == 4 and corrected.json()["status"] == "published"
        # 履行情况, publicly, with its date (not in the future, not before the decision).
        assert_problem(
            http.post(f"/api/v1/publications/{pid}/performance", json={"status": "performed", "on": "2026-09-01"}), 422, "performance-date"
        )
        assert_problem(http.post(f"/api/v1/publications/{pid}/performance", json={"status": "paid", "on": "2026-10-09"}), 422)
        performed = http.post(
            f"/api/v1/publications/{pid}/performance", json={"status": "performed", "on": "2026-10-09", "note": "已缴清罚没款"}
        )
        assert performed.status_code == 200 and performed.json()["performance"]["status"] == "performed"

        exported = http.get("/api/v1/publications/export", params={"kind": "penalty"})
        assert exported.headers["X-Records"] == "1" and exported.headers["X-Records-Invalid"] == "0", exported.json()["invalid"]
        record = exported.json()["records"][0]
        assert record["CF_CFJG"] == record["CF_SJLY"] == "淮北市濉溪县卫生健康委员会"
        assert record["CF_CFJGDM"] == record["CF_SJLYDM"] == AUTHORITY_CODE and record["CF_FRDB"] == "李建国"
        assert (
            record["CF_NR"] == "警告；没收违法所得 5,000 元；罚款 30,000 元" and record["CF_NR_FK"] == "3" and record["CF_NR_WFFF"] == "0.5"
        )
        assert "履行情况：已履行（2026-10-09）" in record["BZ"] and "更正违法行为类型的表述" in record["BZ"]
    with inproc.client(None) as public:
        item = public.get(f"/api/v1/public/publications/{pid}").json()
        assert item["corrections"] == [{"version": 4, "changed_on": "2026-10-08", "note": "更正违法行为类型的表述"}]
        assert item["performance"] == {"status": "performed", "status_zh": "已履行", "on": "2026-10-09", "note": "已缴清罚没款"}
        assert item["fields"]["authority"] == "淮北市濉溪县卫生健康委员会" and agency not in item["fields"].values()
        page = public.get(f"/public/publications/{pid}").text
        assert "淮北市濉溪县卫生健康委员会" in page and "已履行" in page and "更正违法行为类型的表述" in page
    with inproc.client(inproc.token("auditor", agency)) as http:
        actions = [e["action"] for e in http.get("/api/v1/audit/events", params={"case_id": case.id, "limit": 500}).json()["items"]]
    assert "publication.corrected" in actions and "publication.performance_recorded" in actions


def test_publication_fields_with_personal_data_are_redacted_and_a_typo_is_refused(inproc):
    agency = with_profile(inproc, f"PF{uuid.uuid4().hex[:4].upper()}")
    with inproc.client(inproc.token("case_system", agency)) as http:
        case, document = organisation_decided(http)
        pid = http.post(
            "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary"}
        ).json()["id"]
        edited = http.patch(
            f"/api/v1/publications/{pid}",
            json={"fields": {"note": f"投诉人吴晓梅（身份证号{ID_NUMBER}，电话13800138000）反映", "violation_type": "擅自开展放射诊疗"}},
        )
        assert edited.status_code == 200, edited.text
        note = edited.json()["fields"]["note"]
        for secret in ("吴晓梅", ID_NUMBER, "13800138000"):
            assert secret not in note, (secret, note)
        assert {s["kind"] for s in edited.json()["redaction"] if s["field"] == "note"} >= {"name", "id_number", "phone"}
        for bad, code in (
            ({"fine_wan": -1}, "invalid-field"),
            ({"decided_on": "2026-13-01"}, "invalid-field"),
            ({"party_category": "company"}, "invalid-field"),
            ({"decided_on": 20260101}, "invalid-field"),  # a number is not a date, however it reads
            ({"decided_on": "20260101"}, "invalid-field"),  # nor the compact form: only YYYY-MM-DD
            ({"legal_representative": 12345}, "invalid-field"),  # text fields take text
            ({"note": 1.5}, "invalid-field"),
            ({"fine_wan": True}, "validation-error"),  # true is not 1
            ({"penalty_contnet": "x"}, "unknown-field"),
        ):
            assert_problem(http.patch(f"/api/v1/publications/{pid}", json={"fields": bad}), 400 if code == "unknown-field" else 422, code)
        assert http.get(f"/api/v1/publications/{pid}").json()["version"] == 2  # the refused edits changed nothing
        assert http.get("/api/v1/publications/export", params={"kind": "penalty"}).status_code == 200  # nothing unreadable kept
    with inproc.client(inproc.token("auditor", agency)) as auditor:
        approved = auditor.post(f"/api/v1/publications/{pid}/approve")
        assert approved.status_code == 200, approved.text
    with inproc.client(inproc.token("case_system", agency)) as http:
        # Withdrawal reasons reach the public too: redacted the same way as the record.
        assert (
            http.post(
                f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24", "16:00")}
            ).status_code
            == 200
        )
        assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200
        reason = http.post(
            f"/api/v1/publications/{pid}/withdraw", json={"reason": "当事人法定代表人李建国申请复议，证人陈晓东电话13600136000"}
        )
        assert reason.status_code == 200
        assert "13600136000" not in reason.json()["withdrawal_reason"] and "陈晓东" not in reason.json()["withdrawal_reason"]
        assert "李建国" in reason.json()["withdrawal_reason"]


def test_the_drafting_pages_answer_bad_input_with_a_message_and_change_nothing(inproc):

    agency = with_profile(inproc, f"PH{uuid.uuid4().hex[:4].upper()}")
    publisher, outsider = f"ph{uuid.uuid4().hex[:6]}", f"po{uuid.uuid4().hex[:6]}"
    create_person(inproc, publisher, "admin", agency, "公示员")
    create_person(inproc, outsider, "admin", f"X{agency}", "另一单位管理员")
    with inproc.client(inproc.token("case_system", agency)) as http:
        case, document = organisation_decided(http)
        pid = http.post(
            "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary"}
        ).json()["id"]
    with signed_in_client(inproc, publisher) as browser:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"/publications/{pid}/edit").text).group(1)
        for data in (
            {"field.fine_wan": "三万"},
            {"field.fine_wan": "-1"},
            {"field.decided_on": "2026-02-30"},
            {"field.party_category": "公司"},
            {"period_months": "x"},
            {"period_months": "999"},
            {"public_text": "x" * 200_001},
        ):
            answer = browser.post(f"/publications/{pid}/edit", data={**data, "csrf_token": csrf}, follow_redirects=False)
            assert answer.status_code in (303, 422), (data, answer.status_code)
            if answer.status_code == 303:
                assert "error=" not in answer.headers["location"], (data, answer.headers["location"])  # a flash, not the link
                shown = browser.get(answer.headers["location"])
                assert shown.status_code == 200 and 'role="alert"' in shown.text, data
        # The drafting form for a document of no case of this agency, or a case of none, is 404 — never another agency's.
        assert browser.get("/publications/new", params={"case_id": case.id, "document_id": "nope"}).status_code == 404
        assert browser.get("/publications/new", params={"case_id": "nope", "document_id": document["id"]}).status_code == 404
        # Drafting the same decision twice leads to the draft already there.
        again = browser.post(
            "/publications/new",
            data={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert again.status_code == 303 and again.headers["location"] == f"/publications/{pid}"
    with signed_in_client(inproc, outsider) as browser:
        for path in (f"/publications/{pid}/edit", f"/publications/{pid}/preview", f"/publications/{pid}"):
            assert browser.get(path).status_code == 404, path
    with inproc.client(inproc.token("case_system", agency)) as http:
        unchanged = http.get(f"/api/v1/publications/{pid}").json()
        assert unchanged["version"] == 1 and unchanged["fields"]["fine_wan"] == 3 and unchanged["period_months"] == 12


def test_a_decision_revoked_on_the_case_makes_its_published_item_due_for_withdrawal(inproc):
    """The case system records the revocation on the case (facts.decision_revoked_on) rather than on the item: the item
    is then due to be withdrawn within 3 working days all the same, and on the overdue list once that has passed; a
    corrected date moves the due date, a cleared one (a mistake) takes it away; a later decision is not touched."""
    agency = with_profile(inproc, f"PR{uuid.uuid4().hex[:4].upper()}")
    with inproc.client(inproc.token("case_system", agency)) as http, inproc.client(inproc.token("auditor", agency)) as auditor:
        pid = published(http, auditor)
        case_id = http.get(f"/api/v1/publications/{pid}").json()["case_id"]
        facts_before = http.get(f"/api/v1/cases/{case_id}").json()["facts"]
        source = f"case {case_id}"

        # Revoked after the agency's today: refused, naming the case's field, and nothing changes — on a new case too.
        tomorrow = (agency_today() + timedelta(days=1)).isoformat()
        refused = http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": tomorrow}})
        assert_problem(refused, 422, "revocation-date")
        assert refused.json()["field"] == "facts.decision_revoked_on"
        assert_problem(http.post("/api/v1/cases", json=case_body(facts={"decision_revoked_on": tomorrow})), 422, "revocation-date")
        assert http.get(f"/api/v1/cases/{case_id}").json()["facts"] == facts_before
        # Revoked before this item's decision (9/24): that was an earlier decision of the case; the item is not touched.
        assert http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": "2026-09-20"}}).status_code == 200
        assert http.get(f"/api/v1/publications/{pid}").json()["withdraw_due_on"] is None

        patched = http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": "2026-09-30"}})
        assert patched.status_code == 200, patched.text
        assert patched.json()["facts"] == {**facts_before, "decision_revoked_on": "2026-09-30"}
        item = http.get(f"/api/v1/publications/{pid}").json()
        # 9/30 + 3 working days over 国庆 (the last a working Saturday), long past: overdue until withdrawn
        assert (item["status"], item["revoked_on"], item["withdraw_due_on"], item["overdue"]) == (
            "published",
            "2026-09-30",
            "2026-10-10",
            True,
        ), item
        assert pid in {p["id"] for p in http.get("/api/v1/publications", params={"overdue": "true"}).json()["items"]}
        # The same fact sent again records nothing more; a corrected day moves the due date; cleared, nothing is due.
        assert http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": "2026-09-30"}}).status_code == 200
        assert http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": "2026-10-09"}}).status_code == 200
        corrected = http.get(f"/api/v1/publications/{pid}").json()
        assert corrected["revoked_on"] == "2026-10-09" and corrected["withdraw_due_on"] > "2026-10-10", corrected
        assert http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": None}}).status_code == 200
        cleared = http.get(f"/api/v1/publications/{pid}").json()
        assert (cleared["revoked_on"], cleared["withdraw_due_on"], cleared["overdue"]) == (None, None, False), cleared
        assert pid not in {p["id"] for p in http.get("/api/v1/publications", params={"overdue": "true"}).json()["items"]}

        assert http.patch(f"/api/v1/cases/{case_id}", json={"facts": {"decision_revoked_on": "2026-09-30"}}).status_code == 200
        withdrawn = http.post(f"/api/v1/publications/{pid}/withdraw", json={"reason": "行政处罚决定经行政复议被撤销"})
        assert withdrawn.status_code == 200 and withdrawn.json()["overdue"] is False

        events = auditor.get("/api/v1/audit/events", params={"case_id": case_id, "limit": 500}).json()["items"]
        steps = [
            (e["action"], e["payload"].get("revoked_on"), e["payload"]["source"])
            for e in sorted(events, key=lambda e: e["seq"])
            if e["action"] in ("publication.revocation_recorded", "publication.revocation_cleared")
        ]
        assert steps == [
            ("publication.revocation_recorded", "2026-09-30", source),
            ("publication.revocation_recorded", "2026-10-09", source),
            ("publication.revocation_cleared", "2026-10-09", source),
            ("publication.revocation_recorded", "2026-09-30", source),
        ], steps
        withdrawal = next(e["payload"] for e in events if e["action"] == "publication.withdrawn")
        assert withdrawal["revoked_on"] == "2026-09-30" and withdrawal["late"] is True

        # An item approved but not yet public when the case records the revocation is not published at all.
        case, document = decided(http)
        approved = draft(http, case, document).json()["id"]
        assert (
            http.post(
                f"/api/v1/publications/{approved}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24")}
            ).status_code
            == 200
        )
        assert auditor.post(f"/api/v1/publications/{approved}/approve").status_code == 200
        assert http.patch(f"/api/v1/cases/{case.id}", json={"facts": {"decision_revoked_on": "2026-10-09"}}).status_code == 200
        assert_problem(http.post(f"/api/v1/publications/{approved}/publish"), 409, "decision-revoked")
        assert http.get(f"/api/v1/publications/{approved}").json()["status"] == "approved"

        # A decision made again after the revocation (复议 ordered a new one) is published.
        case, document = decided(http, decided_on="2026-10-20")
        again = draft(http, case, document).json()["id"]
        notice = {"method": "in_decision", "notified_at": at("2026-10-20")}
        assert http.post(f"/api/v1/publications/{again}/notice", json=notice).status_code == 200
        assert auditor.post(f"/api/v1/publications/{again}/approve").status_code == 200
        assert http.patch(f"/api/v1/cases/{case.id}", json={"facts": {"decision_revoked_on": "2026-10-09"}}).status_code == 200
        assert http.post(f"/api/v1/publications/{again}/publish").status_code == 200
        assert http.get(f"/api/v1/publications/{again}").json()["withdraw_due_on"] is None
