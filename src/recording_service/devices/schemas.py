from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ..core.values import RequestModel
from .models import Device, DeviceCheckout, DeviceEvent, DeviceKind, DeviceStatus

SERIAL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$"
KIND_NAMES = {"camera": "执法记录仪", "dock": "采集站", "recorder": "录音笔"}
STATUS_NAMES = {"in_service": "在用", "repair": "维修", "retired": "报废"}


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


class DeviceCreate(RequestModel):
    serial: str = Field(pattern=SERIAL_PATTERN, description="产品序号 (letters, digits, . _ -; unique in the agency)")
    kind: DeviceKind = Field(description="camera 执法记录仪, dock 采集站, recorder 录音笔")
    model: str | None = Field(default=None, max_length=100, description="型号")
    unit: str | None = Field(default=None, max_length=200, description="the unit the device belongs to (使用单位)")
    status: DeviceStatus = DeviceStatus.in_service
    note: str | None = Field(default=None, max_length=1000)

    _trimmed = field_validator("model", "unit", "note")(_text)


class DeviceUpdate(RequestModel):
    """Changed fields only; a change of status is kept with its reason."""

    kind: DeviceKind | None = None
    model: str | None = Field(default=None, max_length=100)
    unit: str | None = Field(default=None, max_length=200)
    status: DeviceStatus | None = None
    note: str | None = Field(default=None, max_length=1000)
    reason: str | None = Field(default=None, max_length=500, description="why (kept in the history)")

    _trimmed = field_validator("model", "unit", "note", "reason")(_text)


class CheckoutBody(RequestModel):
    officer_id: str = Field(min_length=1, max_length=64, description="an officer of the agency's register (执法人员编号)")
    at: datetime | None = Field(default=None, description="when the device was handed over (default: now); not in the future")
    note: str | None = Field(default=None, max_length=500)

    _trimmed = field_validator("note")(_text)

    @field_validator("officer_id")
    @classmethod
    def _officer(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the text is empty")
        return value.strip()


class ReturnBody(RequestModel):
    at: datetime | None = Field(default=None, description="when the device came back (default: now)")
    note: str | None = Field(default=None, max_length=500)
    files_on_device: int | None = Field(
        default=None, ge=0, le=100_000, description="files the dock or camera says are still on the device, not yet uploaded"
    )

    _trimmed = field_validator("note")(_text)


class DeviceEventOut(BaseModel):
    version: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    reason: str | None
    at: datetime
    by: str

    @classmethod
    def of(cls, row: DeviceEvent) -> "DeviceEventOut":
        return cls(version=row.version, action=row.action, before=row.before, after=row.after, reason=row.reason, at=row.at, by=row.by)


class CheckoutOut(BaseModel):
    id: str
    serial: str
    officer_id: str
    checked_out_at: datetime
    checked_out_by: str
    returned_at: datetime | None
    returned_by: str | None
    note: str | None
    files_on_device: int | None
    footage_pending: bool = Field(
        description="flagged at the return: footage recorded during the checkout may still be on the device "
        "(files_on_device > 0, or a checkout longer than 2 hours with no footage of the device recorded in it received yet)"
    )
    pending_reason: str | None = Field(description="files_on_device or no_footage")
    footage_at_return: int | None = Field(description="footage of the device recorded during the checkout, received by the return")

    @classmethod
    def of(cls, row: DeviceCheckout) -> "CheckoutOut":
        return cls(
            id=row.id,
            serial=row.serial,
            officer_id=row.officer_id,
            checked_out_at=row.checked_out_at,
            checked_out_by=row.checked_out_by,
            returned_at=row.returned_at,
            returned_by=row.returned_by,
            note=row.note,
            files_on_device=row.files_on_device,
            footage_pending=row.footage_pending,
            pending_reason=row.pending_reason,
            footage_at_return=row.footage_at_return,
        )


class DeviceOut(BaseModel):
    id: str
    agency: str
    serial: str
    kind: str
    kind_zh: str
    model: str | None
    unit: str | None
    status: str
    status_zh: str
    note: str | None
    out: bool = Field(description="checked out now")
    holder: CheckoutOut | None = Field(default=None, description="the open checkout, when the device is out")
    version: int
    created_at: datetime
    updated_at: datetime
    history: list[DeviceEventOut] | None = Field(default=None, description="single reads only: every change, oldest first")
    checkouts: list[CheckoutOut] | None = Field(default=None, description="single reads only: the latest 200 checkouts, newest first")

    @classmethod
    def of(
        cls,
        device: Device,
        holder: DeviceCheckout | None = None,
        history: list[DeviceEvent] | None = None,
        checkouts: list[DeviceCheckout] | None = None,
    ) -> "DeviceOut":
        return cls(
            id=device.id,
            agency=device.agency,
            serial=device.serial,
            kind=device.kind,
            kind_zh=KIND_NAMES.get(device.kind, device.kind),
            model=device.model,
            unit=device.unit,
            status=device.status,
            status_zh=STATUS_NAMES.get(device.status, device.status),
            note=device.note,
            out=device.current_checkout_id is not None,
            holder=CheckoutOut.of(holder) if holder is not None else None,
            version=device.version,
            created_at=device.created_at,
            updated_at=device.updated_at,
            history=None if history is None else [DeviceEventOut.of(e) for e in history],
            checkouts=None if checkouts is None else [CheckoutOut.of(c) for c in checkouts],
        )


class DevicePage(BaseModel):
    items: list[DeviceOut]
    next_cursor: str | None = None


class DeviceImportReport(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
