"""Stored figures the statistics read. Each is derived (from a case's timeline, or from a day's footage and
fixity checks) and recomputed when the audit log shows its source changed; none is evidence itself."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow


class CaseFigures(Base):
    """One case as the statistics count it."""

    __tablename__ = "stats_case_figures"
    __table_args__ = (
        Index("ix_stats_case_figures_opened", "agency", "opened_on"),
        Index("ix_stats_case_figures_decided", "agency", "decided_on"),
        Index("ix_stats_case_figures_open", "status", "computed_on"),
    )

    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    procedure: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    complete: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[int] = mapped_column(Integer)
    review_score: Mapped[float | None] = mapped_column(Float)
    review_max: Mapped[float | None] = mapped_column(Float)
    severest_penalty: Mapped[str | None] = mapped_column(String(40))
    fine_yuan: Mapped[float] = mapped_column(Float, default=0)
    confiscated_yuan: Mapped[float] = mapped_column(Float, default=0)
    license_outcome: Mapped[str | None] = mapped_column(String(16))
    license_action: Mapped[str | None] = mapped_column(String(16))
    sealing: Mapped[bool] = mapped_column(Boolean, default=False)
    seizure: Mapped[bool] = mapped_column(Boolean, default=False)
    problems_found: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_held: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    source_seq: Mapped[int] = mapped_column(BigInteger)  # the audit log's head when computed: an older result never overwrites a newer
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    computed_on: Mapped[date] = mapped_column(Date)  # open cases' running limits change by the day: recomputed daily


class CaseFindingCount(Base):
    """A case's findings of one kind (and rule or check), with the case's agency and 立案 day to filter by."""

    __tablename__ = "stats_case_findings"
    __table_args__ = (Index("ix_stats_case_findings_opened", "agency", "opened_on"),)

    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)  # the time limit's rule or the review check; '' otherwise
    agency: Mapped[str] = mapped_column(String(64))
    opened_on: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)


class FootageDay(Base):
    """A day's footage of one agency per officer, device or dock: clips, seconds, bytes, and the upload lag bands
    (≤1 h, ≤6 h, ≤24 h, ≤72 h, longer; clips without a recording end are in none)."""

    __tablename__ = "stats_footage_days"

    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)  # officer, device, dock
    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # '' when the footage does not say
    clips: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    bytes: Mapped[int] = mapped_column(BigInteger)
    lag_1h: Mapped[int] = mapped_column(Integer)
    lag_6h: Mapped[int] = mapped_column(Integer)
    lag_24h: Mapped[int] = mapped_column(Integer)
    lag_72h: Mapped[int] = mapped_column(Integer)
    lag_more: Mapped[int] = mapped_column(Integer)


class FootageDayOf(Base):
    """Which day's figures a footage item is counted in (to move it when its recording time is filled in later)."""

    __tablename__ = "stats_footage_media"

    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)


class FixityDay(Base):
    __tablename__ = "stats_fixity_days"

    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    result: Mapped[str] = mapped_column(String(16), primary_key=True)  # ok, mismatch, missing
    checks: Mapped[int] = mapped_column(Integer)


class StatsWatermark(Base):
    """The audit log's sequence number up to which the figures have followed it (one row)."""

    __tablename__ = "stats_watermark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class ComplaintDay(Base):
    """An agency's complaints filed on a day about one kind of thing with one due date, and how many of them were
    answered, and answered late (recomputed from the complaints when the audit log shows one filed or answered).
    Open ones past the due date are read against the day asked."""

    __tablename__ = "stats_complaint_days"

    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    filed_on: Mapped[date] = mapped_column(Date, primary_key=True)
    about: Mapped[str] = mapped_column(String(16), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    filed: Mapped[int] = mapped_column(Integer)
    replied: Mapped[int] = mapped_column(Integer)
    replied_late: Mapped[int] = mapped_column(Integer)


class MediaFiling(Base):
    """issue 27 (关联率): when a footage item was first filed to a case — bound to a stage, or attached to a document —
    counted by its upload day. Recomputed when the audit log shows the item bound, unbound or attached."""

    __tablename__ = "stats_media_filing"
    __table_args__ = (Index("ix_stats_media_filing_uploaded", "agency", "uploaded_on"),)

    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    uploaded_on: Mapped[date] = mapped_column(Date)  # the agency's day of upload
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_after_s: Mapped[float | None] = mapped_column(Float)  # upload to its earliest filing that still holds; null: not filed
