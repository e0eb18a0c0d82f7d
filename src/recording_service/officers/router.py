import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from ..auth.deps import require_roles
from ..auth.service import Principal, Role
from ..db import DbSession
from ..deps import SettingsDep
from ..pagination import MAX_LIMIT, keyset, page_of
from ..problems import Problem
from ..public_side import public_limit
from ..times import today
from .models import Officer
from .schemas import ImportReport, OfficerCreate, OfficerOut, OfficerPage, OfficerUpdate, PublicOfficer
from .service import (
    ImportRefused,
    create_officer,
    expiring_within,
    get_officer,
    history_of,
    import_officers,
    published_officers,
    officer_out,
    parse_rows,
    read_sheet,
    update_officer,
    visible_officers,
)


router = APIRouter(prefix="/api/v1/officers", tags=["officers"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
RegisterKeeper = Annotated[Principal, require_roles(Role.admin)]
RegisterReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]
MAX_SHEET_BYTES = 5 * 1024 * 1024


@router.post("", status_code=201, response_model=OfficerOut, summary="Register an officer (admin)")
async def register(body: OfficerCreate, principal: RegisterKeeper, session: DbSession, settings: SettingsDep) -> JSONResponse:
    officer = await create_officer(session, principal, body, today(settings.tz))
    await session.commit()
    return JSONResponse(officer_out(officer).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/api/v1/officers/{officer.officer_id}"})


@router.get("", response_model=OfficerPage, summary="The agency's officers")
async def list_officers(
    principal: RegisterReader, session: DbSession, settings: SettingsDep,
    status: Annotated[str | None, Query(pattern="^(valid|suspended|cancelled|revoked)$")] = None,
    expiring_within_days: Annotated[int | None, Query(ge=1, le=3660, description="valid certificates ending within this many days")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100, cursor: str | None = None,
) -> OfficerPage:
    query = visible_officers(principal)
    if status:
        query = query.where(Officer.status == status)
    if expiring_within_days:
        query = expiring_within(query, today(settings.tz), expiring_within_days)
    rows = (await session.execute(keyset(query, [Officer.officer_id, Officer.id], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["officer_id", "id"], limit)
    return OfficerPage(items=[officer_out(o) for o in rows], next_cursor=next_cursor)


@router.post("/import", response_model=ImportReport, summary="Create or update officers from a CSV or XLSX sheet: all rows or none (admin)",
             description="Columns (Chinese or English headers): 执法人员编号/officer_id, 姓名/name, 单位/unit, 执法证号/certificate_number, "
                         "执法类别/categories (separated by 、 or ,), 执法区域/regions, 有效期起/valid_from, 有效期止/valid_to, "
                         "状态/status (有效、暂扣、注销、吊销). Any bad row refuses the whole sheet (422, every row's errors listed).")
async def import_sheet(principal: RegisterKeeper, session: DbSession, settings: SettingsDep,
                       file: Annotated[UploadFile, File(description="a .csv (UTF-8) or .xlsx file")]) -> ImportReport:
    data = await file.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        raise Problem(413, "sheet-too-large", f"A sheet is at most {MAX_SHEET_BYTES} bytes.")
    try:
        bodies = await asyncio.to_thread(lambda: parse_rows(read_sheet(file.filename or "", data)))  # openpyxl: off the event loop
    except ImportRefused as refused:
        raise Problem(422, "import-refused", f"Nothing was imported: {len(refused.errors)} problem(s) in the sheet.",
                      errors=refused.errors[:500]) from None
    counts = await import_officers(session, principal, bodies, today(settings.tz), file.filename)
    await session.commit()
    return ImportReport(**counts)


@router.get("/{officer_id}", response_model=OfficerOut, summary="One officer, with the certificate's status history")
async def read_officer(officer_id: str, principal: RegisterReader, session: DbSession) -> OfficerOut:
    officer = await get_officer(session, principal, officer_id)
    return officer_out(officer, await history_of(session, officer))


@router.patch("/{officer_id}", response_model=OfficerOut, summary="Change an officer's record or certificate status (admin)")
async def change_officer(officer_id: str, body: OfficerUpdate, principal: RegisterKeeper, session: DbSession,
                         settings: SettingsDep) -> OfficerOut:
    officer = await get_officer(session, principal, officer_id)
    await update_officer(session, principal, officer, body, today(settings.tz))
    await session.commit()
    return officer_out(officer, await history_of(session, officer))


@public_router.get("/officers", response_model=list[PublicOfficer],
                   summary="The public 行政执法人员资格清单: officers whose certificate is valid today (no token)")
async def public_officers(request: Request, session: DbSession, settings: SettingsDep,
                          agency: Annotated[str | None, Query(max_length=64, description="one agency's list")] = None) -> list[PublicOfficer]:
    public_limit(request)
    rows = await published_officers(session, today(settings.tz), agency)
    return [PublicOfficer(name=o.name, unit=o.unit, certificate_number=o.certificate_number, categories=o.categories or [],
                          regions=o.regions or [], valid_from=o.valid_from, valid_to=o.valid_to, agency=o.agency) for o in rows]
