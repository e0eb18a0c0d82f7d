from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from ..ids import new_id


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("agency", "case_number", name="uq_cases_agency_case_number"),  # 案号 is unique per agency
        Index("ix_cases_agency_created", "agency", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(128))
    procedure: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    parties: Mapped[list] = mapped_column(JSON, default=list)
    officers: Mapped[list] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
