"""The public side's services in Debian's Chromium, on both legs: the 窗口办事人员 公示 with photos and its printable
胸牌 and 公示牌 on A4, the 执法证 check, and a complaint filed through the form, answered by the staff and read back
by its reference number — no JavaScript needed for any of it."""

import io
import re
import uuid
from datetime import timedelta

from PIL import Image
from playwright.sync_api import Page, expect

from .support.clock import agency_today
from .support.publishing import with_profile
from .support.web import shots, wait_until

AGENCY = f"PS{uuid.uuid4().hex[:6].upper()}"
PEOPLE = ["王芳", "李明", "陈静", "赵雷", "钱多", "孙丽", "周强", "吴敏", "郑和"]  # nine: the badges take two A4 sheets


def _photo(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 320), (shade, 150, 120)).save(out, format="JPEG")
    return out.getvalue()


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


def test_window_staff_certificate_check_and_a_complaint_in_the_browser(leg, page: Page, tmp_path):
    screenshots = leg.name == "sqlite-fs"
    with_profile(leg, AGENCY)
    number = f"皖卫执{uuid.uuid4().hex[:8]}"
    with leg.client(leg.token("admin", AGENCY)) as admin:
        officer = {
            "officer_id": "3401001",
            "name": "张执法",
            "unit": "某县卫生健康委员会",
            "certificate_number": number,
            "categories": ["医疗卫生"],
            "valid_from": "2024-01-01",
            "valid_to": (agency_today() + timedelta(days=365)).isoformat(),
        }
        assert admin.post("/api/v1/officers", json=officer).status_code == 201
        ids = []
        for i, name in enumerate(PEOPLE):
            unit = "县政务服务中心卫生健康窗口" if i < 6 else "县政务服务中心医保窗口"
            made = admin.post(
                "/api/v1/window-staff",
                json={
                    "name": name,
                    "unit": unit,
                    "post": "窗口工作人员",
                    "window": f"{i + 1}号窗口",
                    "enforcement_kinds": ["license"],
                    "services": ["公共场所卫生许可"],
                },
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
            if i < 3:
                assert (
                    admin.put(f"/api/v1/window-staff/{ids[-1]}/photo", files={"file": ("p.jpg", _photo(60 * i), "image/jpeg")}).status_code
                    == 200
                )

    # The 公示: by unit, the photos load.
    page.goto(leg.url + f"/public/window-staff?agency={AGENCY}")
    expect(page.locator("h1")).to_have_text("窗口办事人员公示")
    expect(page.locator("section.window-unit h2")).to_have_count(2)
    expect(page.locator("table.window-staff tbody tr")).to_have_count(9)
    photos = page.locator("table.window-staff img")
    expect(photos).to_have_count(3)
    for i in range(3):
        expect(photos.nth(i)).to_be_visible()
    # Lazily loaded: each arrives once on screen (all three are), decoded at the size it was stored.
    wait_until(page, "[...document.querySelectorAll('table.window-staff img')].every(i => i.complete && i.naturalWidth === 240)")
    if screenshots:
        page.screenshot(path=str(shots() / "public-window-staff.png"), full_page=True)

    # 胸牌: a badge a person, 90 mm wide as printed, eight to an A4 sheet.
    page.click("text=打印胸牌")
    expect(page).to_have_url(re.compile(r"/public/window-staff/badges\?agency="))
    expect(page.locator("article.badge")).to_have_count(9)
    page.wait_for_load_state("load")  # its own stylesheet too: measured before it arrives, a badge is the window's width
    page.emulate_media(media="print")
    expect(page.locator(".sheet-head")).to_be_hidden()
    wait_until(page, "Math.abs(document.querySelector('article.badge').getBoundingClientRect().width - 90 / 25.4 * 96) < 2")
    width = page.locator("article.badge").first.bounding_box()["width"]
    assert abs(width - 90 / 25.4 * 96) < 2, width  # 90 mm at 96 px per inch
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and _pdf_pages(pdf) == 2
    if screenshots:
        (shots() / "public-window-staff-badges.pdf").write_bytes(pdf)
        page.screenshot(path=str(shots() / "public-window-staff-badges.png"), full_page=True)
    page.emulate_media(media="screen")
    # 公示牌: a sheet per unit.
    page.goto(leg.url + f"/public/window-staff/badges?agency={AGENCY}&layout=board")
    expect(page.locator("section.board")).to_have_count(2)
    page.emulate_media(media="print")
    assert _pdf_pages(page.pdf(format="A4", print_background=True)) == 2
    if screenshots:
        page.screenshot(path=str(shots() / "public-window-staff-board.png"), full_page=True)
    page.emulate_media(media="screen")

    # The certificate check: the standing, and nothing but the standing.
    page.goto(leg.url + "/public/officers/verify")
    page.fill("#verify-form input[name=certificate_number]", number)
    page.fill("#verify-form input[name=name]", "张执法")
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#verify-answer")).to_have_attribute("data-status", "valid")
    expect(page.locator("#verify-answer h2")).to_have_text("执法证有效")
    if screenshots:
        page.screenshot(path=str(shots() / "public-certificate-check.png"), full_page=True)
    page.fill("#verify-form input[name=name]", "张三")
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#verify-answer")).to_have_attribute("data-status", "unknown")
    expect(page.locator("#verify-answer")).not_to_contain_text("某县卫生健康委员会")

    # A complaint through the form; the reference number is all the filer needs.
    page.click("#verify-answer a:has-text('提出投诉')")
    expect(page.locator("#complaint-form")).to_be_visible()
    if page.locator("#complaint-form select[name=agency]").count():
        page.select_option("#complaint-form select[name=agency]", AGENCY)
    page.select_option("#complaint-form select[name=about]", "officer")
    page.fill("#complaint-form input[name=target]", f"张执法（{number}）")
    page.fill("#complaint-form textarea[name=text]", "检查时态度粗暴，未出示执法证。")
    page.fill("#complaint-form input[name=contact]", "13900001111")
    page.click("#complaint-form button[type=submit]")
    expect(page.locator("#complaint-filed")).to_be_visible()
    reference = page.locator("#complaint-reference").inner_text()
    assert re.fullmatch(r"TS-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{5}", reference), reference
    if screenshots:
        page.screenshot(path=str(shots() / "public-complaint-filed.png"), full_page=True)
    page.goto(leg.url + "/public/complaints")
    page.fill("#lookup-form input[name=reference]", reference.lower().replace("-", " "))
    page.click("#lookup-form button[type=submit]")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "received")
    expect(page.locator("main")).not_to_contain_text("13900001111")

    with leg.client(leg.token("admin", AGENCY)) as admin:
        found = admin.get("/api/v1/complaints", params={"reference": reference}).json()["items"]
        assert len(found) == 1 and found[0]["contact"] == "13900001111"
        replied = admin.post(f"/api/v1/complaints/{found[0]['id']}/reply", json={"text": "经核查属实，已责令该执法人员改正并通报批评。"})
        assert replied.status_code == 200
    page.reload()
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "replied")
    expect(page.locator("#complaint-reply")).to_contain_text("经核查属实")
    expect(page.locator("main")).not_to_contain_text("13900001111")
    if screenshots:
        page.screenshot(path=str(shots() / "public-complaint-replied.png"), full_page=True)
    with leg.client(leg.token("auditor", AGENCY)) as auditor:
        actions = [e["action"] for e in auditor.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]]
        assert {"complaint.filed", "complaint.replied", "window_staff.created", "window_staff.photo_set"} <= set(actions)
        counted = auditor.get("/api/v1/stats/complaints").json()  # the statistics' stored figures, on either database
        officer_row = next(row for row in counted["rows"] if row["about"] == "officer")
        assert (officer_row["filed"], officer_row["replied_on_time"], officer_row["open"]) == (1, 1, 0), counted
