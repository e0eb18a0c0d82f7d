from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class WindowStaff(Base):
    """One person at a service window, as the 公示 shows them."""

    __tablename__ = "window_staff"
    __table_args__ = (Index("ix_window_staff_agency_order", "agency", "active", "unit_key", "name_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(200))
    # 汉语拼音 sort keys of the unit and the name (officers.collation.sort_key): the lists are in this order.
    unit_key: Mapped[str] = mapped_column(String(512), default="")
    name_key: Mapped[str] = mapped_column(String(512), default="")
    post: Mapped[str] = mapped_column(String(100))  # 职务
    window: Mapped[str] = mapped_column("service_window", String(100))  # 窗口 (a column name SQL does not reserve)
    enforcement_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # 执法种类: codes of catalog.ENFORCEMENT_KINDS
    services: Mapped[list[str]] = mapped_column(JSON, default=list)  # 服务事项
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # 在岗: only those on duty are published
    photo_key: Mapped[str | None] = mapped_column(String(300))  # the photo's object (named by its SHA-256: never replaced)
    photo_type: Mapped[str | None] = mapped_column(String(32))  # image/jpeg or image/png
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WindowStaffVersion(Base):
    """Every state a person's entry has had: what changed, when, by whom and why (taken off duty, back again)."""

    __tablename__ = "window_staff_versions"
    __table_args__ = (UniqueConstraint("staff_id", "version", name="uq_window_staff_versions_staff_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    staff_id: Mapped[str] = mapped_column(String(32), ForeignKey("window_staff.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # created, updated, photo_set, photo_removed
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
