from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("agency", "case_number", name="uq_cases_agency_case_number"),  # 案号 is unique per agency
        Index("ix_cases_agency_created", "agency", "created_at", "id"),
        Index("ix_cases_agency_opened", "agency", "opened_at", "id"),  # the list, 立案日期 newest first
        # Partial search (LIKE '%…%') on PostgreSQL through trigrams (pg_trgm); SQLite scans, which its sizes allow.
        Index("ix_cases_search_text_trgm", "search_text", postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(
            dialect="postgresql"
        ),
        Index("ix_cases_search_ids_trgm", "search_ids", postgresql_using="gin", postgresql_ops={"search_ids": "gin_trgm_ops"}).ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(128))
    procedure: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    officers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How long footage bound to the case is kept once it is closed (a retention class code).
    retention_class: Mapped[str] = mapped_column(String(32), default="case", server_default="case")
    category: Mapped[str | None] = mapped_column(String(100))  # 执法类别, checked against the officer register
    # Facts the limits and review checks read: violation_ended_on, serious_harm, major_decision, fine_yuan.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    # What the case search looks in, as `core.values.search_key` folds it, one field a line (a search never spans
    # two): 案号, 案由, parties' names and 法定代表人, officers' names, numbers and 执法证号 — and, apart, the parties'
    # 身份证号 / 统一社会信用代码, searched only by the roles that may read them. Kept by the service (cases.search).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_ids: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseStage(Base):
    """One stage of a case as it happened (or was skipped); the procedure defines which may exist."""

    __tablename__ = "case_stages"
    __table_args__ = (UniqueConstraint("case_id", "stage", name="uq_case_stages_case_stage"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    order: Mapped[int] = mapped_column("stage_order", Integer)
    status: Mapped[str] = mapped_column(String(16))  # open, closed, skipped
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    officers: Mapped[list[str]] = mapped_column(JSON, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"at", "by", "text"}], appended, never edited
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(32), ForeignKey("api_tokens.id"))


class Document(Base):
    """An 执法文书; its content lives in immutable versions."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    stage_id: Mapped[str] = mapped_column(String(32), ForeignKey("case_stages.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentVersion(Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version", name="uq_document_versions_document_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(String(32), ForeignKey("documents.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    doc_number: Mapped[str | None] = mapped_column(String(128), index=True)
    title: Mapped[str] = mapped_column(Text)
    party_name: Mapped[str | None] = mapped_column(String(200))  # the party as the document names it
    refusal_note: Mapped[str | None] = mapped_column(Text)  # why the party did not sign (拒绝签名的说明)
    text: Mapped[str | None] = mapped_column(Text)  # the document's body as plain text (what a publication is made from)
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signers: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachment_media_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("media.id"), index=True)
    change_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaBinding(Base):
    """Footage bound to a stage (optionally a segment of it). Unbinding keeps the row as history."""

    __tablename__ = "media_bindings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    stage_id: Mapped[str] = mapped_column(String(32), ForeignKey("case_stages.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), index=True)
    start_offset_s: Mapped[float | None] = mapped_column(Float)
    end_offset_s: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))  # a token's id, or a person's (the pages' upload form)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unbound_by: Mapped[str | None] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    unbind_reason: Mapped[str | None] = mapped_column(Text)


class InterruptionExplanation(Base):
    """Why whole-process recording on one device stopped between two times, recorded on purpose (a
    reason from the catalog, text, who, when): only this explains an interruption, never a stray note."""

    __tablename__ = "interruption_explanations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    stage_id: Mapped[str] = mapped_column(String(32), ForeignKey("case_stages.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(128))
    gap_start: Mapped[datetime] = mapped_column(UTCDateTime)
    gap_end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LimitAdjustment(Base):
    """An approved extension of a statutory limit, or a period not counted in it (听证, 公告, 检测, 鉴定),
    recorded on the case with its reason. Never edited but to end an open pause."""

    __tablename__ = "case_limit_adjustments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # extension, pause
    days: Mapped[int | None] = mapped_column(Integer)  # extension
    approved_on: Mapped[date | None] = mapped_column(Date)  # extension
    approved_by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(64))  # pause reason code
    paused_from: Mapped[date | None] = mapped_column(Date)
    paused_to: Mapped[date | None] = mapped_column(Date)  # null while the pause lasts
    text: Mapped[str] = mapped_column(Text)
    document_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("documents.id"))
    created_by: Mapped[str] = mapped_column(String(32), ForeignKey("api_tokens.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentScan(Base):
    """The signed paper 执法文书 scanned to PDF, attached to its document (issue 27): a media record like any other
    (proven SHA-256, locked, audited), bound to the document's stage so it is kept, held and exported with the
    case. Appended, never edited: a later scan of the same document replaces the earlier one on the page, both
    stay in the record."""

    __tablename__ = "document_scans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), index=True)
    document_id: Mapped[str] = mapped_column(String(32), ForeignKey("documents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the document's current version when the scan was attached
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), index=True)
    binding_id: Mapped[str] = mapped_column(String(32), ForeignKey("media_bindings.id"))
    attached_by: Mapped[str] = mapped_column(String(32))  # a token's id or a person's
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
