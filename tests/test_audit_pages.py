"""The audit pages for 执法监督, in Debian's Chromium on both legs: the agency-wide trail filtered by person, action
and days, each event in Chinese, a page at a time; the same filters on a case's trail; the CSV and XLSX with 操作 in
Chinese beside its code. (The API's filters: tests/api/test_audit_filters.py.)"""

import csv
import io
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from .support.api import create, patch
from .support.cases import case_body
from .support.web import create_person, shots, sign_in

AGENCY, OTHER = "AUDP", "AUDQ"
TZ = ZoneInfo("Asia/Shanghai")  # the service's default zone, as the legs run it


def named_token(leg, role: str, agency: str, name: str) -> str:
    made = leg.service.cli("token", "create", "--role", role, "--agency", agency, "--name", name)
    return made.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def trail(leg):
    suffix = uuid.uuid4().hex[:6]
    people = {"auditor": f"auditor{suffix}", "reviewer": f"reviewer{suffix}"}
    create_person(leg, people["auditor"], "auditor", AGENCY, "吴监督")
    create_person(leg, people["reviewer"], "reviewer", AGENCY, "郑评查")
    busy = f"批量办案{suffix}"
    numbers = []
    with leg.client(named_token(leg, "case_system", AGENCY, f"办案系统{suffix}")) as http:
        for _ in range(2):
            numbers.append(f"濉卫医罚〔2026〕{uuid.uuid4().int % 100000}号")
            assert http.post("/api/v1/cases", json=case_body(case_number=numbers[-1])).status_code == 201
        case = http.get("/api/v1/cases", params={"case_number": numbers[0]}).json()["items"][0]
        stage = http.post(
            f"/api/v1/cases/{case['id']}/stages",
            json={"stage": "filing", "officers": ["3401001", "3401002"], "started_at": "2026-11-02T09:00:00+08:00"},
        )
        assert stage.status_code == 201, stage.text
    with leg.client(named_token(leg, "case_system", AGENCY, busy)) as http:
        for _ in range(52):  # more than a page
            assert http.post("/api/v1/cases", json=case_body()).status_code == 201
    with leg.client(named_token(leg, "case_system", OTHER, f"办案系统{suffix}")) as http:
        assert http.post("/api/v1/cases", json=case_body()).status_code == 201  # another agency's, never shown
    with leg.client(leg.token("dock", AGENCY)) as dock:
        location = create(dock, 6, filename="clip.mp4").headers["Location"]
        assert patch(dock, location, 0, b"abcdef").status_code == 204
    return {"people": people, "clerk": f"办案系统{suffix}", "busy": busy, "numbers": numbers, "case": case}


def rows(page: Page):
    return page.locator("table.audit tbody tr")


def test_an_auditor_filters_the_agency_trail_reads_it_in_chinese_and_downloads_it(leg, page: Page, trail, tmp_path):
    sign_in(page, leg.url, trail["people"]["auditor"])
    expect(page).to_have_url(re.compile(r"/cases"))
    page.click("header nav a:has-text('审计记录')")
    expect(page).to_have_url(re.compile(r"/audit$"))
    expect(page.locator("h1")).to_have_text("审计记录（全单位）")
    expect(page.locator(".banner.good")).to_contain_text("审计链校验通过")

    # Person, action and days: only the clerk's two case registrations of today.
    today = datetime.now(TZ).date()
    page.fill("input[name=person]", trail["clerk"])
    page.select_option("select[name=action]", label="立案登记")
    page.fill("input[name=from]", today.isoformat())
    page.fill("input[name=to]", today.isoformat())
    page.click("form.audit-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"action=case.created"))
    expect(rows(page)).to_have_count(2)
    expect(page.locator(".audit-summary strong")).to_have_text("2")
    for i in range(2):
        row = rows(page).nth(i)
        expect(row.locator(".action-name")).to_have_text("立案登记")
        expect(row).to_contain_text(trail["clerk"])
        detail = row.locator("td.payload")
        expect(detail).to_contain_text("案号：濉卫医罚〔2026〕")
        expect(detail).to_contain_text("程序：行政处罚一般程序")
        expect(detail).to_contain_text("保存类别：案件证据")
        assert "case_number" not in detail.inner_text() and "None" not in detail.inner_text()
    assert {rows(page).nth(i).locator("td").nth(4).inner_text().split()[-1] for i in range(2)} == set(trail["numbers"])
    expect(page.locator("select[name=action]")).to_have_value("case.created")
    expect(page.locator("input[name=person]")).to_have_value(trail["clerk"])
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "audit-agency.png"))

    # The CSV of what is shown: Chinese headers, 操作 in Chinese, the code kept beside it, 详情 readable.
    with page.expect_download() as download:
        page.click("a:has-text('下载 CSV')")
    assert download.value.suggested_filename == "audit.csv"
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff序号,时间,操作,操作代码,操作者")
    sheet = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(sheet) == 2
    assert {r["操作"] for r in sheet} == {"立案登记"} and {r["操作代码"] for r in sheet} == {"case.created"}
    assert {r["案号"] for r in sheet} == set(trail["numbers"]) and all(r["操作者"] == trail["clerk"] for r in sheet)
    assert all("保存类别：案件证据" in r["详情"] and r["角色"] == "办案系统" for r in sheet)
    with page.expect_download() as download:
        page.click("a:has-text('下载电子表格')")
    assert download.value.suggested_filename == "audit.xlsx"
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    values = list(book.active.iter_rows(values_only=True))
    assert values[0][:4] == ("序号", "时间", "操作", "操作代码") and {v[2] for v in values[1:]} == {"立案登记"} and len(values) == 3

    # A day before today: nothing; the filters stay as they were typed.
    page.fill("input[name=from]", (today - timedelta(days=3)).isoformat())
    page.fill("input[name=to]", (today - timedelta(days=1)).isoformat())
    page.click("form.audit-filters button[type=submit]")
    expect(page.locator("p.empty")).to_have_text("没有符合条件的审计记录。")

    # Object: a case number finds the case and its stage, whoever did it.
    page.goto(leg.url + "/audit")
    page.fill("input[name=object]", trail["numbers"][0])
    page.click("form.audit-filters button[type=submit]")
    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(0).locator(".action-name")).to_have_text("开始办案环节")
    expect(rows(page).nth(1).locator(".action-name")).to_have_text("立案登记")

    # More than a page: 52 registrations by one system, 50 a page, newest first.
    page.goto(leg.url + "/audit?" + f"person={trail['busy']}")
    expect(page.locator(".audit-summary strong")).to_have_text("52")
    expect(rows(page)).to_have_count(50)
    expect(page.locator("nav.pager")).to_contain_text("第 1 / 2 页")
    first_seq = int(rows(page).nth(0).locator("td").nth(0).inner_text())
    page.click("nav.pager a[rel=next]")
    expect(rows(page)).to_have_count(2)
    assert int(rows(page).nth(1).locator("td").nth(0).inner_text()) < first_seq

    # An upload's events by its id, described in Chinese.
    page.goto(leg.url + "/audit")
    page.select_option("select[name=action]", label="上传音像记录")
    page.click("form.audit-filters button[type=submit]")
    expect(rows(page).first.locator(".action-name")).to_have_text("上传音像记录")
    expect(rows(page).first.locator("td.payload")).to_contain_text("大小（字节）：6")
    expect(rows(page).first.locator("td.payload span[title]").first).to_have_attribute("title", re.compile(r"^[0-9a-f]{64}$"))


def test_the_case_trail_filters_too_and_only_overseers_open_the_agency_trail(leg, page: Page, trail):
    sign_in(page, leg.url, trail["people"]["auditor"], target=f"/cases/{trail['case']['id']}/audit")
    expect(page.locator("h1")).to_contain_text(trail["numbers"][0])
    expect(rows(page)).to_have_count(2)
    page.select_option("select[name=action]", label="开始办案环节")
    page.click("form.audit-filters button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/cases/{trail['case']['id']}/audit\?.*action=stage.opened"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first.locator("td.payload")).to_contain_text("环节：立案")
    with page.expect_download() as download:
        page.click("a:has-text('下载 CSV')")
    sheet = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert [(r["操作"], r["操作代码"]) for r in sheet] == [("开始办案环节", "stage.opened")]

    # Whatever is typed, the page answers (a NUL no database holds is dropped; a date that is none is explained).
    assert page.goto(leg.url + "/audit?person=%00%E5%90%B4&object=%00&from=2026-13-01").status == 200
    expect(page.locator("p.alert.bad")).to_contain_text("不是有效日期")

    reviewer = page.context.browser.new_page(viewport={"width": 1366, "height": 768})
    sign_in(reviewer, leg.url, trail["people"]["reviewer"])
    expect(reviewer).to_have_url(re.compile(r"/cases"))
    expect(reviewer.locator("header nav a:has-text('审计记录')")).to_have_count(0)
    assert reviewer.goto(leg.url + "/audit").status == 403
    assert reviewer.goto(leg.url + "/audit.csv").status == 403
    reviewer.close()
