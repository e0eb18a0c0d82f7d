"""Statutory time limits in the timeline, through the HTTP API of the app in this process: a case that keeps every limit
reads clean; moving a date past its limit gives exactly that finding; a holiday inside the window moves
the due date; a limit still running is a deadline, not a finding."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..support import doc_number
from ..support.cases import case_body
from ..support.inprocess import create_person, signed_in_client

AGENCY = "TLIM1"


def at(day: str, hour: str = "10:00") -> str:
    return f"{day}T{hour}:00+08:00"


class Penalty:
    def __init__(self, http, filed="2026-08-03"):
        response = http.post("/api/v1/cases", json=case_body(case_number=f"TLIM-{uuid.uuid4().hex[:10]}", opened_at=at(filed)))
        assert response.status_code == 201, response.text
        self.http, self.case = http, response.json()

    def stage(self, code, day, skipped_note=None, docs=(), attributes=None):
        body = {"stage": code, "officers": ["3401001", "3401002"], "attributes": attributes or {}}
        body.update({"skipped": True, "note": skipped_note} if skipped_note else {"started_at": at(day, "09:00")})
        response = self.http.post(f"/api/v1/cases/{self.case['id']}/stages", json=body)
        assert response.status_code == 201, response.text
        for doc_type, moments in docs:
            doc = {
                "stage_id": response.json()["id"],
                "doc_type": doc_type,
                "title": doc_type,
                "doc_number": doc_number(),
                "signers": ["张三"],
                **moments,
                "status": "served" if "served_at" in moments else "issued",
            }
            created = self.http.post(f"/api/v1/cases/{self.case['id']}/documents", json=doc)
            assert created.status_code == 201, created.text
        if not skipped_note:
            closed = self.http.patch(f"/api/v1/cases/{self.case['id']}/stages/{response.json()['id']}", json={"ended_at": at(day, "17:00")})
            assert closed.status_code == 200, closed.text
        return self

    def timeline(self):
        response = self.http.get(f"/api/v1/cases/{self.case['id']}/timeline")
        assert response.status_code == 200, response.text
        return response.json()


def walk(http, *, filed="2026-08-03", notice_served="2026-09-01", hearing=None, decision="2026-09-15", served="2026-09-18", enforced=None):
    """A penalty case through its stages; `enforced`: the documents of an execution stage that asks the court to enforce."""
    case = Penalty(http, filed)
    case.stage("filing", filed, docs=[("case_filing_form", {"issued_at": at(filed)})])
    case.stage("investigation", "2026-08-10", docs=[("onsite_record", {"issued_at": at("2026-08-10")})])
    case.stage("review", "2026-08-24", docs=[("review_record", {"issued_at": at("2026-08-24")})])
    case.stage(
        "notification", "2026-08-31", docs=[("penalty_prior_notice", {"issued_at": at("2026-08-31"), "served_at": at(notice_served)})]
    )
    if hearing:
        notice_day, hearing_day, *requested = hearing
        case.stage(
            "hearing",
            hearing_day,
            attributes={"requested_on": requested[0]} if requested else None,
            docs=[
                ("hearing_notice", {"issued_at": at(notice_day), "served_at": at(notice_day)}),
                ("hearing_record", {"issued_at": at(hearing_day)}),
            ],
        )
    else:
        case.stage("hearing", None, skipped_note="当事人未申请听证")
    if decision:
        case.stage("decision", decision, docs=[("penalty_decision", {"issued_at": at(decision)})])
        if served:
            case.stage("service", served, docs=[("service_receipt", {"served_at": at(served)})])
    if enforced is not None:
        case.stage("execution", "2026-10-14", docs=enforced, attributes={"enforced": True})
    return case.timeline()


def limits(timeline):
    return {d["rule"]: d for d in timeline["deadlines"]}


def findings(timeline):
    return sorted((f["stage"], f["rule"]) for f in timeline["completeness"]["findings"] if f["kind"] == "time_limit")


def test_a_case_that_keeps_every_limit_reads_clean_and_each_late_date_gives_its_finding(inproc):
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        clean = walk(http)
        assert findings(clean) == []
        kept = limits(clean)
        assert kept["decision_after_hearing_request_window"]["due_on"] == "2026-09-08"  # 5 working days after 9/1
        assert kept["service_within_7_working_days"]["due_on"] == "2026-09-23"  # Sunday 9/20 is a 调休 working day
        assert {d["state"] for d in kept.values()} == {"kept", "lapsed"} and not any(d["provisional"] for d in kept.values())
        assert kept["hearing_request_within_5_working_days"]["state"] == "lapsed"  # no hearing asked for: no fault
        assert kept["service_within_7_working_days"]["used_days"] == 3

        early = walk(http, decision="2026-09-07", served="2026-09-08")  # decided before the party's window lapsed
        assert findings(early) == [("decision", "decision_after_hearing_request_window")]
        finding = next(f for f in early["completeness"]["findings"] if f["kind"] == "time_limit")
        assert (finding["start"], finding["due_on"], finding["end"]) == ("2026-09-01", "2026-09-08", "2026-09-07")
        assert "陈述申辩" in finding["message_zh"] and finding["count"] == "working" and finding["limit_days"] == 5

        # 国庆 and 中秋 inside the window: 7 working days from 9/24 end on 10/12, not 10/3.
        in_time = walk(http, decision="2026-09-24", served="2026-10-12")
        assert findings(in_time) == [] and limits(in_time)["service_within_7_working_days"]["due_on"] == "2026-10-12"
        late = walk(http, decision="2026-09-24", served="2026-10-13")
        assert findings(late) == [("service", "service_within_7_working_days")]
        assert limits(late)["service_within_7_working_days"]["used_days"] == 8
    # The case page shows the limits and the banner names the missed one.
    username = f"limits{uuid.uuid4().hex[:6]}"
    create_person(inproc, username, "reviewer", AGENCY, "期限评查")
    with signed_in_client(inproc, username) as browser:
        page = browser.get(f"/cases/{late['case']['id']}").text
    assert "法定期限" in page and "未遵守" in page and "行政处罚决定书应在宣告后七日内送达" in page
    assert page.count("已遵守") == 2  # the hearing-request window and the 90 days from filing were kept
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        # A hearing was held: the request window no longer applies, the notice must come 7 working days before.
        heard = walk(http, hearing=("2026-09-01", "2026-09-08", "2026-09-03"), decision="2026-09-15", served="2026-09-16")
        assert findings(heard) == [("hearing", "hearing_notice_7_working_days_before")]
        assert limits(heard)["hearing_request_within_5_working_days"]["state"] == "kept"
        assert "decision_after_hearing_request_window" not in limits(heard)
        assert limits(heard)["hearing_notice_7_working_days_before"]["due_on"] == "2026-09-10"
        # A hearing asked for after the 5 working days from the prior notice (9/8) is a finding too.
        asked_late = walk(http, hearing=("2026-09-10", "2026-09-21", "2026-09-09"), decision="2026-09-25", served="2026-09-28")
        assert findings(asked_late) == [("hearing", "hearing_request_within_5_working_days")]


def test_a_limit_still_running_is_a_deadline_not_a_finding(inproc):
    tz = ZoneInfo("Asia/Shanghai")
    today = datetime.now(tz).date()
    decided = today - timedelta(days=1)
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        timeline = walk(
            http,
            filed=(decided - timedelta(days=60)).isoformat(),
            notice_served=(decided - timedelta(days=20)).isoformat(),
            decision=decided.isoformat(),
            served=None,
        )
    running = limits(timeline)["service_within_7_working_days"]
    assert running["state"] == "running" and running["end"] is None and running["due_on"] > today.isoformat()
    assert findings(timeline) == []


def test_an_agencys_local_day_off_moves_its_own_cases_limits_and_no_one_elses(inproc):
    with inproc.client(inproc.token("admin", "TLIMLOCAL")) as admin:
        added = admin.post(
            "/api/v1/calendar/local-days",
            json={"day": "2026-09-22", "kind": "off", "name_zh": "地方节日", "basis": "某自治区假日办法（测试）"},
        )
        assert added.status_code == 201, added.text
    with inproc.client(inproc.token("case_system", "TLIMLOCAL")) as local, inproc.client(inproc.token("case_system", AGENCY)) as other:
        # 7 working days from the decision on 9/15: 9/23 on the official calendar, one later with the local day.
        assert limits(walk(local))["service_within_7_working_days"]["due_on"] == "2026-09-24"
        assert limits(walk(other))["service_within_7_working_days"]["due_on"] == "2026-09-23"


def test_a_penalty_goes_to_court_only_after_its_reminder_has_run(inproc):
    """行政强制法第五十四条: an unpaid penalty is enforced through the court once a 催告书 was served and 10 working days
    have passed; an enforced execution stage without the 催告书 misses a document."""

    def enforced(http, docs):
        return walk(http, decision="2026-09-10", served="2026-09-11", enforced=docs)

    reminder = ("enforcement_reminder", {"issued_at": at("2026-09-22"), "served_at": at("2026-09-22")})
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        kept = enforced(http, [reminder, ("enforcement_application", {"issued_at": at("2026-10-14")})])
        # 10 working days from 9/22: 中秋 and 国庆 are not counted, Saturday 10/10 is → 10/13.
        limit = limits(kept)["penalty_enforcement_after_reminder"]
        assert (limit["start"], limit["due_on"], limit["end"], limit["state"]) == ("2026-09-22", "2026-10-13", "2026-10-14", "kept")
        assert ("execution", "penalty_enforcement_after_reminder") not in findings(kept)

        early = enforced(http, [reminder, ("enforcement_application", {"issued_at": at("2026-10-13")})])
        assert ("execution", "penalty_enforcement_after_reminder") in findings(early)
        finding = next(f for f in early["completeness"]["findings"] if f.get("rule") == "penalty_enforcement_after_reminder")
        assert "行政强制法第五十四条" in finding["message_zh"] and finding["due_on"] == "2026-10-13"

        unreminded = enforced(http, [("enforcement_application", {"issued_at": at("2026-10-14")})])
        missing = [f for f in unreminded["completeness"]["findings"] if f["kind"] == "missing_document" and f["stage"] == "execution"]
        assert len(missing) == 1 and "催告书" in missing[0]["message_zh"], missing
        assert "penalty_enforcement_after_reminder" not in limits(unreminded)
