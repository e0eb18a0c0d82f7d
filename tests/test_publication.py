"""行政执法公示 through the HTTP API on both legs: a decision with personal data in its text yields a
publication whose public JSON holds none of it; publishing needs a second person's approval and the
party's notice (409 without); the due date skips 国庆; annotation and withdrawal; what is never
publishable; a period's end; the public side's limits."""

import uuid

import httpx

from tests.support.servers import ServiceProcess

from .support.api import assert_problem
from .support.cases import Case, at
from .support.publishing import (
    AUTHORITY_CODE,
    AUTHORITY_NAME,
    HOME,
    ID_NUMBER,
    PATIENT,
    PHONE,
    WITNESS,
    Receiver,
    decided,
    draft,
    published,
    with_profile,
)

AGENCY = "PUB1"


def test_a_decision_is_published_without_personal_data_after_approval_and_notice(leg):
    with_profile(leg, AGENCY)
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case, document = decided(http)
        response = draft(http, case, document)
        assert response.status_code == 201, response.text
        publication = response.json()
        assert publication["status"] == "draft" and publication["version"] == 1
        assert publication["due_on"] == "2026-10-12" and publication["due_provisional"] is False  # 7 working days over 国庆
        assert publication["period_months"] == 12 and publication["period_ends_on"] == "2027-09-24"
        for secret in (ID_NUMBER, PHONE, HOME, WITNESS, PATIENT, "3012345"):
            assert secret not in publication["public_text"], secret
        assert "张三" in publication["public_text"] and "20000元" in publication["public_text"]
        kinds = {span["kind"] for span in publication["redaction"] if span["removed"]}
        assert kinds == {"id_number", "address", "phone", "name"}
        fields = publication["fields"]
        assert fields["party_name"] == "张三" and fields["party_category"] == "natural_person" and fields["party_code"] is None
        assert fields["doc_number"] == document["current"]["doc_number"] and fields["fine_wan"] == 2
        assert fields["authority"] == AUTHORITY_NAME and fields["authority_code"] == AUTHORITY_CODE
        assert fields["penalty_content"] == "罚款 20,000 元" and fields["basis"] == "《医疗机构管理条例》第四十三条"
        for secret in (PATIENT, WITNESS, "3012345"):  # the facts read from the text are redacted like the text
            assert secret not in fields["violation_facts"], secret
        pid = publication["id"]
        assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 409  # not approved yet
        assert_problem(http.post(f"/api/v1/publications/{pid}/approve"), 403)  # the case system cannot approve
    with leg.client(leg.token("admin", AGENCY)) as http:
        assert http.get(f"/api/v1/public/publications/{pid}").status_code == 404  # nothing before it is published
        approved = http.post(f"/api/v1/publications/{pid}/approve")
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        assert_problem(http.post(f"/api/v1/publications/{pid}/publish"), 409, "notice-missing")
        noticed = http.post(f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24", "15:00")})
        assert noticed.status_code == 200 and noticed.json()["notice"]["method"] == "in_decision"
        published = http.post(f"/api/v1/publications/{pid}/publish")
        assert published.status_code == 200 and published.json()["status"] == "published", published.text
        # A published item is corrected only with its 变更说明 (the public reads it beside the correction).
        assert_problem(http.patch(f"/api/v1/publications/{pid}", json={"fields": {"note": "x"}}), 422, "correction-note-required")
    anonymous = leg.client(None)
    with anonymous as http:
        listed = http.get("/api/v1/public/publications", params={"agency": AGENCY})
        assert listed.status_code == 200 and listed.headers["cache-control"].startswith("public")
        item = next(i for i in listed.json()["items"] if i["id"] == pid)
        read = http.get(f"/api/v1/public/publications/{pid}")
        assert read.status_code == 200
        for body in (listed.text, read.text):
            for secret in (ID_NUMBER, PHONE, HOME, WITNESS, PATIENT, "3012345", "id_number", "private"):
                assert secret not in body, secret
        assert item["fields"]["party_name"] == "张三" and item["status"] == "published"
        assert http.get("/api/v1/public/publications", params={"q": "张三", "agency": AGENCY}).json()["items"]
        assert http.get("/api/v1/public/publications", params={"q": ID_NUMBER}).json()["items"] == []  # removed data is not searchable
        assert item["agency"] == AGENCY and item["fields"]["authority"] == AUTHORITY_NAME
    with leg.client(leg.token("case_system", AGENCY)) as http:
        # The decision is changed on 行政复议: annotated, still public; then revoked: withdrawn with a public notice.
        annotated = http.post(
            f"/api/v1/publications/{pid}/annotate", json={"note": "经行政复议，变更为罚款人民币10000元", "changed_on": "2026-11-02"}
        )
        assert annotated.status_code == 200 and annotated.json()["status"] == "annotated"
        with leg.client(None) as public:
            assert public.get(f"/api/v1/public/publications/{pid}").json()["annotations"][0]["note"].startswith("经行政复议")
        # The court revokes it on 9/30: still public, withdrawal due in 3 working days (over 国庆, the last a working Saturday) —
        # long past, so it is on the overdue list until withdrawn.
        # A revocation dated after the agency's today (Asia/Shanghai, whatever UTC's date is) is refused.
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo

        tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()
        assert_problem(http.post(f"/api/v1/publications/{pid}/revocation", json={"revoked_on": tomorrow}), 422, "revocation-date")
        revoked = http.post(f"/api/v1/publications/{pid}/revocation", json={"revoked_on": "2026-09-30"})
        assert revoked.status_code == 200 and revoked.json()["withdraw_due_on"] == "2026-10-10" and revoked.json()["overdue"] is True
        assert pid in {p["id"] for p in http.get("/api/v1/publications", params={"overdue": "true"}).json()["items"]}
        withdrawn = http.post(f"/api/v1/publications/{pid}/withdraw", json={"reason": "行政处罚决定经行政诉讼被撤销"})
        assert withdrawn.status_code == 200 and withdrawn.json()["revoked_on"] == "2026-09-30" and withdrawn.json()["overdue"] is False
        # The revocation is the case's fact too: the statistics count the decision as revoked.
        assert http.get(f"/api/v1/cases/{case.id}").json()["facts"]["decision_revoked_on"] == "2026-09-30"
    with leg.client(None) as http:
        notice = http.get(f"/api/v1/public/publications/{pid}").json()
        assert notice["status"] == "withdrawn" and notice["withdrawal_reason"] == "行政处罚决定经行政诉讼被撤销"
        assert notice["public_text"] is None and "party_name" not in notice["fields"] and notice["fields"]["doc_number"]
    with leg.client(leg.token("auditor", AGENCY)) as http:
        events = http.get("/api/v1/audit/events", params={"case_id": case.id, "limit": 500}).json()["items"]
    mine = [e["action"] for e in events if (e.get("payload") or {}).get("publication_id") == pid]
    assert mine == [
        "publication.created",
        "publication.approved",
        "publication.notice_recorded",
        "publication.published",
        "publication.annotated",
        "publication.revocation_recorded",
        "publication.withdrawn",
    ], mine
    revoked = [e for e in events if e["action"] == "case.updated" and (e.get("payload") or {}).get("source") == f"publication {pid}"]
    assert len(revoked) == 1 and revoked[0]["payload"]["facts"]["to"]["decision_revoked_on"] == "2026-09-30"


def test_drafts_are_edited_as_versions_and_redacted_again(leg):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case, document = decided(http)
        pid = draft(http, case, document).json()["id"]
        edited = http.patch(
            f"/api/v1/publications/{pid}",
            json={
                "fields": {"violation_facts": "未取得医疗机构执业许可证擅自执业", "fine_wan": 2},
                "note": "补充违法事实",
                "public_text": f"当事人张三擅自执业，为患者{PATIENT}诊疗，联系电话13912345678。",
            },
        )
        assert edited.status_code == 200, edited.text
        body = edited.json()
        assert body["version"] == 2 and body["fields"]["fine_wan"] == 2 and "13912345678" not in body["public_text"]
        assert PATIENT not in body["public_text"]  # the names given when drafting still count
        assert_problem(http.patch(f"/api/v1/publications/{pid}", json={"fields": {"fine": 2}}), 400, "unknown-field")
        assert_problem(http.patch(f"/api/v1/publications/{pid}", json={"feilds": {}}), 422)
        assert_problem(http.patch(f"/api/v1/publications/{pid}", json={"period_months": 48}), 400, "period-out-of-range")
        assert http.get(f"/api/v1/publications/{pid}").json()["version"] == 2  # refused edits changed nothing
        history = http.get(f"/api/v1/publications/{pid}/versions").json()["items"]
        assert [v["version"] for v in history] == [1, 2] and history[1]["note"] == "补充违法事实"
        assert history[0]["fields"]["violation_facts"] != history[1]["fields"]["violation_facts"] == "未取得医疗机构执业许可证擅自执业"
        # One active publication per decision; another agency sees none of it.
        assert_problem(draft(http, case, document), 409, "already-published")
    with leg.client(leg.token("case_system", "PUB2")) as http:
        assert http.get(f"/api/v1/publications/{pid}").status_code == 404
        assert_problem(draft(http, case, document), 404)
    with leg.client(leg.token("reviewer", AGENCY)) as http:
        assert http.get("/api/v1/publications").status_code == 403


def test_what_is_never_published_and_what_is_overdue(leg):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case, document = decided(http, party_is_minor=True)
        minor = draft(http, case, document).json()
        assert minor["status"] == "not_publishable" and "未成年人" in minor["not_publishable_reason"]
        case, document = decided(http)
        slight = draft(http, case, document, severity="minor").json()
        assert slight["status"] == "not_publishable" and "轻微" in slight["not_publishable_reason"]
        case, document = decided(http)
        chosen = draft(http, case, document, severity="minor", period_months=3).json()
        assert chosen["status"] == "draft" and chosen["period_ends_on"] == "2026-12-24"
        # Inspection results are due in 20 working days; this one is long overdue.
        case, document = decided(http, decided_on="2026-09-24")
        inspection = http.post(
            "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "inspection", "severity": "ordinary"}
        )
        assert_problem(inspection, 400, "not-a-decision")  # a penalty decision is not an inspection result
        overdue = http.get("/api/v1/publications", params={"overdue": "true"}).json()["items"]
        assert chosen["id"] in {p["id"] for p in overdue} and all(p["overdue"] for p in overdue)
        assert_problem(http.get("/api/v1/publications", params={"status": "publishd"}), 400, "invalid-query")


def test_a_period_that_has_ended_leaves_the_public_list(leg):
    with_profile(leg, AGENCY)
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case, document = decided(http, decided_on="2025-06-02")
        pid = draft(http, case, document, severity="minor", period_months=3).json()["id"]  # public until 2025-09-02
        assert http.post(f"/api/v1/publications/{pid}/notice", json={"method": "mail", "notified_at": at("2025-06-03")}).status_code == 200
    with leg.client(leg.token("auditor", AGENCY)) as http:
        assert http.post(f"/api/v1/publications/{pid}/approve").status_code == 200
    with leg.client(leg.token("case_system", AGENCY)) as http:
        assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200
    with leg.client(None) as http:
        assert http.get(f"/api/v1/public/publications/{pid}").status_code == 404
    result = leg.service.cli("publications", "expire")
    assert result.returncode == 0 and '"expired": ' in result.stdout, result.stderr
    with leg.client(leg.token("case_system", AGENCY)) as http:
        ended = http.get(f"/api/v1/publications/{pid}").json()
        assert ended["status"] == "expired" and ended["expired_at"]


def test_the_public_side_is_rate_limited_per_client(leg, tmp_path):
    limited = ServiceProcess(
        {**leg.service.env, "RECORDING_PUBLIC_REQUESTS_PER_MINUTE": "5", "RECORDING_TRUSTED_PROXIES": "127.0.0.1"}, tmp_path
    ).start()
    try:
        with leg.client(None) as http:
            http.base_url = limited.base_url
            http.headers["X-Forwarded-For"] = "198.18.250.1"  # a client of its own (the budget is in the shared database)
            answers = [http.get(f"/api/v1/public/publications/{uuid.uuid4().hex}").status_code for _ in range(7)]
            assert answers[:5] == [404] * 5 and answers[5:] == [429, 429]
            refused = http.get("/api/v1/public/publications")
            assert_problem(refused, 429, "rate-limited")
            assert 0 < int(refused.headers["Retry-After"]) <= 61
            assert_problem(http.get("/api/v1/public/officers"), 429, "rate-limited")  # one budget for the whole public side
            assert_problem(http.get("/api/v1/public/matters"), 429, "rate-limited")
    finally:
        limited.stop()


def test_publication_ids_are_not_guessable_into_drafts(leg):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case, document = decided(http)
        pid = draft(http, case, document).json()["id"]
    with leg.client(None) as http:
        assert_problem(http.get(f"/api/v1/public/publications/{pid}"), 404, "publication-not-found")
        assert_problem(http.get(f"/api/v1/public/publications/{uuid.uuid4().hex}"), 404)
        assert http.get("/api/v1/publications").status_code == 401


def test_staff_review_approve_and_publish_in_the_pages_and_the_public_reads_no_personal_data(leg, page, tmp_path):
    from playwright.sync_api import expect

    from .support import VIEWPORT
    from .support.web import create_person, shots, sign_in

    agency = with_profile(leg, f"PUBW{uuid.uuid4().hex[:4].upper()}")
    with leg.client(leg.token("case_system", agency)) as http:
        case, document = decided(http)
        pid = draft(http, case, document).json()["id"]
    auditor, admin = f"aud{uuid.uuid4().hex[:6]}", f"adm{uuid.uuid4().hex[:6]}"
    create_person(leg, auditor, "auditor", agency, "法制审核员")
    create_person(leg, admin, "admin", agency, "公示管理员")

    sign_in(page, leg.url, auditor, target="/publications")
    expect(page.locator("h1")).to_contain_text("行政执法公示")
    page.click(f"a[href='/publications/{pid}']")
    text = page.locator(".public-text")
    expect(text.locator("mark.removed")).to_have_count(6)  # id, address, phone, patient, witness, landline
    for secret in (ID_NUMBER, HOME, WITNESS):
        expect(text).not_to_contain_text(secret)
    expect(page.locator("details table")).to_contain_text(ID_NUMBER)  # staff see what was removed, to check it
    expect(page.locator("#steps button", has_text="发布公示")).to_have_count(0)  # an auditor approves, does not publish
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "publication-review.png"), full_page=True)
    page.click("#steps button:has-text('审核通过')")
    expect(page.locator("h1 .status")).to_have_text("已审核待发布")
    page.context.clear_cookies()

    sign_in(page, leg.url, admin, target=f"/publications/{pid}")
    page.click("#steps button:has-text('发布公示')")
    expect(page.locator("[role=alert]")).to_contain_text("已告知当事人")  # no notice recorded yet: refused, nothing published
    expect(page.locator("h1 .status")).to_have_text("已审核待发布")
    page.select_option("#steps select[name=method]", "in_decision")
    page.click("#steps button:has-text('记录告知')")
    expect(page.locator("dl.facts")).to_contain_text("决定书中告知")
    page.click("#steps button:has-text('发布公示')")
    expect(page.locator("h1 .status")).to_have_text("已公示")

    public = page.context.browser.new_page(viewport=VIEWPORT)  # nobody signed in
    public.goto(leg.url + "/public/publications?q=张三")
    expect(public.locator("table.public")).to_contain_text(document["current"]["doc_number"])
    public.click(f"a[href='/public/publications/{pid}']")
    body = public.locator("main")
    expect(body).to_contain_text("张三")
    for secret in (ID_NUMBER, HOME, WITNESS, PATIENT, "138 1234 5678", "3012345"):
        expect(body).not_to_contain_text(secret)
    if leg.name == "sqlite-fs":
        public.screenshot(path=str(shots() / "public-publication.png"), full_page=True)

    page.fill("#steps input[name=reason]", "行政处罚决定经行政复议被撤销")
    page.click("#steps button:has-text('撤回公示')")
    expect(page.locator("h1 .status")).to_have_text("已撤回")
    public.reload()
    expect(public.locator("h1")).to_have_text("公示撤回公告")
    expect(public.locator("main")).to_contain_text("行政处罚决定经行政复议被撤销")
    expect(public.locator("main")).not_to_contain_text("张三")
    public.close()


def test_publication_pages_answer_bad_input_with_a_page(leg):
    import re

    from .support.web import create_person, signed_in_client

    username = f"padm{uuid.uuid4().hex[:6]}"
    create_person(leg, username, "admin", AGENCY, "公示管理员")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case, document = decided(http)
        pid = draft(http, case, document).json()["id"]
    with signed_in_client(leg.url, username) as browser:
        for path, status in (
            ("/publications?status=bogus", 422),
            ("/publications/nope", 404),
            (f"/publications/{pid}?error=<script>", 200),
            ("/public/publications?kind=x", 422),
            ("/public/publications/nope", 404),
        ):
            answer = browser.get(path)
            assert answer.status_code == status and answer.headers["content-type"].startswith("text/html"), (path, answer.status_code)
            assert "<script>" not in answer.text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"/publications/{pid}").text).group(1)
        # A form without its CSRF token changes nothing; bad values come back as a message on the page.
        assert browser.post(f"/publications/{pid}/withdraw", data={"reason": "x"}).status_code == 403
        for data in ({"method": "mail", "notified_at": "昨天"}, {"method": "pigeon", "notified_at": "2026-09-25T10:00"}):
            answer = browser.post(f"/publications/{pid}/notice", data={**data, "csrf_token": csrf}, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == f"/publications/{pid}", answer.text[:300]
            assert 'role="alert"' in browser.get(answer.headers["location"]).text  # the message, as a flash
    with leg.client(leg.token("case_system", AGENCY)) as http:
        assert http.get(f"/api/v1/publications/{pid}").json()["notice"] is None


def test_the_double_publicity_export_carries_the_standard_codes_and_validates_each_record(leg):
    import csv
    import io

    from openpyxl import load_workbook

    agency = with_profile(leg, f"XCH{uuid.uuid4().hex[:4].upper()}")
    complete = {
        "violation_type": "未取得医疗机构执业许可证擅自执业",
        "violation_facts": "未取得《医疗机构执业许可证》擅自开展诊疗活动",
        "basis": "《医疗机构管理条例》第四十三条",
        "penalty_category": "罚款",
        "penalty_content": "罚款人民币20000元",
        "fine_wan": 2,
        "authority": "濉溪县卫生健康委员会",
        "authority_code": AUTHORITY_CODE,
        "data_source": "濉溪县卫生健康委员会",
        "data_source_code": AUTHORITY_CODE,
    }
    with leg.client(leg.token("case_system", agency)) as http, leg.client(leg.token("auditor", agency)) as auditor:
        good = published(http, auditor, **complete)
        lacking = published(http, auditor, **complete)
        # A correction after publication may leave the record short of the platform's rules: it stays public, and the
        # export says what it lacks instead of dropping it silently.
        corrected = http.patch(
            f"/api/v1/publications/{lacking}",
            json={"fields": {"basis": None, "authority_code": "113406210030123451"}, "note": "更正处罚依据"},
        )
        assert corrected.status_code == 200 and corrected.json()["corrections"][0]["note"] == "更正处罚依据", corrected.text
        answer = http.get("/api/v1/publications/export", params={"kind": "penalty"})
        assert answer.status_code == 200 and answer.headers["X-Records"] == "1" and answer.headers["X-Records-Invalid"] == "1"
        body = answer.json()
        record = body["records"][0]
        assert record["CF_XDR_MC"] == "张三" and record["CF_XDR_LB"] == "自然人" and record["CF_XDR_ZJHM"] == ID_NUMBER
        assert record["CF_NR_FK"] == "2" and record["CF_JDRQ"] == "2026/09/24" and record["CF_YXQ"] == "2099/12/31"
        assert record["CF_GSJZQ"] == "2027/09/24" and record["CF_XDR_SHXYM"] is None
        problems = body["invalid"][0]
        assert problems["publication_id"] == lacking
        assert {"field": "basis", "code": "CF_YJ", "message": "处罚依据（CF_YJ）必填"} in problems["problems"]
        assert any(p["code"] == "CF_CFJGDM" and "校验不通过" in p["message"] for p in problems["problems"])
        dashed = http.get("/api/v1/publications/export", params={"kind": "penalty", "date_format": "dash"}).json()
        assert dashed["records"][0]["CF_JDRQ"] == "2026-09-24"

        as_csv = http.get("/api/v1/publications/export", params={"kind": "penalty", "format": "csv"})
        assert as_csv.content.startswith(b"\xef\xbb\xbf") and "attachment" in as_csv.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
        assert len(rows) == 1 and rows[0]["CF_WSH"] == record["CF_WSH"] and rows[0]["CF_XDR_ZJHM"] == ID_NUMBER
        assert list(rows[0])[:3] == ["CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM"] and list(rows[0])[-1] == "BZ"
        as_xlsx = http.get("/api/v1/publications/export", params={"kind": "penalty", "format": "xlsx"})
        sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
        assert [c.value for c in sheet[1]][:2] == ["CF_XDR_MC", "CF_XDR_LB"] and sheet["A3"].value == "张三"
        assert http.get("/api/v1/publications/export", params={"kind": "license"}).json()["records"] == []
        assert_problem(http.get("/api/v1/publications/export", params={"kind": "penalties"}), 422)
        # Withdrawn items go to the platform only when asked for, as withdrawn.
        assert http.post(f"/api/v1/publications/{good}/withdraw", json={"reason": "决定被撤销"}).status_code == 200
        assert http.get("/api/v1/publications/export", params={"kind": "penalty"}).headers["X-Records"] == "0"
        withdrawn = http.get("/api/v1/publications/export", params={"kind": "penalty", "include_withdrawn": "true"}).json()["records"]
        assert len(withdrawn) == 1 and "已撤回" in withdrawn[0]["BZ"]
    with leg.client(leg.token("reviewer", agency)) as http:
        assert http.get("/api/v1/publications/export", params={"kind": "penalty"}).status_code == 403
    with leg.client(None) as http:  # the identity number never reaches the public side
        listed = http.get("/api/v1/public/publications", params={"agency": agency}).text
        assert ID_NUMBER not in listed


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try_signed(leg, tmp_path):
    import json
    import time

    from standardwebhooks.webhooks import Webhook

    from .support.servers import WEBHOOKS_TO_LOOPBACK, create_postgres_database, drop_postgres_database

    receiver = Receiver(failures=2)
    # Its own database: every instance on a database delivers what is due there, each with its own retry pace.
    database = create_postgres_database() if leg.name.startswith("postgres") else f"sqlite:///{tmp_path / 'hooks.db'}"
    quick = ServiceProcess(
        {**leg.service.env, **WEBHOOKS_TO_LOOPBACK, "RECORDING_WEBHOOK_RETRY_SECONDS": "1", "RECORDING_DATABASE_URL": database}, tmp_path
    ).start()
    agency = with_profile(quick, f"HOOK{uuid.uuid4().hex[:4].upper()}")
    try:

        def client(role):
            return httpx.Client(base_url=quick.base_url, headers={"Authorization": f"Bearer {quick.token(role, agency)}"}, timeout=60)

        with client("admin") as admin, client("case_system") as http:
            assert_problem(
                admin.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["publication.publishd"]}), 400, "unknown-event"
            )
            assert_problem(admin.post("/api/v1/webhooks", json={"url": "not a url", "events": ["publication.published"]}), 422)
            created = admin.post(
                "/api/v1/webhooks", json={"url": receiver.url, "events": ["publication.published", "publication.withdrawn"]}
            )
            assert created.status_code == 201, created.text
            hook = created.json()
            assert hook["secret"].startswith("whsec_") and admin.get("/api/v1/webhooks").json()["items"][0]["secret"] is None
            pid = published(http, admin)
            deadline = time.monotonic() + 60
            while len(receiver.received) < 3:
                assert time.monotonic() < deadline, receiver.received
                time.sleep(0.3)
            headers, body = receiver.received[2]
            payload = Webhook(hook["secret"]).verify(body, {k.lower(): v for k, v in headers.items()})  # raises if the signature is wrong
            assert payload["type"] == "publication.published" and payload["data"]["id"] == pid
            assert ID_NUMBER not in body.decode() and WITNESS not in body.decode()
            assert len({h["webhook-id"] for h, _ in receiver.received}) == 1  # every attempt is the same message
            log = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries")
            assert log.status_code == 200
            delivery = log.json()["items"][0]
            for _ in range(50):  # the third attempt's outcome is written just after the receiver answered
                if delivery["status"] == "delivered":
                    break
                time.sleep(0.2)
                delivery = admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"][0]
            assert delivery["status"] == "delivered" and delivery["attempts"] == 3
            assert [entry["status_code"] for entry in delivery["log"]] == [500, 500, 204]
            # A replay sends the same message again, with the same webhook-id.
            result = quick.cli("webhooks", "replay", delivery["id"])
            assert result.returncode == 0, result.stderr
            while len(receiver.received) < 4:
                assert time.monotonic() < deadline, receiver.received
                time.sleep(0.3)
            assert receiver.received[3][0]["webhook-id"] == delivery["id"]
            assert json.loads(receiver.received[3][1])["data"]["id"] == pid
            assert quick.cli("webhooks", "replay", "msg_nope", check=False).returncode == 1
        with client("case_system") as http:
            assert http.get("/api/v1/webhooks").status_code == 403
    finally:
        quick.stop()
        receiver.close()
        if database.startswith("postgres"):
            drop_postgres_database(database)


def test_a_licence_decision_is_published_with_its_own_fields_and_a_year_without_calendar_data_is_provisional(leg):
    agency = with_profile(leg, f"LIC{uuid.uuid4().hex[:4].upper()}")
    with leg.client(leg.token("case_system", agency)) as http, leg.client(leg.token("auditor", agency)) as auditor:

        def licence_decided(day):
            case = Case(
                http,
                procedure="license",
                filed="2026-11-01",
                parties=[{"name": "濉溪县康宁诊所", "kind": "organization", "id_number": "91340600MA2N0ABCDT"}],
            )
            case.stage("acceptance", "2026-11-01")
            case.skip("verification")
            case.stage("decision", day)
            document = case.document(
                "decision",
                "license_decision",
                issued_at=at(day),
                title="准予行政许可决定书",
                text="濉溪县康宁诊所：你单位申请的医疗机构执业登记，经审查符合条件，决定准予许可。",
            )
            created = http.post(
                "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "license", "severity": "ordinary"}
            )
            assert created.status_code == 201, created.text
            return created.json()

        ahead = licence_decided("2026-12-28")
        assert ahead["due_provisional"] is True and ahead["due_on"] == "2027-01-06"  # 2027 not loaded: Monday to Friday
        licence = licence_decided("2026-11-20")
        assert licence["fields"]["party_category"] == "legal_person" and licence["fields"]["party_code"] == "91340600MA2N0ABCDT"
        assert licence["fields"]["doc_name"] == "准予行政许可决定书" and "康宁诊所" in licence["public_text"]
        pid = licence["id"]
        assert (
            http.patch(
                f"/api/v1/publications/{pid}",
                json={
                    "fields": {
                        "legal_representative": "赵六",
                        "license_category": "普通",
                        "license_content": "医疗机构执业登记",
                        "valid_from": "2026-12-28",
                        "valid_to": "长期",
                        "authority": "濉溪县卫生健康委员会",
                        "authority_code": AUTHORITY_CODE,
                        "data_source": "濉溪县卫生健康委员会",
                        "data_source_code": AUTHORITY_CODE,
                    }
                },
            ).status_code
            == 200
        )
        assert (
            http.post(f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-11-20")}).status_code
            == 200
        )
        assert auditor.post(f"/api/v1/publications/{pid}/approve").status_code == 200
        assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200
        exported = http.get("/api/v1/publications/export", params={"kind": "license"}).json()
        assert exported["invalid"] == [], exported["invalid"]
        record = exported["records"][0]
        assert record["XK_XDR_SHXYM"] == "91340600MA2N0ABCDT" and record["XK_YXQJZ"] == "2099/12/31" and record["XK_ZT"] == "1"
        assert record["XK_XDR_ZJHM"] is None and record["XK_FRDB"] == "赵六"
