"""The published lists (行政执法事项清单 with 服务指南, 随机抽查事项清单) and the procedure flowcharts, on both
legs: served without a token, every version kept, drawn from the very stage rules the service enforces."""

import uuid

from .support.api import assert_problem
from .support.catalog import catalog_copy
from .support.pages import svg_texts
from .support.servers import ServiceProcess


def test_lists_and_flowcharts_are_public_and_say_what_the_catalog_enforces(leg):
    with leg.client() as anonymous:
        matters = anonymous.get("/api/v1/public/matters")
        assert matters.status_code == 200, matters.text
        assert matters.headers["cache-control"] == "public, max-age=60"
        body = matters.json()
        assert body["version"] == "2026-2" and body["effective_from"] == "2026-12-01" and len(body["sha256"]) == 64
        assert [v["seq"] for v in body["versions"]] == [body["seq"]]
        by_code = {m["code"]: m for m in body["items"]}
        unlicensed = by_code["unlicensed-medical-practice-penalty"]
        assert unlicensed["category"] == "penalty" and unlicensed["category_zh"] == "行政处罚"
        assert unlicensed["handling_unit"] and unlicensed["time_limit_zh"] and unlicensed["legal_basis"]
        assert [d["level_zh"] for d in unlicensed["discretion"]] == ["较轻", "一般", "严重"]
        assert unlicensed["guide"]["remedy"].startswith("对处罚决定不服") and unlicensed["guide"]["rights"]
        assert unlicensed["flowchart_url"] == "/api/v1/public/procedures/penalty-general/flowchart.svg"
        assert {m["category"] for m in body["items"]} == {"license", "penalty", "coercion", "inspection", "levy", "confirmation"}

        inspection = anonymous.get("/api/v1/public/inspection-matters").json()
        first = inspection["items"][0]
        assert set(first) >= {"subject", "name_zh", "basis", "object", "content", "method", "ratio_percent", "frequency"}
        assert 0 < first["ratio_percent"] <= 100

        procedures = anonymous.get("/api/v1/public/procedures").json()
        assert {p["code"]: p["kind"] for p in procedures} == {
            "penalty-general": "penalty",
            "penalty-simple": "penalty",
            "inspection-routine": "inspection",
            "coercion-seizure": "coercion",
            "license": "license",
            "levy": "levy",
            "confirmation-medical-incident": "confirmation",
        }

        # The flowchart names each stage, each required document and each time limit the service checks there.
        with leg.client(leg.token("auditor")) as auditor:
            catalog = auditor.get("/api/v1/procedures/penalty-general").json()
            documents = {d["code"]: d["name_zh"] for d in auditor.get("/api/v1/document-types").json()["items"]}
            limits = auditor.get("/api/v1/time-limits").json()["items"]
        chart = anonymous.get("/api/v1/public/procedures/penalty-general/flowchart.svg")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        assert "default-src 'none'" in chart.headers["content-security-policy"]
        drawn = "".join(svg_texts(chart.content))
        for stage in catalog["stages"]:
            assert f"{stage['order']}. {stage['name_zh']}" in drawn
            for requirement in stage["documents"]:
                assert all(documents[code] in drawn for code in requirement["one_of"])
        for rule in limits:
            if "penalty-general" in rule["procedures"]:
                assert rule["name_zh"][:12] in drawn.replace("时限 · ", ""), rule["code"]
        assert drawn.count("（可选）") == 2 and "音像记录：留置送达或公告送达时必须" in drawn
        seizure = "".join(svg_texts(anonymous.get("/api/v1/public/procedures/coercion-seizure/flowchart.svg").content))
        assert "音像记录：全程不间断，中断须说明理由" in seizure

        assert_problem(anonymous.get("/api/v1/public/procedures/penalty-unknown/flowchart.svg"), 404, "procedure-not-found")
        assert_problem(anonymous.get("/api/v1/public/matters", params={"version": 999}), 404, "list-version-not-found")
        assert anonymous.get("/api/v1/public/matters", params={"version": "x"}).status_code == 422
        for path in (
            "/public/matters",
            "/public/matters/medical-waste-penalty",
            "/public/inspection-matters",
            "/public/procedures",
            "/public/procedures/license",
        ):
            page = anonymous.get(path)
            assert (
                page.status_code == 200 and "<svg" in page.text if "procedures/" in path or "matters/" in path else page.status_code == 200
            )
        assert anonymous.get("/public/matters/no-such-matter").status_code == 404
        assert "没有" in anonymous.get("/public/matters/no-such-matter").text


def test_an_edited_list_is_a_new_version_and_the_old_one_stays_readable(tmp_path, leg):
    """The agency edits its files; what was published before stays readable, and the flowchart follows the
    procedure as the service now enforces it."""
    with leg.client() as anonymous:
        before = anonymous.get("/api/v1/public/matters").json()
    directory = catalog_copy(tmp_path)
    matters = directory / "matters.yaml"
    marker = f"测试新增事项{uuid.uuid4().hex[:6]}"
    text = (
        matters.read_text(encoding="utf-8")
        .replace('version: "2026-2"', 'version: "2026-3"')
        .replace("note: 增加行政征收、行政确认事项各一项", f"note: 新增{marker}。增加行政征收、行政确认事项各一项")
    )
    text = text.replace(
        "  - code: medical-waste-penalty\n",
        f"""  - code: added-matter
    category: inspection
    name_zh: {marker}
    name_en: Added matter
    legal_basis: [《医疗机构管理条例》第三十九条]
    handling_unit: 县卫生健康综合监督执法大队
    time_limit_zh: 按计划
    procedure: inspection-routine
    guide: {{applies_to: 医疗机构, place: 被检查单位, contact: 0561-0000001, remedy: 依法申请行政复议或者提起行政诉讼。}}
  - code: medical-waste-penalty
""",
    )
    matters.write_text(text, encoding="utf-8")
    procedures = directory / "procedures.yaml"
    procedures.write_text(
        procedures.read_text(encoding="utf-8").replace(
            "{code: closing, order: 3, name_zh: 结束,", "{code: closing, order: 3, name_zh: 检查结束,"
        ),
        encoding="utf-8",
    )
    custom = ServiceProcess({**leg.service.env, "RECORDING_CATALOG_DIR": str(directory)}, tmp_path).start()
    try:
        with leg.client() as anonymous:
            anonymous.base_url = custom.base_url
            now = anonymous.get("/api/v1/public/matters").json()
            assert now["version"] == "2026-3" and now["seq"] == before["seq"] + 1 and now["note"].startswith(f"新增{marker}。")
            assert marker in [m["name_zh"] for m in now["items"]]
            assert [v["version"] for v in now["versions"]][:2] == ["2026-3", "2026-2"]
            again = anonymous.get("/api/v1/public/matters").json()
            assert again["seq"] == now["seq"]  # served again: the same version, not a new one
            old = anonymous.get("/api/v1/public/matters", params={"version": before["seq"]}).json()
            assert old["sha256"] == before["sha256"] and marker not in [m["name_zh"] for m in old["items"]]
            page = anonymous.get("/public/matters", params={"version": before["seq"]}).text
            assert "您正在查看历史版本" in page and marker not in page.split("<table")[1]  # the old table, the new note listed above
            chart = "".join(svg_texts(anonymous.get("/api/v1/public/procedures/inspection-routine/flowchart.svg").content))
            assert "3. 检查结束" in chart
        with leg.client(leg.token("admin", "*")) as admin:
            admin.base_url = custom.base_url
            events = admin.get("/api/v1/audit/events", params={"action": "list.version_recorded", "limit": 500}).json()["items"]
            recorded = [e["payload"] for e in events if e["payload"]["list"] == "matters"]
            assert {p["version"] for p in recorded} >= {"2026-2", "2026-3"}
            assert admin.get("/api/v1/audit/verify").json()["ok"] is True
    finally:
        custom.stop()


def test_public_lists_and_the_case_flowchart_in_the_browser(leg, page):
    from playwright.sync_api import expect

    from .support.cases import decided_case
    from .support.web import create_person, shots, sign_in

    page.goto(leg.url + "/public/matters")
    expect(page.locator("h1")).to_have_text("行政执法事项清单")
    expect(page.locator("table.matters tbody tr")).to_have_count(9)
    page.click(".tabs a:has-text('行政许可')")
    expect(page.locator("table.matters tbody tr")).to_have_count(2)
    page.click(".tabs a:has-text('行政确认')")
    expect(page.locator("table.matters tbody tr")).to_have_count(1)
    expect(page.locator("table.matters")).to_contain_text("医疗事故争议")
    if leg.name == "sqlite-fs":
        page.click(".tabs a:has-text('全部')")
        page.screenshot(path=str(shots() / "public-matters.png"), full_page=True)
    page.goto(leg.url + "/public/matters/unlicensed-medical-practice-penalty")
    expect(page.locator("h1")).to_contain_text("擅自执业")
    chart = page.locator(".flowchart-box svg")
    expect(chart.locator("g.stage")).to_have_count(10)
    box = chart.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 900  # drawn, not an empty element
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "public-service-guide.png"), full_page=True)
    page.goto(leg.url + "/public/inspection-matters")
    expect(page.locator("table.inspection-matters tbody tr")).to_have_count(4)
    expect(page.locator("table.inspection-matters")).to_contain_text("5%")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "public-inspection-matters.png"), full_page=True)

    agency = f"FLOW{uuid.uuid4().hex[:4].upper()}"
    with leg.client(leg.token("case_system", agency)) as http:
        case = decided_case(http)
    reviewer = f"rev{uuid.uuid4().hex[:6]}"
    create_person(leg, reviewer, "reviewer", agency, "评查员")
    page.context.clear_cookies()
    sign_in(page, leg.url, reviewer, target=f"/cases/{case.id}")
    page.click("#flowchart summary")
    stages = page.locator("#flowchart g.stage")
    expect(stages).to_have_count(10)
    expect(page.locator("#flowchart g.stage[data-stage=decision]")).to_have_attribute("data-status", "closed")
    expect(page.locator("#flowchart g.stage[data-stage=hearing]")).to_have_attribute("data-status", "skipped")
    expect(page.locator("#flowchart g.stage[data-stage=service]")).not_to_have_attribute("data-status", "closed")
    if leg.name == "sqlite-fs":
        page.locator("#flowchart").screenshot(path=str(shots() / "case-flowchart.png"))
