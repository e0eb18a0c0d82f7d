from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.pagination import MAX_LIMIT
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from ..core.query import only
from .models import Device, DeviceKind, DeviceStatus
from .schemas import CheckoutBody, CheckoutOut, DeviceCreate, DeviceImportReport, DeviceOut, DevicePage, DeviceUpdate, ReturnBody
from .service import (
    DevicesRefused,
    FootageCount,
    checkout_device,
    checkouts_of,
    create_device,
    device_page,
    filtered_devices,
    get_device,
    history_of,
    import_devices,
    open_checkouts,
    read_devices,
    return_device,
    update_device,
    visible_devices,
)

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
Keeper = Annotated[Principal, require_roles(Role.admin)]
Reader = Annotated[Principal, require_roles(Role.admin, Role.auditor)]
Agency = Annotated[str | None, Query(max_length=64, description="an all-agency administrator names the agency")]
LIST_FILTERS = ("kind", "status", "unit", "serial", "out", "officer_id", "agency", "limit", "cursor")


async def _one(session: DbSession, device: Device, full: bool = True) -> DeviceOut:
    holders = await open_checkouts(session, [device])
    if not full:
        return DeviceOut.of(device, holders.get(device.id))
    return DeviceOut.of(device, holders.get(device.id), await history_of(session, device), await checkouts_of(session, device))


@router.post("", status_code=201, response_model=DeviceOut, summary="Register a device (admin): 执法记录仪, 采集站 or 录音笔")
async def add(body: DeviceCreate, principal: Keeper, session: DbSession) -> JSONResponse:
    device = await create_device(session, principal, body)
    out = await _one(session, device)
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/devices/{device.serial}"})


@router.get(
    "",
    response_model=DevicePage,
    dependencies=[only(*LIST_FILTERS)],
    summary="The agency's devices (admin, auditor)",
    description="By 产品序号. Filters: `kind`, `status`, `unit` (any part of the unit's name), `serial` (any part), "
    "`out=true|false` (checked out now), `officer_id` (the officer holding it now).",
)
async def list_devices(
    principal: Reader,
    session: DbSession,
    kind: DeviceKind | None = None,
    status: DeviceStatus | None = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    serial: Annotated[str | None, Query(max_length=64)] = None,
    out: bool | None = None,
    officer_id: Annotated[str | None, Query(max_length=64)] = None,
    agency: Agency = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> DevicePage:
    query = filtered_devices(visible_devices(principal), kind, status, unit, serial, out, officer_id, agency)
    rows, next_cursor = await device_page(session, query, cursor, limit)
    holders = await open_checkouts(session, rows)
    return DevicePage(items=[DeviceOut.of(d, holders.get(d.id)) for d in rows], next_cursor=next_cursor)


@router.post(
    "/import",
    response_model=DeviceImportReport,
    summary="Register or change devices from a CSV or XLSX sheet: all rows or none (admin)",
    description="A CSV (UTF-8 with or without BOM, UTF-16 or GBK/GB18030) or the first sheet of an XLSX workbook; columns "
    "(Chinese or English headers): 产品序号/serial, 设备类型/kind (执法记录仪、采集站、录音笔 or camera, dock, recorder), "
    "型号/model, 使用单位/unit, 状态/status (在用、维修、报废), 备注/note. Known serials are changed, new ones registered; "
    "any bad row refuses the whole sheet (422 `import-refused`, every row's errors listed in Chinese).",
)
async def import_sheet(
    principal: Keeper,
    session: DbSession,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a .csv (UTF-8 or GBK) or .xlsx file")],
) -> DeviceImportReport:
    data = await file.read(settings.max_sheet_bytes + 1)
    if len(data) > settings.max_sheet_bytes:
        raise Problem(
            413,
            "sheet-too-large",
            f"A sheet is at most {settings.max_sheet_bytes} bytes.",
            detail_zh=f"表格文件不能超过 {settings.max_sheet_bytes // (1024 * 1024)} MB。",
        )
    try:
        rows = await read_devices(file.filename or "", data, settings)
        counts = await import_devices(session, principal, rows, file.filename)
    except DevicesRefused as refused:
        raise import_refused(refused) from None
    return DeviceImportReport(**counts)


def import_refused(refused: DevicesRefused) -> Problem:
    return Problem(
        422,
        "import-refused",
        f"Nothing was imported: {len(refused.errors)} problem(s) in the sheet.",
        detail_zh=f"未导入任何内容：表格中有 {len(refused.errors)} 处问题。",
        errors=refused.errors[:500],
    )


@router.get(
    "/{serial}",
    response_model=DeviceOut,
    dependencies=[only("agency")],
    summary="One device, with every change of its record and its checkouts (admin, auditor)",
)
async def read_device(serial: str, principal: Reader, session: DbSession, agency: Agency = None) -> DeviceOut:
    return await _one(session, await get_device(session, principal, serial, agency))


@router.patch(
    "/{serial}",
    response_model=DeviceOut,
    dependencies=[only("agency")],
    summary="Change a device's record (admin): kind, model, unit, note, status (in_service, repair, retired) with a reason",
    description="A device that is checked out cannot be set to repair or retired (409 `device-out`).",
)
async def change_device(serial: str, body: DeviceUpdate, principal: Keeper, session: DbSession, agency: Agency = None) -> DeviceOut:
    device = await get_device(session, principal, serial, agency)
    await update_device(session, principal, device, body)
    return await _one(session, device)


@router.post(
    "/{serial}/checkout",
    status_code=201,
    response_model=CheckoutOut,
    dependencies=[only("agency")],
    summary="领用: check a device out to an officer of the register (admin)",
    description="Refused with 409 when the device is out already (`device-already-out`) or under repair or retired "
    "(`device-not-in-service`), 422 when the officer is not in the agency's register (`officer-unknown`) or `at` lies "
    "in the future. While it is out, footage of the device that names no officer is given the holder (marked inferred).",
)
async def checkout(serial: str, body: CheckoutBody, principal: Keeper, session: DbSession, agency: Agency = None) -> JSONResponse:
    device = await get_device(session, principal, serial, agency)
    row = await checkout_device(session, principal, device, body)
    return JSONResponse(CheckoutOut.of(row).model_dump(mode="json"), status_code=201)


@router.post(
    "/{serial}/return",
    response_model=CheckoutOut,
    dependencies=[only("agency")],
    summary="归还: a checked-out device comes back (admin)",
    description="`footage_pending` flags a return with footage possibly still on the device: the body's `files_on_device` "
    "is above 0, or (without it) the checkout lasted longer than 2 hours and no footage of the device recorded during "
    "it has been received. 409 `device-not-out` when the device is not out.",
)
async def give_back(
    serial: str, request: Request, principal: Keeper, session: DbSession, body: ReturnBody | None = None, agency: Agency = None
) -> CheckoutOut:
    device = await get_device(session, principal, serial, agency)
    row = await return_device(session, principal, device, body or ReturnBody(), footage_counter(request))
    return CheckoutOut.of(row)


def footage_counter(request: Request) -> FootageCount | None:
    """Media's count of a device's footage recorded in a period, handed to the app by the composition root."""
    counter: FootageCount | None = getattr(request.app.state, "device_footage_count", None)
    return counter
