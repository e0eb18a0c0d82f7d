"""GET /api/v1/stats/{name} and the annual report, as JSON, CSV (UTF-8 with BOM) or XLSX."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from ..core.times import today
from .schemas import AnnualReportOut, Column, ReportTableOut, StatsOut
from .service import STATISTICS, annual_report, current_figures, report_xlsx_response, scope_name, scope_of, statistic, table_response

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])
StatsReader = Annotated[Principal, require_roles(Role.admin, Role.auditor, Role.reviewer)]
Format = Annotated[str, Query(pattern="^(json|csv|xlsx)$")]


@router.get(
    "/annual-report",
    response_model=AnnualReportOut,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
    summary="行政执法统计年报 for a calendar year: 许可, 处罚, 强制, 检查 (and 征收/确认 where the catalog has them)",
)
async def read_annual_report(
    request: Request,
    catalog: CatalogDep,
    principal: StatsReader,
    session: DbSession,
    settings: SettingsDep,
    year: Annotated[int | None, Query(ge=2000, le=2200, description="default: last year")] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json",
) -> Response:
    day = today(settings.tz)
    year = year or day.year - 1
    if year > day.year:
        raise Problem(422, "bad-year", f"{year} has not begun.")
    scope = scope_of(principal, agency, date(year, 1, 1), date(year, 12, 31), day)
    through, pending = await current_figures(request, session)
    report = await annual_report(session, catalog, scope.agency, year, day)
    if format == "xlsx":
        return await report_xlsx_response(report)
    out = AnnualReportOut(
        year=year,
        agency=scope.agency,
        agency_name=report.agency_name,
        title_zh=report.title,
        due_on=report.due_on,
        notes=report.notes,
        tables=[
            ReportTableOut(kind=t.kind, title_zh=t.title_zh, columns=[Column(key=k, title_zh=n) for k, n in t.columns], rows=t.rows)
            for t in report.tables
        ],
        figures_through_seq=through,
        pending_events=pending,
    )
    return Response(out.model_dump_json(), media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get(
    "/{name}",
    response_model=StatsOut,
    response_model_by_alias=True,
    responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
    summary="One statistic for a period and agency: cases, kinds, completeness, findings, time-limits, review-scores, footage, "
    "upload-lag, fixity, publications, complaints, filing-rate, device-usage (设备使用率), device-officers (footage per officer per device)",
)
async def read_statistic(
    name: str,
    request: Request,
    principal: StatsReader,
    session: DbSession,
    settings: SettingsDep,
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
