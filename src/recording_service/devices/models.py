from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class DeviceKind(StrEnum):
    camera = "camera"  # 执法记录仪
    dock = "dock"  # 采集站
    recorder = "recorder"  # 录音笔


class DeviceStatus(StrEnum):
    in_service = "in_service"  # 在用
    repair = "repair"  # 维修
    retired = "retired"  # 报废


class Device(Base):
    """One device of an agency, known by its 产品序号 (unique within the agency)."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("agency", "serial", name="uq_devices_agency_serial"),
        Index("ix_devices_agency_kind_status", "agency", "kind", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=DeviceStatus.in_service)
    note: Mapped[str | None] = mapped_column(Text)
    # The open checkout, if the device is out: set and cleared by conditional updates, so a device is never out twice.
    current_checkout_id: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceEvent(Base):
    """Every change of a device's record: what it was before, what it became, who, when and why."""

    __tablename__ = "device_events"
    __table_args__ = (UniqueConstraint("device_id", "version", name="uq_device_events_device_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(32), ForeignKey("devices.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # created, updated, imported
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))


class DeviceCheckout(Base):
    """领用/归还: a device in an officer's hands from `checked_out_at` until `returned_at` (None: still out)."""

    __tablename__ = "device_checkouts"
    __table_args__ = (
        Index("ix_device_checkouts_agency_serial_out", "agency", "serial", "checked_out_at"),
        Index("ix_device_checkouts_agency_officer", "agency", "officer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(32), ForeignKey("devices.id"), index=True)
    agency: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64))
    officer_id: Mapped[str] = mapped_column(String(64))
    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_out_by: Mapped[str] = mapped_column(String(200))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # What the return said of the footage: files the dock or camera declared still on it, and the flag.
    files_on_device: Mapped[int | None] = mapped_column(Integer)
    footage_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_reason: Mapped[str | None] = mapped_column(String(32))  # files_on_device or no_footage
    footage_at_return: Mapped[int | None] = mapped_column(Integer)  # footage of the period received by the return
