from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ..auth.deps import Reader, require_roles
from ..auth.service import Principal, Role
from ..db import DbSession
from ..deps import SettingsDep
from ..pagination import MAX_LIMIT, keyset, page_of
from .models import Case
from .schemas import CaseCreate, CaseOut, CasePage
from .service import case_out, create_case, get_case, visible_cases

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
CaseWriter = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
CaseReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.post("", status_code=201, response_model=CaseOut, summary="Open a case")
async def open_case(body: CaseCreate, request: Request, principal: CaseWriter, session: DbSession, settings: SettingsDep) -> JSONResponse:
    case = await create_case(session, request.app.state.catalog, principal, body)
    out = case_out(case, principal, settings).model_dump(mode="json")
    return JSONResponse(out, status_code=201, headers={"Location": f"/api/v1/cases/{case.id}"})


@router.get("", response_model=CasePage, summary="List cases")
async def list_cases(
    principal: CaseReader,
    session: DbSession,
    settings: SettingsDep,
    case_number: str | None = None,
    procedure: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> CasePage:
    query = visible_cases(principal)
    if case_number:
        query = query.where(Case.case_number == case_number)
    if procedure:
        query = query.where(Case.procedure == procedure)
    if status:
        query = query.where(Case.status == status)
    rows = (await session.execute(keyset(query, [Case.created_at, Case.id], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["created_at", "id"], limit)
    return CasePage(items=[case_out(c, principal, settings) for c in rows], next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseOut, summary="One case")
async def read_case(case_id: str, principal: CaseReader, session: DbSession, settings: SettingsDep) -> CaseOut:
    return case_out(await get_case(session, principal, case_id), principal, settings)
