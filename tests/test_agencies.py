"""Agency profiles on both legs: kept by the CLI and by administrators (what the API validates, versions, audits and
shows to whom: tests/api/test_agencies.py), published without a token, and naming the agency in the case file, the
annual report, the service guides and the flowcharts, and in the pages' header."""

import io
import json
import uuid
import zipfile
from urllib.parse import unquote

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from .support.agencies import CITY_USCC, COUNTY_USCC, codes
from .support.api import assert_problem
from .support.cases import CaseWalk
from .support.pages import svg_texts


def bag_info(zip_bytes: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/bag-info.txt"))
        text = archive.read(name).decode("utf-8")
    return dict(line.split(": ", 1) for line in text.splitlines())


def export_a_case(leg, agency: str) -> dict[str, str]:
    with leg.client(leg.token("case_system", agency)) as http:
        case = CaseWalk(http, "penalty-simple").case
    with leg.client(leg.token("auditor", agency)) as http:
        response = http.get(f"/api/v1/cases/{case['id']}/export")
        assert response.status_code == 200, response.text
    return bag_info(response.content)


def test_a_profile_set_by_the_cli_is_published_and_names_the_case_file(leg):
    city, county, unregistered = codes()
    done = leg.service.cli(
        "agency",
        "set",
        city,
        "--name-zh",
        "某某市卫生健康委员会",
        "--uscc",
        CITY_USCC,
        "--division",
        "340600",
        "--address",
        "某某市人民路 1 号",
        "--phone",
        "0561-3000000",
        "--office-hours",
        "工作日 8:30—12:00，14:30—17:30",
        "--review-body",
        "某某市人民政府",
        "--court",
        "某某市中级人民法院",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["version"] == 1
    done = leg.service.cli(
        "agency",
        "set",
        county,
        "--name-zh",
        "某某县卫生健康委员会",
        "--uscc",
        COUNTY_USCC,
        "--division",
        "340621",
        "--parent",
        city,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    # Bad codes are refused with a message that names the option; nothing is stored.
    bad = leg.service.cli(
        "agency",
        "set",
        unregistered,
        "--name-zh",
        "某某区卫生健康委员会",
        "--uscc",
        CITY_USCC[:-1] + "D",
        "--division",
        "990621",
        check=False,
    )
    assert bad.returncode != 0 and "--uscc" in bad.stderr and "check character" in bad.stderr and "--division" in bad.stderr
    cycle = leg.service.cli(
        "agency",
        "set",
        city,
        "--name-zh",
        "某某市卫生健康委员会",
        "--uscc",
        CITY_USCC,
        "--division",
        "340600",
        "--parent",
        county,
        check=False,
    )
    assert cycle.returncode != 0 and "under itself" in cycle.stderr
    listed = {p["code"]: p for p in json.loads(leg.service.cli("agency", "list").stdout)}
    assert unregistered not in listed and listed[city]["version"] == 1 and listed[county]["parent"] == city

    with leg.client() as anonymous:
        published = anonymous.get("/api/v1/public/agencies", params={"under": city})
        assert published.status_code == 200, published.text
        assert published.headers["cache-control"] == "public, max-age=60"
        items = {p["code"]: p for p in published.json()["items"]}
        assert set(items) == {city, county}
        assert items[city] == {
            "code": city,
            "name_zh": "某某市卫生健康委员会",
            "uscc": CITY_USCC,
            "division_code": "340600",
            "parent": None,
            "address": "某某市人民路 1 号",
            "phone": "0561-3000000",
            "office_hours": "工作日 8:30—12:00，14:30—17:30",
            "review_body": "某某市人民政府",
            "court": "某某市中级人民法院",
        }

        # The service guides and flowcharts of an agency name it, its address, phone, hours and 救济渠道.
        matters = anonymous.get("/api/v1/public/matters", params={"agency": city}).json()
        assert matters["agency"]["name_zh"] == "某某市卫生健康委员会"
        assert matters["agency"]["remedy_zh"] == "申请行政复议：某某市人民政府；提起行政诉讼：某某市中级人民法院"
        assert anonymous.get("/api/v1/public/matters").json()["agency"] is None
        assert_problem(anonymous.get("/api/v1/public/matters", params={"agency": unregistered}), 404, "agency-not-found")
        chart = "".join(
            svg_texts(anonymous.get("/api/v1/public/procedures/penalty-general/flowchart.svg", params={"agency": city}).content)
        )
        assert "办理机关：某某市卫生健康委员会" in chart and "电话：0561-3000000" in chart and "提起行政诉讼：某某市中级人民法院" in chart
        guide = anonymous.get("/public/matters/unlicensed-medical-practice-penalty", params={"agency": city}).text
        assert "某某市卫生健康委员会" in guide and "申请行政复议：某某市人民政府" in guide and "工作日 8:30—12:00" in guide

    # The case file names the agency by its full name, with its code beside it; without a profile, the code, and says so.
    info = export_a_case(leg, city)
    assert info["Source-Organization"] == "某某市卫生健康委员会" and info["Organization-Code"] == city
    assert info["Organization-USCC"] == CITY_USCC and info["Contact-Phone"] == "0561-3000000"
    info = export_a_case(leg, unregistered)
    assert info["Source-Organization"] == unregistered and info["Organization-Code"] == unregistered
    assert "未登记本单位信息" in info["Organization-Profile"]

    # The annual report is titled and named after the agency.
    with leg.client(leg.token("auditor", city)) as auditor:
        report = auditor.get("/api/v1/stats/annual-report", params={"year": 2025})
        assert report.status_code == 200, report.text
        assert report.json()["title_zh"] == "某某市卫生健康委员会 2025年度行政执法统计年报"
        workbook = auditor.get("/api/v1/stats/annual-report", params={"year": 2025, "format": "xlsx"})
        assert unquote(workbook.headers["content-disposition"].split("''")[1]) == "某某市卫生健康委员会 2025年度行政执法统计年报.xlsx"
        assert load_workbook(io.BytesIO(workbook.content))["统计说明"]["A1"].value.startswith("某某市卫生健康委员会 2025年度")
        cases = auditor.get("/api/v1/stats/cases").json()
        assert cases["agency_name"] == "某某市卫生健康委员会"


def test_an_administrator_registers_the_agency_in_the_pages(leg, page: Page):
    from .support.web import create_person, shots, sign_in

    city, county, _ = codes()
    assert (
        leg.service.cli(
            "agency", "set", city, "--name-zh", "某某市卫生健康委员会", "--uscc", CITY_USCC, "--division", "340600", check=False
        ).returncode
        == 0
    )
    person = f"adm{uuid.uuid4().hex[:6]}"
    create_person(leg, person, "admin", county, "孙管理")
    sign_in(page, leg.url, person, target="/cases")
    who = page.locator("header .who")
    expect(who).to_contain_text(county)
    expect(who.locator("a.hint")).to_have_text("未登记本单位信息")
    page.click("header nav a:has-text('单位信息')")
    expect(page.locator("main")).to_contain_text(f"本单位（{county}）尚未登记单位信息")
    page.click("text=现在登记")

    form = page.locator("#edit-agency form")
    form.locator("input[name=name_zh]").fill("某某县卫生健康委员会")
    form.locator("input[name=uscc]").fill(COUNTY_USCC[:-1] + "9")  # a wrong check character
    form.locator("input[name=division_code]").fill("990621")
    expect(form.locator("input[name=parent]")).to_have_count(0)  # the operator places an agency, not its own admin
    expect(form).to_contain_text("由系统管理员设置")
    form.locator("input[name=address]").fill("某某县政务服务中心二楼")
    form.locator("input[name=phone]").fill("0561-6000000")
    form.locator("input[name=review_body]").fill("某某县人民政府")
    form.locator("input[name=court]").fill("某某县人民法院")
    form.locator("button[type=submit]").click()
    expect(page.locator("#error-uscc")).to_have_text("统一社会信用代码的校验位不正确，请核对")
    expect(page.locator("#error-division_code")).to_contain_text("省级代码")
    expect(page.locator(".banner.bad")).to_contain_text("未保存")
    expect(form.locator("input[name=address]")).to_have_value("某某县政务服务中心二楼")  # nothing typed is lost
    expect(form.locator("input[name=court]")).to_have_value("某某县人民法院")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "agency-errors.png"), full_page=True)
    with leg.client(leg.token("admin", county)) as admin:
        assert_problem(admin.get(f"/api/v1/agencies/{county}"), 404)  # nothing was stored

    form.locator("input[name=uscc]").fill(COUNTY_USCC)
    form.locator("input[name=division_code]").fill("340621")
    form.locator("button[type=submit]").click()
    expect(page.locator(".banner.good")).to_contain_text("已保存（第 1 版）")
    expect(who).to_contain_text("某某县卫生健康委员会")
    expect(who.locator("a.hint")).to_have_count(0)
    assert (
        leg.service.cli(
            "agency",
            "set",
            county,
            "--name-zh",
            "某某县卫生健康委员会",
            "--uscc",
            COUNTY_USCC,
            "--division",
            "340621",
            "--parent",
            city,
            check=False,
        ).returncode
        == 0
    )
    page.reload()
    expect(page.locator("#profile")).to_contain_text("某某市卫生健康委员会")  # the parent, by name
    expect(page.locator("table.versions tbody tr")).to_have_count(2)
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "agency.png"), full_page=True)
    page.click("text=返回单位信息")
    expect(page.locator("table.agencies tbody tr")).to_have_count(1)
    expect(page.locator("table.agencies")).to_contain_text("某某市卫生健康委员会")  # the parent, by name
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "agencies.png"))

    # A form posted without the session's CSRF token changes nothing.
    refused = page.request.post(leg.url + f"/agencies/{county}", form={"name_zh": "伪造", "uscc": COUNTY_USCC, "division_code": "340621"})
    assert refused.status == 403
    with leg.client(leg.token("admin", county)) as admin:
        stored = admin.get(f"/api/v1/agencies/{county}").json()
        assert stored["name_zh"] == "某某县卫生健康委员会" and stored["parent"] == city and stored["version"] == 2
        assert admin.get(f"/api/v1/agencies/{county}/versions").json()["items"][0]["changed_by"].startswith("孙管理")
    page.goto(leg.url + f"/agencies/{city}")  # above the county: not its to see
    expect(page.locator("h1")).to_contain_text("没有找到")
    expect(who).to_contain_text("某某县卫生健康委员会")  # error pages name the agency too
