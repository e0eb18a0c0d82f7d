"""Phones and accessibility (issue 25): every public page and the staff pages of each role in Debian's Chromium —
no horizontal scrolling of the page at 320 and 390 px, axe-core finds nothing serious or critical, the keyboard
reaches the search and shows where it is, the 适老化 mode (large text, high contrast) stays on from page to page
without JavaScript, and the public lists filter by 类别, 年份 and 机关 and go page by page."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from .support import SUMMARY_SECTIONS, VIEWPORT
from .support.a11y import EVERY, PHONES, SERIOUS, axe_violations, overflow, tab_to
from .support.agencies import OTHER_COUNTY_USCC
from .support.api import TUS, metadata_header, patch
from .support.cases import DAY, CaseWalk
from .support.media import upload_bytes
from .support.officers import import_csv
from .support.publishing import decided, draft, published, with_profile
from .support.web import PASSWORD, create_person, shots, sign_in

AGENCY = f"AX{uuid.uuid4().hex[:4].upper()}"
OTHER = f"AY{uuid.uuid4().hex[:4].upper()}"
ROLES = ("admin", "auditor", "reviewer")


@pytest.fixture(scope="module")
def a11y_world(leg, clips):
    """Two agencies with profiles; one with 60 officers, a case with footage and documents, publications decided
    in two years, one approved draft and one decision not drafted yet: something on every page."""
    suffix = uuid.uuid4().hex[:6]
    people = {role: f"a11y{role}{suffix}" for role in ROLES}
    for role, name in (("admin", "周管理"), ("auditor", "吴监督"), ("reviewer", "郑评查")):
        create_person(leg, people[role], role, AGENCY, name)
    with_profile(leg, AGENCY, name="濉溪县卫生健康委员会")
    with_profile(leg, OTHER, name="相山区卫生健康委员会", uscc=OTHER_COUNTY_USCC)
    with leg.client(leg.token("admin", AGENCY)) as admin:
        rows = [
            f"{3500000 + i},{'赵钱孙李周吴郑王'[i % 8]}执法{i},某县卫生健康综合监督执法局,皖卫执{3500000 + i},"
            f"{'医疗卫生' if i % 2 else '公共卫生'},某县,2024-01-01,2030-12-31,有效\n"
            for i in range(60)
        ]
        import_csv(admin, rows)
    with leg.client(leg.token("admin", OTHER)) as other:
        import_csv(other, ["3600001,冯执法,相山区卫生监督所,皖卫执3600001,医疗卫生,相山区,2024-01-01,2030-12-31,有效\n"])
    with leg.client(leg.token("dock", AGENCY)) as dock:
        recorded_at = f"{DAY}T09:10:00+08:00"
        clip = clips("a11y-1.mp4", seconds=3, size="320x180", creation_time=recorded_at)
        media_id = upload_bytes(
            dock, clip.read_bytes(), device_id="CAM7", officer_ids="3500001", recorded_at=recorded_at, filename="a11y-1.mp4", flag="event"
        )
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "coercion-seizure")
        walk.stage("approval", "08:30", "08:50")
        walk.stage("implementation", "09:05", "10:00", media=[(media_id, "现场检查开始")])
        case_id = walk.case["id"]
    with leg.client(leg.token("admin", AGENCY)) as admin, leg.client(leg.token("auditor", AGENCY)) as auditor:
        publications = [published(admin, auditor) for _ in range(2)]
        old_case, old_document = decided(admin, decided_on="2025-06-10")
        old = draft(admin, old_case, old_document, severity="serious", period_months=36).json()["id"]  # public until 2028
        assert (
            admin.post(
                f"/api/v1/publications/{old}/notice", json={"method": "in_decision", "notified_at": "2025-06-10T10:00:00+08:00"}
            ).status_code
            == 200
        )
        assert auditor.post(f"/api/v1/publications/{old}/approve").status_code == 200
        assert admin.post(f"/api/v1/publications/{old}/publish").status_code == 200
        undrafted, undrafted_document = decided(admin)
        case, document = decided(admin)
        approved = draft(admin, case, document).json()["id"]
        assert auditor.post(f"/api/v1/publications/{approved}/approve").status_code == 200
        drafted_case, drafted_document = decided(admin)
        drafted = draft(admin, drafted_case, drafted_document).json()["id"]
    with leg.client(leg.token("admin", OTHER)) as admin, leg.client(leg.token("auditor", OTHER)) as auditor:
        other_publication = published(admin, auditor)
    with leg.client(leg.token("dock", AGENCY)) as dock:  # issue 29: footage still being recorded, bound to a stage
        created = dock.post(
            "/api/v1/uploads",
            headers={**TUS, "Upload-Defer-Length": "1", "Upload-Metadata": metadata_header(filename="a11y-live.mp4", device_id="CAM8")},
        )
        assert created.status_code == 201, created.text
        assert patch(dock, created.headers["Location"], 0, clip.read_bytes()[: 64 * 1024]).status_code == 204
        recording = dock.get(created.headers["Location"]).json()["media_id"]
    with leg.client(leg.token("case_system", AGENCY)) as http:
        live_walk = CaseWalk(http, "penalty-simple")
        live_walk.stage("onsite", "09:00", docs=["onsite_penalty_decision"], media=[(recording, "边录边传")])
    with leg.client(leg.token("admin", AGENCY)) as admin:  # a device with a history (issue 27: devices)
        admin.post("/api/v1/devices", json={"serial": "A11YCAM1", "kind": "camera", "model": "DSJ-V9", "unit": "卫生监督所"})
        admin.patch("/api/v1/devices/A11YCAM1", json={"note": "备用机", "reason": "登记用途"})
    return {
        "people": people,
        "case": case_id,
        "media": media_id,
        "recording": recording,
        "recording_case": live_walk.case["id"],
        "publications": publications,
        "old_publication": old,
        "other_publication": other_publication,
        "approved": approved,
        "drafted": drafted,
        "decided_case": case.id,
        "undrafted": (undrafted.id, undrafted_document["id"]),
    }


def public_pages(world) -> list[str]:
    return [
        "/public/publications",
        f"/public/publications?agency={AGENCY}&year=2026",
        f"/public/publications/{world['publications'][0]}",
        "/public/officers",
        f"/public/officers?agency={AGENCY}",
        "/public/matters",
        "/public/matters/unlicensed-medical-practice-penalty",
        f"/public/matters/unlicensed-medical-practice-penalty?agency={AGENCY}",
        "/public/inspection-matters",
        "/public/procedures",
        "/public/procedures/penalty-general",
        "/public/procedures/coercion-seizure",
        "/login",
        "/public/publications/doesnotexist",  # the 404 page
    ]


def staff_pages(world, role: str) -> list[str]:
    case_id, document_id = world["undrafted"]
    pages = [
        "/cases",
        f"/cases/{world['case']}",
        f"/cases/{world['decided_case']}",
        f"/footage/{world['media']}",
        "/officers",
        "/officers/3500001",
        "/stats",
        "/stats/annual-report",
        "/cases/doesnotexist",
        "/unlinked",  # issue 27: 未关联音像
        "/unlinked?expiring=true",
        f"/media/{world['media']}/live",  # issue 29: 实时查看 (a recording that is not fragmented: why it cannot be shown live)
        f"/cases/{world['recording_case']}",  # issue 29: a stage whose footage is still being recorded (录制中)
        f"/footage/{world['recording']}",
    ]
    if role in ("admin", "auditor"):
        pages += [
            "/publications",
            f"/publications/{world['approved']}",
            f"/publications/{world['drafted']}/preview",
            "/publications/export",
            "/audit",
            f"/cases/{world['case']}/audit",
            f"/footage/{world['media']}/audit",
            "/devices",
            "/devices/A11YCAM1",
        ]
    if role == "admin":
        pages += [
            f"/publications/{world['drafted']}/edit",
            f"/publications/new?case_id={case_id}&document_id={document_id}",
            "/agencies",
            f"/agencies/{AGENCY}",
        ]
    return pages


def report(request, title: str, lines: list[str]) -> None:
    request.config.stash.setdefault(SUMMARY_SECTIONS, []).append((title, "\n".join(lines)))


# The pages kept as pictures at 390 px (docs/pages.md shows them): their first screen.
PICTURED = {
    "/public/publications": "publications",
    "/public/officers": "officers",
    "/public/matters/unlicensed-medical-practice-penalty": "service-guide",
    "/public/inspection-matters": "inspection-matters",
    "/public/procedures/penalty-general": "flowchart",
    "/cases": "cases",
}


def check_pages(page: Page, base: str, paths: list[str], prefix: str = "", pictured: dict = PICTURED) -> tuple[dict, dict, list[str]]:
    """axe at 1366 px and at 390 px, and the page's width at 1366 px and each phone width: (violations by page, overflow
    by page, figures). With a prefix, the pages in PICTURED are kept as pictures at 390 px."""
    violations, overflows, figures = {}, {}, []
    for path in paths:
        page.set_viewport_size(VIEWPORT)
        page.goto(base + path)
        every = axe_violations(page, EVERY)
        wide = {}
        if too_wide := overflow(page):
            wide[VIEWPORT["width"]] = too_wide
        for width in PHONES:
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(250)  # app.js makes the tables that now scroll reachable by the keyboard
            too_wide = overflow(page)
            if too_wide:
                wide[width] = too_wide
        seen = {v["id"] for v in every}
        every += [v for v in axe_violations(page, EVERY) if v["id"] not in seen]  # at the last phone width
        found = [v for v in every if v["impact"] in SERIOUS]
        lesser = [f"{v['id']}({v['impact']})×{len(v['nodes'])}" for v in every if v["impact"] not in SERIOUS]
        if prefix and path in pictured:
            page.screenshot(path=str(shots() / f"{prefix}-{pictured[path]}.png"))
        if found:
            violations[path] = found
        if wide:
            overflows[path] = wide
        figures.append(
            f"{path}: axe serious/critical {sum(len(v['nodes']) for v in found)} in {len(found)} rules {[v['id'] for v in found]}"
            + (f" (lesser: {', '.join(lesser)})" if lesser else "")
            + "; "
            + "; ".join(f"{w}px → {wide[w]['scrollWidth'] if w in wide else 'fits'}" for w in PHONES)
        )
    page.set_viewport_size(VIEWPORT)
    return violations, overflows, figures


def test_public_pages_fit_phones_and_axe_finds_nothing_serious(leg, page: Page, a11y_world, request):
    violations, overflows, figures = check_pages(page, leg.url, public_pages(a11y_world), "phone" if leg.name == "sqlite-fs" else "")
    report(request, f"accessibility of the public pages ({leg.name})", figures)
    assert not violations, violations
    assert not overflows, overflows


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_fit_phones_and_axe_finds_nothing_serious(leg, page: Page, a11y_world, role, request):
    sign_in(page, leg.url, a11y_world["people"][role], PASSWORD)
    page.wait_for_url(re.compile(r"/cases"))
    violations, overflows, figures = check_pages(
        page, leg.url, staff_pages(a11y_world, role), "phone" if leg.name == "sqlite-fs" and role == "auditor" else ""
    )
    report(request, f"accessibility of the {role}'s pages ({leg.name})", figures)
    assert not violations, violations
    assert not overflows, overflows


def test_the_keyboard_reaches_the_search_and_shows_where_it_is(leg, page: Page, a11y_world):
    page.goto(leg.url + "/public/publications")
    first = tab_to(page, lambda f: True)  # the first stop: the skip link, shown when it has the focus
    assert first["href"] == "#main" and first["focusVisible"] and first["shown"], first
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # moved into view
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    search = tab_to(page, lambda f: f["name"] == "q")
    assert search["focusVisible"] and search["shown"], search
    page.keyboard.type("张三")
    query = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "查询")
    assert query["shown"], query
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=%E5%BC%A0%E4%B8%89"))
    expect(page.locator("table.publications tbody tr").first).to_contain_text("张三")
    toggle = tab_to(page, lambda f: f["text"] == "适老化")
    assert toggle["shown"], toggle
    page.keyboard.press("Enter")  # a button: Enter and the space bar both press it
    expect(page.locator("html")).to_have_class("large-text")
    page.keyboard.press(" ")
    expect(page.locator("html")).not_to_have_class("large-text")

    sign_in(page, leg.url, a11y_world["people"]["auditor"], PASSWORD)
    page.wait_for_url(re.compile(r"/cases"))
    search = tab_to(page, lambda f: f["name"] == "q")
    assert search["focusVisible"] and search["shown"], search
    link = tab_to(page, lambda f: re.fullmatch(r"/cases/[0-9a-f]{32}", f["href"] or "") is not None)  # the list's first case
    assert link["shown"], link
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/[0-9a-f]{32}"))


def test_the_large_text_mode_stays_on_from_page_to_page_and_needs_no_script(leg, page: Page, browser, a11y_world, request):
    page.goto(leg.url + "/public/officers")
    normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main td')).fontSize)")
    toggle = page.locator("a.display-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("html")).to_have_class("large-text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    large = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main td')).fontSize)")
    assert large >= normal * 1.25, (normal, large)
    for path in ("/public/publications", "/public/matters", f"/public/publications/{a11y_world['publications'][0]}"):
        page.goto(leg.url + path)  # drawn by the service from the cookie, before any script runs
        expect(page.locator("html")).to_have_class("large-text")
        expect(page.locator("a.display-toggle")).to_have_attribute("aria-pressed", "true")
        ink = page.evaluate("getComputedStyle(document.querySelector('main h1')).color")
        assert ink == "rgb(0, 0, 0)", ink  # black on white
    # In the large reading too: nothing serious for axe, no sideways scrolling on a phone.
    violations, overflows, figures = check_pages(
        page,
        leg.url,
        public_pages(a11y_world),
        "phone-large" if leg.name == "sqlite-fs" else "",
        {"/public/inspection-matters": "inspection-matters"},
    )
    report(request, f"accessibility of the public pages in the 适老化 reading ({leg.name})", figures)
    assert not violations, violations
    assert not overflows, overflows
    sign_in(page, leg.url, a11y_world["people"]["admin"], PASSWORD)  # the staff's pages, every one the admin opens
    page.wait_for_url(re.compile(r"/cases"))
    expect(page.locator("html")).to_have_class("large-text")
    violations, overflows, figures = check_pages(page, leg.url, staff_pages(a11y_world, "admin"))
    report(request, f"accessibility of the admin's pages in the 适老化 reading ({leg.name})", figures)
    assert not violations, violations
    assert not overflows, overflows
    page.locator("a.display-toggle").click()
    expect(page.locator("html")).not_to_have_class("large-text")
    page.reload()
    expect(page.locator("html")).not_to_have_class("large-text")

    # Without JavaScript: the button is a link; the service sets the cookie and sends the reader back.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800}, locale="zh-CN")
    try:
        plain = context.new_page()
        plain.goto(leg.url + "/public/matters?category=license")
        plain.locator("a.display-toggle").click()
        plain.wait_for_url(re.compile(r"/public/matters\?category=license$"))
        expect(plain.locator("html")).to_have_class("large-text")
        expect(plain.locator("table.matters tbody tr")).to_have_count(2)  # the page still reads: the cards
        plain.goto(leg.url + "/public/officers")
        expect(plain.locator("html")).to_have_class("large-text")
        plain.locator("a.display-toggle").click()
        expect(plain.locator("html")).not_to_have_class("large-text")
    finally:
        context.close()


def rows(page: Page, table: str) -> list[str]:
    return page.locator(f"table.{table} tbody tr").all_inner_texts()


def test_the_public_lists_filter_by_kind_year_and_agency_and_go_page_by_page(leg, page: Page, a11y_world):
    world = a11y_world
    page.goto(leg.url + "/public/publications")
    form = page.locator("form.public-search")
    form.locator("select[name=agency]").select_option(AGENCY)
    form.locator("select[name=year]").select_option("2025")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"year=2025"))
    expect(page.locator("table.publications tbody tr")).to_have_count(1)
    expect(page.locator("table.publications")).to_contain_text("2025-06-10")
    expect(page.locator(".pager")).to_contain_text("共 1 条")
    page.locator("form.public-search select[name=year]").select_option("2026")
    page.locator("form.public-search button[type=submit]").click()
    page.wait_for_url(re.compile(r"year=2026"))
    expect(page.locator("table.publications tbody tr")).to_have_count(2)
    page.locator("form.public-search select[name=kind]").select_option("license")
    page.locator("form.public-search button[type=submit]").click()
    expect(page.locator("table.publications tbody")).to_contain_text("没有符合条件的公示信息")
    page.goto(leg.url + f"/public/publications?agency={OTHER}")
    expect(page.locator("table.publications tbody tr")).to_have_count(1)
    expect(page.locator("table.publications")).to_contain_text("相山区卫生健康委员会")

    # Page by page: 共N条, 第p/P页, 上一页 and 下一页, the filters kept.
    page.goto(leg.url + f"/public/publications?agency={AGENCY}&limit=2")
    expect(page.locator(".pager")).to_contain_text("共 3 条，第 1 / 2 页")
    first = rows(page, "publications")
    assert len(first) == 2
    expect(page.locator(".pager a[rel=prev]")).to_have_count(0)
    page.locator(".pager a[rel=next]").click()
    expect(page.locator(".pager")).to_contain_text("第 2 / 2 页")
    second = rows(page, "publications")
    assert len(second) == 1 and second[0] not in first
    assert "2025-06-10" in first[0]  # newest published first: the 2025 decision was published last
    expect(page.locator(".pager a[aria-current=page]")).to_have_text("2")
    assert f"agency={AGENCY}" in page.url and "limit=2" in page.url
    page.locator(".pager a[rel=prev]").click()
    expect(page.locator(".pager")).to_contain_text("第 1 / 2 页")
    assert rows(page, "publications") == first

    with leg.client() as anonymous:  # the API takes the year beside its other filters
        listed = anonymous.get("/api/v1/public/publications", params={"agency": AGENCY, "year": 2025})
        assert listed.status_code == 200, listed.text
        assert [p["id"] for p in listed.json()["items"]] == [world["old_publication"]]
        assert len(anonymous.get("/api/v1/public/publications", params={"agency": AGENCY, "year": 2026}).json()["items"]) == 2
        assert anonymous.get("/api/v1/public/publications", params={"year": 1900}).status_code == 422
        refused = anonymous.get("/public/publications", params={"agency": AGENCY, "yaer": "2025"})
        assert refused.status_code == 400 and "不认识的查询条件：yaer" in refused.text
        assert anonymous.get("/public/officers", params={"page": 0}).status_code == 422

    # The officers: the agency chosen in the form, 50 a page, the category narrowing them.
    page.goto(leg.url + "/public/officers")
    page.locator("#officer-search select[name=agency]").select_option(AGENCY)
    page.locator("#officer-search button[type=submit]").click()
    page.wait_for_url(re.compile(f"agency={AGENCY}"))
    expect(page.locator("table.officers tbody tr")).to_have_count(50)
    expect(page.locator(".pager")).to_contain_text("共 60 条，第 1 / 2 页")
    page.locator(".pager a[rel=next]").click()
    expect(page.locator("table.officers tbody tr")).to_have_count(10)
    expect(page.locator(".pager a[rel=next]")).to_have_count(0)
    page.locator(".pager a[rel=prev]").click()
    expect(page.locator("table.officers tbody tr")).to_have_count(50)
    page.fill("#officer-search input[name=category]", "医疗卫生")
    page.locator("#officer-search button[type=submit]").click()
    expect(page.locator("table.officers tbody tr")).to_have_count(30)
    expect(page.locator(".pager")).to_contain_text("共 30 条")
    page.goto(leg.url + f"/public/officers?agency={OTHER}")
    expect(page.locator("table.officers tbody tr")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text("相山区卫生健康委员会")

    # The 事项清单: by 类别 (the tabs), by 机关 (the profile fills in who handles it), page by page.
    page.goto(leg.url + "/public/matters?limit=4")
    expect(page.locator("table.matters tbody tr")).to_have_count(4)
    expect(page.locator(".pager")).to_contain_text("共 9 条，第 1 / 3 页")  # the packaged sample list: nine matters
    page.locator(".pager a[aria-label='第 3 页']").click()
    expect(page.locator("table.matters tbody tr")).to_have_count(1)
    expect(page.locator("table.matters tbody td").first).to_have_text("9")  # numbered on from the pages before
    page.goto(leg.url + "/public/matters")
    page.locator("form.public-search select[name=agency]").select_option(AGENCY)
    page.locator("form.public-search button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("濉溪县卫生健康委员会")
    page.click(".tabs a:has-text('行政许可')")
    expect(page.locator("table.matters tbody tr")).to_have_count(2)
    assert f"agency={AGENCY}" in page.url  # the tabs keep to the agency
    expect(page.locator(".tabs a[aria-current=page]")).to_have_text("行政许可")
