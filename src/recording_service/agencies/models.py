from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class AgencyProfile(Base):
    """The current state of an agency's profile; `code` is the agency code of its tokens and people."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))  # 机关全称
    uscc: Mapped[str] = mapped_column(String(18))  # 统一社会信用代码
    division_code: Mapped[str] = mapped_column(String(6))  # 行政区划代码
    parent: Mapped[str | None] = mapped_column(String(64), ForeignKey("agencies.code"), index=True)  # the hosting agency
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(100))
    office_hours: Mapped[str | None] = mapped_column(String(200))
    review_body: Mapped[str | None] = mapped_column(String(200))  # 复议机关
    court: Mapped[str | None] = mapped_column(String(200))  # 行政诉讼的管辖法院
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class AgencyProfileVersion(Base):
    """Every state a profile has had: what an export or a publication of that day named the agency by."""

    __tablename__ = "agency_profile_versions"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_agency_profile_versions_code_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), ForeignKey("agencies.code"))
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the whole profile as it was
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)  # the names of the fields this version changed
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))
