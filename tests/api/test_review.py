"""Case facts, approved extensions and pauses, the remaining statutory limits, the review checks and the
review score — through the HTTP API of the app in this process. (The upload-lag report: tests/test_review.py.)"""

import uuid

from recording_service.timeline.schemas import Timeline

from ..support import doc_number
from ..support.api import assert_problem
from ..support.cases import Case, at, decided_case
from ..support.inprocess import create_person, signed_in_client

AGENCY = "REVW1"


def test_ninety_days_to_decide_with_pauses_and_approved_extensions(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        # 5/4 + 90 days = 8/2, a Sunday: the limit ends Monday 8/3; a decision on 8/10 is late.
        late = decided_case(http)
        limit = late.limit("decision_within_90_days")
        assert (limit["due_on"], limit["state"], limit["used_days"]) == ("2026-08-03", "missed", 98)
        assert ("decision", "decision_within_90_days") in late.findings("time_limit")

        # Ten days of hearing not counted: due 8/13 (5/4 + 100 = 8/12, moved by nothing: a Wednesday) — kept.
        paused = decided_case(http)
        response = paused.adjust(
            rule="decision_within_90_days",
            kind="pause",
            reason="hearing",
            paused_from="2026-07-01",
            paused_to="2026-07-10",
            text="当事人申请听证，听证期间不计入办案期限",
        )
        assert response.status_code == 201, response.text
        assert response.json()["reason_name"] == "听证" and response.json()["paused_to"] == "2026-07-10"
        limit = paused.limit("decision_within_90_days")
        assert (limit["due_on"], limit["state"], limit["paused_days"], limit["used_days"]) == ("2026-08-12", "kept", 10, 88)
        assert ("decision", "decision_within_90_days") not in paused.findings("time_limit")

        # An extension approved in time counts; one approved after the limit had run out does not.
        extended = decided_case(http)
        assert (
            extended.adjust(
                rule="decision_within_90_days",
                kind="extension",
                days=30,
                approved_on="2026-07-20",
                approved_by="局长 赵六",
                text="案情复杂，经负责人批准延长三十日",
            ).status_code
            == 201
        )
        limit = extended.limit("decision_within_90_days")
        assert (limit["due_on"], limit["state"], limit["extension_days"]) == ("2026-09-01", "kept", 30)
        too_late = decided_case(http)
        assert (
            too_late.adjust(
                rule="decision_within_90_days",
                kind="extension",
                days=30,
                approved_on="2026-08-05",
                approved_by="局长 赵六",
                text="期限届满后补批",
            ).status_code
            == 201
        )
        limit = too_late.limit("decision_within_90_days")
        assert limit["state"] == "missed" and limit["extension_days"] == 0 and len(limit["late_extensions"]) == 1
        finding = next(f for f in too_late.timeline()["completeness"]["findings"] if f.get("rule") == "decision_within_90_days")
        assert "期限届满后才批准的延长不计入" in finding["message_zh"]

        # An open pause stops the clock: no finding while it lasts, however long; ending it restarts the count.
        open_case = Case(http, filed="2026-05-04")
        open_case.stage("filing", "2026-05-04", docs=[("case_filing_form", {"issued_at": at("2026-05-04")})])
        pause = open_case.adjust(
            rule="decision_within_90_days", kind="pause", reason="appraisal", paused_from="2026-06-01", text="送司法鉴定"
        )
        assert pause.status_code == 201 and pause.json()["paused_to"] is None
        assert open_case.limit("decision_within_90_days")["state"] == "paused" and open_case.findings("time_limit") == []
        ended = http.patch(f"/api/v1/cases/{open_case.id}/limit-adjustments/{pause.json()['id']}", json={"paused_to": "2026-06-30"})
        assert ended.status_code == 200 and ended.json()["paused_to"] == "2026-06-30"
        assert open_case.limit("decision_within_90_days")["state"] == "missed"  # 5/4 + 90 + 30 = 9/1, long past
        again = http.patch(f"/api/v1/cases/{open_case.id}/limit-adjustments/{pause.json()['id']}", json={"paused_to": "2026-07-30"})
        assert_problem(again, 409, "pause-not-open")
        listed = http.get(f"/api/v1/cases/{open_case.id}/limit-adjustments").json()
        assert [a["kind"] for a in listed] == ["pause"]

        # Bad adjustments are refused with the reason, and nothing is recorded.
        for body, status, code in (
            (
                {"rule": "service_within_7_working_days", "kind": "pause", "reason": "hearing", "paused_from": "2026-06-01"},
                400,
                "rule-not-adjustable",
            ),
            (
                {"rule": "decision_within_90_days", "kind": "pause", "reason": "holiday", "paused_from": "2026-06-01"},
                400,
                "unknown-pause-reason",
            ),
            ({"rule": "decision_within_90_days", "kind": "pause", "reason": "testing"}, 400, "pause-needs-start"),
            (
                {
                    "rule": "decision_within_90_days",
                    "kind": "pause",
                    "reason": "testing",
                    "paused_from": "2026-06-05",
                    "paused_to": "2026-06-01",
                },
                400,
                "pause-backwards",
            ),
            ({"rule": "decision_within_90_days", "kind": "extension", "days": 10}, 400, "extension-incomplete"),
            (
                {
                    "rule": "decision_within_90_days",
                    "kind": "extension",
                    "days": 10,
                    "approved_on": "2026-06-01",
                    "approved_by": "x",
                    "paused_from": "2026-06-01",
                },
                400,
                "fields-of-other-kind",
            ),
            (
                {
                    "rule": "decision_within_90_days",
                    "kind": "extension",
                    "days": 10,
                    "approved_on": "2026-06-01",
                    "approved_by": "x",
                    "document_id": "nope",
                },
                404,
                "document-not-found",
            ),
        ):
            assert_problem(open_case.adjust(text="理由", **body), status, code)
        assert_problem(
            open_case.adjust(
                rule="decision_within_90_days", kind="pause", reason="testing", paused_from="2026-06-01", text="x", pased_to="2026-06-02"
            ),
            422,
        )  # a misspelt field is refused, not ignored
        assert len(http.get(f"/api/v1/cases/{open_case.id}/limit-adjustments").json()) == 1
    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        assert http.post(f"/api/v1/cases/{open_case.id}/limit-adjustments", json={}).status_code == 403
        assert http.get(f"/api/v1/cases/{open_case.id}/limit-adjustments").status_code == 200
    with inproc.client(inproc.token("case_system", "REVW2")) as http:  # another agency's case is not there
        assert http.get(f"/api/v1/cases/{open_case.id}/limit-adjustments").status_code == 404
        assert http.patch(f"/api/v1/cases/{open_case.id}", json={"facts": {"serious_harm": True}}).status_code == 404


def test_seizure_thirty_days_with_at_most_thirty_more(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:

        def seizure(released):
            case = Case(http, procedure="coercion-seizure", filed="2026-09-01")
            case.stage("approval", "2026-09-01", docs=[("coercion_approval", {"issued_at": at("2026-09-01")})])
            case.stage("implementation", "2026-09-01", docs=[("seizure_decision", {"issued_at": at("2026-09-01")})])
            case.stage("disposal", released, docs=[("release_decision", {"issued_at": at(released)})])
            return case

        # 9/1 + 30 = 10/1, inside 国庆 (10/1–10/7): the limit ends on 10/8, the next working day.
        assert seizure("2026-10-08").limit("seizure_within_30_days")["state"] == "kept"
        late = seizure("2026-10-15")
        assert late.limit("seizure_within_30_days")["due_on"] == "2026-10-08" and ("disposal", "seizure_within_30_days") in late.findings()
        assert (
            late.adjust(
                rule="seizure_within_30_days",
                kind="extension",
                days=30,
                approved_on="2026-09-28",
                approved_by="局长",
                text="需检测，延长扣押期限",
            ).status_code
            == 201
        )
        assert late.limit("seizure_within_30_days")["state"] == "kept"
        assert_problem(
            late.adjust(
                rule="seizure_within_30_days", kind="extension", days=1, approved_on="2026-09-29", approved_by="局长", text="再延长"
            ),
            409,
            "extension-over-cap",
        )


def test_evidence_preservation_limitation_and_simple_procedure_amount(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        # 7 working days from 9/24 end on 10/12 (中秋 and 国庆 inside, 10/10 a working Saturday).
        def preserved(handled):
            case = Case(http, filed="2026-09-24")
            case.stage("filing", "2026-09-24", docs=[("case_filing_form", {"issued_at": at("2026-09-24")})])
            case.stage(
                "investigation",
                "2026-09-24",
                docs=[
                    ("onsite_record", {"issued_at": at("2026-09-24")}),
                    ("evidence_preservation_notice", {"issued_at": at("2026-09-24")}),
                ],
            )
            case.document("investigation", "preservation_handling_decision", issued_at=at(handled))
            return case.limit("evidence_preservation_7_working_days")

        assert (kept := preserved("2026-10-12"))["due_on"] == "2026-10-12" and kept["state"] == "kept"
        assert preserved("2026-10-13")["state"] == "missed"

        # Limitation: two years from the violation to 立案 (a due date on a Saturday moves to Monday), five where
        # health was harmed.
        case = Case(http, filed="2026-08-03")
        case.stage("filing", "2026-08-03", docs=[("case_filing_form", {"issued_at": at("2026-08-03")})])
        assert case.limit("limitation_period") is None  # no violation date recorded: nothing to decide
        out = case.facts(violation_ended_on="2024-08-01")
        assert out["facts"]["violation_ended_on"] == "2024-08-01"
        assert {value for name, value in out["facts"].items() if name != "violation_ended_on"} == {None}  # nothing else set
        assert case.limit("limitation_period")["due_on"] == "2026-08-03" and case.limit("limitation_period")["state"] == "kept"
        case.facts(violation_ended_on="2024-07-30")
        limit = case.limit("limitation_period")
        assert (limit["due_on"], limit["state"], limit["limit_years"]) == ("2026-07-30", "missed", 2)
        assert ("filing", "limitation_period") in case.findings("time_limit")
        Timeline.model_validate(case.timeline())  # the documented shape holds for limits in years
        case.facts(serious_harm=True)  # facts not sent are kept
        limit = case.limit("limitation_period")
        assert (limit["limit_years"], limit["state"]) == (5, "kept")
        assert case.facts(violation_ended_on=None)["facts"]["violation_ended_on"] is None  # null clears
        assert case.limit("limitation_period") is None
        for body, status in (
            ({"facts": {"fine_yuan": -1}}, 422),
            ({"facts": {"fine_yuan": "12.345"}}, 422),
            ({"facts": {"serious_ham": True}}, 422),
            ({"fact": {}}, 422),
            ({"facts": {"violation_ended_on": "2026-13-01"}}, 422),
            ({"facts": {"violation_ended_on": "9999-01-01"}}, 422),
            ({"facts": {"fine_yuan": "NaN"}}, 422),
            ({"facts": {"fine_yuan": "Infinity"}}, 422),
            ({"facts": {"fine_yuan": 1e300}}, 422),
        ):
            assert_problem(http.patch(f"/api/v1/cases/{case.id}", json=body), status)

        # A date the case system typed oddly into a stage attribute is no date, never a 500.
        for requested in ("9999-12-31", "0001-01-01", "2026-02-30", "昨天", "2026-09-03T10:00:00"):
            odd = Case(http, filed="2026-09-01")
            odd.stage("filing", "2026-09-01")
            odd.stage("investigation", "2026-09-01")
            odd.stage("review", "2026-09-01")
            odd.stage("notification", "2026-09-01", docs=[("penalty_prior_notice", {"status": "served", "served_at": at("2026-09-01")})])
            odd.stage("hearing", "2026-09-20", attributes={"requested_on": requested})
            assert odd.limit("hearing_request_within_5_working_days")["end"] is None

        # 简易程序: at most 200 yuan for a person, 3,000 for an organisation.
        def onsite(parties, fine):
            simple = Case(http, procedure="penalty-simple", filed="2026-09-10", parties=parties)
            simple.stage("onsite", "2026-09-10", docs=[("onsite_penalty_decision", {"issued_at": at("2026-09-10")})])
            simple.facts(fine_yuan=fine)
            return [f for f in simple.timeline()["completeness"]["findings"] if f.get("rule") == "simple_procedure_amount"]

        person = [{"name": "张三", "kind": "person"}]
        organisation = [{"name": "某某诊所", "kind": "organization"}]
        assert onsite(person, 200) == [] and onsite(organisation, "3000.00") == []
        over = onsite(person, 300)
        assert len(over) == 1 and over[0]["amount_yuan"] == 300 and over[0]["max_yuan"] == 200 and "应适用一般程序" in over[0]["message_zh"]
        assert len(onsite(organisation, 3000.5)) == 1


def test_review_checks_each_give_their_finding(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        clean = decided_case(http, filed="2026-09-01", decided="2026-09-15")
        assert clean.findings("review") == []

        # Stages in order: 告知 dated before 案件审查; the investigation may start before 立案 (the first inspection).
        case = Case(http, filed="2026-09-02")
        case.stage("filing", "2026-09-02", docs=[("case_filing_form", {"issued_at": at("2026-09-02")})])
        case.stage("investigation", "2026-09-01", docs=[("onsite_record", {"issued_at": at("2026-09-01")})])
        case.stage("review", "2026-09-10")
        case.stage("notification", "2026-09-08")
        assert case.findings("review") == [("notification", "stage_order")]

        # 文号: pattern, year, and repeats within the agency (another agency may use the same number).
        numbered = Case(http, filed="2026-09-01")
        numbered.stage("filing", "2026-09-01")
        bad_brackets = numbered.document("filing", "case_filing_form", doc_number="濉卫医罚[2026]12号", issued_at=at("2026-09-01"))
        numbered.document("filing", "case_filing_form", doc_number="濉卫医罚〔2026〕012号", issued_at=at("2026-09-01"))
        numbered.document("filing", "case_filing_form", doc_number="濉卫医罚〔2025〕88号", issued_at=at("2026-09-01"))
        shared = doc_number()
        numbered.document("filing", "case_filing_form", doc_number=shared, issued_at=at("2026-09-01"))
        numbered.document("filing", "case_filing_form", doc_number=doc_number(), status="draft")  # drafts are not yet numbers
        other = Case(http, filed="2026-09-01")
        other.stage("filing", "2026-09-01")
        other.document("filing", "case_filing_form", doc_number=shared, issued_at=at("2026-09-01"))
        checks = [f for f in numbered.timeline()["completeness"]["findings"] if f["kind"] == "review"]
        assert sorted(f["check"] for f in checks) == ["doc_number_duplicate", "doc_number_format", "doc_number_format", "doc_number_format"]
        assert next(f for f in checks if f.get("document_id") == bad_brackets["id"])["message_zh"].startswith("立案报告")
        assert [f["check"] for f in other.timeline()["completeness"]["findings"] if f["kind"] == "review"] == ["doc_number_duplicate"]
        with inproc.client(inproc.token("case_system", "REVW2")) as elsewhere:
            foreign = Case(elsewhere, filed="2026-09-01")
            foreign.stage("filing", "2026-09-01")
            foreign.document("filing", "case_filing_form", doc_number=shared, issued_at=at("2026-09-01"))
            assert foreign.findings("review") == []

        # The party named the same everywhere (full-width and half-width forms alike), identity numbers with
        # valid check digits, 笔录 signed or the refusal noted.
        party = Case(
            http,
            filed="2026-09-01",
            parties=[
                {"name": "某某诊所(东城店)", "kind": "organization", "id_number": "91340600MA2N0ABCDX"},
                {"name": "张三", "kind": "person", "id_number": "340621199001011234"},
            ],
        )
        party.stage(
            "filing", "2026-09-01", docs=[("case_filing_form", {"issued_at": at("2026-09-01"), "party_name": "某某诊所（东城店）"})]
        )
        party.stage(
            "investigation",
            "2026-09-02",
            docs=[
                ("onsite_record", {"issued_at": at("2026-09-02"), "party_name": "某某诊所", "signers": []}),
                ("inquiry_record", {"issued_at": at("2026-09-02"), "signers": [], "refusal_note": "当事人拒绝签名，由执法人员注明"}),
            ],
        )
        found = [f for f in party.timeline()["completeness"]["findings"] if f["kind"] == "review"]
        assert sorted((f["stage"], f["check"]) for f in found) == [
            ("filing", "party_id_number"),
            ("filing", "party_id_number"),
            ("investigation", "party_name"),
            ("investigation", "record_signature"),
        ]
        assert all("91340600MA2N0ABCDX" not in f["message_zh"] + f["message"] for f in found)  # numbers are not repeated

        # 留置送达 needs a witness or footage; a major decision needs its 法制审核 record.
        lodged = decided_case(http, filed="2026-09-01", decided="2026-09-15")
        lodged.stage(
            "service",
            "2026-09-16",
            attributes={"method": "lodged"},
            docs=[("service_receipt", {"status": "served", "served_at": at("2026-09-16")})],
        )
        assert ("service", "service_witness") in lodged.findings("review")
        witnessed = decided_case(http, filed="2026-09-01", decided="2026-09-15")
        witnessed.stage(
            "service",
            "2026-09-16",
            attributes={"method": "lodged", "witness": "村委会主任 钱七"},
            docs=[("service_receipt", {"status": "served", "served_at": at("2026-09-16")})],
        )
        assert ("service", "service_witness") not in witnessed.findings("review")
        clean.facts(major_decision=True)
        assert clean.findings("review") == [("review", "legal_review")]
        clean.document("review", "legal_review_opinion", issued_at=at("2026-09-01"))
        assert clean.findings("review") == []


def test_review_score_from_the_sheet(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        sheet = http.get("/api/v1/review-sheet").json()
        assert sheet["code"] == "health-default" and sum(item["points"] for item in sheet["items"]) == 100
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")  # the 90 days missed
        case.facts(major_decision=True)  # and no 法制审核 record
        case.stage(
            "service",
            "2026-08-11",
            attributes={"method": "lodged"},
            docs=[("service_receipt", {"status": "served", "served_at": at("2026-08-11")})],
        )
    username = f"review{uuid.uuid4().hex[:6]}"
    create_person(inproc, username, "reviewer", AGENCY, "评查员")
    with inproc.client(inproc.token("reviewer", AGENCY)) as http:
        review = http.get(f"/api/v1/cases/{case.id}/review")
        assert review.status_code == 200, review.text
        body = review.json()
        lost = {d["item"]: d["points_lost"] for d in body["deductions"]}
        # time_limits: 10 for the 90 days; procedure: 10 (法制审核) + 5 (留置送达 without witness) + 5 (no 结案报告 yet),
        # at most the item's 15; audio_visual: 10 + 10 (no footage of the investigation nor of the lodged service), at most 15
        assert lost == {"time_limits": 10, "procedure": 15, "audio_visual": 15}, lost
        # 70 points scored from the data (30 left), 30 a reviewer judges (none judged yet: nothing lost)
        assert (body["automatic_score"], body["automatic_max_score"]) == (30, 70)
        assert (body["manual_score"], body["manual_max_score"], body["signed"]) == (30, 30, False)
        assert (body["score"], body["max_score"]) == (60, 100)
        behind = next(d for d in body["deductions"] if d["item"] == "procedure")["findings"]
        assert sorted((f.get("check") or f["kind"], f["points"]) for f in behind) == [
            ("legal_review", 10),
            ("missing_document", 5),
            ("service_witness", 5),
        ]
        assert len(body["findings"]) == 6 and body["unscored_findings"] == []
        assert {d["rule"] for d in body["deadlines"]} >= {"decision_within_90_days"}
    with inproc.client(inproc.token("dock", AGENCY)) as http:
        assert http.get(f"/api/v1/cases/{case.id}/review").status_code == 403
    with inproc.client(inproc.token("reviewer", "REVW2")) as http:
        assert http.get(f"/api/v1/cases/{case.id}/review").status_code == 404
    # The case page shows the score and what it lost points for.
    with signed_in_client(inproc, username) as browser:
        page = browser.get(f"/cases/{case.id}").text
    assert "案卷评查" in page and "60" in page and "法制审核" in page and "程序规范" in page
