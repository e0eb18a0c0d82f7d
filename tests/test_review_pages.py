"""案卷评查 by people in Debian's Chromium on both legs: a reviewer scores the items a reviewer judges, signs, and
prints the sheet with every item, 评查人, 评查意见, 签名 and 日期 on A4; an admin reopens it."""

import re
import uuid

from playwright.sync_api import Page, expect

from .support import VIEWPORT
from .support.cases import decided_case
from .support.web import create_person, shots, sign_in

AGENCY = "REVP1"
A4_PRINTABLE_PX = 703  # 210 mm less the print stylesheet's 12 mm margins, at 96 px per inch


def test_a_reviewer_scores_signs_and_prints_the_review_sheet(leg, page: Page, browser, tmp_path):
    screenshots = leg.name == "sqlite-fs"
    suffix = uuid.uuid4().hex[:6]
    reviewer, admin = f"reviewer{suffix}", f"admin{suffix}"
    create_person(leg, reviewer, "reviewer", AGENCY, "钱评查")
    create_person(leg, admin, "admin", AGENCY, "孙管理")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case = decided_case(http, filed="2026-05-04", decided="2026-08-10")

    sign_in(page, leg.url, reviewer, target=f"/cases/{case.id}")
    expect(page.locator("h1")).to_contain_text(case.case["case_number"])
    # The reviewer's menu: only what a reviewer may open.
    expect(page.locator("header nav a")).to_have_text(["案件查询", "执法人员", "未关联音像", "统计"])
    form = page.locator("#review-form")
    expect(form).to_be_visible()
    expect(page.locator("#review tr.manual")).to_have_count(4)
    expect(page.locator("#review tr.manual").first).to_contain_text("待评定")

    # A deduction without its opinion: refused, in Chinese, nothing saved.
    page.fill("#lost_facts_evidence", "2")
    page.click("#review-form button[value=save]")
    expect(page.locator("#review .banner.bad")).to_have_text("“事实认定与证据”扣分须写明评查意见，未保存。")

    deductions = {
        "facts_evidence": ("2", "现场检查笔录未记录检查起止时间，证据链不完整。"),
        "law_discretion": ("0", ""),
        "document_quality": ("1.5", "处罚决定书说理不充分。"),
        "archiving": ("0", ""),
    }
    for code, (points, opinion) in deductions.items():
        page.fill(f"#lost_{code}", points)
        page.fill(f"textarea[name=opinion_{code}]", opinion)
    page.fill("#review-opinion", "案卷基本规范，证据和文书说理有待加强。")
    page.click("#review-form button[value=save]")
    expect(page.locator("#review .banner.good")).to_contain_text("评查内容已保存（第 1 版）")
    expect(page.locator("#review h2 .score")).to_contain_text("暂定")
    if screenshots:
        page.locator("#review").screenshot(path=str(shots() / "case-review-form.png"))
    page.click("#review-form button[value=sign]")
    expect(page.locator("#review .banner.good")).to_have_text("评查已签署。")
    expect(form).to_have_count(0)
    expect(page.locator("#sign-off .reviewer")).to_contain_text("钱评查")
    expect(page.locator("#sign-off .signature .signed-name")).to_have_text(
        re.compile(r"^钱评查 \(reviewer\w+\) 20\d\d-\d\d-\d\d \d\d:\d\d$")
    )
    expect(page.locator("#sign-off .signed-on")).to_have_text(re.compile(r"^20\d\d-\d\d-\d\d \d\d:\d\d$"))
    expect(page.locator("#sign-off .opinion")).to_have_text("案卷基本规范，证据和文书说理有待加强。")
    score = page.locator("#review h2 .score").inner_text()
    with leg.client(leg.token("auditor", AGENCY)) as http:
        review = http.get(f"/api/v1/cases/{case.id}/review").json()
    assert review["signed"] and review["manual_score"] == 26.5
    assert score.startswith(f"{review['score']:g} / 100")

    # The printed sheet: every item, automatic and manual, with 评查人、评查意见、签名、日期, on A4's width.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_PRINTABLE_PX, "height": 1000})
    expect(page.locator(".print-head")).to_be_visible()
    rows = page.locator("#review table.review-items tbody tr")
    expect(rows).to_have_count(10)
    expect(page.locator("#review tr[data-item=document_quality]")).to_contain_text("处罚决定书说理不充分。")
    expect(page.locator("#review tr[data-item=procedure]")).to_contain_text("自动评分")
    for label in ("评查意见", "评查人", "签名", "日期"):
        expect(page.locator("#sign-off dt", has_text=label)).to_be_visible()
    expect(page.locator("#sign-off")).to_be_visible()
    expect(page.locator("#review-reopen")).to_have_count(0)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the printed sheet is {overflow} px wider than A4"
    pdf = tmp_path / "review.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    if screenshots:
        page.screenshot(path=str(shots() / "case-review-print.png"), full_page=True)
        page.pdf(path=str(shots() / "case-review-print.pdf"), format="A4")
    page.emulate_media(media="screen")
    page.set_viewport_size(VIEWPORT)

    # An admin reopens it with a reason; the reviewer may change it again.
    context = browser.new_context(viewport=VIEWPORT)
    other = context.new_page()
    sign_in(other, leg.url, admin, target=f"/cases/{case.id}")
    expect(other.locator("header nav a")).to_have_text(
        ["案件查询", "执法人员", "窗口人员", "执法公示", "投诉处理", "双随机抽查", "设备管理", "未关联音像", "统计", "审计记录", "单位信息"]
    )
    other.fill("#review-reopen input[name=reason]", "裁量依据需复核")
    other.click("#review-reopen button")
    expect(other.locator("#review .banner.good")).to_contain_text("已退回重评")
    expect(other.locator("#review-form")).to_be_visible()
    context.close()
    page.reload()
    expect(page.locator("#review-form")).to_be_visible()
    expect(page.locator("#lost_document_quality")).to_have_value("1.5")
