from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class CalendarYearVersion(Base):
    """One state of a year of the official calendar, added after the release: the State Council publishes
    next year's arrangement in November or December. The highest version of a year takes the place of the
    packaged year of the same number; earlier versions stay, so any deadline can be traced to the days it
    was counted on."""

    __tablename__ = "calendar_year_versions"
    __table_args__ = (UniqueConstraint("year", "version", name="uq_calendar_year_versions_year_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # a CalendarYear as the catalog holds one, source included
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(200))


class LocalCalendarDay(Base):
    """An agency's own adjustment on top of the official calendar: a local holiday set by the province
    (e.g. 广西 三月三, 新疆 古尔邦节) or a local working day. It counts only in that agency's deadlines.
    Never deleted: a withdrawn day keeps who withdrew it and why."""

    __tablename__ = "calendar_local_days"
    __table_args__ = (Index("ix_calendar_local_days_agency_day", "agency", "day"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # off | working
    name_zh: Mapped[str] = mapped_column(String(50))
    basis: Mapped[str] = mapped_column(String(500))  # the local rule or notice that sets it
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))
