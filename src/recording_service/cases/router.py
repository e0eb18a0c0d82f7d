from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, tzinfo
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from ..catalog.service import CatalogDep
from ..core.db import DbSession, utcnow
from ..core.deps import SettingsDep, StoreDep, on_the_loop
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import Principal, Reader, Role, require_roles
from ..core.problems import Problem
from ..core.query import only, refuse_unknown
from ..core.times import require_offset, today
from ..media.service import sighting_counts
from .adjustments import add_adjustment, adjustments_of, end_pause
from .events import decision_revoked, media_bound
from .listing import XLSX_TYPE, list_file, list_sheet
from .models import Case, Document
from .record import (
    add_version,
    bind_media,
    create_document,
    document_versions,
    explain_interruption,
    get_stage,
    open_stage,
    unbind_media,
    update_stage,
)
from .schemas import (
    BindingCreate,
    BindingOut,
    CaseCreate,
    CaseOut,
    CasePage,
    CaseUpdate,
    DocumentCreate,
    DocumentOut,
    DocumentVersionCreate,
    InterruptionCreate,
    InterruptionOut,
    LimitAdjustmentCreate,
    LimitAdjustmentEnd,
    LimitAdjustmentOut,
    StageOpen,
    StageOut,
    StageUpdate,
    UnlinkedMediaOut,
    UnlinkedPage,
    UnlinkedSummaryOut,
)
from .service import (
    SORTS,
    check_facts,
    count_cases,
    create_case,
    export_rows,
    get_case,
    record_list_export,
    search_cases,
    update_case,
    year_bounds,
)
from .unlinked import MAX_DAYS as UNLINKED_MAX_DAYS
from .unlinked import RuleAt, UnlinkedFilters, unlinked_page, unlinked_query, unlinked_summary

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
CaseWriter = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
CaseReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.post("", status_code=201, response_model=CaseOut, summary="Open a case")
async def open_case(
    body: CaseCreate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    case = await create_case(session, catalog, principal, body, today(settings.tz))
    out = CaseOut.of(case, principal, settings.tz).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Location": f"/api/v1/cases/{case.id}"})


@dataclass
class CaseFilters:
    """The list's filters, the same for the list and its export."""

    case_number: Annotated[str | None, Query(description="the whole 案号 (full-width forms fold); for part of one, use q")] = None
    procedure: Annotated[str | None, Query(description="程序: a procedure code of GET /api/v1/procedures")] = None
    status: Annotated[str | None, Query(description="状态: open or closed")] = None
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="partial search, folded (full-width to half-width, brackets 〔〕[]（）() alike, spaces and case ignored): "
            "every word in the 案号, 案由, a party's name, an officer's name, number or 执法证号 — or a party's 身份证号 / "
            '统一社会信用代码 for the roles that may read them (admin, case_system, auditor). "12号" finds 濉卫立〔2026〕12号',
        ),
    ] = None
    opened_from: Annotated[datetime | None, Query(description="cases opened at or after this time (with a UTC offset)")] = None
    opened_before: Annotated[datetime | None, Query(description="cases opened before this time (with a UTC offset)")] = None
    year: Annotated[
        int | None, Query(ge=1970, le=2199, description="年份: cases opened (立案) in this year, in the service's time zone")
    ] = None
    has_problems: Annotated[
        bool | None,
        Query(
            description="有问题: true, the cases whose completeness has findings (missing records, a missed time limit, review "
            "findings); false, those with none. Read from the statistics' figures, kept current by the worker within about a "
            "minute of a change; a case not yet computed is in neither, nor is one whose only open point is footage still being "
            "recorded (completeness state recording)"
        ),
    ] = None


FILTER_NAMES = frozenset(f.name for f in fields(CaseFilters))
SortParam = Annotated[
    Literal["created_at", "-opened_at", "opened_at"],
    Query(description="created_at: as created, oldest first (the default); -opened_at: 立案日期 newest first; opened_at: oldest first"),
]


def filtered_cases(request: Request, principal: Principal, filters: CaseFilters, tz: tzinfo) -> Select[Case]:
    require_offset(filters.opened_from, "opened_from")
    require_offset(filters.opened_before, "opened_before")
    opened_from, opened_before = filters.opened_from, filters.opened_before
    if filters.year is not None:
        start, end = year_bounds(filters.year, tz)
        opened_from = max(opened_from, start) if opened_from else start
        opened_before = min(opened_before, end) if opened_before else end
    problems = request.app.state.cases_by_problems(filters.has_problems) if filters.has_problems is not None else None
    return search_cases(
        principal,
        case_number=filters.case_number,
        text=filters.q,
        procedure=filters.procedure,
        status=filters.status,
        opened_from=opened_from,
        opened_before=opened_before,
        problems=problems,
    )


@router.get("", response_model=CasePage, summary="List and search cases")
async def list_cases(
    request: Request,
    principal: CaseReader,
    session: DbSession,
    settings: SettingsDep,
    filters: Annotated[CaseFilters, Depends(on_the_loop(CaseFilters))],
    sort: SortParam = "created_at",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> CasePage:
    query = filtered_cases(request, principal, filters, settings.tz)
    keys, newest_first = SORTS[sort]
    rows = (await session.execute(keyset(query, keys, cursor, limit, descending=newest_first))).scalars().all()
    rows, next_cursor = page_of(list(rows), [key.key for key in keys], limit)
    return CasePage(
        items=[CaseOut.of(c, principal, settings.tz) for c in rows], next_cursor=next_cursor, total=await count_cases(session, query)
    )


@router.get(
    "/export",
    summary="The filtered case list as a file (CSV in UTF-8 with a BOM, or XLSX), Chinese headings",
    responses={
        200: {
            "content": {"text/csv": {}, XLSX_TYPE: {}},
            "description": "案号, 案由, 程序, 执法类别, 状态, 当事人, 证件号码 (roles that may read them), 执法人员, 立案日期, 结案日期; "
            "X-Records counts the rows",
        }
    },
)
async def export_cases(
    request: Request,
    catalog: CatalogDep,
    principal: CaseReader,
    session: DbSession,
    settings: SettingsDep,
    filters: Annotated[CaseFilters, Depends(on_the_loop(CaseFilters))],
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "csv",
    sort: SortParam = "-opened_at",
) -> Response:
    refuse_unknown(request, FILTER_NAMES | {"format", "sort"})  # a misspelt filter must not export every case
    cases = await export_rows(session, filtered_cases(request, principal, filters, settings.tz), sort)
    header, rows = list_sheet(cases, principal, catalog, settings.tz)
    await record_list_export(session, principal, format, len(rows), {k: v for k, v in asdict(filters).items() if v is not None})
    return await list_file(header, rows, format, today(settings.tz))


@router.get("/{case_id}", response_model=CaseOut, summary="One case")
async def read_case(case_id: str, principal: CaseReader, session: DbSession, settings: SettingsDep) -> CaseOut:
    return CaseOut.of(await get_case(session, principal, case_id), principal, settings.tz)


@router.patch(
    "/{case_id}",
    response_model=CaseOut,
    summary="Set the case's category or facts (violation date, harm, major decision, fine) that the time limits and the review read",
)
async def update_case_facts(
    case_id: str, body: CaseUpdate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> CaseOut:
    check_facts(catalog, body.facts, today(settings.tz))
    case = await get_case(session, principal, case_id)
    revoked_before = (case.facts or {}).get("decision_revoked_on")
    case = await update_case(session, principal, case, body)
    revoked_on = (case.facts or {}).get("decision_revoked_on")
    if revoked_on != revoked_before:  # set, corrected or cleared
        await decision_revoked.emit(
            session=session,
            catalog=catalog,
            principal=principal,
            case=case,
            revoked_on=date.fromisoformat(revoked_on) if revoked_on else None,
            before=date.fromisoformat(revoked_before) if revoked_before else None,
            tz=settings.tz,
        )
    return CaseOut.of(case, principal, settings.tz)


@router.get(
    "/{case_id}/limit-adjustments",
    response_model=list[LimitAdjustmentOut],
    summary="Approved extensions and paused periods of the case's time limits",
)
async def list_limit_adjustments(
    case_id: str, catalog: CatalogDep, principal: CaseReader, session: DbSession, settings: SettingsDep
) -> list[LimitAdjustmentOut]:
    case = await get_case(session, principal, case_id)
    return [LimitAdjustmentOut.of(a, catalog, settings.tz) for a in await adjustments_of(session, case.id)]


@router.post(
    "/{case_id}/limit-adjustments",
    status_code=201,
    response_model=LimitAdjustmentOut,
    summary="Record an approved extension of a limit, or a period not counted in it (听证, 公告, 检测, 鉴定)",
)
async def add_limit_adjustment(
    case_id: str, body: LimitAdjustmentCreate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    case = await get_case(session, principal, case_id)
    adjustment = await add_adjustment(session, catalog, principal, case, body)
    out = LimitAdjustmentOut.of(adjustment, catalog, settings.tz)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.patch(
    "/{case_id}/limit-adjustments/{adjustment_id}",
    response_model=LimitAdjustmentOut,
    summary="End a pause still open (its last day not counted)",
)
async def end_limit_pause(
    case_id: str,
    adjustment_id: str,
    body: LimitAdjustmentEnd,
    catalog: CatalogDep,
    principal: CaseWriter,
    session: DbSession,
    settings: SettingsDep,
) -> LimitAdjustmentOut:
    case = await get_case(session, principal, case_id)
    return LimitAdjustmentOut.of(await end_pause(session, principal, case, adjustment_id, body), catalog, settings.tz)


@router.post("/{case_id}/stages", status_code=201, response_model=StageOut, summary="Open (or skip) a stage, in procedure order")
async def open_case_stage(
    case_id: str, body: StageOpen, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    case = await get_case(session, principal, case_id)
    stage = await open_stage(session, catalog, principal, case, body)
    return JSONResponse(
        StageOut.of(stage, settings.tz).model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/cases/{case.id}/stages/{stage.id}"},
    )


@router.patch("/{case_id}/stages/{stage_id}", response_model=StageOut, summary="Close a stage (ended_at) or add a note")
async def update_case_stage(
    case_id: str, stage_id: str, body: StageUpdate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> StageOut:
    case = await get_case(session, principal, case_id)
    stage = await get_stage(session, case, stage_id)
    return StageOut.of(await update_stage(session, catalog, principal, case, stage, body), settings.tz)


@router.post("/{case_id}/documents", status_code=201, response_model=DocumentOut, summary="Register an 执法文书 (version 1)")
async def register_document(
    case_id: str, body: DocumentCreate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    case = await get_case(session, principal, case_id)
    document, version = await create_document(session, catalog, principal, case, body)
    out = DocumentOut.of(document, version, 1, catalog, settings.tz, [version])
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/documents/{document.id}"})


@router.post(
    "/{case_id}/stages/{stage_id}/media", status_code=201, response_model=BindingOut, summary="Bind footage (or a segment) to a stage"
)
async def bind_stage_media(
    case_id: str, stage_id: str, body: BindingCreate, principal: CaseWriter, session: DbSession, settings: SettingsDep, store: StoreDep
) -> JSONResponse:
    case = await get_case(session, principal, case_id)
    stage = await get_stage(session, case, stage_id)
    binding = await bind_media(session, principal, case, stage, body)
    media_bound.emit_after_commit(session, session=session, store=store, who=principal, media_ids=[binding.media_id])
    return JSONResponse(BindingOut.of(binding, settings.tz).model_dump(mode="json"), status_code=201)


@router.post(
    "/{case_id}/stages/{stage_id}/interruptions",
    status_code=201,
    response_model=InterruptionOut,
    summary="Explain an interruption in whole-process recording (a reason from the catalog, text)",
)
async def explain_stage_interruption(
    case_id: str,
    stage_id: str,
    body: InterruptionCreate,
    catalog: CatalogDep,
    principal: CaseWriter,
    session: DbSession,
    settings: SettingsDep,
) -> JSONResponse:
    case = await get_case(session, principal, case_id)
    stage = await get_stage(session, case, stage_id)
    explanation = await explain_interruption(session, catalog, principal, case, stage, body)
    out = InterruptionOut.of(explanation, catalog, settings.tz)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.delete(
    "/{case_id}/stages/{stage_id}/media/{binding_id}",
    response_model=BindingOut,
    summary="Unbind footage; the binding stays in history with who, when and why",
)
async def unbind_stage_media(
    case_id: str,
    stage_id: str,
    binding_id: str,
    principal: CaseWriter,
    session: DbSession,
    settings: SettingsDep,
    reason: Annotated[str, Query(min_length=1, max_length=2000)],
) -> BindingOut:
    case = await get_case(session, principal, case_id)
    stage = await get_stage(session, case, stage_id)
    return BindingOut.of(await unbind_media(session, principal, case, stage, binding_id, reason), settings.tz)


documents_router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


async def _document(session: AsyncSession, principal: Principal, document_id: str) -> tuple[Case, Document]:
    document = await session.get(Document, document_id)
    if document is None:
        raise Problem(404, "document-not-found", f"No document {document_id}.")
    try:
        case = await get_case(session, principal, document.case_id)
    except Problem:
        raise Problem(404, "document-not-found", f"No document {document_id}.") from None
    return case, document


@documents_router.get("/{document_id}", response_model=DocumentOut, summary="A document with its full version history")
async def read_document(
    document_id: str, catalog: CatalogDep, principal: CaseReader, session: DbSession, settings: SettingsDep
) -> DocumentOut:
    _, document = await _document(session, principal, document_id)
    history = await document_versions(session, document.id)
    return DocumentOut.of(document, history[-1], len(history), catalog, settings.tz, history)


@documents_router.post(
    "/{document_id}/versions", status_code=201, response_model=DocumentOut, summary="Record an edit as a new immutable version"
)
async def new_document_version(
    document_id: str, body: DocumentVersionCreate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    case, document = await _document(session, principal, document_id)
    await add_version(session, principal, case, document, body)
    history = await document_versions(session, document.id)
    out = DocumentOut.of(document, history[-1], len(history), catalog, settings.tz, history)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


# --- issue 27: footage bound to no case ------------------------------------------------------------------------------
# Mounted at /api/v1/media/unlinked and included before the media router, so that `/api/v1/media/{media_id}` never
# takes "unlinked" for an id.

unlinked_router = APIRouter(prefix="/api/v1/media/unlinked", tags=["media"])
UNLINKED_PARAMETERS = (
    "older_than_days",
    "device_id",
    "officer_id",
    "recorded_from",
    "recorded_to",
    "expiring_within_days",
    "limit",
    "cursor",
)


def retention_rule(request: Request) -> RuleAt:
    """custody's retention policy, handed over by the composition root (cases never imports custody)."""
    rule: RuleAt = request.app.state.retention_rule
    return rule


@unlinked_router.get(
    "",
    response_model=UnlinkedPage,
    summary="Footage bound to no case, oldest upload first, with its age and the day its retention ends",
    dependencies=[only(*UNLINKED_PARAMETERS)],
)
async def list_unlinked(
    request: Request,
    catalog: CatalogDep,
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    older_than_days: Annotated[int, Query(ge=0, le=UNLINKED_MAX_DAYS, description="uploaded at least this many whole days ago")] = 0,
    device_id: str | None = None,
    officer_id: str | None = None,
    recorded_from: Annotated[datetime | None, Query(description="recordings that end at or after this time")] = None,
    recorded_to: Annotated[datetime | None, Query(description="recordings that start at or before this time")] = None,
    expiring_within_days: Annotated[
        int | None,
        Query(ge=0, le=UNLINKED_MAX_DAYS, description="only what the retention sweep would delete within so many days (the warning list)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> UnlinkedPage:
    now = utcnow()
    filters = UnlinkedFilters(older_than_days, device_id, officer_id, recorded_from, recorded_to, expiring_within_days)
    rule_at = retention_rule(request)
    query = unlinked_query(principal, rule_at, catalog, now, filters)
    items, next_cursor = await unlinked_page(session, rule_at(catalog, now), query, now, cursor, limit)
    counts = await sighting_counts(session, [item.media.id for item in items])
    return UnlinkedPage(
        items=[UnlinkedMediaOut.of_item(item, settings, counts.get(item.media.id, 1)) for item in items], next_cursor=next_cursor
    )


@unlinked_router.get(
    "/summary",
    response_model=UnlinkedSummaryOut,
    summary="Footage bound to no case today: counts by age, and what the retention sweep would delete within N days",
    dependencies=[only("expiring_within_days")],
)
async def unlinked_figures(
    request: Request,
    catalog: CatalogDep,
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    expiring_within_days: Annotated[
        int | None, Query(ge=0, le=UNLINKED_MAX_DAYS, description="the warning's horizon (default: RECORDING_UNLINKED_WARNING_DAYS, 30)")
    ] = None,
) -> UnlinkedSummaryOut:
    within = settings.unlinked_warning_days if expiring_within_days is None else expiring_within_days
    summary = await unlinked_summary(session, principal, retention_rule(request), catalog, utcnow(), within)
    return UnlinkedSummaryOut.of(summary, catalog.retention("standard"), settings.tz)
