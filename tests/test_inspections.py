"""双随机 on both legs, through the real CLI, server and Chromium: the 名录库 imported by `subjects import` (a GBK CSV;
a bad sheet refused with its rows' problems in Chinese and nothing imported), a plan drawn with a public value,
`draws verify` answering 0 for the stored draw and 1 naming the difference once the pool's snapshot is tampered with in
the database, a result recorded and published through the pages, and the public pages of the draw and the results."""

import json
import re
import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from recording_service.core.db import sync_url

from .support.audit import cli_json
from .support.clock import agency_today
from .support.inspections import csv_sheet, officer, plan_body, recompute, register, subject_rows
from .support.publishing import with_profile
from .support.web import create_person, shots, sign_in


def test_subjects_import_draw_verify_and_the_public_pages(leg, page: Page, tmp_path):
    agency = f"DR{uuid.uuid4().hex[:6].upper()}"
    with_profile(leg, agency)

    sheet = tmp_path / "名录库.csv"
    sheet.write_bytes(csv_sheet(subject_rows(20), encoding="gbk"))
    imported = leg.service.cli("subjects", "import", str(sheet), "--agency", agency, check=False)
    assert imported.returncode == 0, imported.stderr
    report = cli_json(imported)
    assert (report["version"], report["rows"], report["added"]) == (1, 20, 20) and len(report["sha256"]) == 64

    bad = tmp_path / "坏表.csv"
    rows = subject_rows(3, start=30)
    rows[1][0] = "91340621000000031X"  # a wrong check character
    bad.write_bytes(csv_sheet(rows, encoding="gbk"))
    refused = leg.service.cli("subjects", "import", str(bad), "--agency", agency, check=False)
    assert refused.returncode == 1 and "第 3 行 统一社会信用代码" in refused.stderr and "nothing was imported" in refused.stderr

    with leg.client(leg.token("admin", agency)) as admin, leg.client(leg.token("case_system", agency)) as system:
        assert [v["version"] for v in admin.get("/api/v1/subjects/versions").json()] == [1]
        register(admin, officer("3900001", "赵检查"), officer("3900002", "钱检查"), officer("3900003", "孙检查"))
        plan = admin.post("/api/v1/inspection-plans", json=plan_body(count=None, ratio=15)).json()
        made = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"seed": "福彩3D 2026333期 开奖号码 5 1 8"})
        assert made.status_code == 201, made.text
        draw = made.json()
        assert draw["pool_size"] == 20 and draw["wanted"] == 3
        pool = admin.get(f"/api/v1/draws/{draw['id']}/pool").text
        assert recompute(draw, pool) == [(t["uscc"], t["inspectors"]) for t in draw["tasks"]]
        done = system.post(
            f"/api/v1/inspection-tasks/{draw['tasks'][0]['id']}/result",
            json={"checked_on": agency_today().isoformat(), "result": "no_problem", "note": "现场检查未发现问题"},
        )
        assert done.status_code == 200, done.text

    verified = leg.service.cli("draws", "verify", draw["id"], check=False)
    assert verified.returncode == 0, verified.stderr
    answer = json.loads(verified.stdout)
    assert answer["ok"] is True and answer["algorithm"] == "rs-draw-v1" and answer["differences"] == []
    assert set(answer["checks"]) >= {"commitment", "seed", "pool_sha256", "pool_size", "drawn", "tasks"}

    # Tamper with the stored pool behind the service's back: one subject's name changed in the snapshot.
    engine = create_engine(sync_url(leg.service.env["RECORDING_DATABASE_URL"]))
    tampered = pool.replace(draw["tasks"][0]["subject_name"], "濉溪县某某替换诊所")
    assert tampered != pool
    with engine.begin() as db:
        db.execute(text("UPDATE inspection_draws SET pool_snapshot = :s WHERE id = :id"), {"s": tampered, "id": draw["id"]})
    broken = leg.service.cli("draws", "verify", draw["id"], check=False)
    assert broken.returncode == 1, broken.stdout
    verdict = json.loads(broken.stdout)
    assert verdict["ok"] is False and verdict["checks"]["pool_sha256"] is False
    assert "SHA-256" in broken.stderr and draw["pool_sha256"] in broken.stderr
    with leg.client() as anonymous:  # (not in the browser: readers may keep a public page a minute)
        assert anonymous.get(f"/api/v1/public/draws/{draw['id']}").json()["verified"] is False
        assert "复核不一致" in anonymous.get(f"/public/draws/{draw['id']}").text
    with engine.begin() as db:
        db.execute(text("UPDATE inspection_draws SET pool_snapshot = :s WHERE id = :id"), {"s": pool, "id": draw["id"]})
    engine.dispose()
    assert leg.service.cli("draws", "verify", draw["id"], check=False).returncode == 0
    assert leg.service.cli("draws", "verify", uuid.uuid4().hex, check=False).returncode == 2  # no such draw

    # The public draw page: what anyone needs to check the draw, in Chinese, without a sign-in.
    page.goto(f"{leg.url}/public/draws/{draw['id']}")
    expect(page.locator("#verified")).to_contain_text("复核一致")
    expect(page.locator("#commitment")).to_have_text(draw["commitment"])
    expect(page.locator("#seed")).to_have_text(draw["seed"])
    expect(page.locator("#pool-sha256")).to_have_text(draw["pool_sha256"])
    expect(page.locator("#pool-size")).to_have_text("20")
    expect(page.locator("#drawn tbody tr")).to_have_count(3)
    expect(page.locator("#drawn")).to_contain_text(draw["tasks"][0]["uscc"])
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "public-draw.png"), full_page=True)

    # An administrator publishes the recorded result and records and publishes another through the plan's page.
    admin_name = f"sj{uuid.uuid4().hex[:6]}"
    create_person(leg, admin_name, "admin", agency, "抽查管理员")
    sign_in(page, leg.url, admin_name, target=f"/inspections/plans/{plan['id']}")
    expect(page.locator("#commitment")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.locator("#tasks")).to_contain_text(draw["tasks"][0]["number"])
    first = page.locator(f"form[action='/inspections/tasks/{draw['tasks'][0]['id']}/publish']")
    first.locator("button").click()
    expect(page.locator(".banner.good")).to_contain_text("检查结果已公示")
    second = page.locator(f"form[action='/inspections/tasks/{draw['tasks'][1]['id']}/result']")
    second.locator("select[name=result]").select_option("rectify_ordered")
    second.locator("input[name=note]").fill("消毒记录不全，已责令整改")
    second.locator("button").click()
    expect(page.locator(".banner.good")).to_contain_text("检查结果已登记")
    page.locator(f"form[action='/inspections/tasks/{draw['tasks'][1]['id']}/publish'] button").click()
    expect(page.locator(".banner.good")).to_contain_text("检查结果已公示")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "inspection-plan.png"), full_page=True)
    page.goto(f"{leg.url}/inspections")
    expect(page.locator("#plans")).to_contain_text(plan["number"])
    expect(page.locator("#inspection-figures")).to_contain_text("已公示 2 项")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "inspections.png"), full_page=True)
        page.goto(f"{leg.url}/inspections/subjects")
        expect(page.locator("#versions tbody tr")).to_have_count(1)
        page.screenshot(path=str(shots() / "inspection-subjects.png"), full_page=True)

    page.context.clear_cookies()
    page.goto(f"{leg.url}/public/inspection-results?agency={agency}")
    rows = page.locator("#inspection-results tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#inspection-results thead")).to_have_text(
        re.compile("计划编号.*计划名称.*任务编号.*抽查类型.*检查机关.*市场主体名称.*统一社会信用代码.*检查完成日期.*检查结果.*备注")
    )
    expect(page.locator("#inspection-results")).to_contain_text("消毒记录不全，已责令整改")
    expect(page.locator("#inspection-results")).to_contain_text("濉溪县卫生健康委员会")
    expect(page.locator("#inspection-results")).to_contain_text("不定向抽查")
    page.select_option("select[name=matter]", "public-place-spot-check")
    page.click("#result-search button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("暂无公示的抽查结果")
    if leg.name == "sqlite-fs":
        page.goto(f"{leg.url}/public/inspection-results?agency={agency}")
        page.screenshot(path=str(shots() / "public-inspection-results.png"), full_page=True)
