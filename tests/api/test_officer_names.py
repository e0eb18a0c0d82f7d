"""People by name (issue 25): officers in the register's 汉语拼音 order (unit, then name) or by 执法证号, on the public
list and the staff list; officer numbers shown with the register's names in the statistics by officer (JSON, CSV,
XLSX); ratios in workbooks as real percentages."""

import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from ..support.cases import decided_case
from ..support.clock import agency_today
from ..support.inprocess import create_person, signed_in_client

JIKONG = "濉溪县疾病预防控制中心"  # 疾 jí: before 卫 wèi in pinyin, after it by code point (疾 U+75BE, 卫 U+536B)
JIANDU = "濉溪县卫生监督所"
# (officer number, name, unit, certificate number). Code points would give 单 安 张 曾 李 章 王 赵; pinyin gives
# an li shan(单 as a surname) wang zeng zhang zhang(张 before 章: same reading, by the character) zhao.
PEOPLE = [
    ("3402001", "张三", JIANDU, "皖卫执0007"),
    ("3402002", "李四", JIANDU, "皖卫执0003"),
    ("3402003", "赵六", JIANDU, "皖卫执0001"),
    ("3402004", "安然", JIANDU, "皖卫执0005"),
    ("3402005", "章三", JIANDU, "皖卫执0002"),
    ("3402006", "单田芳", JIANDU, "皖卫执0008"),
    ("3402007", "王五", JIKONG, "皖卫执0004"),
    ("3402008", "曾乐", JIKONG, "皖卫执0006"),
]
BY_PINYIN = ["王五", "曾乐", "安然", "李四", "单田芳", "张三", "章三", "赵六"]  # 疾控中心 first, then 卫生监督所
BY_CERTIFICATE = ["赵六", "章三", "李四", "王五", "安然", "曾乐", "张三", "单田芳"]


def register(admin) -> None:
    for officer_id, name, unit, certificate in PEOPLE:
        body = {
            "officer_id": officer_id,
            "name": name,
            "unit": unit,
            "certificate_number": certificate,
            "categories": ["医疗卫生"],
            "valid_from": "2024-01-01",
            "valid_to": (agency_today() + timedelta(days=400)).isoformat(),
        }
        created = admin.post("/api/v1/officers", json=body)
        assert created.status_code == 201, created.text


def test_officer_lists_in_pinyin_order_or_by_certificate(inproc):
    agency = f"PY{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin, inproc.client() as anonymous:
        register(admin)
        # A unit renamed keeps the order right: its key follows the name (疾控中心 → 卫生监督所 moves 王五 to the end).
        assert admin.patch("/api/v1/officers/3402007", json={"unit": JIANDU}).status_code == 200
        moved = ["曾乐", "安然", "李四", "单田芳", "王五", "张三", "章三", "赵六"]

        def public(**params):
            response = anonymous.get("/api/v1/public/officers", params={"agency": agency, **params})
            assert response.status_code == 200, response.text
            return response.json()

        assert [o["name"] for o in public()["items"]] == moved
        assert [o["name"] for o in public(sort="certificate_number")["items"]] == BY_CERTIFICATE
        assert anonymous.get("/api/v1/public/officers", params={"sort": "unicode"}).status_code == 422  # only the two orders

        # Paging in that order: three at a time, the cursor carries on where the page ended.
        names, cursor = [], None
        while True:
            page = public(limit=3, **({"cursor": cursor} if cursor else {}))
            names += [o["name"] for o in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert names == moved

        # The staff list: the same order by default, by 执法证号 or by officer number when asked.
        staff = admin.get("/api/v1/officers").json()["items"]
        assert [o["name"] for o in staff] == moved
        assert [o["name"] for o in admin.get("/api/v1/officers", params={"sort": "certificate_number"}).json()["items"]] == BY_CERTIFICATE
        by_number = admin.get("/api/v1/officers", params={"sort": "officer_id"}).json()["items"]
        assert [o["officer_id"] for o in by_number] == sorted(p[0] for p in PEOPLE)

        # The pages list them alike.
        shown = anonymous.get("/public/officers", params={"agency": agency})
        assert shown.status_code == 200
        assert _order(shown.text, moved) == moved
        by_certificate = anonymous.get("/public/officers", params={"agency": agency, "sort": "certificate_number"})
        assert _order(by_certificate.text, BY_CERTIFICATE) == BY_CERTIFICATE
        assert 'value="certificate_number" selected' in by_certificate.text
        assert anonymous.get("/public/officers", params={"sort": "x"}).status_code in (400, 422)


def _order(html: str, names: list[str]) -> list[str]:
    """The names as they stand in the page's table, in their order on the page."""
    table = html[html.index("<tbody>") :]
    return sorted(names, key=lambda name: table.index(f">{name}</td>"))  # a cell, whatever its attributes (data-label)


def test_footage_statistics_name_the_officers_from_the_register(inproc):
    agency = f"PN{uuid.uuid4().hex[:6]}"
    recorded = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)).replace(microsecond=0)
    with inproc.client(inproc.token("admin", agency)) as admin:
        register(admin)
    media = []
    with inproc.client(inproc.token("dock", agency)) as dock:
        for n, officers in enumerate(("3402001,3409999", "3402001", "")):
            stored = dock.post(
                "/api/v1/media",
                data={"officer_ids": officers, "recorded_at": recorded.isoformat(), "device_id": "CAM-1", "filename": f"{n}.mp4"},
                files={"file": (f"{n}.mp4", f"clip {n} {uuid.uuid4()}".encode(), "video/mp4")},
            )
            assert stored.status_code == 201, stored.text
            media.append(stored.json()["id"])
    with inproc.client(inproc.token("auditor", agency)) as auditor:
        response = auditor.get("/api/v1/stats/footage", params={"group_by": "officer"})
        assert response.status_code == 200, response.text
        body = response.json()
        rows = {r["key"]: r for r in body["rows"]}
        assert rows["3402001"]["officer_zh"] == "张三（3402001）" and rows["3402001"]["clips"] == 2
        assert rows["3409999"]["officer_zh"] == "3409999（未登记）" and rows["3409999"]["clips"] == 1
        assert rows["（未标明）"]["officer_zh"] == "（未标明）"
        assert [c["key"] for c in body["columns"]][:2] == ["key", "officer_zh"]
        assert [c["title_zh"] for c in body["columns"]][:2] == ["执法人员编号", "执法人员"]

        csv = auditor.get("/api/v1/stats/footage", params={"group_by": "officer", "format": "csv"}).content.decode("utf-8-sig")
        lines = csv.splitlines()
        assert lines[0].startswith("执法人员编号,执法人员,文件数")
        assert any(line.startswith("3402001,张三（3402001）,2,") for line in lines)
        assert any(line.startswith("3409999,3409999（未登记）,1,") for line in lines)

        sheet = load_workbook(io.BytesIO(auditor.get("/api/v1/stats/footage", params={"format": "xlsx"}).content)).active
        named = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row and row[0]}
        assert named["3402001"] == "张三（3402001）" and named["3409999"] == "3409999（未登记）"

        # By device nothing changes: no officer column.
        devices = auditor.get("/api/v1/stats/footage", params={"group_by": "device"}).json()
        assert [c["key"] for c in devices["columns"]][0] == "key" and "officer_zh" not in devices["rows"][0]

    # The pages: the footage item names its officers; the dashboard's footage by officer shows the names (the number
    # inside them), not the numbers in a column of their own.
    person = f"pn{uuid.uuid4().hex[:6]}"
    create_person(inproc, person, "auditor", agency, "钱监督")
    with signed_in_client(inproc, person) as browser:
        footage = browser.get(f"/footage/{media[0]}")
        assert footage.status_code == 200
        assert '<dd class="officers">张三（3402001）、3409999（未登记）</dd>' in footage.text
        assert 'data-officers="张三（3402001）、3409999（未登记）"' in footage.text  # the player's caption
        dashboard = browser.get("/stats", params={"group_by": "officer"})
        assert dashboard.status_code == 200
        section = dashboard.text[dashboard.text.index('id="footage"') :]
        table = section[section.index("<table") : section.index("</table>")]
        assert "<td>张三（3402001）</td>" in table and "<td>3409999（未登记）</td>" in table
        assert "执法人员编号" not in table and "<td>3402001</td>" not in table


def test_ratios_in_workbooks_are_percentages(inproc):
    agency = f"PX{uuid.uuid4().hex[:6]}"
    year = {"from": "2025-01-01", "to": "2025-12-31"}
    with inproc.client(inproc.token("case_system", agency)) as http:
        decided_case(http, filed="2025-01-06", decided="2025-02-10")  # 35 days: in time
        decided_case(http, filed="2025-01-06", decided="2025-06-30")  # 175 days: past the 90
    with inproc.client(inproc.token("auditor", agency)) as auditor:
        rows = {r["rule"]: r for r in auditor.get("/api/v1/stats/time-limits", params=year).json()["rows"]}
        assert rows["decision_within_90_days"]["share"] == 0.5  # JSON keeps the ratio
        sheet = load_workbook(io.BytesIO(auditor.get("/api/v1/stats/time-limits", params={**year, "format": "xlsx"}).content)).active
        headings = [c.value for c in sheet[2]]
        rule, share = headings.index("规则代码") + 1, headings.index("超期比例") + 1
        cells = {sheet.cell(row=r, column=rule).value: sheet.cell(row=r, column=share) for r in range(3, sheet.max_row + 1)}
        cell = cells["decision_within_90_days"]
        assert cell.data_type == "n" and cell.value == 0.5 and cell.number_format == "0.0%"  # Excel shows 50.0%
        assert not any(isinstance(c.value, str) and c.value.endswith("%") for c in cells.values())
        csv = auditor.get("/api/v1/stats/time-limits", params={**year, "format": "csv"}).content.decode("utf-8-sig")
        assert any(re.fullmatch(r"decision_within_90_days,.*,2,1,0\.5", line) for line in csv.splitlines())  # the plain number

        # Every ratio column of every statistic is written so (completeness' rate: none closed here, so empty).
        completeness = load_workbook(
            io.BytesIO(auditor.get("/api/v1/stats/completeness", params={**year, "format": "xlsx"}).content)
        ).active
        rate = [c.value for c in completeness[2]].index("完整率（已结案）") + 1
        assert completeness.cell(row=3, column=rate).value is None
