"""公示 run end to end, on both legs: the agency's profile names every publication and export; the draft's
fields come from the case (处罚内容 from its penalties, 违法事实, 处罚依据, 法定代表人); approval waits for the
双公示 field rules and a second person who did not edit; a published item is corrected by a new version with its
变更说明; 履行情况 is shown publicly; a withdrawal marks the case's decision revoked; the public finds only what it
can read; an export never comes back silently empty; and the whole round in the pages, in Chromium."""

import csv
import io
import uuid

from .support import doc_number
from .support.api import assert_problem
from .support.cases import Case, at
from .support.publishing import AUTHORITY_CODE, ID_NUMBER, with_profile

CLINIC_CODE = "91340600MA2N0ABCDT"
ORG_DECISION = (
    "当事人：濉溪县康宁口腔门诊部有限公司\n统一社会信用代码：91340600MA2N0ABCDT\n法定代表人：李建国\n"
    "住所：濉溪县濉溪镇淮海路18号\n"
    "经查，你单位于2026年8月5日至2026年9月1日期间，未取得《放射诊疗许可证》开展口腔CT放射诊疗活动，为患者周小红等"
    "12人拍摄口腔CT，周小红联系电话13912345678。以上事实有现场笔录、询问笔录为证。\n"
    "你单位的上述行为违反了《放射诊疗管理规定》第十六条的规定。依据《放射诊疗管理规定》第三十八条第一项的规定，本机关决定"
    "给予警告、没收违法所得人民币5000元、罚款人民币30000元的行政处罚。\n"
    "执法人员：李四（执法证号：34062120230001）、王五。"
)


def _uscc_with_check(body17: str) -> str:
    from stdnum.cn import uscc

    return body17 + uscc.calc_check_digit(body17)


def organisation_decided(http, agency_text=ORG_DECISION, decided_on="2026-09-24", party="濉溪县康宁口腔门诊部有限公司", **facts):
    case = Case(
        http,
        filed="2026-08-20",
        category="未取得放射诊疗许可证开展放射诊疗",
        parties=[{"name": party, "kind": "organization", "id_number": CLINIC_CODE, "legal_representative": "李建国"}],
    )
    case.facts(**{"penalties": ["warning", "confiscation_gains", "fine"], "fine_yuan": 30000, "confiscated_yuan": 5000, **facts})
    case.stage("filing", "2026-08-20")
    case.stage("investigation", "2026-08-21")
    case.stage("review", "2026-09-01")
    case.stage("notification", "2026-09-02")
    case.skip("hearing")
    case.stage("decision", decided_on)
    document = case.document(
        "decision",
        "penalty_decision",
        issued_at=at(decided_on),
        text=agency_text,
        title="行政处罚决定书",
        doc_number=doc_number(),
        signers=["李建国"],
    )
    return case, document


def test_a_decision_is_drafted_from_the_case_approved_by_another_person_published_corrected_and_performed(leg):
    agency = with_profile(leg, f"PE{uuid.uuid4().hex[:4].upper()}", name="淮北市濉溪县卫生健康委员会", uscc=AUTHORITY_CODE)
    with (
        leg.client(leg.token("case_system", agency)) as http,
        leg.client(leg.token("auditor", agency)) as auditor,
        leg.client(leg.token("admin", agency)) as admin,
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
    with leg.client(None) as public:
        item = public.get(f"/api/v1/public/publications/{pid}").json()
        assert item["corrections"] == [{"version": 4, "changed_on": "2026-10-08", "note": "更正违法行为类型的表述"}]
        assert item["performance"] == {"status": "performed", "status_zh": "已履行", "on": "2026-10-09", "note": "已缴清罚没款"}
        assert item["fields"]["authority"] == "淮北市濉溪县卫生健康委员会" and agency not in item["fields"].values()
        page = public.get(f"/public/publications/{pid}").text
        assert "淮北市濉溪县卫生健康委员会" in page and "已履行" in page and "更正违法行为类型的表述" in page
    with leg.client(leg.token("auditor", agency)) as http:
        actions = [e["action"] for e in http.get("/api/v1/audit/events", params={"case_id": case.id, "limit": 500}).json()["items"]]
    assert "publication.corrected" in actions and "publication.performance_recorded" in actions


def test_a_withdrawn_party_is_not_searchable_and_the_export_says_what_is_invalid(leg):
    agency = with_profile(leg, f"PW{uuid.uuid4().hex[:4].upper()}")
    party = f"濉溪县某{uuid.uuid4().hex[:4]}诊所有限公司"
    text = ORG_DECISION.replace("濉溪县康宁口腔门诊部有限公司", party)
    with leg.client(leg.token("case_system", agency)) as http, leg.client(leg.token("auditor", agency)) as auditor:
        ids = []
        for _ in range(2):
            case, document = organisation_decided(http, agency_text=text, party=party)
            pid = http.post(
                "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary"}
            ).json()["id"]
            assert (
                http.post(
                    f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24", "16:00")}
                ).status_code
                == 200
            )
            approved = auditor.post(f"/api/v1/publications/{pid}/approve")
            assert approved.status_code == 200, approved.text
            assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200
            ids.append((pid, case, document))
        (kept, _, _), (gone, gone_case, gone_document) = ids
        assert (
            http.post(
                f"/api/v1/publications/{gone}/withdraw", json={"reason": "行政处罚决定经行政复议被撤销", "revoked_on": "2026-10-10"}
            ).status_code
            == 200
        )
        assert http.get(f"/api/v1/cases/{gone_case.id}").json()["facts"]["decision_revoked_on"] == "2026-10-10"
        # A correction that leaves a record short of the rules: the export counts it, and lists it with its problems on request.
        assert http.patch(f"/api/v1/publications/{kept}", json={"fields": {"penalty_content": None}, "note": "更正"}).status_code == 200
        plain = http.get("/api/v1/publications/export", params={"kind": "penalty", "format": "csv"})
        assert plain.headers["X-Records"] == "0" and plain.headers["X-Records-Invalid"] == "1"
        everything = http.get("/api/v1/publications/export", params={"kind": "penalty", "format": "csv", "include_invalid": "true"})
        rows = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
        assert len(rows) == 1 and rows[0]["problems"] == "处罚内容（CF_NR）必填" and rows[0]["CF_CFJG"] == "濉溪县卫生健康委员会"
        from openpyxl import load_workbook

        book = load_workbook(
            io.BytesIO(
                http.get("/api/v1/publications/export", params={"kind": "penalty", "format": "xlsx", "include_invalid": "true"}).content
            )
        )
        assert book.sheetnames == ["行政处罚", "问题"] and book["行政处罚"].cell(1, book["行政处罚"].max_column).value == "problems"
        assert [c.value for c in book["问题"][3]][2:] == ["penalty_content", "CF_NR", "处罚内容（CF_NR）必填"]
        assert_problem(
            http.get("/api/v1/publications/export", params={"kind": "penalty", "include_invalids": "true"}), 400, "unknown-parameter"
        )
    with leg.client(None) as public:
        found = public.get("/api/v1/public/publications", params={"q": party, "agency": agency}).json()["items"]
        assert [item["id"] for item in found] == [kept]  # the withdrawn item's party is not searchable
        by_number = public.get("/api/v1/public/publications", params={"q": gone_document["current"]["doc_number"]}).json()["items"]
        assert [item["id"] for item in by_number] == [gone] and by_number[0]["fields"] == {
            "doc_number": gone_document["current"]["doc_number"]
        }


def test_a_county_is_read_under_its_city_and_an_agency_without_profile_is_told(leg):
    city = with_profile(leg, f"CT{uuid.uuid4().hex[:4].upper()}", name="淮北市卫生健康委员会", uscc=_uscc_with_check("11340600003012345"))
    county = f"CY{uuid.uuid4().hex[:4].upper()}"
    result = leg.service.cli(
        "agency",
        "set",
        county,
        "--name-zh",
        "濉溪县卫生健康委员会",
        "--uscc",
        AUTHORITY_CODE,
        "--division",
        "340621",
        "--parent",
        city,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    bare = f"NP{uuid.uuid4().hex[:4].upper()}"
    published = {}
    for agency in (county, bare):
        with leg.client(leg.token("case_system", agency)) as http, leg.client(leg.token("auditor", agency)) as auditor:
            case, document = organisation_decided(http)
            draft = http.post(
                "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary"}
            ).json()
            pid = draft["id"]
            if agency == bare:  # no profile: no code printed as the authority, and the draft says what is missing
                assert draft["fields"]["authority"] is None and draft["fields"]["authority_code"] is None
                assert any("未登记本单位信息" in p["message"] for p in draft["problems"]), draft["problems"]
                assert_problem(auditor.post(f"/api/v1/publications/{pid}/approve"), 422, "publication-incomplete")
                # Registered afterwards: the next edit fills the agency's fields, as a version of their own.
                with_profile(leg, bare, name="某县卫生健康委员会")
                assert auditor.post(f"/api/v1/publications/{pid}/approve").status_code == 422  # nothing changes by itself
                edited = http.patch(f"/api/v1/publications/{pid}", json={"fields": {"note": "补登机关信息"}}).json()
                assert edited["fields"]["authority"] == "某县卫生健康委员会" and edited["problems"] == [], edited["problems"]
                assert auditor.post(f"/api/v1/publications/{pid}/approve").status_code == 200
                continue
            assert (
                http.post(
                    f"/api/v1/publications/{pid}/notice", json={"method": "in_decision", "notified_at": at("2026-09-24", "16:00")}
                ).status_code
                == 200
            )
            assert auditor.post(f"/api/v1/publications/{pid}/approve").status_code == 200
            assert http.post(f"/api/v1/publications/{pid}/publish").status_code == 200
            published[agency] = pid
    with leg.client(None) as public:
        under_city = public.get("/api/v1/public/publications", params={"agency": city}).json()["items"]
        assert [item["id"] for item in under_city] == [
            published[county]
        ]  # the county's, read under its city; the bare agency is not under it
        assert under_city[0]["agency"] == county and under_city[0]["fields"]["authority"] == "濉溪县卫生健康委员会"


def test_publication_fields_with_personal_data_are_redacted_and_a_typo_is_refused(leg):
    agency = with_profile(leg, f"PF{uuid.uuid4().hex[:4].upper()}")
    with leg.client(leg.token("case_system", agency)) as http:
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
            ({"penalty_contnet": "x"}, "unknown-field"),
        ):
            assert_problem(http.patch(f"/api/v1/publications/{pid}", json={"fields": bad}), 422 if code == "invalid-field" else 400, code)
        assert http.get(f"/api/v1/publications/{pid}").json()["version"] == 2  # the refused edits changed nothing
    with leg.client(leg.token("auditor", agency)) as auditor:
        approved = auditor.post(f"/api/v1/publications/{pid}/approve")
        assert approved.status_code == 200, approved.text
    with leg.client(leg.token("case_system", agency)) as http:
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


def test_a_publisher_drafts_edits_and_publishes_in_the_pages_and_the_export_holds_a_valid_record(leg, page):
    from playwright.sync_api import expect

    from .support import VIEWPORT
    from .support.web import create_person, shots, sign_in

    agency = with_profile(leg, f"PG{uuid.uuid4().hex[:4].upper()}", name="濉溪县卫生健康委员会")
    with leg.client(leg.token("case_system", agency)) as http:
        case, document = organisation_decided(http, legal_basis=None)
    publisher, approver = f"pub{uuid.uuid4().hex[:6]}", f"apr{uuid.uuid4().hex[:6]}"
    create_person(leg, publisher, "admin", agency, "公示员甲")
    create_person(leg, approver, "auditor", agency, "法制审核员乙")

    sign_in(page, leg.url, publisher, target="/publications")
    awaiting = page.locator("section.awaiting")
    expect(awaiting).to_contain_text(document["current"]["doc_number"])  # the queue lists decisions nobody drafted yet
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "publication-queue.png"), full_page=True)
    page.goto(leg.url + f"/cases/{case.id}")
    page.click("a.publish-link")
    expect(page.locator("h1")).to_have_text("发起行政执法公示")
    page.select_option("select[name=severity]", "ordinary")
    page.click("button:has-text('生成公示草稿')")
    expect(page.locator("h1")).to_contain_text("编辑公示草稿")
    expect(page.locator("#in-penalty_content")).to_have_value("警告；没收违法所得 5,000 元；罚款 30,000 元")
    expect(page.locator("#in-authority")).to_have_value("濉溪县卫生健康委员会")
    expect(page.locator(".public-text mark.removed").first).to_be_visible()  # the patient and the phone, highlighted
    # The publisher clears 处罚依据 by mistake: the page names what is missing beside the field, nothing is lost.
    page.fill("#in-basis", "")
    page.click("button:has-text('保存草稿')")
    expect(page.locator("[role=status]")).to_contain_text("已保存")
    expect(page.locator("#field-basis .field-problem")).to_have_text("处罚依据（CF_YJ）必填")
    page.fill("#in-basis", "《放射诊疗管理规定》第三十八条第一项")
    page.fill("#in-violation_type", "未取得放射诊疗许可证开展放射诊疗活动")
    page.fill("#in-note", "联系人孙丽丽，电话13512345678")
    page.click("button:has-text('保存草稿')")
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("#field-note .marked mark.removed")).to_have_count(2)  # a name and a phone in a field, masked
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "publication-edit.png"), full_page=True)
    page.click("a:has-text('返回审核页')")
    pid = page.url.rstrip("/").split("/")[-1]
    expect(page.locator("#steps")).to_contain_text("您起草或修改过本公示，须由其他人员审核")
    expect(page.locator("#steps button:has-text('审核通过')")).to_have_count(0)
    page.goto(leg.url + f"/publications/{pid}/preview")
    expect(page.locator("main")).to_contain_text("预览")
    expect(page.locator("main")).to_contain_text("濉溪县卫生健康委员会")
    expect(page.locator("main")).not_to_contain_text("13512345678")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "publication-preview.png"), full_page=True)
    page.context.clear_cookies()

    sign_in(page, leg.url, approver, target=f"/publications/{pid}")
    page.click("#steps button:has-text('审核通过')")
    expect(page.locator("h1 .status")).to_have_text("已审核待发布")
    page.context.clear_cookies()

    sign_in(page, leg.url, publisher, target=f"/publications/{pid}")
    page.fill("#steps input[name=notified_at]", "2026-09-24T16:00")
    page.click("#steps button:has-text('记录告知')")
    page.click("#steps button:has-text('发布公示')")
    expect(page.locator("h1 .status")).to_have_text("已公示")
    page.select_option("#steps select[name=status]", "instalments")
    page.fill("#steps input[name=on]", "2026-10-15")
    page.click("#steps button:has-text('记录履行情况')")
    expect(page.locator("dl.facts")).to_contain_text("分期（延期）缴纳")

    page.goto(leg.url + "/publications/export?kind=penalty")
    expect(page.locator(".export-counts")).to_contain_text("已公示 1 条，其中 1 条符合双公示字段规则")
    with page.expect_download() as download:
        page.click("a:has-text('CSV（仅有效记录）')")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert len(rows) == 1
    record = rows[0]
    for code in (
        "CF_XDR_MC",
        "CF_XDR_LB",
        "CF_XDR_SHXYM",
        "CF_FRDB",
        "CF_WSH",
        "CF_WFXW",
        "CF_SY",
        "CF_YJ",
        "CF_CFLB",
        "CF_NR",
        "CF_JDRQ",
        "CF_YXQ",
        "CF_CFJG",
        "CF_CFJGDM",
        "CF_SJLY",
        "CF_SJLYDM",
    ):
        assert record[code], code
    assert record["CF_CFJG"] == "濉溪县卫生健康委员会" and record["CF_CFJGDM"] == AUTHORITY_CODE and "13512345678" not in record["BZ"]
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "publication-export.png"), full_page=True)

    public = page.context.browser.new_page(viewport=VIEWPORT)
    public.goto(leg.url + f"/public/publications/{pid}")
    expect(public.locator("main")).to_contain_text("濉溪县卫生健康委员会")
    expect(public.locator("tr.performance")).to_contain_text("分期（延期）缴纳（2026-10-15）")
    expect(public.locator("main")).not_to_contain_text(agency)
    if leg.name == "sqlite-fs":
        public.screenshot(path=str(shots() / "public-publication-performance.png"), full_page=True)
    public.close()


def test_the_drafting_pages_answer_bad_input_with_a_message_and_change_nothing(leg):
    import re

    from .support.web import create_person, signed_in_client

    agency = with_profile(leg, f"PH{uuid.uuid4().hex[:4].upper()}")
    publisher, outsider = f"ph{uuid.uuid4().hex[:6]}", f"po{uuid.uuid4().hex[:6]}"
    create_person(leg, publisher, "admin", agency, "公示员")
    create_person(leg, outsider, "admin", f"X{agency}", "另一单位管理员")
    with leg.client(leg.token("case_system", agency)) as http:
        case, document = organisation_decided(http)
        pid = http.post(
            "/api/v1/publications", json={"case_id": case.id, "document_id": document["id"], "kind": "penalty", "severity": "ordinary"}
        ).json()["id"]
    with signed_in_client(leg.url, publisher) as browser:
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
    with signed_in_client(leg.url, outsider) as browser:
        for path in (f"/publications/{pid}/edit", f"/publications/{pid}/preview", f"/publications/{pid}"):
            assert browser.get(path).status_code == 404, path
    with leg.client(leg.token("case_system", agency)) as http:
        unchanged = http.get(f"/api/v1/publications/{pid}").json()
        assert unchanged["version"] == 1 and unchanged["fields"]["fine_wan"] == 3 and unchanged["period_months"] == 12
