from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from ..core.times import require_offset
from .adjustments import add_adjustment, adjustments_of, end_pause
from .events import media_bound
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
)
from .service import check_facts, create_case, get_case, search_cases, update_case

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
CaseWriter = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
CaseReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.post("", status_code=201, response_model=CaseOut, summary="Open a case")
async def open_case(
    body: CaseCreate, catalog: CatalogDep, principal: CaseWriter, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    case = await create_case(session, catalog, principal, body)
    out = CaseOut.of(case, principal, settings.tz).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Location": f"/api/v1/cases/{case.id}"})


@router.get("", response_model=CasePage, summary="List cases")
async def list_cases(
    principal: CaseReader,
    session: DbSession,
    settings: SettingsDep,
    case_number: str | None = None,
    procedure: str | None = None,
    status: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the title or the parties")] = None,
    opened_from: Annotated[datetime | None, Query(description="cases opened at or after this time (with a UTC offset)")] = None,
    opened_before: Annotated[datetime | None, Query(description="cases opened before this time (with a UTC offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> CasePage:
    require_offset(opened_from, "opened_from")
    require_offset(opened_before, "opened_before")
    query = search_cases(
        principal, case_number=case_number, text=q, procedure=procedure, status=status, opened_from=opened_from, opened_before=opened_before
    )
    rows = (await session.execute(keyset(query, [Case.created_at, Case.id], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["created_at", "id"], limit)
    return CasePage(items=[CaseOut.of(c, principal, settings.tz) for c in rows], next_cursor=next_cursor)


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
    check_facts(catalog, body.facts)
    case = await get_case(session, principal, case_id)
    return CaseOut.of(await update_case(session, principal, case, body), principal, settings.tz)


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


async def _document(session, principal: Principal, document_id: str):
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
