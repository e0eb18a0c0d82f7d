from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class Officer(Base):
    __tablename__ = "officers"
    __table_args__ = (
        UniqueConstraint("agency", "officer_id", name="uq_officers_agency_officer_id"),
        Index("ix_officers_agency_valid_to", "agency", "valid_to"),
        Index("ix_officers_agency_pinyin", "agency", "unit_key", "name_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    officer_id: Mapped[str] = mapped_column(String(64))  # the agency's own id, as cases and stages name officers
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(200))
    # 汉语拼音 sort keys of the unit and the name (collation.sort_key), kept with them: the lists are in this order.
    unit_key: Mapped[str] = mapped_column(String(512), default="", server_default="")
    name_key: Mapped[str] = mapped_column(String(512), default="", server_default="")
    certificate_number: Mapped[str] = mapped_column(String(64))  # 执法证号
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # 执法类别
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # 执法区域
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # the current status: valid, suspended, cancelled, revoked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficerStatusChange(Base):
    """Every status a certificate has had and from which day: "certified on the day" reads this."""

    __tablename__ = "officer_status_changes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    officer_pk: Mapped[str] = mapped_column(String(32), ForeignKey("officers.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))
