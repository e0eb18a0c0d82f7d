import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from ..core.db import DbSession
from ..core.deps import SettingsDep, on_the_loop
from ..core.pagination import MAX_LIMIT
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from ..core.public_side import LIST, PUBLIC_CACHE, public_budget
from ..core.times import today
from .models import Officer
from .schemas import (
    CertificateCheckOut,
    ImportReport,
    OfficerCreate,
    OfficerOut,
    OfficerPage,
    OfficerUpdate,
    PublicOfficer,
    PublicOfficerPage,
)
from .service import (
    ImportRefused,
    OfficerSort,
    PublicFilter,
    certificate_check,
    create_officer,
    expiring_within,
    get_officer,
    history_of,
    import_officers,
    officer_page,
    public_filter,
    published_page,
    read_sheet,
    update_officer,
    visible_officers,
)

router = APIRouter(prefix="/api/v1/officers", tags=["officers"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
RegisterKeeper = Annotated[Principal, require_roles(Role.admin)]
RegisterReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.post("", status_code=201, response_model=OfficerOut, summary="Register an officer (admin)")
async def register(body: OfficerCreate, principal: RegisterKeeper, session: DbSession, settings: SettingsDep) -> JSONResponse:
    officer = await create_officer(session, principal, body, today(settings.tz))
    return JSONResponse(
        OfficerOut.of(officer).model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/officers/{officer.officer_id}"}
    )


@router.get(
    "",
    response_model=OfficerPage,
    summary="The agency's officers",
    description="Ordered by unit, then name, both in 汉语拼音 order (`sort=name`, the default), by 执法证号 "
    "(`sort=certificate_number`) or by officer number (`sort=officer_id`).",
)
async def list_officers(
    principal: RegisterReader,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str | None, Query(pattern="^(valid|suspended|cancelled|revoked)$")] = None,
    expiring_within_days: Annotated[int | None, Query(ge=1, le=3660, description="valid certificates ending within this many days")] = None,
    sort: Annotated[str, Query(pattern="^(name|certificate_number|officer_id)$")] = OfficerSort.name.value,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> OfficerPage:
    query = visible_officers(principal)
    if status:
        query = query.where(Officer.status == status)
    if expiring_within_days:
        query = expiring_within(query, today(settings.tz), expiring_within_days)
    rows, next_cursor = await officer_page(session, query, OfficerSort(sort), cursor, limit)
    return OfficerPage(items=[OfficerOut.of(o) for o in rows], next_cursor=next_cursor)


@router.post(
    "/import",
    response_model=ImportReport,
    summary="Create or update officers from a CSV or XLSX sheet: all rows or none (admin)",
    description="A CSV (UTF-8 with or without BOM, UTF-16 or GBK/GB18030) or the first sheet of an XLSX workbook, "
    "at most RECORDING_MAX_SHEET_BYTES (413 `sheet-too-large`, also when it unpacks past "
    "RECORDING_MAX_SHEET_UNPACKED_BYTES) and 10,000 rows (413 `sheet-too-many-rows`). Columns (Chinese or English headers): 执法人员编号/officer_id, 姓名/name, 单位/unit, 执法证号/certificate_number, "
    "执法类别/categories (separated by 、 or ,), 执法区域/regions, 有效期起/valid_from, 有效期止/valid_to, "
    "状态/status (有效、暂扣、注销、吊销). Any bad row refuses the whole sheet (422, every row's errors listed).",
)
async def import_sheet(
    principal: RegisterKeeper,
    session: DbSession,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a .csv (UTF-8 or GBK) or .xlsx file")],
) -> ImportReport:
    data = await file.read(settings.max_sheet_bytes + 1)
    if len(data) > settings.max_sheet_bytes:
        raise Problem(
            413,
            "sheet-too-large",
            f"A sheet is at most {settings.max_sheet_bytes} bytes.",
            detail_zh=f"表格文件不能超过 {settings.max_sheet_bytes // (1024 * 1024)} MB。",
        )
    try:
        bodies = await read_sheet(file.filename or "", data, settings)  # off the event loop, within the sheet limits
    except ImportRefused as refused:
        raise Problem(
            422,
            "import-refused",
            f"Nothing was imported: {len(refused.errors)} problem(s) in the sheet.",
            detail_zh=f"未导入任何内容：表格中有 {len(refused.errors)} 处问题。",
            errors=refused.errors[:500],
        ) from None
    counts = await import_officers(session, principal, bodies, today(settings.tz), file.filename)
    return ImportReport(**counts)


@router.get("/{officer_id}", response_model=OfficerOut, summary="One officer, with the certificate's status history")
async def read_officer(officer_id: str, principal: RegisterReader, session: DbSession) -> OfficerOut:
    officer = await get_officer(session, principal, officer_id)
    return OfficerOut.of(officer, await history_of(session, officer))


@router.patch("/{officer_id}", response_model=OfficerOut, summary="Change an officer's record or certificate status (admin)")
async def change_officer(
    officer_id: str, body: OfficerUpdate, principal: RegisterKeeper, session: DbSession, settings: SettingsDep
) -> OfficerOut:
    officer = await get_officer(session, principal, officer_id)
    await update_officer(session, principal, officer, body, today(settings.tz))
    return OfficerOut.of(officer, await history_of(session, officer))


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def not_modified(request: Request, etag: str) -> bool:
    asked = request.headers.get("if-none-match", "")
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in asked.split(","))


@public_router.get(
    "/officers",
    response_model=PublicOfficerPage,
    dependencies=[public_budget(LIST)],
    responses={304: {"description": "Not Modified: If-None-Match named this page's ETag"}},
    summary="The public 行政执法人员资格清单: officers whose certificate is valid today (no token)",
    description="Ordered by agency, then unit and name in 汉语拼音 order (`sort=name`, the default), or by 执法证号 "
    "(`sort=certificate_number`); `name` and `unit` match any part, `certificate_number` exactly, "
    "`category` one of the certificate's 执法类别. Readers may keep a page a minute (Cache-Control); "
    "the ETag answers a conditional GET (If-None-Match) with 304.",
)
async def public_officers(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    where: Annotated[PublicFilter, Depends(on_the_loop(public_filter))],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> Response:
    rows, next_cursor = await published_page(session, today(settings.tz), where, cursor, limit)
    body = PublicOfficerPage(items=[PublicOfficer.of(o) for o in rows], next_cursor=next_cursor).model_dump_json().encode()
    etag = etag_of(body)
    headers = {**PUBLIC_CACHE, "ETag": etag}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@public_router.get(
    "/officers/verify",
    response_model=CertificateCheckOut,
    dependencies=[public_budget(LIST)],
    summary="Anyone checks a 执法证 by its number and the holder's name (no token): valid, suspended, revoked or unknown",
    description="Answers the certificate's standing today and nothing else. A name that does not hold the number "
    "answers `unknown`, the same as a number nobody holds, so the check cannot be used to learn names; cancelled "
    "certificates and those outside their term are `unknown` too. Spends the public budget as a search does; "
    "answers are not cached.",
)
async def verify_certificate(
    session: DbSession,
    settings: SettingsDep,
    certificate_number: Annotated[str, Query(min_length=1, max_length=64, description="the 执法证号")],
    name: Annotated[str, Query(min_length=1, max_length=100, description="the holder's name")],
) -> JSONResponse:
    answer = await certificate_check(session, certificate_number, name, today(settings.tz))
    return JSONResponse(CertificateCheckOut(status=answer).model_dump(mode="json"), headers={"Cache-Control": "no-store"})
