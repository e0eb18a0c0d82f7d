"""People by name (issue 25), in Debian's Chromium on both legs: an officer number on the footage page, the case
page and its player, and in the statistics by officer reads as the register's name with the number beside it
(张三（3401001）); a number the register does not know stays a number, marked 未登记. The public list's order on the
database itself: 汉语拼音 by unit, then name, page after page."""

import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from .support.cases import case_body
from .support.media import upload_bytes
from .support.officers import import_csv
from .support.web import create_person, shots, sign_in


def figures_current(http) -> dict:
    """The footage by officer once the statistics have followed every change so far."""
    deadline = time.monotonic() + 60
    while True:
        response = http.get("/api/v1/stats/footage", params={"group_by": "officer"})
        assert response.status_code == 200, response.text
        if response.json()["pending_events"] == 0:
            return response.json()
        assert time.monotonic() < deadline, "the statistics still trail the audit log"


def test_officers_by_name_on_footage_case_and_statistics_pages(leg, clips, page):
    agency = f"PB{uuid.uuid4().hex[:6].upper()}"
    recorded = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=2)).replace(microsecond=0)
    with leg.client(leg.token("admin", agency)) as admin:
        import_csv(admin, ["3401001,张三,濉溪县卫生监督所,皖卫执3401001,医疗卫生,濉溪县,2024-01-01,2030-12-31,有效\n"])
    with leg.client(leg.token("dock", agency)) as dock:
        clip = clips("people-by-name.mp4", seconds=3, creation_time=recorded.isoformat())
        media_id = upload_bytes(
            dock, clip.read_bytes(), filename=clip.name, device_id="CAM-N", officer_ids="3401001,3409999", recorded_at=recorded.isoformat()
        )
    with leg.client(leg.token("case_system", agency)) as http:
        # The case types 3401001 as 李四 (the register says 张三: the register is read) and 3401002 as 王五 (not registered).
        created = http.post("/api/v1/cases", json=case_body(opened_at=(recorded - timedelta(hours=1)).isoformat()))
        assert created.status_code == 201, created.text
        case = created.json()
        filing = {"stage": "filing", "officers": ["3401001"], "started_at": (recorded - timedelta(minutes=30)).isoformat()}
        filed = http.post(f"/api/v1/cases/{case['id']}/stages", json=filing).json()["id"]
        ended = {"ended_at": (recorded - timedelta(minutes=10)).isoformat()}
        assert http.patch(f"/api/v1/cases/{case['id']}/stages/{filed}", json=ended).status_code == 200
        opened = http.post(
            f"/api/v1/cases/{case['id']}/stages",
            json={"stage": "investigation", "officers": ["3401001", "3401002"], "started_at": recorded.isoformat()},
        )
        assert opened.status_code == 201, opened.text
        stage = opened.json()
        bound = http.post(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media", json={"media_id": media_id})
        assert bound.status_code == 201, bound.text
    with leg.client(leg.token("auditor", agency)) as http:
        rows = {r["key"]: r["officer_zh"] for r in figures_current(http)["rows"]}
        assert rows == {"3401001": "张三（3401001）", "3409999": "3409999（未登记）"}

    person = f"pb{uuid.uuid4().hex[:6]}"
    create_person(leg, person, "auditor", agency, "孙监督")
    sign_in(page, leg.url, person, target=f"/footage/{media_id}")
    expect(page.locator("dd.officers")).to_have_text("张三（3401001）、3409999（未登记）")
    page.locator("button.play").click()
    expect(page.locator("#player-caption")).to_contain_text("执法人员：张三（3401001）、3409999（未登记）")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "footage-officers.png"), full_page=True)

    page.goto(leg.url + f"/cases/{case['id']}")
    expect(page.locator("#stage-investigation .stage-officers")).to_have_text("在场执法人员：张三（3401001）、王五（3401002）")
    expect(page.locator("#stage-investigation .clip .officers")).to_have_text("张三（3401001）、3409999（未登记）")
    page.locator("#stage-investigation .clip button.play").click()
    expect(page.locator("#player-caption")).to_contain_text("环节：调查取证 · 执法人员：张三（3401001）、3409999（未登记）")

    page.goto(leg.url + "/stats?group_by=officer")
    table = page.locator("#footage table")
    expect(table.locator("thead th").first).to_have_text("执法人员")  # the name column; the bare number stays in the files
    expect(table.locator("tbody")).to_contain_text("张三（3401001）")
    expect(table.locator("tbody")).to_contain_text("3409999（未登记）")
    expect(page.locator("#footage svg.chart")).to_contain_text("张三（3401001）")
    if leg.name == "sqlite-fs":
        page.locator("#footage").screenshot(path=str(shots() / "stats-by-officer.png"))


def test_the_public_list_is_in_pinyin_order_page_after_page(leg):
    """Units 爱卫办 (ài) 疾控 (jí) 卫监 (wèi) and names in pinyin, which code points (卫 U+536B 爱 U+7231 疾 U+75BE) do not
    give; on PostgreSQL whatever the database's collation, since the keys are plain letters and digits."""
    agency = f"PQ{uuid.uuid4().hex[:6]}"
    units = ["濉溪县卫生监督所", "濉溪县爱国卫生运动委员会办公室", "濉溪县疾病预防控制中心"]
    names = ["赵六", "王五", "章三", "张三", "安然", "单田芳", "李四"]
    unit_order = ["濉溪县爱国卫生运动委员会办公室", "濉溪县疾病预防控制中心", "濉溪县卫生监督所"]
    name_order = ["安然", "李四", "单田芳", "王五", "张三", "章三", "赵六"]  # 单 as a surname: shàn
    rows = [
        f"43{n:05d},{names[n % len(names)]},{units[n % len(units)]},皖卫执{(n * 37) % 100:02d}{n:05d},医疗卫生,某县,2024-01-01,2030-12-31,有效\n"
        for n in range(60)
    ]
    with leg.client(leg.token("admin", agency)) as admin:
        import_csv(admin, rows)

    def walk(**params) -> list[dict]:
        seen, cursor = [], None
        with leg.client() as anonymous:
            while True:
                answer = anonymous.get(
                    "/api/v1/public/officers", params={"agency": agency, "limit": 7, **params, **({"cursor": cursor} if cursor else {})}
                )
                assert answer.status_code == 200, answer.text
                seen += answer.json()["items"]
                cursor = answer.json()["next_cursor"]
                if not cursor:
                    return seen

    by_name = walk()
    assert len(by_name) == 60 and len({o["certificate_number"] for o in by_name}) == 60
    pairs = [(o["unit"], o["name"]) for o in by_name]
    assert pairs == sorted(pairs, key=lambda pair: (unit_order.index(pair[0]), name_order.index(pair[1])))
    by_certificate = [o["certificate_number"] for o in walk(sort="certificate_number")]
    assert by_certificate == sorted(by_certificate)
