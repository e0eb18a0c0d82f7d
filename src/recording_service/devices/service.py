"""Keeping the device register: every change an event of its own (before and after) and an audit event, in the
request's transaction; 领用/归还 with conditional updates, so a device is never out twice however requests race;
and who held a device at a moment (`holder_at`), which media asks when footage names no officer."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

import anyio
from pydantic import ValidationError
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ..audit.service import Entry, record, record_many
from ..core.config import Settings
from ..core.db import rowcount, utcnow
from ..core.ids import new_id
from ..core.messages import errors_zh, problem_text
from ..core.pagination import keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, scoped_to_agency
from ..core.problems import Problem
from ..core.sheets import SheetLimits, SheetRefused, Table, read_table_off_loop
from ..officers.service import register_for
from .models import Device, DeviceCheckout, DeviceEvent, DeviceKind, DeviceStatus
from .schemas import CheckoutBody, DeviceCreate, DeviceUpdate, ReturnBody

FIELDS = ("kind", "model", "unit", "status", "note")
ORDER: list[InstrumentedAttribute[Any]] = [Device.agency, Device.serial, Device.id]
CLOCK_SKEW = timedelta(minutes=5)  # a handover time this far ahead of the server's clock is still "now"
# A return is flagged when a checkout this long saw no footage of the device recorded in it arrive (and the return
# does not say how many files are still on the device).
FOOTAGE_EXPECTED_AFTER = timedelta(hours=2)

# What media answers for the return's check: footage of this agency's device recorded in [start, end) received so far.
FootageCount = Callable[[AsyncSession, str, str, datetime, datetime], Awaitable[int]]


def visible_devices(principal: Principal) -> Select[Device]:
    return scoped_to_agency(select(Device), Device.agency, principal)


def _agency_of(principal: Principal) -> str:
    if principal.agency == ALL_AGENCIES:
        raise Problem(
            403,
            "agency-required",
            "The device register is kept per agency: use a token of that agency.",
            detail_zh=problem_text("agency-required"),
        )
    return principal.agency


def _not_found(serial: str) -> Problem:
    return Problem(404, "device-not-found", f"No device {serial[:64]}.", detail_zh=problem_text("device-not-found"))


async def get_device(session: AsyncSession, principal: Principal, serial: str, agency: str | None = None) -> Device:
    """A device by its 产品序号 among those the principal sees (an all-agency administrator names the agency when two
    agencies use the same serial)."""
    query = visible_devices(principal).where(Device.serial == serial[:64])
    if agency:
        query = query.where(Device.agency == agency[:64])
    found = (await session.execute(query.order_by(Device.agency).limit(2))).scalars().all()
    if not found:
        raise _not_found(serial)
    if len(found) > 1:
        raise Problem(
            409,
            "device-ambiguous",
            f"Several agencies have a device {serial[:64]}: name the agency (?agency=).",
            detail_zh="多个单位登记了同一产品序号，请指明单位。",
        )
    return found[0]


def filtered_devices(
    query: Select[Device],
    kind: str | None = None,
    status: str | None = None,
    unit: str | None = None,
    serial: str | None = None,
    out: bool | None = None,
    officer_id: str | None = None,
    agency: str | None = None,
) -> Select[Device]:
    """The list's filters, the API's and the page's alike."""
    if kind:
        query = query.where(Device.kind == DeviceKind(kind).value)
    if status:
        query = query.where(Device.status == DeviceStatus(status).value)
    if unit and unit.strip():
        query = query.where(Device.unit.contains(unit.strip(), autoescape=True))
    if serial and serial.strip():
        query = query.where(Device.serial.contains(serial.strip(), autoescape=True))
    if out is not None:
        query = query.where(Device.current_checkout_id.is_not(None) if out else Device.current_checkout_id.is_(None))
    if officer_id and officer_id.strip():
        holding = select(DeviceCheckout.id).where(DeviceCheckout.officer_id == officer_id.strip(), DeviceCheckout.returned_at.is_(None))
        query = query.where(Device.current_checkout_id.in_(holding))
    if agency and agency.strip():
        query = query.where(Device.agency == agency.strip())
    return query


async def device_page(session: AsyncSession, query: Select[Device], cursor: str | None, limit: int) -> tuple[list[Device], str | None]:
    rows = (await session.execute(keyset(query, ORDER, cursor, limit))).scalars().all()
    return page_of(list(rows), [key.key for key in ORDER], limit)


async def history_of(session: AsyncSession, device: Device) -> list[DeviceEvent]:
    query = select(DeviceEvent).where(DeviceEvent.device_id == device.id).order_by(DeviceEvent.version)
    return list((await session.execute(query)).scalars())


async def checkouts_of(session: AsyncSession, device: Device, limit: int = 200) -> list[DeviceCheckout]:
    query = (
        select(DeviceCheckout)
        .where(DeviceCheckout.device_id == device.id)
        .order_by(DeviceCheckout.checked_out_at.desc(), DeviceCheckout.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def open_checkouts(session: AsyncSession, devices: list[Device]) -> dict[str, DeviceCheckout]:
    """The open checkout of each device that is out, by device id."""
    ids = [d.current_checkout_id for d in devices if d.current_checkout_id]
    if not ids:
        return {}
    rows = (await session.execute(select(DeviceCheckout).where(DeviceCheckout.id.in_(ids)))).scalars()
    return {row.device_id: row for row in rows}


def _state(device: Device) -> dict[str, Any]:
    return {"serial": device.serial, **{name: getattr(device, name) for name in FIELDS}}


def _event(device: Device, principal: Principal, action: str, before: dict[str, Any] | None, reason: str | None) -> DeviceEvent:
    return DeviceEvent(
        id=new_id(),
        device_id=device.id,
        version=device.version,
        action=action,
        before=before,
        after=_state(device),
        reason=reason,
        at=utcnow(),
        by=principal.name,
    )


def _audit_state(body: DeviceCreate) -> dict[str, Any]:
    return {
        "serial": body.serial,
        "device_kind": body.kind.value,
        "model": body.model,
        "unit": body.unit,
        "device_status": body.status.value,
        "note": body.note,
    }


def _exists(serial: str) -> Problem:
    return Problem(
        409,
        "device-exists",
        f"Device {serial} is already registered; change it with PATCH.",
        detail_zh=f"产品序号 {serial} 已经登记，请在设备页面上修改。",
    )


def _new_device(principal: Principal, agency: str, body: DeviceCreate, action: str) -> tuple[Device, DeviceEvent]:
    now = utcnow()
    device = Device(
        id=new_id(),
        agency=agency,
        serial=body.serial,
        kind=body.kind.value,
        model=body.model,
        unit=body.unit,
        status=body.status.value,
        note=body.note,
        version=1,
        created_at=now,
        updated_at=now,
    )
    return device, _event(device, principal, action, None, None)


async def create_device(session: AsyncSession, principal: Principal, body: DeviceCreate) -> Device:
    agency = _agency_of(principal)
    taken = (await session.execute(select(Device.id).where(Device.agency == agency, Device.serial == body.serial))).first()
    if taken is not None:
        raise _exists(body.serial)
    device, event = _new_device(principal, agency, body, "created")
    session.add(device)
    await session.flush()
    session.add(event)
    await record(session, principal, "device.created", agency=agency, payload=_audit_state(body))
    return device


def _out_refusal(device: Device, status: str) -> Problem:
    return Problem(
        409,
        "device-out",
        f"Device {device.serial} is checked out: return it before setting it to {status}.",
        detail_zh=f"设备 {device.serial} 尚未归还，归还后才能设为维修或报废。",
    )


def _changes(device: Device, body: DeviceUpdate) -> dict[str, Any]:
    values = body.model_dump(include=set(FIELDS), exclude_unset=True, mode="json")
    return {name: value for name, value in values.items() if value is not None and value != getattr(device, name)}


async def update_device(session: AsyncSession, principal: Principal, device: Device, body: DeviceUpdate) -> bool:
    """Apply the changed fields; False (and nothing recorded) when nothing changes."""
    changes = _changes(device, body)
    if not changes:
        return False
    if changes.get("status") in (DeviceStatus.repair, DeviceStatus.retired) and device.current_checkout_id:
        raise _out_refusal(device, changes["status"])
    before = _state(device)
    for name, value in changes.items():
        setattr(device, name, value)
    device.version += 1
    device.updated_at = utcnow()
    session.add(_event(device, principal, "updated", before, body.reason))
    await session.flush()
    await record(
        session,
        principal,
        "device.updated",
        agency=device.agency,
        payload={
            "serial": device.serial,
            "changed": {name: {"from": before[name], "to": value} for name, value in changes.items()},
            "reason": body.reason,
        },
    )
    return True


# --- 领用/归还 -------------------------------------------------------------------------------------


def _when(value: datetime | None, now: datetime, what_zh: str) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise Problem(422, "invalid-time", "Times need a UTC offset.", detail_zh=f"{what_zh}须带时区。")
    if value > now + CLOCK_SKEW:
        raise Problem(422, "time-in-future", f"The time {value.isoformat()} lies in the future.", detail_zh=f"{what_zh}不能晚于现在。")
    return value


async def checkout_device(session: AsyncSession, principal: Principal, device: Device, body: CheckoutBody) -> DeviceCheckout:
    """领用: refused when the device is out already (409), under repair or retired (409), or the officer is not in the
    agency's register (422)."""
    if device.current_checkout_id:
        raise Problem(
            409,
            "device-already-out",
            f"Device {device.serial} is checked out already; it must be returned first.",
            detail_zh=f"设备 {device.serial} 已被领用尚未归还，不能重复领用。",
        )
    if device.status != DeviceStatus.in_service:
        raise Problem(
            409,
            "device-not-in-service",
            f"Device {device.serial} is {device.status}: only a device in service is checked out.",
            detail_zh=f"设备 {device.serial} 处于{'维修' if device.status == DeviceStatus.repair else '报废'}状态，不能领用。",
        )
    register = await register_for(session, device.agency, {body.officer_id})
    if body.officer_id not in register.officers:
        raise Problem(
            422,
            "officer-unknown",
            f"Officer {body.officer_id} is not in the agency's register.",
            detail_zh=f"执法人员资格清单中没有编号为 {body.officer_id} 的人员，不能领用设备。",
            field="officer_id",
        )
    now = utcnow()
    at = _when(body.at, now, "领用时间")
    last_return = (
        await session.execute(select(func.max(DeviceCheckout.returned_at)).where(DeviceCheckout.device_id == device.id))
    ).scalar_one_or_none()
    if last_return is not None and at < last_return:
        raise Problem(
            409,
            "checkout-overlaps",
            f"Device {device.serial} was returned at {last_return.isoformat()}, after the checkout time given.",
            detail_zh="领用时间早于该设备上一次归还的时间。",
        )
    checkout_id = new_id()
    taken = await session.execute(
        update(Device)
        .where(Device.id == device.id, Device.current_checkout_id.is_(None), Device.status == DeviceStatus.in_service)
        .values(current_checkout_id=checkout_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(taken) != 1:  # another request took it between our read and our write
        raise Problem(
            409,
            "device-already-out",
            f"Device {device.serial} is checked out already.",
            detail_zh=f"设备 {device.serial} 已被领用尚未归还，不能重复领用。",
        )
    checkout = DeviceCheckout(
        id=checkout_id,
        device_id=device.id,
        agency=device.agency,
        serial=device.serial,
        officer_id=body.officer_id,
        checked_out_at=at,
        checked_out_by=principal.name,
        note=body.note,
        footage_pending=False,
    )
    session.add(checkout)
    await session.flush()
    await session.refresh(device)
    await record(
        session,
        principal,
        "device.checked_out",
        agency=device.agency,
        payload={"serial": device.serial, "officer_id": body.officer_id, "checkout_id": checkout_id, "checked_out_at": at.isoformat()},
    )
    return checkout


async def return_device(
    session: AsyncSession, principal: Principal, device: Device, body: ReturnBody, footage_count: FootageCount | None
) -> DeviceCheckout:
    """归还. The return is flagged `footage_pending` when the dock or camera declares files still on the device
    (`files_on_device` > 0), or, when it declares nothing, when the checkout lasted longer than
    FOOTAGE_EXPECTED_AFTER and no footage of the device recorded during it has been received."""
    if not device.current_checkout_id:
        raise Problem(
            409, "device-not-out", f"Device {device.serial} is not checked out.", detail_zh=f"设备 {device.serial} 没有被领用，无需归还。"
        )
    checkout = await session.get_one(DeviceCheckout, device.current_checkout_id)
    now = utcnow()
    at = _when(body.at, now, "归还时间")
    if at < checkout.checked_out_at:
        raise Problem(
            422,
            "return-before-checkout",
            "The return time lies before the checkout.",
            detail_zh="归还时间早于领用时间。",
            field="at",
        )
    released = await session.execute(
        update(Device)
        .where(Device.id == device.id, Device.current_checkout_id == checkout.id)
        .values(current_checkout_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(released) != 1:
        raise Problem(409, "device-not-out", f"Device {device.serial} was returned already.", detail_zh=f"设备 {device.serial} 已经归还。")
    arrived = await footage_count(session, device.agency, device.serial, checkout.checked_out_at, at) if footage_count else None
    reason = None
    if body.files_on_device is not None:
        reason = "files_on_device" if body.files_on_device > 0 else None
    elif arrived == 0 and at - checkout.checked_out_at > FOOTAGE_EXPECTED_AFTER:
        reason = "no_footage"
    checkout.returned_at, checkout.returned_by = at, principal.name
    checkout.files_on_device, checkout.footage_at_return = body.files_on_device, arrived
    checkout.footage_pending, checkout.pending_reason = reason is not None, reason
    if body.note:
        checkout.note = f"{checkout.note}\n{body.note}" if checkout.note else body.note
    await session.flush()
    await session.refresh(device)
    await record(
        session,
        principal,
        "device.returned",
        agency=device.agency,
        payload={
            "serial": device.serial,
            "officer_id": checkout.officer_id,
            "checkout_id": checkout.id,
            "returned_at": at.isoformat(),
            "files_on_device": body.files_on_device,
            "footage_pending": checkout.footage_pending,
            "pending_reason": reason,
            "note": body.note,
        },
    )
    return checkout


@dataclass(frozen=True)
class Holder:
    """Who held a device at a moment, by the register of checkouts."""

    officer_id: str
    checkout_id: str
    checked_out_at: datetime
    returned_at: datetime | None


async def holder_at(session: AsyncSession, agency: str, serial: str, at: datetime) -> Holder | None:
    """The officer who had the agency's device `serial` checked out at `at` (from its checkout, until its return), or None."""
    row = (
        (
            await session.execute(
                select(DeviceCheckout)
                .where(
                    DeviceCheckout.agency == agency,
                    DeviceCheckout.serial == serial,
                    DeviceCheckout.checked_out_at <= at,
                    or_(DeviceCheckout.returned_at.is_(None), DeviceCheckout.returned_at > at),
                )
                .order_by(DeviceCheckout.checked_out_at.desc())
                .limit(1)
            )
        )
        .scalars()
        .first()
    )
    return Holder(row.officer_id, row.id, row.checked_out_at, row.returned_at) if row else None


@dataclass(frozen=True)
class RegisteredDevice:
    agency: str
    serial: str
    kind: str
    model: str | None
    unit: str | None
    status: str
    out: bool
    created_at: datetime


async def registered_devices(session: AsyncSession, agency: str | None) -> list[RegisteredDevice]:
    """Every device of an agency (None: of every agency), for the figures."""
    query = select(Device).order_by(Device.agency, Device.serial)
    if agency is not None:
        query = query.where(Device.agency == agency)
    return [
        RegisteredDevice(d.agency, d.serial, d.kind, d.model, d.unit, d.status, d.current_checkout_id is not None, d.created_at)
        for d in (await session.execute(query)).scalars()
    ]


# --- import from a sheet ---------------------------------------------------------------------------

COLUMNS = {
    "serial": ("serial", "产品序号", "设备序号", "序列号", "设备编号"),
    "kind": ("kind", "设备类型", "类型"),
    "model": ("model", "型号", "设备型号"),
    "unit": ("unit", "使用单位", "所属单位", "单位"),
    "status": ("status", "状态", "设备状态"),
    "note": ("note", "备注"),
}
KIND_BY_NAME = {
    "camera": DeviceKind.camera,
    "执法记录仪": DeviceKind.camera,
    "记录仪": DeviceKind.camera,
    "dock": DeviceKind.dock,
    "采集站": DeviceKind.dock,
    "采集工作站": DeviceKind.dock,
    "recorder": DeviceKind.recorder,
    "录音笔": DeviceKind.recorder,
}
STATUS_BY_NAME = {
    "in_service": DeviceStatus.in_service,
    "在用": DeviceStatus.in_service,
    "正常": DeviceStatus.in_service,
    "repair": DeviceStatus.repair,
    "维修": DeviceStatus.repair,
    "retired": DeviceStatus.retired,
    "报废": DeviceStatus.retired,
}
MAX_ROWS = 10_000


class RowError(TypedDict):
    row: int | None
    field: str | None
    error: str
    error_zh: str


class ImportCounts(TypedDict):
    rows: int
    created: int
    updated: int
    unchanged: int


class DevicesRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def _header_rows(table: Table) -> list[tuple[int, dict[str, str]]]:
    positions: dict[str, int] = {}
    for name, headings in COLUMNS.items():
        found = [i for i, cell in enumerate(table.header) if cell.strip() in headings]
        if found:
            positions[name] = found[0]
    missing = [COLUMNS[name][1] for name in ("serial", "kind") if name not in positions]
    if missing:
        raise DevicesRefused(
            [{"row": 1, "field": None, "error": f"missing columns: {', '.join(missing)}", "error_zh": f"缺少列：{'、'.join(missing)}"}]
        )
    return [(number, {name: row[i] for name, i in positions.items()}) for number, row in table.rows]


def _coded(row: dict[str, str], name: str, table: dict[str, Any], number: int, choices_zh: str) -> tuple[Any, RowError | None]:
    typed = (row.get(name) or "").strip()
    if not typed:
        return None, None
    found = table.get(typed.lower() if typed.isascii() else typed)
    if found is None:
        label = "设备类型" if name == "kind" else "状态"
        return None, {
            "row": number,
            "field": name,
            "error": f"{name} {typed!r} is not one of {', '.join(k for k in table if k.isascii())}",
            "error_zh": f"第 {number} 行 {label}：“{typed}”不是 {choices_zh} 之一",
        }
    return found, None


def parse_devices(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, DeviceCreate]]:
    """Every row checked; any error refuses the whole sheet, each named by row and field in Chinese."""
    parsed: list[tuple[int, DeviceCreate]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        kind, kind_error = _coded(row, "kind", KIND_BY_NAME, number, "执法记录仪、采集站、录音笔")
        status, status_error = _coded(row, "status", STATUS_BY_NAME, number, "在用、维修、报废")
        if kind_error or status_error:
            errors += [e for e in (kind_error, status_error) if e]
            continue
        values: dict[str, Any] = {"serial": (row.get("serial") or "").strip(), "kind": kind}
        values.update({name: row[name] for name in ("model", "unit", "note") if (row.get(name) or "").strip()})
        if status is not None:
            values["status"] = status
        try:
            body = DeviceCreate.model_validate(values)
        except ValidationError as exc:
            for error, said in zip(exc.errors(), errors_zh(exc.errors(), "device", number)):
                errors.append(
                    {"row": number, "field": ".".join(str(p) for p in error["loc"]) or None, "error": error["msg"], "error_zh": said}
                )
            continue
        if body.serial in seen:
            errors.append(
                {
                    "row": number,
                    "field": "serial",
                    "error": f"{body.serial} appears twice in the sheet (row {seen[body.serial]})",
                    "error_zh": f"第 {number} 行 产品序号：{body.serial} 与第 {seen[body.serial]} 行重复",
                }
            )
            continue
        seen[body.serial] = number
        parsed.append((number, body))
    if errors:
        raise DevicesRefused(errors)
    if not parsed:
        raise DevicesRefused([{"row": None, "field": None, "error": "the sheet holds no devices", "error_zh": "表格中没有设备。"}])
    return parsed


async def read_devices(filename: str, data: bytes, settings: Settings) -> list[tuple[int, DeviceCreate]]:
    """A CSV (UTF-8 with or without BOM, UTF-16, GBK/GB18030) or XLSX sheet, read and checked off the event loop."""
    limits = SheetLimits(max_rows=MAX_ROWS, max_unpacked_bytes=settings.max_sheet_unpacked_bytes)
    try:
        table = await read_table_off_loop(filename, data, limits)
    except SheetRefused as refused:
        if refused.status == 422:
            raise DevicesRefused([{"row": None, "field": None, "error": refused.detail, "error_zh": refused.detail_zh}]) from None
        raise Problem(refused.status, refused.code, refused.detail, detail_zh=refused.detail_zh) from None
    return await anyio.to_thread.run_sync(lambda: parse_devices(_header_rows(table)))


async def import_devices(
    session: AsyncSession, principal: Principal, rows: list[tuple[int, DeviceCreate]], filename: str | None
) -> ImportCounts:
    """Register new devices and change known ones (audited, each change an event); the caller commits all or nothing.
    A row that would set a device that is out to repair or retired refuses the whole sheet."""
    agency = _agency_of(principal)
    existing = {d.serial: d for d in (await session.execute(select(Device).where(Device.agency == agency))).scalars()}
    counts: ImportCounts = {"rows": len(rows), "created": 0, "updated": 0, "unchanged": 0}
    errors: list[RowError] = []
    new: list[Device] = []
    events: list[DeviceEvent] = []
    entries: list[Entry] = []
    for number, body in rows:
        device = existing.get(body.serial)
        if device is None:
            device, event = _new_device(principal, agency, body, "imported")
            new.append(device)
            events.append(event)
            entries.append(Entry("device.created", agency=agency, payload=_audit_state(body)))
            counts["created"] += 1
            continue
        update_body = DeviceUpdate.model_validate(body.model_dump(include=set(FIELDS)) | {"reason": "import"})
        changes = _changes(device, update_body)
        if not changes:
            counts["unchanged"] += 1
            continue
        if changes.get("status") in (DeviceStatus.repair, DeviceStatus.retired) and device.current_checkout_id:
            errors.append(
                {
                    "row": number,
                    "field": "status",
                    "error": f"device {device.serial} is checked out",
                    "error_zh": f"第 {number} 行 状态：设备 {device.serial} 尚未归还，不能设为维修或报废",
                }
            )
            continue
        before = _state(device)
        for name, value in changes.items():
            setattr(device, name, value)
        device.version += 1
        device.updated_at = utcnow()
        events.append(_event(device, principal, "imported", before, "import"))
        entries.append(
            Entry(
                "device.updated",
                agency=agency,
                payload={
                    "serial": device.serial,
                    "changed": {n: {"from": before[n], "to": v} for n, v in changes.items()},
                    "reason": "import",
                },
            )
        )
        counts["updated"] += 1
    if errors:
        raise DevicesRefused(errors)
    session.add_all(new)
    await session.flush()  # the devices first: their events refer to them
    session.add_all(events)
    entries.append(Entry("device.imported", agency=agency, payload={"filename": filename, **counts}))
    await record_many(session, principal, entries)
    return counts
