"""Every text a person sees is Chinese: each role walks every page it can reach in Debian's Chromium, and the
visible text (`document.body.innerText`) holds no ASCII word of three or more letters but the few codes,
units and names in ALLOWED below (issue 25)."""

import os
import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from .support import VIEWPORT, doc_number
from .support.cases import DAY, CaseWalk
from .support.clock import agency_today
from .support.inspections import csv_sheet, import_subjects, plan_body, register, subject_rows
from .support.inspections import officer as inspection_officer
from .support.media import upload_bytes
from .support.publishing import decided, draft, published, with_profile
from .support.web import PASSWORD, create_person, shots, sign_in

AGENCY = f"ZH{uuid.uuid4().hex[:4].upper()}"

# What may stand in Chinese text: codes and units people know by these names, and the product's own codes.
ALLOWED_WORDS = {
    "SHA-256",  # the digest's name
    "MP4",
    "MOV",
    "H.264",
    "H.265",
    "AAC",  # media formats and codecs
    "CSV",
    "XLSX",
    "SVG",
    "PDF",  # file kinds offered for download
    "BagIt",  # the case file's package format
    "GiB",
    "MiB",
    "KiB",
    "GB",
    "MB",
    "KB",  # sizes
    "YYYY-MM-DD",  # the date format a form asks for
}
# Values, not words: identifiers the data holds (case, document and certificate numbers, device serials,
# officer numbers, 统一社会信用代码, file names, digests, agency codes) — letters mixed with digits, or a file name.
ALLOWED_PATTERNS = (
    re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9_.:\-]*$"),  # an identifier with a digit in it: TL-1a2b3c, 91340600MA2N0ABCDT
    re.compile(r"^[\w.\-]+\.(mp4|mov|csv|xlsx|jpg|svg)$", re.IGNORECASE),  # a file name
    re.compile(r"^[0-9a-f]{8,}…?$"),  # a digest, shortened
    re.compile(r"^[A-Za-z_]+@[A-Za-z0-9]+$"),  # a machine token's name as an admin gave it (role@agency by default)
    re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9_./\-]*$"),  # a storage key: evidence/AGENCY/2026/12/06/<id>
)
FILE_EXTENSION = re.compile(r"\.(mp4|mov|csv|xlsx|jpg|jpeg|png|pdf|svg)(?![A-Za-z])", re.IGNORECASE)  # 清单.csv: a name's ending
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@\-/]*[A-Za-z0-9]|[A-Za-z]")
WORD = re.compile(r"[A-Za-z]{3,}")
# Links not followed: downloads and the player's bytes.
NOT_PAGES = re.compile(r"(format=|/export/|/cases/[^/]+/export|\.csv|\.xlsx|\.svg|/api/|/static/|/display)")


def english_in(text: str, names: set[str]) -> list[str]:
    found = []
    for token in TOKEN.findall(FILE_EXTENSION.sub("", text)):
        token = token.strip(".:/-")
        if not WORD.search(token) or token in ALLOWED_WORDS or token in names:
            continue
        if any(pattern.match(token) for pattern in ALLOWED_PATTERNS):
            continue
        found.append(token)
    return found


def shape(path: str) -> str:
    """A page's kind: its path with identifiers folded, so the walk opens a few of each kind, not all."""
    return re.sub(r"/[^/]*\d[^/]*", "/{}", path)


ALBUM = os.environ.get("RS_SCREENSHOT_DIR")  # `make screenshots`: every page's kind at 1366 and at 390 px
PHONE = {"width": 390, "height": 844}


def photograph(page: Page, album: str, key: str) -> None:
    """The page as a reviewer's screen and a phone show it (docs/screenshots/pages/): its top 2,400 px, JPEG —
    a hundred pages stay a few MB in the repository."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", key.replace("{}", "id").replace("?", "-with-query")).strip("-") or "home"
    directory = shots() / "pages"
    directory.mkdir(exist_ok=True)
    for name, size in (("1366", VIEWPORT), ("390", PHONE)):
        page.set_viewport_size(size)
        height = min(2400, page.evaluate("document.documentElement.scrollHeight"))
        clip = {"x": 0, "y": 0, "width": size["width"], "height": height}
        page.screenshot(path=str(directory / f"{album}-{slug}-{name}.jpg"), full_page=True, clip=clip, type="jpeg", quality=50)
    page.set_viewport_size(VIEWPORT)


def walk(page: Page, base: str, starts: list[str], names: set[str], limit: int = 60, album: str | None = None) -> dict[str, list[str]]:
    seen_shapes: dict[str, int] = {}
    queue, visited, problems = list(starts), set(), {}
    while queue and len(visited) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        key = shape(path) + ("?" if urlsplit(url).query else "")
        if url in visited or seen_shapes.get(key, 0) >= 3:
            continue
        visited.add(url)
        seen_shapes[key] = seen_shapes.get(key, 0) + 1
        page.goto(base + url)
        text = page.evaluate("document.body.innerText")
        found = english_in(text, names)
        if found:
            problems[url] = sorted(set(found))
        if album and ALBUM and seen_shapes[key] == 1 and (album == "public") == path.startswith("/public/"):
            photograph(page, album, key)
        for href in page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"):
            if href.startswith("?"):
                href = path + href
            if not href.startswith("/") or href.startswith("//") or NOT_PAGES.search(href):
                continue
            href = href.split("#")[0]
            if href and href not in visited:
                queue.append(href)
    print(f"walked {len(visited)} pages: {sorted(visited)}")
    return problems


@pytest.fixture(scope="module")
def chinese_world(leg, clips):
    """An agency with a profile, officers, a case with documents in each status and footage bound, a refused
    import, and a published decision: something on every page."""
    suffix = uuid.uuid4().hex[:6]
    people = {role: f"{role}{suffix}" for role in ("admin", "auditor", "reviewer")}
    for role, name in (("admin", "孙管理"), ("auditor", "赵监督"), ("reviewer", "钱评查")):
        create_person(leg, people[role], role, AGENCY, name)
    with_profile(leg, AGENCY)
    with leg.client(leg.token("admin", AGENCY)) as admin:
        sheet = (
            "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止,状态\n"
            "3401001,李执法,某县卫生健康委员会,皖卫执3401001,医疗卫生,某县,2024-01-01,2030-12-31,有效\n"
            "3401002,王执法,某县卫生健康委员会,皖卫执3401002,医疗卫生,某县,2024-01-01,2030-12-31,有效\n"
        )
        assert admin.post("/api/v1/officers/import", files={"file": ("清单.csv", sheet.encode(), "text/csv")}).status_code == 200
        assert admin.patch("/api/v1/officers/3401002", json={"status": "suspended", "reason": "涉嫌违纪"}).status_code == 200
    with leg.client(leg.token("dock", AGENCY)) as dock:
        recorded_at = f"{DAY}T09:10:00+08:00"
        clip = clips("zh-1.mp4", seconds=4, size="320x180", creation_time=recorded_at)
        media_id = upload_bytes(
            dock, clip.read_bytes(), device_id="CAM9", officer_ids="3401001", recorded_at=recorded_at, filename="zh-1.mp4", flag="event"
        )
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk_ = CaseWalk(http, "coercion-seizure")
        walk_.stage("approval", "08:30", "08:50")
        walk_.stage("implementation", "09:05", "10:00", media=[(media_id, "现场检查开始")])
        case_id = walk_.case["id"]
        for status, title in (("draft", "物品清单"), ("issued", "查封决定书"), ("signed", "行政强制审批表"), ("served", "送达回证")):
            body = {"stage_id": walk_.stages["implementation"], "doc_type": "item_list", "title": title, "status": status}
            body["doc_number"] = doc_number()
            if status != "draft":
                body[f"{status}_at"] = f"{DAY}T09:30:00+08:00"
            made = http.post(f"/api/v1/cases/{case_id}/documents", json=body)
            assert made.status_code == 201, made.text
    with leg.client(leg.token("admin", AGENCY)) as admin, leg.client(leg.token("auditor", AGENCY)) as auditor:
        published(admin, auditor)  # something on the public list
        staff = admin.post(
            "/api/v1/window-staff",
            json={
                "name": "王窗口",
                "unit": "某县政务服务中心卫生健康窗口",
                "post": "窗口负责人",
                "window": "12号窗口",
                "enforcement_kinds": ["license"],
            },
        )
        assert staff.status_code == 201, staff.text
        device = admin.post("/api/v1/devices", json={"serial": "ZHCAM01", "kind": "camera", "model": "DSJ-V9", "unit": "卫生监督所"})
        assert device.status_code == 201, device.text
    with leg.client() as anyone:  # a complaint in the queue, its status page public
        filed = anyone.post(
            "/api/v1/public/complaints",
            json={"agency": AGENCY, "about": "other", "text": "窗口办事时间过长。", "contact": "电话13900001111"},
        )
        assert filed.status_code == 201, filed.text
    with leg.client(leg.token("admin", AGENCY)) as admin, leg.client(leg.token("auditor", AGENCY)) as auditor:
        undrafted, _ = decided(admin)  # a decision with no publication yet: its case page offers 发起公示
        case, document = decided(admin)
        publication = draft(admin, case, document).json()["id"]
        assert auditor.post(f"/api/v1/publications/{publication}/approve").status_code == 200  # approved, the party not yet told
    inspection = drawn_and_published(leg)  # 双随机: a plan drawn, a result public
    return {
        **inspection,
        "people": people,
        "case": case_id,
        "media": media_id,
        "publication": publication,
        "window_staff": staff.json()["id"],
        "complaint": filed.json()["reference"],
        "decided_case": case.id,
        "undrafted": undrafted.id,
    }


def drawn_and_published(leg) -> dict:
    with leg.client(leg.token("admin", AGENCY)) as admin, leg.client(leg.token("case_system", AGENCY)) as system:
        assert import_subjects(admin, csv_sheet(subject_rows(6))).status_code == 200
        register(admin, inspection_officer("3401003", "周检查"), inspection_officer("3401004", "吴检查"))
        plan = admin.post("/api/v1/inspection-plans", json=plan_body(count=2)).json()
        draw = admin.post(f"/api/v1/inspection-plans/{plan['id']}/draws", json={"seed": "2026140"}).json()
        task = draw["tasks"][0]["id"]
        result = {"checked_on": agency_today().isoformat(), "result": "rectify_ordered", "note": "已责令整改"}
        assert system.post(f"/api/v1/inspection-tasks/{task}/result", json=result).status_code == 200
        assert admin.post(f"/api/v1/inspection-tasks/{task}/publish").status_code == 200
    return {"plan": plan["id"], "draw": draw["id"]}


def names_of(world) -> set[str]:
    return set(world["people"].values()) | {AGENCY}


@pytest.mark.parametrize("role", ["admin", "auditor", "reviewer"])
def test_every_page_a_role_reaches_is_chinese(leg, page: Page, chinese_world, role):
    world = chinese_world
    sign_in(page, leg.url, world["people"][role], PASSWORD)
    page.wait_for_url(re.compile(r"/cases"))
    starts = [
        "/cases",
        f"/cases/{world['case']}",
        f"/cases/{world['decided_case']}",
        f"/cases/{world['undrafted']}",
        f"/footage/{world['media']}",
        "/officers",
        "/officers/3401002",
        "/publications",
        f"/publications/{world['publication']}",
        "/inspections",
        f"/inspections/plans/{world['plan']}",
        "/inspections/subjects",
        "/stats",
        "/stats/annual-report",
        "/unlinked",  # issue 27: 未关联音像
        f"/media/{world['media']}/live",  # issue 29: 实时查看
        "/window-staff",
        f"/window-staff/{world['window_staff']}",
        "/devices",
        "/devices/ZHCAM01",
        "/complaints",
        "/audit",
        f"/cases/{world['case']}/audit",
        f"/footage/{world['media']}/audit",
        "/cases/doesnotexist",  # the 404 page
        "/officers?status=bogus",  # a refused query: 状态：格式不对
        "/stats?from=2000-01-01&to=2026-01-01",  # a period too long
    ]
    problems = walk(page, leg.url, starts, names_of(world), album="staff" if leg.name == "sqlite-fs" and role == "admin" else None)
    assert not problems, f"English on {role}'s pages: {problems}"
    if role == "admin" and leg.name == "sqlite-fs":
        for name, path in (
            ("footage", f"/footage/{world['media']}"),
            ("not-found", "/cases/doesnotexist"),
            ("officer", "/officers/3401002"),
        ):
            page.goto(leg.url + path)
            page.screenshot(path=str(shots() / f"zh-{name}.png"), full_page=True)


def test_the_public_pages_are_chinese(leg, page: Page, chinese_world):
    starts = ["/public/officers", "/public/matters", "/public/inspection-matters", "/public/procedures", "/public/publications", "/login"]
    starts += [
        f"/public/window-staff?agency={AGENCY}",
        f"/public/window-staff/badges?agency={AGENCY}",
        f"/public/window-staff/badges?agency={AGENCY}&layout=board",
        "/public/officers/verify?certificate_number=皖卫执3401001&name=李执法",
        "/public/complaints",
        f"/public/complaints/{chinese_world['complaint']}",
        "/public/complaints/lookup?reference=TS-0000-0000-00000",
        "/public/inspection-results",
        f"/public/draws/{chinese_world['draw']}",
    ]
    problems = walk(page, leg.url, starts, names_of(chinese_world), album="public" if leg.name == "sqlite-fs" else None)
    assert not problems, f"English on the public pages: {problems}"


def test_what_a_refused_form_says_is_chinese(leg, page: Page, chinese_world, tmp_path):
    """The refusals people meet: publishing before the party was told, a register form with a bad date, an
    import with bad rows — each said in Chinese, the field named by its label."""
    world = chinese_world
    sign_in(page, leg.url, world["people"]["admin"], PASSWORD)
    page.wait_for_url(re.compile(r"/cases"))
    said = {}

    page.goto(leg.url + f"/publications/{world['publication']}")
    page.click(f"form[action='/publications/{world['publication']}/publish'] button[type=submit]")
    expect(page.locator(".banner.bad")).to_contain_text("告知当事人")
    said["publish"] = page.evaluate("document.body.innerText")
    page.screenshot(path=str(shots() / "zh-publish-refused.png"))

    page.goto(leg.url + "/officers")
    form = page.locator("#add-officer")
    for field, value in (
        ("officer_id", "3409 01"),
        ("name", "周执法"),
        ("unit", "某县卫健委"),
        ("certificate_number", "皖卫执1"),
        ("categories", "医疗卫生"),
        ("valid_from", "2024-13-01"),
        ("valid_to", "2028-01-01"),
    ):
        form.locator(f"input[name={field}]").evaluate("(e, v) => { e.type = 'text'; e.value = v; }", value)
    form.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("有效期起：不是有效日期（应为 YYYY-MM-DD）")
    expect(page.locator("main")).to_contain_text("执法人员编号：只能由字母、数字和 _ . - 组成")
    said["register"] = page.evaluate("document.body.innerText")
    page.screenshot(path=str(shots() / "zh-register-refused.png"))

    sheet = tmp_path / "清单.csv"
    sheet.write_text(
        "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止\n"
        "3409005,吴执法,某县卫生健康委员会,皖卫执3409005,医疗卫生,某县,2024-02-30,2028-12-31\n",
        encoding="utf-8",
    )
    page.goto(leg.url + "/officers")
    page.set_input_files("#import-officers input[type=file]", str(sheet))
    page.click("#import-officers button[type=submit]")
    expect(page.locator("main")).to_contain_text("第 2 行 有效期起：不是有效日期（应为 YYYY-MM-DD）")
    said["import"] = page.evaluate("document.body.innerText")

    with leg.client(leg.token("admin", AGENCY)) as admin:  # the API's problem carries the same words per row
        refused = admin.post("/api/v1/officers/import", files={"file": ("清单.csv", sheet.read_bytes(), "text/csv")})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["error_zh"] == "不是有效日期（应为 YYYY-MM-DD）"

    english = {name: english_in(text, names_of(world)) for name, text in said.items()}
    assert not any(english.values()), english
