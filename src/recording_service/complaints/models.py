from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class Complaint(Base):
    """One complaint from the public and what the agency did with it."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_agency_queue", "agency", "status", "due_on"),
        Index("ix_complaints_agency_filed", "agency", "filed_on"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the reference number (投诉编号) handed to the complainant: it is looked up by, never kept itself.
    reference_hash: Mapped[str] = mapped_column(String(64), unique=True)
    about: Mapped[str] = mapped_column(String(16))  # officer, publication, other
    target: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))  # only the staff who handle complaints read it
    status: Mapped[str] = mapped_column(String(16))  # received, assigned, replied
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_on: Mapped[date] = mapped_column(Date)  # the agency's day it was filed
    due_on: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # counted over a year without calendar data
    assignee: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str | None] = mapped_column(String(200))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_on: Mapped[date | None] = mapped_column(Date)
    replied_by: Mapped[str | None] = mapped_column(String(200))
