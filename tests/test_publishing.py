"""公示 on both legs: the agency's profile (set by the CLI) names every publication and export; a withdrawal marks
the case's decision revoked; the public finds only what it can read; an export never comes back silently empty; and
the whole round in the pages, in Chromium. (Drafting from the case, approval, corrections, 履行情况, redaction and the
drafting pages' answers to bad input, in the app in this process: tests/api/test_publishing.py.)"""

import csv
import io
import uuid

from .support.api import assert_problem
from .support.cases import at
from .support.publishing import AUTHORITY_CODE, ORG_DECISION, organisation_decided, with_profile


def _uscc_with_check(body17: str) -> str:
    from stdnum.cn import uscc

    return body17 + uscc.calc_check_digit(body17)


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
