"""双随机 (tests/api/test_inspections.py, tests/test_inspections.py): subjects with valid 统一社会信用代码, their
sheets, certified officers, a plan, and the draw recomputed here by a second, independent reading of rs-draw-v1."""

import hashlib
import io
import json
from datetime import date, timedelta

from stdnum.cn import uscc as uscc_rules

from .clock import agency_today

HEADER = ["统一社会信用代码", "名称", "主体类型", "行业类别", "所属区域", "住所", "风险等级"]
CATEGORIES = ("诊所", "门诊部", "医院")
MATTER = "medical-practice-spot-check"  # 执法类别 医疗卫生 (inspection_matters.yaml)


def uscc(n: int, division: str = "340621") -> str:
    """A 统一社会信用代码 of an enterprise with a valid check character (GB 32100)."""
    base = f"91{division}{n:09d}"
    return base + uscc_rules.calc_check_digit(base)


def subject_rows(count: int, start: int = 1) -> list[list[str]]:
    rows = []
    for n in range(start, start + count):
        rows.append(
            [
                uscc(n),
                f"濉溪县第{n}口腔诊所有限公司",
                "企业",
                CATEGORIES[n % 3],
                "濉溪镇" if n % 2 else "百善镇",
                f"濉溪县濉溪镇淮海路{n}号",
                ("低风险", "中风险", "高风险")[n % 3],
            ]
        )
    return rows


def csv_sheet(rows: list[list[str]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(",".join(row) for row in [HEADER, *rows]) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_sheet(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_subjects(admin, data: bytes, filename: str = "名录库.csv"):
    return admin.post("/api/v1/subjects/import", files={"file": (filename, data, "application/octet-stream")})


def officer(officer_id: str, name: str, categories=("医疗卫生",), valid_to: date | None = None, valid_from: str = "2024-01-01") -> dict:
    return {
        "officer_id": officer_id,
        "name": name,
        "unit": "濉溪县卫生健康委员会",
        "certificate_number": f"皖卫执{officer_id}",
        "categories": list(categories),
        "regions": ["濉溪县"],
        "valid_from": valid_from,
        "valid_to": (valid_to or agency_today() + timedelta(days=400)).isoformat(),
    }


def register(admin, *officers: dict) -> None:
    for body in officers:
        answer = admin.post("/api/v1/officers", json=body)
        assert answer.status_code == 201, answer.text


def plan_body(**overrides) -> dict:
    body = {
        "matter_code": MATTER,
        "name": f"{agency_today().year}年度医疗机构依法执业情况双随机抽查",
        "year": agency_today().year,
        "filters": {},
        "count": 3,
        "inspectors_per_task": 2,
        "due_on": (agency_today() + timedelta(days=60)).isoformat(),
    }
    body.update(overrides)
    return body


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recompute(draw: dict, pool_snapshot: str) -> list[tuple[str, list[str]]]:
    """rs-draw-v1 as docs/inspections.md states it, written again here: [(uscc, inspectors)] in task order."""
    assert hashlib.sha256(bytes.fromhex(draw["secret"])).hexdigest() == draw["commitment"]
    if draw["public_seed"] is None:
        assert draw["seed"] == draw["secret"]
    else:
        assert draw["seed"] == hashlib.sha256(bytes.fromhex(draw["secret"]) + draw["public_seed"].encode()).hexdigest()
    assert sha(pool_snapshot) == draw["pool_sha256"]
    pool = [json.loads(line) for line in pool_snapshot.splitlines()]
    assert len(pool) == draw["pool_size"]
    assert [line["uscc"] for line in pool] == sorted(line["uscc"] for line in pool)
    seed = draw["seed"]
    ranked = sorted(pool, key=lambda s: sha(f"{seed}|{draw['pool_sha256']}|{s['uscc']}"))
    conflicts = {tuple(pair) for pair in draw["conflicts"]}
    eligible = [e["officer_id"] for e in draw["eligible"]]
    out = []
    for k, subject in enumerate(ranked[: draw["wanted"]], start=1):
        free = [o for o in eligible if (o, subject["uscc"]) not in conflicts]
        out.append((subject["uscc"], sorted(free, key=lambda o: sha(f"{seed}|{k}|{o}"))[: draw["inspectors_per_task"]]))
    return out
