"""The case list as a file people open (CSV in UTF-8 with a BOM, XLSX), with Chinese headings; the same rows the
list shows, identity numbers only for the roles that may read them."""

import asyncio
from collections.abc import Mapping
from datetime import date, tzinfo
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from ..catalog.schemas import Catalog
from ..core.principals import Principal
from ..core.sheets import csv_bytes, xlsx_bytes
from ..core.times import local
from .models import Case
from .schemas import SEES_ID_NUMBERS

CASE_STATUS_ZH = {"open": "办理中", "closed": "已结案"}
EXPORT_MAX_ROWS = 20000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _officer(officer: Mapping[str, Any]) -> str:
    name, number = officer.get("name") or "", officer.get("certificate_number") or officer.get("officer_id") or ""
    return f"{name}（{number}）" if number else name


def list_sheet(cases: list[Case], principal: Principal, catalog: Catalog, tz: tzinfo) -> tuple[list[str], list[list[object]]]:
    """(headings, rows) of the case list: 案号, 案由, 程序, 执法类别, 状态, 当事人, [证件号码], 执法人员, 立案日期, 结案日期."""
    sees_ids = principal.role in SEES_ID_NUMBERS
    header = (
        ["案号", "案由", "程序", "执法类别", "状态", "当事人"] + (["证件号码"] if sees_ids else []) + ["执法人员", "立案日期", "结案日期"]
    )
    rows: list[list[object]] = []
    for case in cases:
        procedure = catalog.procedure(case.procedure)
        parties = case.parties or []
        opened, closed = local(case.opened_at, tz), local(case.closed_at, tz)
        row: list[object] = [
            case.case_number,
            case.title,
            procedure.name_zh if procedure else case.procedure,
            case.category or "",
            CASE_STATUS_ZH.get(case.status, case.status),
            "、".join(p.get("name") or "" for p in parties),
        ]
        if sees_ids:
            row.append("、".join(p.get("id_number") or "" for p in parties if p.get("id_number")))
        row += [
            "、".join(_officer(o) for o in case.officers or []),
            opened.date().isoformat() if opened else "",
            closed.date().isoformat() if closed else "",
        ]
        rows.append(row)
    return header, rows


def _file(header: list[str], rows: list[list[object]], fmt: str) -> bytes:
    return csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes([("案件列表", [header], rows)])


async def list_file(header: list[str], rows: list[list[object]], fmt: str, day: date) -> Response:
    """The list as a download (written off the event loop: thousands of rows are CPU); X-Records counts its rows."""
    body = await asyncio.to_thread(_file, header, rows, fmt)
    media_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_TYPE
    name = f"案件列表-{day.isoformat()}.{fmt}"
    disposition = f"attachment; filename=\"cases-{day.isoformat()}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition, "X-Records": str(len(rows))})
