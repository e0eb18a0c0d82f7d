"""GET /api/v1/stats/{name} and the annual report, as JSON, CSV (UTF-8 with BOM) or XLSX."""

import asyncio
import time
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..audit.service import head_seq
from ..catalog.service import CatalogDep, get_catalog
from ..db import DbSession
from ..deps import SettingsDep
from ..principals import ALL_AGENCIES, Principal, Role, require_roles
from ..problems import Problem, logger
from ..sheets import csv_bytes, xlsx_bytes
from ..times import today
from .refresh import follow
from .schemas import AnnualReportOut, StatsOut
from .service import STATISTICS, Scope, Table, annual_report, figures_state, scope_name

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
StatsReader = Annotated[Principal, require_roles(Role.admin, Role.auditor, Role.reviewer)]
MAX_DAYS = 3660
CATCH_UP_CASES, CATCH_UP_SECONDS = 50, 2.0  # a request brings the figures up to date itself, in rounds, for so long


def scope_of(principal: Principal, agency: str | None, start: date | None, end: date | None, day: date) -> Scope:
    if principal.agency != ALL_AGENCIES and agency not in (None, principal.agency):
        raise Problem(403, "agency-not-yours", f"Statistics of agency {agency} are not yours to read.")
    scope = Scope(agency if principal.agency == ALL_AGENCIES else principal.agency, start or date(day.year, 1, 1), end or day)
    if scope.end < scope.start:
        raise Problem(400, "invalid-query", f"'to' ({scope.end}) is before 'from' ({scope.start}).")
    if (scope.end - scope.start).days > MAX_DAYS:
        raise Problem(400, "invalid-query", f"A period is at most {MAX_DAYS} days.")
    return scope


async def current_figures(request: Request, session) -> tuple[int, int]:
    """Bring the figures up to date for up to CATCH_UP_SECONDS (the worker does the rest every 10 s); return
    (followed to, still pending)."""
    app = request.app
    deadline = time.monotonic() + CATCH_UP_SECONDS
    try:
        while time.monotonic() < deadline:
            progress = await follow(app.state.sessionmaker, app.state.catalog, app.state.settings, max_rounds=1, max_cases=CATCH_UP_CASES)
            if progress.events == 0 or progress.pending == 0:
                break
    except Exception:  # another writer held the database: the worker catches up; the answer says what is pending
        logger.warning("statistics could not catch up in the request", exc_info=True)
    through = await figures_state(session)
    return through, max(0, await head_seq(session) - through)


async def table_response(table: Table, scope: Scope, fmt: str, through: int, pending: int, agency_name: str) -> Response:
    """`agency_name` names the scope in titles and file names (scope_name)."""
    filename = f"{agency_name}-{table.title_zh}-{scope.start}-{scope.end}"
    keys = [key for key, _ in table.columns]
    headers = {"Cache-Control": "no-store", "X-Figures-Through-Seq": str(through), "X-Pending-Events": str(pending)}
    if fmt == "csv":
        body = await asyncio.to_thread(csv_bytes, [title for _, title in table.columns], ([row.get(k) for k in keys] for row in table.rows))
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            **headers, "Content-Disposition": f"attachment; filename=\"{table.name}.csv\"; filename*=UTF-8''{quote(filename)}.csv"})
    if fmt == "xlsx":
        title = f"{table.title_zh}（{scope.start} 至 {scope.end}，{agency_name}）"
        rows = [[row.get(k) for k in keys] for row in table.rows] + [[]] + [[note] for note in table.notes]
        body = await asyncio.to_thread(xlsx_bytes, [(table.title_zh, [[title], [t for _, t in table.columns]], rows)])
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
            **headers, "Content-Disposition": f"attachment; filename=\"{table.name}.xlsx\"; filename*=UTF-8''{quote(filename)}.xlsx"})
    out = StatsOut(name=table.name, title_zh=table.title_zh, agency=scope.agency, agency_name=agency_name, from_=scope.start, to=scope.end,
                   columns=[{"key": k, "title_zh": t} for k, t in table.columns], rows=table.rows, totals=table.totals,
                   notes=table.notes, figures_through_seq=through, pending_events=pending)
    return Response(out.model_dump_json(by_alias=True), media_type="application/json", headers=headers)


async def statistic(name: str, request: Request, session, settings, scope: Scope, group_by: str) -> Table:
    catalog = get_catalog(request)
    if name == "footage":
        return await STATISTICS[name](session, catalog, scope, group_by)
    if name == "publications":
        return await STATISTICS[name](session, catalog, scope, today(settings.tz), settings.tz)
    return await STATISTICS[name](session, catalog, scope)


Format = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]


@router.get("/annual-report", response_model=AnnualReportOut, responses={200: {"content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
    summary="行政执法统计年报 for a calendar year: 许可, 处罚, 强制, 检查 (and 征收/确认 where the catalog has them)")
async def read_annual_report(request: Request, catalog: CatalogDep, principal: StatsReader, session: DbSession, settings: SettingsDep,
                             year: Annotated[int | None, Query(ge=2000, le=2200, description="default: last year")] = None,
                             agency: Annotated[str | None, Query(max_length=64)] = None,
                             format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json") -> Response:
    day = today(settings.tz)
    year = year or day.year - 1
    if year > day.year:
        raise Problem(422, "bad-year", f"{year} has not begun.")
    scope = scope_of(principal, agency, date(year, 1, 1), date(year, 12, 31), day)
    through, pending = await current_figures(request, session)
    report = await annual_report(session, catalog, scope.agency, year)
    if format == "xlsx":
        return await report_xlsx_response(report)
    out = AnnualReportOut(year=year, agency=scope.agency, agency_name=report["agency_name"], title_zh=report["title"],
                          due_on=report["due_on"], notes=report["notes"],
                          tables=[{"kind": t.kind, "title_zh": t.title_zh, "columns": [{"key": k, "title_zh": n} for k, n in t.columns],
                                   "rows": t.rows} for t in report["tables"]], figures_through_seq=through, pending_events=pending)
    return Response(out.model_dump_json(), media_type="application/json", headers={"Cache-Control": "no-store"})


async def report_xlsx_response(report: dict) -> Response:
    body = await asyncio.to_thread(report_xlsx, report)
    filename = f"{report['title']}.xlsx"
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers={
        "Cache-Control": "no-store", "Content-Disposition": f"attachment; filename=\"annual-report-{report['year']}.xlsx\"; "
                                                            f"filename*=UTF-8''{quote(filename)}"})


def report_xlsx(report: dict) -> bytes:
    sheets = []
    for table in report["tables"]:
        keys = [key for key, _ in table.columns]
        sheets.append((table.title_zh, [[f"{report['title']} · {table.title_zh}"], [t for _, t in table.columns]],
                       [[row.get(k) for k in keys] for row in table.rows]))
    sheets.append(("统计说明", [[f"{report['title']}，报送期限 {report['due_on']}"]],
                   [[note] for note in report["notes"]]))
    return xlsx_bytes(sheets)


@router.get("/{name}", response_model=StatsOut, response_model_by_alias=True, responses={200: {"content": {
    "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
    summary="One statistic for a period and agency: cases, completeness, findings, time-limits, review-scores, footage, "
            "upload-lag, fixity, publications")
async def read_statistic(
    name: str, request: Request, principal: StatsReader, session: DbSession, settings: SettingsDep,
    start: Annotated[date | None, Query(alias="from", description="first day (default: 1 January this year)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, inclusive (default: today)")] = None,
    agency: Annotated[str | None, Query(max_length=64, description="an all-agency administrator's choice; others read their own")] = None,
    group_by: Annotated[str, Query(pattern="^(officer|device|dock)$", description="footage only")] = "officer",
    format: Format = "json",
) -> Response:
    if name not in STATISTICS:
        raise Problem(404, "statistic-not-found", f"No statistic '{name}'; there are: {', '.join(STATISTICS)}, annual-report.")
    scope = scope_of(principal, agency, start, end, today(settings.tz))
    through, pending = await current_figures(request, session)
    table = await statistic(name, request, session, settings, scope, group_by)
    return await table_response(table, scope, format, through, pending, await scope_name(session, scope.agency))
