from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class InspectionSubjectVersion(Base):
    """One import of the 检查对象名录库: the whole directory as it was, kept as canonical JSON lines."""

    __tablename__ = "inspection_subject_versions"
    __table_args__ = (UniqueConstraint("agency", "version", name="uq_inspection_subject_versions_agency_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class InspectionSubject(Base):
    """A subject of the agency's current 名录库 (the latest import holds exactly these)."""

    __tablename__ = "inspection_subjects"
    __table_args__ = (
        UniqueConstraint("agency", "uscc", name="uq_inspection_subjects_agency_uscc"),
        Index("ix_inspection_subjects_agency_category", "agency", "category"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(500))
    risk: Mapped[str | None] = mapped_column(String(16))  # low, medium, high
    version: Mapped[int] = mapped_column(Integer)  # the import it came with


class InspectionConflict(Base):
    """回避: an officer who must not inspect a subject (kept by the agency, or declared by the officer)."""

    __tablename__ = "inspection_conflicts"
    __table_args__ = (Index("ix_inspection_conflicts_agency_officer", "agency", "officer_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    officer_id: Mapped[str] = mapped_column(String(64))
    uscc: Mapped[str] = mapped_column(String(18))
    source: Mapped[str] = mapped_column(String(16))  # agency, officer
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_by: Mapped[str] = mapped_column(String(200))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class InspectionPlan(Base):
    """抽查计划: a matter of the 随机抽查事项清单, the pool's filters, how many and by how many inspectors, by when.
    `commitment` is SHA-256 of `secret`, published from the start; the secret stays unread until a draw reveals it
    (each draw then commits to a fresh secret, for a redraw)."""

    __tablename__ = "inspection_plans"
    __table_args__ = (
        UniqueConstraint("agency", "number", name="uq_inspection_plans_agency_number"),
        Index("ix_inspection_plans_agency_year", "agency", "year"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(32))  # 计划编号
    year: Mapped[int] = mapped_column(Integer)
    matter_code: Mapped[str] = mapped_column(String(64))
    matter_name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100))  # 执法类别 of the matter, when the plan was made
    name: Mapped[str] = mapped_column(String(300))
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    ratio: Mapped[float | None] = mapped_column(Float)  # a percentage
    count: Mapped[int | None] = mapped_column(Integer)
    inspectors_per_task: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned, drawn
    secret: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class InspectionDraw(Base):
    """One draw of a plan, with everything needed to recompute it."""

    __tablename__ = "inspection_draws"
    __table_args__ = (UniqueConstraint("plan_id", "seq", name="uq_inspection_draws_plan_seq"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    plan_id: Mapped[str] = mapped_column(String(32), ForeignKey("inspection_plans.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1 for the draw, 2… for redraws
    status: Mapped[str] = mapped_column(String(16))  # current, superseded
    reason: Mapped[str | None] = mapped_column(Text)  # a redraw's reason
    algorithm: Mapped[str] = mapped_column(String(32))
    commitment: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    secret: Mapped[str] = mapped_column(String(64))
    public_seed: Mapped[str | None] = mapped_column(String(200))
    seed: Mapped[str] = mapped_column(String(64))
    subjects_version: Mapped[int] = mapped_column(Integer)
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    pool_size: Mapped[int] = mapped_column(Integer)
    pool_sha256: Mapped[str] = mapped_column(String(64))
    pool_snapshot: Mapped[str] = mapped_column(Text)
    wanted: Mapped[int] = mapped_column(Integer)
    inspectors_per_task: Mapped[int] = mapped_column(Integer)
    eligible: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # officer_id, name, certificate_number
    conflicts: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [officer_id, uscc] excluded (回避)
    drawn: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # uscc, name, rank
    drawn_on: Mapped[date] = mapped_column(Date)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by: Mapped[str] = mapped_column(String(200))


class InspectionTask(Base):
    """检查任务: one drawn subject with its inspectors, later its result and the result's publication."""

    __tablename__ = "inspection_tasks"
    __table_args__ = (
        UniqueConstraint("draw_id", "seq", name="uq_inspection_tasks_draw_seq"),
        Index("ix_inspection_tasks_agency_published", "agency", "published_at"),
        Index("ix_inspection_tasks_published", "published_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[str] = mapped_column(String(32), ForeignKey("inspection_plans.id"), index=True)
    draw_id: Mapped[str] = mapped_column(String(32), ForeignKey("inspection_draws.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(48))  # 任务编号
    uscc: Mapped[str] = mapped_column(String(18))
    subject_name: Mapped[str] = mapped_column(String(300))
    drawn_inspectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    inspectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))  # assigned, done, superseded
    checked_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("cases.id"))
    penalty_case_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("cases.id"))
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_by: Mapped[str | None] = mapped_column(String(200))
    publish_due_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(200))


class InspectionTaskAdjustment(Base):
    """A change of a task's inspectors after the draw (回避, illness…): who, why, from whom to whom."""

    __tablename__ = "inspection_task_adjustments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    task_id: Mapped[str] = mapped_column(String(32), ForeignKey("inspection_tasks.id"), index=True)
    before: Mapped[list[str]] = mapped_column(JSON)
    after: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))


__all__ = [
    "InspectionConflict",
    "InspectionDraw",
    "InspectionPlan",
    "InspectionSubject",
    "InspectionSubjectVersion",
    "InspectionTask",
    "InspectionTaskAdjustment",
]
