"""The statistics pages: a dashboard of every statistic for a period (charts drawn on the server as SVG,
tables beside them, CSV and XLSX to download; printable) and the annual 行政执法统计年报."""

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.principals import ALL_AGENCIES, Role
from ..core.problems import Problem
from ..core.times import today
from ..stats.charts import bar_chart
from ..stats.service import (
    PERCENT_COLUMNS,
    STATISTICS,
    TITLES,
    Table,
    annual_report,
    current_figures,
    report_xlsx_response,
    scope_name,
    scope_of,
    statistic,
    table_response,
)
from .render import page
from .session import Person, require_page_roles

router = APIRouter(include_in_schema=False)
Reader = Annotated[object, require_page_roles(Role.admin, Role.auditor, Role.reviewer)]
CODE_COLUMNS = ("procedure", "status", "kind", "rule", "band", "result")  # codes beside their Chinese names


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem(422, "bad-date", f"{name}的日期格式应为 YYYY-MM-DD。") from None


def chart_of(table: Table) -> Markup:
    label, value = table.chart
    if table.name == "cases":  # by month, all procedures together
        months: dict[str, int] = {}
        for row in table.rows:
            months[row["month"]] = months.get(row["month"], 0) + row["cases"]
        items = list(months.items())
    else:
        items = [(row[label], row[value]) for row in table.rows]
    title = "各月立案数" if table.name == "cases" else dict(table.columns)[value]
    return Markup(bar_chart(title, items, percent=value in PERCENT_COLUMNS, limit=24 if table.name == "cases" else 15))


def shown(value, key: str) -> str:
    if value is None:
        return "—"
    if key in PERCENT_COLUMNS:
        return f"{value * 100:.1f}%"
    return f"{value:,}" if isinstance(value, int) else str(value)


@router.get("/stats")
async def dashboard(
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    agency: Annotated[str, Query(max_length=64)] = "",
    group_by: Annotated[str, Query(pattern="^(officer|device|dock)$")] = "officer",
) -> Response:
    principal = person.principal
    scope = scope_of(principal, agency or None, _date(start, "起始日期"), _date(end, "截止日期"), today(settings.tz))
    through, pending = await current_figures(request, session)
    sections = []
    for name in STATISTICS:
        table = await statistic(name, request, session, settings, scope, group_by)
        # people read the names: the codes beside them stay in the files
        columns = [(key, title) for key, title in table.columns if not key.endswith(CODE_COLUMNS) and key not in table.codes]
        sections.append(
            {
                "name": name,
                "table": table,
                "chart": chart_of(table),
                "headings": [title for _, title in columns],
                "rows": [[shown(row.get(key), key) for key, _ in columns] for row in table.rows],
            }
        )
    query = {"from": scope.start.isoformat(), "to": scope.end.isoformat(), **({"agency": agency} if agency else {}), "group_by": group_by}
    return page(
        request,
        "stats.html",
        {
            "scope": scope,
            "where": await scope_name(session, scope.agency),
            "sections": sections,
            "titles": TITLES,
            "pending": pending,
            "through": through,
            "query": urlencode(query),
            "may_choose_agency": principal.agency == ALL_AGENCIES,
            "agency": agency,
            "group_by": group_by,
            "tz": settings.tz,
            "printed_at": today(settings.tz),
        },
        person=person,
    )


@router.get("/stats/{name}/export")
async def export_statistic(
    name: str,
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    agency: Annotated[str, Query(max_length=64)] = "",
    group_by: Annotated[str, Query(pattern="^(officer|device|dock)$")] = "officer",
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "xlsx",
) -> Response:
    if name not in STATISTICS:
        raise Problem(404, "statistic-not-found", "没有这项统计。")
    scope = scope_of(person.principal, agency or None, _date(start, "起始日期"), _date(end, "截止日期"), today(settings.tz))
    through, pending = await current_figures(request, session)
    table = await statistic(name, request, session, settings, scope, group_by)
    return await table_response(table, scope, format, through, pending, await scope_name(session, scope.agency))


@router.get("/stats/annual-report")
async def annual_report_page(
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    year: Annotated[str, Query(max_length=4)] = "",
    agency: Annotated[str, Query(max_length=64)] = "",
    format: Annotated[str, Query(pattern="^(|xlsx)$")] = "",
) -> Response:
    day = today(settings.tz)
    try:
        chosen = int(year) if year else day.year - 1
    except ValueError:
        raise Problem(422, "bad-year", "年度应为四位数字。") from None
    if not 2000 <= chosen <= day.year:
        raise Problem(422, "bad-year", f"年度应在 2000 至 {day.year} 之间。")
    scope = scope_of(person.principal, agency or None, date(chosen, 1, 1), date(chosen, 12, 31), day)
    _through, pending = await current_figures(request, session)
    report = await annual_report(session, catalog, scope.agency, chosen, day)
    if format == "xlsx":
        return await report_xlsx_response(report)
    return page(
        request,
        "annual_report.html",
        {
            "report": report,
            "year": chosen,
            "years": list(range(day.year, day.year - 8, -1)),
            "pending": pending,
            "agency": agency,
            "may_choose_agency": person.principal.agency == ALL_AGENCIES,
            "overdue": day > report.due_on,
        },
        person=person,
    )
