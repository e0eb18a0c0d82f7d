"""Agency profiles on both legs: kept by the CLI and by administrators (validated, versioned, audited), read by
the agency itself and those above it, published without a token, and naming the agency in the case file, the
annual report, the service guides and the flowcharts, and in the pages' header."""

import io
import json
import uuid
import zipfile
from urllib.parse import unquote

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from .support.api import assert_problem
from .support.audit import events
from .support.cases import CaseWalk
from .support.pages import svg_texts

# 统一社会信用代码 of government organs (11…), check characters computed with GB 32100.
CITY_USCC = "11340600MB1234567C"
COUNTY_USCC = "11340621MB00000015"
OTHER_COUNTY_USCC = "11340621MB00000028"


def codes() -> tuple[str, str, str]:
    suffix = uuid.uuid4().hex[:6].upper()
    return f"AC{suffix}", f"AY{suffix}", f"AZ{suffix}"


def profile(name_zh: str, uscc: str, division_code: str, **optional) -> dict:
    return {"name_zh": name_zh, "uscc": uscc, "division_code": division_code, **optional}


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


def test_profiles_are_validated_versioned_audited_and_kept_to_their_agencies(leg):
    city, county, second = codes()
    with (
        leg.client(leg.token("admin", "*")) as operator,
        leg.client(leg.token("admin", city)) as city_admin,
        leg.client(leg.token("admin", county)) as county_admin,
        leg.client(leg.token("auditor", city)) as city_auditor,
        leg.client(leg.token("admin", f"OT{city}")) as stranger,
        leg.client(leg.token("reviewer", county)) as county_reviewer,
    ):
        created = operator.put(f"/api/v1/agencies/{city}", json=profile("某某市卫生健康委员会", CITY_USCC, "340600"))
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"/api/v1/agencies/{city}" and created.json()["version"] == 1
        again = operator.put(f"/api/v1/agencies/{city}", json=profile("某某市卫生健康委员会", CITY_USCC, "340600"))
        assert again.status_code == 200 and again.json()["version"] == 1  # nothing changed: no new version
        # An agency's own administrator keeps its profile; USCC typed with spaces and in lower case is stored compact.
        changed = city_admin.put(
            f"/api/v1/agencies/{city}", json=profile("某某市卫生健康委员会", " 1134 0600 MB12 3456 7c ", "340600", phone="0561-3000000")
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["version"] == 2 and changed.json()["uscc"] == CITY_USCC and changed.json()["phone"] == "0561-3000000"
        # Where an agency sits decides who sees it: its own administrator cannot place it (nor move it) under another.
        assert_problem(
            county_admin.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621", parent=city)),
            403,
            "agency-parent-operator",
        )
        assert county_admin.get(f"/api/v1/agencies/{county}").status_code == 404  # nothing was stored
        assert (
            county_admin.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621")).status_code == 201
        )
        assert (
            operator.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621", parent=city)).status_code
            == 200
        )
        assert_problem(
            county_admin.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621")),
            403,
            "agency-parent-operator",
        )  # nor take it out
        assert (
            operator.put(
                f"/api/v1/agencies/{second}", json=profile("某某区卫生健康委员会", OTHER_COUNTY_USCC, "340602", parent=city)
            ).status_code
            == 201
        )

        # Refused, each as a problem, and nothing changes.
        good = profile("某某市卫生健康委员会", CITY_USCC, "340600", phone="0561-9999999")
        for body, status, code in (
            ({**good, "uscc": CITY_USCC[:-1] + "D"}, 422, "validation-error"),  # check character
            ({**good, "uscc": "12345"}, 422, "validation-error"),
            ({**good, "division_code": "990600"}, 422, "validation-error"),  # no province 99
            ({**good, "division_code": "34060"}, 422, "validation-error"),
            ({**good, "parent": "NO-SUCH-AGENCY"}, 422, "unknown-parent"),
            ({**good, "parent": county}, 422, "agency-cycle"),  # the city under its own county
            ({**good, "parent": city}, 422, "agency-cycle"),
            ({**good, "fax": "0561-1"}, 422, "validation-error"),  # an unknown field
            ({**good, "name_zh": "  "}, 422, "validation-error"),
        ):
            problem = assert_problem(operator.put(f"/api/v1/agencies/{city}", json=body), status, code)
            assert problem["errors"], problem
        assert "Unknown field 'fax'" in operator.put(f"/api/v1/agencies/{city}", json={**good, "fax": "1"}).json()["detail"]
        assert_problem(operator.put("/api/v1/agencies/%2A", json=good), 422, "invalid-agency-code")
        now = operator.get(f"/api/v1/agencies/{city}").json()
        assert now["version"] == 2 and now["phone"] == "0561-3000000" and now["parent"] is None

        # Every state is kept, and every change is an audit event with the changed fields.
        versions = city_auditor.get(f"/api/v1/agencies/{city}/versions").json()["items"]
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[0]["fields"]["phone"] is None and versions[1]["changed"] == ["phone"]
        assert versions[1]["fields"]["phone"] == "0561-3000000" and versions[1]["changed_by"]
        audit = events(city_auditor, action="agency.updated")
        assert [e["payload"]["changed"] for e in audit] == [{"phone": "0561-3000000"}]
        assert audit[0]["payload"]["previous"] == {"phone": None} and audit[0]["agency"] == city
        assert [e["payload"]["version"] for e in events(city_auditor, action="agency.created")] == [1]

        # The city sees itself and its counties; a county sees itself; other agencies see nothing of them.
        assert [p["code"] for p in city_auditor.get("/api/v1/agencies").json()["items"]] == sorted([city, county, second])
        assert city_admin.get(f"/api/v1/agencies/{county}").json()["parent"] == city
        assert_problem(city_admin.put(f"/api/v1/agencies/{county}", json=profile("改名", COUNTY_USCC, "340621")), 403, "agency-not-yours")
        assert [p["code"] for p in county_reviewer.get("/api/v1/agencies").json()["items"]] == [county]
        assert_problem(county_reviewer.get(f"/api/v1/agencies/{city}"), 404, "agency-not-found")
        assert_problem(county_reviewer.put(f"/api/v1/agencies/{county}", json=good), 403, "forbidden-role")
        for response in (
            stranger.get(f"/api/v1/agencies/{city}"),
            stranger.get(f"/api/v1/agencies/{city}/versions"),
            stranger.put(f"/api/v1/agencies/{city}", json=good),
        ):
            assert_problem(response, 404, "agency-not-found")
        assert stranger.get("/api/v1/agencies").json()["items"] == []
        assert_problem(stranger.get("/api/v1/agencies/NO-SUCH"), 404, "agency-not-found")

    # ?under= lists a city with its counties; a county alone; an unknown code is a 404.
    with leg.client() as anonymous:
        page = anonymous.get("/api/v1/public/agencies", params={"under": city, "limit": 2}).json()
        rest = anonymous.get("/api/v1/public/agencies", params={"under": city, "limit": 2, "cursor": page["next_cursor"]}).json()
        assert [p["code"] for p in page["items"] + rest["items"]] == sorted([city, county, second]) and rest["next_cursor"] is None
        assert "version" not in page["items"][0] and "updated_by" not in page["items"][0]
        assert [p["code"] for p in anonymous.get("/api/v1/public/agencies", params={"under": county}).json()["items"]] == [county]
        assert_problem(anonymous.get("/api/v1/public/agencies", params={"under": "NO-SUCH"}), 404, "agency-not-found")
        everyone = [p["code"] for p in anonymous.get("/api/v1/public/agencies", params={"limit": 500}).json()["items"]]
        assert {city, county, second} <= set(everyone)


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
