from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id
from .stored import AnnotationEntry, CorrectionEntry, FieldValue, Kind, Notice, PerformanceEntry, PrivateFields, RedactedSpan, Severity


class Publication(Base):
    """One 行政执法公示 item, drafted from a case's decision document. The source text stays in the case;
    `public_text` is a redacted copy the staff reviewed."""

    __tablename__ = "publications"
    __table_args__ = (
        Index("ix_publications_agency_status_due", "agency", "status", "due_on"),
        Index("ix_publications_status_published", "status", "published_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    document_id: Mapped[str] = mapped_column(String(32), ForeignKey("documents.id"), index=True)
    kind: Mapped[Kind] = mapped_column(String(16))
    severity: Mapped[Severity] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # draft, approved, published, annotated, withdrawn, expired, not_publishable
    version: Mapped[int] = mapped_column(Integer, default=1)
    fields: Mapped[dict[str, FieldValue]] = mapped_column(JSON, default=dict)  # the 双公示 record in our own names
    private_fields: Mapped[PrivateFields] = mapped_column(JSON, default=dict)  # for the platform only: a person's identity number
    public_text: Mapped[str | None] = mapped_column(Text)
    redaction: Mapped[list[RedactedSpan]] = mapped_column(JSON, default=list)  # the report: what was removed or flagged, where, why
    decided_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    period_months: Mapped[int | None] = mapped_column(Integer)
    period_ends_on: Mapped[date | None] = mapped_column(Date)
    not_publishable_reason: Mapped[str | None] = mapped_column(Text)
    notice: Mapped[Notice | None] = mapped_column(JSON)  # the party told: method, notified_at, by
    approved_by: Mapped[str | None] = mapped_column(String(32))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    annotations: Mapped[list[AnnotationEntry]] = mapped_column(JSON, default=list)
    corrections: Mapped[list[CorrectionEntry]] = mapped_column(JSON, default=list)  # 变更说明, public
    performance: Mapped[list[PerformanceEntry]] = mapped_column(JSON, default=list)  # 履行情况, the last is current
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    revoked_on: Mapped[date | None] = mapped_column(Date)  # the day the decision was revoked or changed
    withdraw_due_on: Mapped[date | None] = mapped_column(Date)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicationVersion(Base):
    """Every state of a draft's fields and text, kept: what was changed, by whom, when."""

    __tablename__ = "publication_versions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    publication_id: Mapped[str] = mapped_column(String(32), ForeignKey("publications.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, FieldValue]] = mapped_column(JSON, default=dict)
    public_text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
