"""行政征收 and 行政确认, the two kinds of enforcement beside 许可, 处罚, 强制 and 检查 — through the HTTP API of the app in
this process: a case of each procedure walks its stages with its documents and reads complete; its statutory limits
(行政强制法第五十四条 for a levy's court enforcement, 医疗事故处理条例第三十九条 for a dispute's acceptance and
referral) are kept or missed by the dates; the review scores them; the statistics and the annual report give each kind
its own row — zeros for an agency without such cases, counts for one with them; the public procedures, flowcharts
and 事项清单 show them."""

import uuid

from ..support import doc_number
from ..support.cases import at, case_body
from ..support.inprocess import create_person, signed_in_client
from ..support.pages import svg_texts

OFFICERS = ["3401001", "3401002"]
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


class Walk:
    """A case of any procedure: each stage opened on one day, its documents added, closed on another."""

    def __init__(self, http, procedure, opened):
        response = http.post(
            "/api/v1/cases",
            json=case_body(
                case_number=f"KND-{uuid.uuid4().hex[:10]}", procedure=procedure, opened_at=at(opened), title=f"{procedure} 测试案件"
            ),
        )
        assert response.status_code == 201, response.text
        self.http, self.id = http, response.json()["id"]

    def stage(self, code, start, end=None, docs=(), attributes=None):
        opened = self.http.post(
            f"/api/v1/cases/{self.id}/stages",
            json={"stage": code, "officers": OFFICERS, "started_at": at(start, "09:00"), "attributes": attributes or {}},
        )
        assert opened.status_code == 201, opened.text
        stage_id = opened.json()["id"]
        for doc_type, fields in docs:
            body = {"stage_id": stage_id, "doc_type": doc_type, "title": doc_type, "doc_number": doc_number(), "signers": ["张三"]}
            body.update({"status": "served", **fields} if "served_at" in fields else {"status": "issued", **fields})
            created = self.http.post(f"/api/v1/cases/{self.id}/documents", json=body)
            assert created.status_code == 201, created.text
        closed = self.http.patch(f"/api/v1/cases/{self.id}/stages/{stage_id}", json={"ended_at": at(end or start, "17:00")})
        assert closed.status_code == 200, closed.text
        return self

    def skip(self, code, note):
        response = self.http.post(f"/api/v1/cases/{self.id}/stages", json={"stage": code, "skipped": True, "note": note})
        assert response.status_code == 201, response.text
        return self

    def timeline(self):
        response = self.http.get(f"/api/v1/cases/{self.id}/timeline")
        assert response.status_code == 200, response.text
        return response.json()


def issued(day):
    return {"issued_at": at(day)}


def served(day):
    return {"issued_at": at(day), "served_at": at(day)}


def levy(http, *, reminder_served="2026-09-22", applied="2026-10-14", paid=False):
    """A levy from 立案 to 结案: decided 9/10 and, unpaid, enforced through the court after a reminder."""
    case = Walk(http, "levy", "2026-08-03")
    case.stage("filing", "2026-08-03", docs=[("case_filing_form", issued("2026-08-03"))])
    case.stage("investigation", "2026-08-05", docs=[("inquiry_record", issued("2026-08-05"))], attributes={"on_site": False})
    case.stage("notification", "2026-08-20", docs=[("levy_prior_notice", served("2026-08-20"))])
    case.stage("decision", "2026-09-10", docs=[("levy_decision", issued("2026-09-10"))])
    case.stage("service", "2026-09-11", docs=[("service_receipt", served("2026-09-11"))], attributes={"method": "direct"})
    if paid:
        case.stage("payment", "2026-09-30", docs=[("levy_payment_receipt", issued("2026-09-30"))])
        case.skip("execution", "当事人已按期缴纳")
    else:
        case.skip("payment", "当事人逾期未缴纳")
        case.stage(
            "execution",
            reminder_served,
            applied,
            docs=[("enforcement_reminder", served(reminder_served)), ("enforcement_application", issued(applied))],
            attributes={"method": "direct"},
        )
    case.stage("closing", "2026-11-02", docs=[("closing_report", issued("2026-11-02"))])
    return case


def confirmation(http, *, received="2026-09-21", accepted="2026-10-08", referred="2026-10-13", referral=True, on_site=False):
    """A 医疗事故争议: the application arrives (受理 starts), is accepted, referred to the 医学会, its 鉴定书 examined and
    the conclusion confirmed."""
    case = Walk(http, "confirmation-medical-incident", received)
    case.stage("acceptance", received, accepted, docs=[("application_acceptance", issued(accepted))])
    if referral:
        case.stage("referral", referred, docs=[("appraisal_referral", issued(referred))])
    else:
        case.skip("referral", "双方当事人已共同委托医学会鉴定，无需移交")
    case.stage(
        "examination",
        "2026-11-16",
        docs=[("appraisal_report", issued("2026-11-16")), ("appraisal_review_opinion", issued("2026-11-16"))],
        attributes={"on_site": on_site},
    )
    case.stage("decision", "2026-11-18", docs=[("confirmation_decision", issued("2026-11-18"))])
    case.stage("service", "2026-11-19", docs=[("service_receipt", served("2026-11-19"))], attributes={"method": "direct"})
    case.stage("closing", "2026-11-20")
    return case


def limits(timeline):
    return {d["rule"]: d for d in timeline["deadlines"]}


def findings(timeline, kind=None):
    return sorted(
        (f["stage"], f.get("check") or f.get("rule") or f["kind"])
        for f in timeline["completeness"]["findings"]
        if kind is None or f["kind"] == kind
    )


def test_a_levy_walks_its_stages_and_goes_to_court_only_after_the_reminder_has_run(inproc):
    with inproc.client(inproc.token("case_system", "KINDLEVY")) as http:
        clean = levy(http).timeline()
        assert clean["case"]["status"] == "closed"
        assert [s["stage"] for s in clean["stages"]] == [
            "filing",
            "investigation",
            "notification",
            "decision",
            "service",
            "payment",
            "execution",
            "closing",
        ]
        assert findings(clean) == [] and clean["completeness"]["complete"] is True
        # 10 working days from the reminder served on 9/22: 中秋 and 国庆 are not counted, Saturday 10/10 is → 10/13.
        reminder = limits(clean)["levy_enforcement_after_reminder"]
        assert (reminder["start"], reminder["due_on"], reminder["end"], reminder["state"]) == (
            "2026-09-22",
            "2026-10-13",
            "2026-10-14",
            "kept",
        )
        assert (reminder["count"], reminder["direction"], reminder["limit_days"]) == ("working", "after", 10)

        early = levy(http, applied="2026-10-13").timeline()  # on the tenth working day: too soon
        assert findings(early) == [("execution", "levy_enforcement_after_reminder")]
        finding = next(f for f in early["completeness"]["findings"] if f["kind"] == "time_limit")
        assert "行政强制法第五十四条" in finding["message_zh"] and finding["due_on"] == "2026-10-13"

        # Paid in time: no reminder, so the enforcement limit never starts.
        paid = levy(http, paid=True).timeline()
        assert findings(paid) == [] and "levy_enforcement_after_reminder" not in limits(paid)

        # A missing document is a finding like in any other procedure, and a 陈述申辩 stated needs its record.
        partial = Walk(http, "levy", "2026-08-03")
        partial.stage("filing", "2026-08-03", docs=[("case_filing_form", issued("2026-08-03"))])
        partial.stage("investigation", "2026-08-05", docs=[("inquiry_record", issued("2026-08-05"))], attributes={"on_site": True})
        partial.stage(
            "notification", "2026-08-20", docs=[("levy_prior_notice", served("2026-08-20"))], attributes={"defence_statement": True}
        )
        reached = [f for f in findings(partial.timeline()) if f[0] in ("filing", "investigation", "notification")]
        assert reached == [
            ("investigation", "missing_audio_visual"),  # an on-site investigation is recorded on camera
            ("notification", "missing_document"),  # the 陈述申辩笔录
        ]

    # The review scores a levy like any other case: the early application costs the time-limit points.
    with inproc.client(inproc.token("reviewer", "KINDLEVY")) as http:
        kept, late = (http.get(f"/api/v1/cases/{t['case']['id']}/review").json() for t in (clean, early))
    assert kept["automatic_score"] == kept["automatic_max_score"] and kept["deductions"] == []
    assert [(d["item"], d["points_lost"]) for d in late["deductions"]] == [("time_limits", 10)]
    assert late["automatic_score"] == kept["automatic_score"] - 10
    assert any(d["rule"] == "levy_enforcement_after_reminder" and d["state"] == "missed" for d in late["deadlines"])
    # The case page shows the levy's stages, its flowchart and the limit missed.
    username = f"levy{uuid.uuid4().hex[:6]}"
    create_person(inproc, username, "reviewer", "KINDLEVY", "征收评查")
    with signed_in_client(inproc, username) as browser:
        page = browser.get(f"/cases/{early['case']['id']}")
    assert page.status_code == 200
    assert "催告及申请强制执行" in page.text and "行政征收决定书" in page.text and "<svg" in page.text
    assert "未遵守" in page.text and "催告书送达十日后当事人仍未履行义务的" in page.text


def test_a_medical_incident_dispute_is_accepted_and_referred_in_time_or_found_late(inproc):
    with inproc.client(inproc.token("case_system", "KINDCONF")) as http:
        clean = confirmation(http).timeline()
        assert clean["case"]["status"] == "closed" and findings(clean) == [] and clean["completeness"]["complete"] is True
        kept = limits(clean)
        # 10 days from 9/21 end on 10/1, a holiday: the limit moves to the next working day, 10/8.
        assert (kept["incident_acceptance_within_10_days"]["due_on"], kept["incident_acceptance_within_10_days"]["state"]) == (
            "2026-10-08",
            "kept",
        )
        assert kept["incident_acceptance_within_10_days"]["count"] == "calendar"
        assert (kept["incident_referral_within_5_days"]["due_on"], kept["incident_referral_within_5_days"]["state"]) == (
            "2026-10-13",
            "kept",
        )

        late = confirmation(http, accepted="2026-10-09", referred="2026-10-15").timeline()
        assert findings(late, "time_limit") == [
            ("acceptance", "incident_acceptance_within_10_days"),
            ("referral", "incident_referral_within_5_days"),  # 5 days from the acceptance on 10/9: 10/14
        ]
        assert "医疗事故处理条例第三十九条" in late["completeness"]["findings"][0]["message_zh"]

        # No appraisal needed (the parties had one made): the referral limit does not apply once the stage is skipped.
        skipped = confirmation(http, referral=False).timeline()
        assert findings(skipped) == [] and "incident_referral_within_5_days" not in limits(skipped)

        # Hearing the parties on site is recorded on camera, with two officers.
        on_site = confirmation(http, on_site=True).timeline()
        assert findings(on_site) == [("examination", "missing_audio_visual")]

        # Accepted but not yet referred: a deadline running (or, past its date, missed), never silently absent.
        pending = Walk(http, "confirmation-medical-incident", "2026-09-21")
        pending.stage("acceptance", "2026-09-21", "2026-09-24", docs=[("application_acceptance", issued("2026-09-24"))])
        waiting = limits(pending.timeline())["incident_referral_within_5_days"]
        assert (waiting["due_on"], waiting["state"], waiting["end"]) == ("2026-09-29", "missed", None)


def annual(http, year=2026):
    response = http.get("/api/v1/stats/annual-report", params={"year": year})
    assert response.status_code == 200, response.text
    return {t["kind"]: t for t in response.json()["tables"]}


def by_kind(http):
    response = http.get("/api/v1/stats/kinds", params=YEAR)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_statistics_and_the_annual_report_have_a_row_for_each_kind(inproc):
    with inproc.client(inproc.token("auditor", "KINDNONE")) as http:
        none = by_kind(http)
        report = annual(http)
    # An agency without such cases: every kind the catalog has, levy and confirmation included, at zero.
    assert [(r["kind"], r["kind_zh"]) for r in none["rows"]] == [
        ("license", "行政许可"),
        ("penalty", "行政处罚"),
        ("coercion", "行政强制"),
        ("inspection", "行政检查"),
        ("levy", "行政征收"),
        ("confirmation", "行政确认"),
    ]
    assert all(r["cases"] == r["closed"] == r["decisions"] == 0 and r["rate"] is None for r in none["rows"])
    assert list(report) == [
        "license",
        "penalty",
        "coercion",
        "inspection",
        "levy",
        "confirmation",
        "random-inspection",
        "random-inspection-results",
    ]
    assert report["levy"]["title_zh"] == "行政征收" and report["confirmation"]["title_zh"] == "行政确认"
    assert [c["title_zh"] for c in report["levy"]["columns"]] == ["程序", "征收决定", "其中：被撤销"]
    assert [c["title_zh"] for c in report["confirmation"]["columns"]] == ["程序", "受理申请", "确认决定", "其中：被撤销"]
    assert [r["procedure_zh"] for r in report["levy"]["rows"]] == ["行政征收(征收决定及缴纳)", "合计"]
    assert report["levy"]["rows"][-1] == {"procedure": "", "procedure_zh": "合计", "decisions": 0, "revoked": 0}
    assert report["confirmation"]["rows"][-1] == {"procedure": "", "procedure_zh": "合计", "accepted": 0, "decisions": 0, "revoked": 0}

    with inproc.client(inproc.token("case_system", "KINDSOME")) as http:
        levy(http)
        revoked = levy(http, paid=True)
        assert http.patch(f"/api/v1/cases/{revoked.id}", json={"facts": {"decision_revoked_on": "2026-11-20"}}).status_code == 200
        confirmation(http)
        open_dispute = Walk(http, "confirmation-medical-incident", "2026-12-01")  # accepted, not yet decided
        open_dispute.stage("acceptance", "2026-12-01", "2026-12-02", docs=[("application_acceptance", issued("2026-12-02"))])
    with inproc.client(inproc.token("auditor", "KINDSOME")) as http:
        some = {r["kind"]: r for r in by_kind(http)["rows"]}
        report = annual(http)
    assert (some["levy"]["cases"], some["levy"]["closed"], some["levy"]["closed_complete"], some["levy"]["decisions"]) == (2, 2, 2, 2)
    assert some["levy"]["rate"] == 1.0
    assert (some["confirmation"]["cases"], some["confirmation"]["closed"], some["confirmation"]["decisions"]) == (2, 1, 1)
    assert some["penalty"]["cases"] == some["license"]["cases"] == 0  # the other kinds are still listed, at zero
    levy_total, confirmation_total = report["levy"]["rows"][-1], report["confirmation"]["rows"][-1]
    assert (levy_total["decisions"], levy_total["revoked"]) == (2, 1)  # a decision revoked later still counts in its year
    assert (confirmation_total["accepted"], confirmation_total["decisions"], confirmation_total["revoked"]) == (2, 1, 0)
    assert report["penalty"]["rows"][-1]["decisions"] == 0

    with inproc.client(inproc.token("auditor", "KINDSOME")) as http:
        csv = http.get("/api/v1/stats/kinds", params={**YEAR, "format": "csv"})
        assert csv.status_code == 200 and "行政征收" in csv.content.decode("utf-8-sig") and "行政确认" in csv.content.decode("utf-8-sig")


def test_the_public_procedures_flowcharts_and_matters_show_the_new_kinds(inproc):
    with inproc.client() as anonymous:
        procedures = {p["code"]: p for p in anonymous.get("/api/v1/public/procedures").json()}
        assert (procedures["levy"]["kind"], procedures["levy"]["kind_zh"]) == ("levy", "行政征收")
        assert (procedures["confirmation-medical-incident"]["kind"], procedures["confirmation-medical-incident"]["kind_zh"]) == (
            "confirmation",
            "行政确认",
        )
        matters = {m["code"]: m for m in anonymous.get("/api/v1/public/matters").json()["items"]}
        assert matters["social-maintenance-fee-levy"]["category_zh"] == "行政征收"
        assert "停止征收" in matters["social-maintenance-fee-levy"]["name_zh"]  # abolished in 2021, and says so
        assert matters["medical-incident-dispute"]["category_zh"] == "行政确认"
        assert (
            matters["medical-incident-dispute"]["flowchart_url"] == "/api/v1/public/procedures/confirmation-medical-incident/flowchart.svg"
        )
        page = anonymous.get("/public/procedures")
        assert page.status_code == 200 and "行政征收" in page.text and "行政确认" in page.text
        assert "催告及申请强制执行（可选）" in page.text and "鉴定结论审核" in page.text
        matters_page = anonymous.get("/public/matters").text
        assert "社会抚养费征收" in matters_page and "医疗事故争议的行政处理" in matters_page
        assert anonymous.get("/public/matters/medical-incident-dispute").status_code == 200

    with inproc.client(inproc.token("auditor", "KINDPUB")) as auditor:
        documents = {d["code"]: d["name_zh"] for d in auditor.get("/api/v1/document-types").json()["items"]}
        rules = auditor.get("/api/v1/time-limits").json()["items"]
        catalog = {code: auditor.get(f"/api/v1/procedures/{code}").json() for code in ("levy", "confirmation-medical-incident")}
    for code, procedure in catalog.items():
        chart = anonymous_chart(inproc, code)
        for stage in procedure["stages"]:
            assert f"{stage['order']}. {stage['name_zh']}" in chart, (code, stage["code"])
            for requirement in stage["documents"]:
                assert all(documents[doc] in chart for doc in requirement["one_of"]), (code, stage["code"])
        for rule in rules:
            if code in rule["procedures"]:
                assert rule["name_zh"][:12] in chart.replace("时限 · ", ""), rule["code"]
    assert "音像记录：现场调查时必须" in anonymous_chart(inproc, "levy")


def anonymous_chart(inproc, code):
    with inproc.client() as anonymous:
        response = anonymous.get(f"/api/v1/public/procedures/{code}/flowchart.svg")
    assert response.status_code == 200, response.text
    return "".join(svg_texts(response.content))
