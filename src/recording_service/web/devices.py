"""设备管理 in the pages: the list of an agency's devices with filters, the page of one device (its record, who holds
it, its footage in the last 30 days, its checkouts and every change), and an admin's forms to register, change,
import, check out and return; auditors read them."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ..core.db import DbSession, discard
from ..core.deps import SettingsDep
from ..core.messages import errors_zh, messages, names, problem_zh
from ..core.principals import ALL_AGENCIES, Role
from ..core.problems import Problem
from ..core.query import refuse_unknown
from ..core.times import today
from ..devices.models import DeviceKind, DeviceStatus
from ..devices.schemas import CheckoutBody, CheckoutOut, DeviceCreate, DeviceEventOut, DeviceOut, DeviceUpdate, ReturnBody
from ..devices.service import (
    FOOTAGE_EXPECTED_AFTER,
    ORDER,
    DevicesRefused,
    checkout_device,
    checkouts_of,
    create_device,
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
from ..media.usage import device_footage_count
from ..officers.service import names_of
from ..stats.devices import usage_of_devices
from .flash import redirect_with_flash
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Keeper = Annotated[object, require_page_roles(Role.admin)]
Reader = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
LABELS = messages().fields["device"]
KINDS = names("device_kind")
STATUSES = names("device_status")
FILTERS = frozenset({"kind", "status", "unit", "serial", "out", "agency"})
USAGE_DAYS = 30


def _form_of(device: DeviceOut | None) -> dict[str, Any]:
    if device is None:
        return {"serial": "", "kind": "camera", "model": "", "unit": "", "status": "in_service", "note": ""}
    return {
        "serial": device.serial,
        "kind": device.kind,
        "model": device.model or "",
        "unit": device.unit or "",
        "status": device.status,
        "note": device.note or "",
    }


def _local_input(value: str, settings_tz: Any) -> datetime | None:
    """A datetime-local field (2026-11-24T09:30) in the agency's time zone; empty: now."""
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Problem(422, "invalid-time", "Not a time.", detail_zh="时间格式不对（应为 YYYY-MM-DD HH:MM）。") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=settings_tz)


async def _list_page(
    request: Request,
    person: Person,
    session: DbSession,
    settings: SettingsDep,
    filters: dict[str, str],
    *,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    imported: dict[str, int] | None = None,
    status_code: int = 200,
) -> Response:
    out = {"true": True, "false": False}.get(filters.get("out", ""))
    query = filtered_devices(
        visible_devices(person.principal),
        filters.get("kind") or None,
        filters.get("status") or None,
        filters.get("unit"),
        filters.get("serial"),
        out,
        None,
        filters.get("agency"),
    )
    rows = list((await session.execute(query.order_by(*ORDER).limit(2000))).scalars())
    holders = await open_checkouts(session, rows)
    devices = [DeviceOut.of(d, holders.get(d.id)) for d in rows]
    officer_names = await names_of(session, [(d.agency, d.holder.officer_id) for d in devices if d.holder])
    day = today(settings.tz)
    agency = None if person.principal.agency == ALL_AGENCIES else person.principal.agency
    usage = {
        (u.agency, u.serial): u
        for u in await usage_of_devices(session, agency, day - timedelta(days=USAGE_DAYS - 1), day, day, settings.tz)
    }
    in_service = [d for d in devices if d.status == "in_service"]
    used = [d for d in in_service if (u := usage.get((d.agency, d.serial))) and u.used]
    return page(
        request,
        "devices.html",
        {
            "devices": devices,
            "usage": usage,
            "holder_names": {
                (d.agency, d.holder.officer_id): officer_names.label(d.agency, d.holder.officer_id) for d in devices if d.holder
            },
            "filters": filters,
            "kinds": KINDS,
            "statuses": STATUSES,
            "may_edit": person.principal.role is Role.admin and person.principal.agency != ALL_AGENCIES,
            "errors": errors or [],
            "form": form or _form_of(None),
            "imported": imported,
            "usage_days": USAGE_DAYS,
            "rate": (len(used), len(in_service)),
            "tz": settings.tz,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/devices")
async def device_list(
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    kind: Annotated[str, Query(pattern="^(|camera|dock|recorder)$")] = "",
    status: Annotated[str, Query(pattern="^(|in_service|repair|retired)$")] = "",
    unit: Annotated[str, Query(max_length=200)] = "",
    serial: Annotated[str, Query(max_length=64)] = "",
    out: Annotated[str, Query(pattern="^(|true|false)$")] = "",
    agency: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    refuse_unknown(request, FILTERS)
    filters = {
        k: v.strip() for k, v in (("kind", kind), ("status", status), ("unit", unit), ("serial", serial), ("out", out), ("agency", agency))
    }
    return await _list_page(request, person, session, settings, filters)


@router.post("/devices")
async def add_device(
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    serial: Annotated[str, Form(max_length=1000)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    model: Annotated[str, Form(max_length=1000)] = "",
    unit: Annotated[str, Form(max_length=1000)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"serial": serial.strip(), "kind": kind, "model": model, "unit": unit, "status": "in_service", "note": note}
    try:
        body = DeviceCreate.model_validate({k: v for k, v in form.items() if k != "status" and (v or k in ("serial", "kind"))})
    except ValidationError as exc:
        return await _list_page(
            request, person, session, settings, {}, errors=errors_zh(exc.errors(), "device"), form=form, status_code=422
        )
    try:
        device = await create_device(session, person.principal, body)
    except Problem as problem:
        await discard(session)
        return await _list_page(request, person, session, settings, {}, errors=[problem_zh(problem)], form=form, status_code=problem.status)
    return RedirectResponse(f"/devices/{device.serial}", status_code=303)


@router.post("/devices/import")
async def import_sheet(
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(settings.max_sheet_bytes + 1)
    try:
        if len(data) > settings.max_sheet_bytes:
            raise Problem(
                413, "sheet-too-large", "Sheet too large.", detail_zh=f"表格文件不能超过 {settings.max_sheet_bytes // (1024 * 1024)} MB。"
            )
        rows = await read_devices(file.filename or "", data, settings)
        counts = await import_devices(session, person.principal, rows, file.filename)
    except DevicesRefused as refused:
        await discard(session)
        errors = [e["error_zh"] for e in refused.errors[:200]]
        return await _list_page(request, person, session, settings, {}, errors=["未导入任何内容：", *errors], status_code=422)
    except Problem as problem:
        await discard(session)
        return await _list_page(request, person, session, settings, {}, errors=[problem_zh(problem)], status_code=problem.status)
    notice = f"已导入 {counts['rows']} 行：新登记 {counts['created']} 台，变更 {counts['updated']} 台，未变 {counts['unchanged']} 台。"
    return redirect_with_flash(request, person, "/devices", notice=notice)


async def _device_page(
    request: Request,
    person: Person,
    session: DbSession,
    settings: SettingsDep,
    serial: str,
    agency: str,
    *,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    device = await get_device(session, person.principal, serial, agency or None)
    holders = await open_checkouts(session, [device])
    out = DeviceOut.of(device, holders.get(device.id))
    checkouts = [CheckoutOut.of(c) for c in await checkouts_of(session, device)]
    registered = await names_of(session, [(device.agency, c.officer_id) for c in checkouts])
    day = today(settings.tz)
    found = await usage_of_devices(session, device.agency, day - timedelta(days=USAGE_DAYS - 1), day, day, settings.tz)
    usage = next((u for u in found if u.serial == device.serial), None)
    # A flagged return is settled once footage of its period has arrived since.
    arrived = {
        c.id: await device_footage_count(session, device.agency, device.serial, c.checked_out_at, c.returned_at)
        for c in checkouts
        if c.footage_pending and c.returned_at
    }
    return page(
        request,
        "device.html",
        {
            "d": out,
            "checkouts": checkouts,
            "arrived": arrived,
            "officer_names": {c.officer_id: registered.label(device.agency, c.officer_id) for c in checkouts},
            "history": [DeviceEventOut.of(e) for e in await history_of(session, device)],
            "usage": usage,
            "usage_days": USAGE_DAYS,
            "may_edit": person.principal.role is Role.admin,
            "errors": errors or [],
            "form": form or _form_of(out),
            "kinds": KINDS,
            "statuses": STATUSES,
            "labels": LABELS,
            "expected_hours": int(FOOTAGE_EXPECTED_AFTER.total_seconds() // 3600),
            "agency_query": f"?agency={device.agency}",
            "tz": settings.tz,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/devices/{serial}")
async def device_page(
    serial: str,
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    agency: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    refuse_unknown(request, {"agency"})
    return await _device_page(request, person, session, settings, serial, agency)


@router.post("/devices/{serial}")
async def edit_device(
    serial: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    agency: Annotated[str, Query(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    model: Annotated[str, Form(max_length=1000)] = "",
    unit: Annotated[str, Form(max_length=1000)] = "",
    status: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    device = await get_device(session, person.principal, serial, agency or None)
    form = {"serial": device.serial, "kind": kind, "model": model, "unit": unit, "status": status, "note": note}
    try:
        body = DeviceUpdate.model_validate(
            {"kind": kind or None, "model": model, "unit": unit, "status": status or None, "note": note, "reason": reason or None}
        )
        changed = await update_device(session, person.principal, device, body)
    except ValidationError as exc:
        return await _device_page(
            request, person, session, settings, serial, agency, errors=errors_zh(exc.errors(), "device"), form=form, status_code=422
        )
    except Problem as problem:
        await discard(session)
        return await _device_page(
            request, person, session, settings, serial, agency, errors=[problem_zh(problem)], form=form, status_code=problem.status
        )
    return redirect_with_flash(
        request, person, f"/devices/{device.serial}?agency={device.agency}", notice="已保存。" if changed else "没有变化。"
    )


@router.post("/devices/{serial}/checkout")
async def checkout(
    serial: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    agency: Annotated[str, Query(max_length=64)] = "",
    officer_id: Annotated[str, Form(max_length=200)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    device = await get_device(session, person.principal, serial, agency or None)
    try:
        body = CheckoutBody.model_validate({"officer_id": officer_id, "at": _local_input(at, settings.tz), "note": note or None})
        row = await checkout_device(session, person.principal, device, body)
    except ValidationError as exc:
        return await _device_page(
            request, person, session, settings, serial, agency, errors=errors_zh(exc.errors(), "device"), status_code=422
        )
    except Problem as problem:
        await discard(session)
        return await _device_page(
            request, person, session, settings, serial, agency, errors=[problem_zh(problem)], status_code=problem.status
        )
    return redirect_with_flash(
        request, person, f"/devices/{device.serial}?agency={device.agency}", notice=f"已登记领用：{row.officer_id}。"
    )


@router.post("/devices/{serial}/return")
async def give_back(
    serial: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    settings: SettingsDep,
    agency: Annotated[str, Query(max_length=64)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    files_on_device: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    device = await get_device(session, person.principal, serial, agency or None)
    try:
        body = ReturnBody.model_validate(
            {"at": _local_input(at, settings.tz), "files_on_device": files_on_device.strip() or None, "note": note or None}
        )
        row = await return_device(session, person.principal, device, body, device_footage_count)
    except ValidationError as exc:
        return await _device_page(
            request, person, session, settings, serial, agency, errors=errors_zh(exc.errors(), "device"), status_code=422
        )
    except Problem as problem:
        await discard(session)
        return await _device_page(
            request, person, session, settings, serial, agency, errors=[problem_zh(problem)], status_code=problem.status
        )
    notice = "已登记归还。" + ("提示：可能仍有音像未上传，请尽快在采集站上传。" if row.footage_pending else "")
    return redirect_with_flash(request, person, f"/devices/{device.serial}?agency={device.agency}", notice=notice)


__all__ = ["router", "DeviceKind", "DeviceStatus"]
