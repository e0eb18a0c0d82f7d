"""The audit trail pages (执法监督): the agency's whole trail at /audit, a case's trail, a footage item's trail —
one page filtered by person, action, object and days (in the agency's time zone), newest first, a page at a time,
each event described in Chinese; and the same events as CSV or XLSX for people (操作 in Chinese, its code in
操作代码). Admins and auditors only; an agency's auditor sees the agency's own events and those about every agency."""

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.checkpoint import verify_with_checkpoints
from ..audit.describe import Detail, action_name, descriptions, details, details_text
from ..audit.models import AuditEvent
from ..audit.service import AuditFilter, Subjects, agency_figures, count_of, filtered, local_day_bounds, trail_query, visible_events
from ..cases.schemas import CaseOut
from ..cases.service import cases_by_id, get_case, media_of_case, numbered_subjects
from ..catalog.schemas import Catalog
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep, on_the_loop
from ..core.principals import ALL_AGENCIES, Principal, Role
from ..core.problems import Problem
from ..core.query import refuse_unknown
from ..core.sheets import csv_bytes, xlsx_bytes
from ..media.service import get_media
from .render import ROLE_NAMES, actor, page, source_name
from .session import Person, require_page_roles

router = APIRouter(include_in_schema=False)

Overseer = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
PAGE_SIZE = 50
SHEET_ROWS = 100_000
MAX_PAGE = 100_000


@dataclass
class Filters:
    """The filters as the form holds them (text as typed; a bad date is kept and explained, not refused)."""

    person: str = ""
    action: str = ""
    about: str = ""
    first: str = ""
    last: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def days(self) -> tuple[date | None, date | None]:
        parsed = []
        for text, name in ((self.first, "开始日期"), (self.last, "结束日期")):
            try:
                parsed.append(date.fromisoformat(text) if text else None)
            except ValueError:
                self.errors.append(f"{name}“{text}”不是有效日期（应为 2026-12-06 这样的格式），已忽略。")
                parsed.append(None)
        first, last = parsed
        if first and last and first > last:
            self.errors.append("开始日期晚于结束日期：没有这样的期间。")
        return first, last

    @property
    def any(self) -> bool:
        return any((self.person, self.action, self.about, self.first, self.last))

    def query(self, **change: Any) -> str:
        values = {
            "person": self.person,
            "action": self.action,
            "object": self.about,
            "from": self.first,
            "to": self.last,
            "page": self.page,
        }
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})


def _typed(text: str) -> str:
    """A filter as typed, without the control characters no name, number or id holds (a database cannot hold NUL)."""
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f").strip()


FILTERS = frozenset({"person", "action", "object", "from", "to", "page"})


def trail_filters(
    request: Request,
    person: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    about: Annotated[str, Query(alias="object", max_length=200)] = "",
    first: Annotated[str, Query(alias="from", max_length=20)] = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> Filters:
    """The trail's filters, read once for every trail page and sheet. A parameter the trail does not know (a typo,
    an old link's cursor) is refused, never silently ignored."""
    refuse_unknown(request, FILTERS)
    return Filters(_typed(person), _typed(action), _typed(about), _typed(first), _typed(last), max(1, min(page_number, MAX_PAGE)))


TrailFilters = Annotated[Filters, Depends(on_the_loop(trail_filters))]


async def _where(session: AsyncSession, principal: Principal, filters: Filters, tz) -> tuple[AuditFilter, bool]:
    """The filter, and whether it can match anything at all (an impossible period matches nothing)."""
    first, last = filters.days()
    since, until = local_day_bounds(first, last, tz)
    subjects = None
    if filters.about:
        case_ids, media_ids = await numbered_subjects(session, principal, filters.about)
        subjects = Subjects(tuple(case_ids), tuple(media_ids), filters.about)
    where = AuditFilter(person=filters.person or None, action=filters.action or None, subjects=subjects, since=since, until=until)
    return where, not (first and last and first > last)


def catalog_names(catalog: Catalog) -> dict[str, dict[str, str]]:
    """The catalog's codes in payloads, as their Chinese names."""
    return {
        "procedure": {p.code: p.name_zh for p in catalog.procedures},
        "stage": {s.code: s.name_zh for p in catalog.procedures for s in p.stages},
        "doc_type": {d.code: d.name_zh for d in catalog.document_types},
        "retention_class": {r.code: r.name_zh for r in catalog.retention_classes},
        "rule": {r.code: r.name_zh for r in catalog.time_limits},
        "penalties": {k.code: k.name_zh for k in catalog.statistics.penalty_kinds},
        "matter_code": {m.code: m.name_zh for m in (catalog.inspection_matters.items if catalog.inspection_matters else [])},
    }


@dataclass
class Row:
    event: AuditEvent
    action_zh: str
    details: list[Detail]
    case_number: str | None
    actor: str
    actor_account: str


def _actor(event: AuditEvent) -> tuple[str, str]:
    """(who, as a person reads it — the service itself and an unnamed token by what they are; the account)."""
    return actor(event.actor_name or event.actor_token_id or event.actor_user_id), event.actor_user_id or event.actor_token_id or ""


async def _rows(session: AsyncSession, events: list[AuditEvent], tz, names: dict[str, dict[str, str]], *, shorten: bool) -> list[Row]:
    numbers = {c.id: c.case_number for c in await cases_by_id(session, sorted({e.case_id for e in events if e.case_id}))}
    out = []
    for event in events:
        actor, account = _actor(event)
        out.append(
            Row(
                event,
                action_name(event.action),
                details(event.payload, tz, names=names, shorten=shorten),
                numbers.get(event.case_id) if event.case_id else None,
                actor,
                account,
            )
        )
    return out


@dataclass
class Scope:
    """Whose trail: the agency's (`/audit`), a case's or a footage item's."""

    base: Select[Any]
    path: str
    heading: str
    file_stem: str
    subject: dict[str, Any] | None = None


async def _scope(session: AsyncSession, principal: Principal, settings, kind: str, subject_id: str | None) -> Scope:
    if kind == "case" and subject_id is not None:
        case = await get_case(session, principal, subject_id)
        return Scope(
            trail_query(principal, case_id=case.id, media_ids=await media_of_case(session, case.id)),
            f"/cases/{case.id}/audit",
            "审计记录",
            f"audit-{case.case_number}",
            {"kind": "case", "case": CaseOut.of(case, principal, settings.tz)},
        )
    if kind == "media" and subject_id is not None:
        media = await get_media(session, principal, subject_id)
        return Scope(
            trail_query(principal, media_ids=[media.id]),
            f"/footage/{media.id}/audit",
            "审计记录",
            f"audit-media-{media.id[:8]}",
            {"kind": "media", "media": media},
        )
    return Scope(visible_events(select(AuditEvent), principal), "/audit", "审计记录（全单位）", "audit")


async def _trail_page(
    request: Request,
    person,
    session: AsyncSession,
    settings,
    store,
    catalog: Catalog,
    scope: Scope,
    filters: Filters,
) -> Response:
    principal = person.principal
    where, possible = await _where(session, principal, filters, settings.tz)
    query = filtered(scope.base, where)
    total = await count_of(session, query) if possible else 0
    pages = max(1, -(-total // PAGE_SIZE))
    filters.page = min(filters.page, pages)
    events = []
    if possible and total:
        events = list(
            (await session.execute(query.order_by(AuditEvent.seq.desc()).offset((filters.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).scalars()
        )
    verdict = await verify_with_checkpoints(session, store)
    own = None if principal.agency == ALL_AGENCIES else await agency_figures(session, principal.agency)
    return page(
        request,
        "audit.html",
        {
            "scope": scope,
            "subject": scope.subject,
            "case": (scope.subject or {}).get("case"),
            "filters": filters,
            "choices": descriptions().choices(),
            "rows": await _rows(session, events, settings.tz, catalog_names(catalog), shorten=True),
            "total": total,
            "pages": pages,
            "verdict": verdict,
            "own": own,
            "tz": settings.tz,
        },
        person=person,
    )


SHEET_HEADER = [
    "序号",
    "时间",
    "操作",
    "操作代码",
    "操作者",
    "操作者账号",
    "角色",
    "操作者单位",
    "案号",
    "案件ID",
    "音像ID",
    "上传ID",
    "请求ID",
    "来源地址",
    "详情",
    "条目哈希",
]


async def _sheet(
    session: AsyncSession, principal: Principal, settings, catalog: Catalog, scope: Scope, filters: Filters, fmt: str
) -> Response:
    where, possible = await _where(session, principal, filters, settings.tz)
    events = (
        list((await session.execute(filtered(scope.base, where).order_by(AuditEvent.seq).limit(SHEET_ROWS))).scalars()) if possible else []
    )
    names = catalog_names(catalog)
    rows = [
        [
            row.event.seq,
            row.event.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S"),
            row.action_zh,
            row.event.action,
            row.actor,
            row.actor_account,
            ROLE_NAMES.get(row.event.actor_role, row.event.actor_role),
            row.event.actor_agency,
            row.case_number or "",
            row.event.case_id or "",
            row.event.media_id or "",
            row.event.upload_id or "",
            row.event.request_id or "",
            source_name(row.event.client_address),
            details_text(row.event.payload, settings.tz, names=names),
            row.event.entry_hash,
        ]
        for row in await _rows(session, events, settings.tz, names, shorten=False)
    ]
    if fmt == "xlsx":
        body = await asyncio.to_thread(xlsx_bytes, [("审计记录", [SHEET_HEADER], rows)])
        media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = csv_bytes(SHEET_HEADER, rows)
        media_type = "text/csv; charset=utf-8"
    filename = f"{scope.file_stem}.{fmt}"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"audit.{fmt}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


# --- the routes ------------------------------------------------------------------------------------


@router.get("/audit")
async def agency_audit(
    request: Request,
    person: Person,
    _role: Overseer,
    session: DbSession,
    settings: SettingsDep,
    store: StoreDep,
    catalog: CatalogDep,
    filters: TrailFilters,
) -> Response:
    scope = await _scope(session, person.principal, settings, "agency", None)
    return await _trail_page(request, person, session, settings, store, catalog, scope, filters)


@router.get("/audit.{fmt}")
async def agency_audit_sheet(
    fmt: str,
    person: Person,
    _role: Overseer,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    filters: TrailFilters,
) -> Response:
    scope = await _scope(session, person.principal, settings, "agency", None)
    return await _sheet(session, person.principal, settings, catalog, scope, filters, _format(fmt))


@router.get("/cases/{case_id}/audit")
async def case_audit(
    case_id: str,
    request: Request,
    person: Person,
    _role: Overseer,
    session: DbSession,
    settings: SettingsDep,
    store: StoreDep,
    catalog: CatalogDep,
    filters: TrailFilters,
) -> Response:
    scope = await _scope(session, person.principal, settings, "case", case_id)
    return await _trail_page(request, person, session, settings, store, catalog, scope, filters)


@router.get("/cases/{case_id}/audit.{fmt}")
async def case_audit_sheet(
    case_id: str,
    fmt: str,
    person: Person,
    _role: Overseer,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    filters: TrailFilters,
) -> Response:
    fmt = _format(fmt)
    scope = await _scope(session, person.principal, settings, "case", case_id)
    return await _sheet(session, person.principal, settings, catalog, scope, filters, fmt)


@router.get("/footage/{media_id}/audit")
async def footage_audit(
    media_id: str,
    request: Request,
    person: Person,
    _role: Overseer,
    session: DbSession,
    settings: SettingsDep,
    store: StoreDep,
    catalog: CatalogDep,
    filters: TrailFilters,
) -> Response:
    scope = await _scope(session, person.principal, settings, "media", media_id)
    return await _trail_page(request, person, session, settings, store, catalog, scope, filters)


@router.get("/footage/{media_id}/audit.{fmt}")
async def footage_audit_sheet(
    media_id: str,
    fmt: str,
    person: Person,
    _role: Overseer,
    session: DbSession,
    settings: SettingsDep,
    catalog: CatalogDep,
    filters: TrailFilters,
) -> Response:
    fmt = _format(fmt)
    scope = await _scope(session, person.principal, settings, "media", media_id)
    return await _sheet(session, person.principal, settings, catalog, scope, filters, fmt)


def _format(fmt: str) -> str:
    if fmt not in ("csv", "xlsx"):
        raise Problem(404, "not-found", "没有这种格式的导出（可选 CSV 或 XLSX）。")
    return fmt
