from datetime import date, datetime, tzinfo
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from ..agencies.schemas import checked_uscc
from ..core.messages import name_of
from ..core.values import RequestModel
from .draw import ALGORITHM
from .models import (
    InspectionConflict,
    InspectionDraw,
    InspectionPlan,
    InspectionSubject,
    InspectionSubjectVersion,
    InspectionTask,
    InspectionTaskAdjustment,
)

OFFICER_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class SubjectRisk(StrEnum):
    low = "low"  # 低风险
    medium = "medium"  # 中风险
    high = "high"  # 高风险


class InspectionResult(StrEnum):
    no_problem = "no_problem"  # 未发现问题
    rectify_ordered = "rectify_ordered"  # 发现问题已责令整改
    case_filed = "case_filed"  # 发现问题已立案查处
    not_found = "not_found"  # 通过登记的住所（经营场所）无法联系
    other = "other"  # 其他


class InspectionConflictSource(StrEnum):
    agency = "agency"  # the agency's own list
    officer = "officer"  # the officer's declaration


def _text(value: object) -> object:
    """Optional text: trimmed, blank means none."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _listed(value: object) -> object:
    """A filter given as one value or a list: a list, blanks dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [v.strip() if isinstance(v, str) else v for v in value if not (isinstance(v, str) and not v.strip())]
    return value


class SubjectFields(RequestModel):
    """One subject of the 名录库, as a sheet's row gives it."""

    uscc: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100: 18 characters, check character verified)")
    name: str = Field(min_length=1, max_length=300, description="市场主体名称")
    kind: str | None = Field(default=None, max_length=100, description="主体类型 (企业, 个体工商户, 医疗机构…)")
    category: str | None = Field(default=None, max_length=100, description="行业类别")
    region: str | None = Field(default=None, max_length=100, description="所属区域")
    address: str | None = Field(default=None, max_length=500, description="住所（经营场所）")
    risk: SubjectRisk | None = Field(default=None, description="风险等级")

    _optional = field_validator("kind", "category", "region", "address", mode="before")(_text)

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        return checked_uscc(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a name is required")
        return value


class InspectionPlanFilters(RequestModel):
    """Which subjects of the 名录库 the plan draws from; each given value admits its subjects (none: the whole 名录库)."""

    category: list[str] = Field(default_factory=list, max_length=50, description="行业类别, any of")
    region: list[str] = Field(default_factory=list, max_length=200, description="所属区域, any of")
    risk: list[SubjectRisk] = Field(default_factory=list, max_length=3, description="风险等级, any of")

    _lists = field_validator("category", "region", "risk", mode="before")(_listed)

    @field_validator("category", "region")
    @classmethod
    def _texts(cls, values: list[str]) -> list[str]:
        if any(len(v) > 100 for v in values):
            raise ValueError("a filter value is at most 100 characters")
        return sorted(set(values))

    @field_validator("risk")
    @classmethod
    def _risks(cls, values: list[SubjectRisk]) -> list[SubjectRisk]:
        return sorted(set(values))

    def stored(self) -> dict[str, list[str]]:
        return {name: [str(v) for v in values] for name, values in self.model_dump(mode="json").items() if values}


class InspectionPlanCreate(RequestModel):
    matter_code: str = Field(
        min_length=1, max_length=64, description="an entry of the 随机抽查事项清单 (GET /api/v1/public/inspection-matters)"
    )
    name: str = Field(min_length=1, max_length=300, description="计划名称")
    year: int = Field(ge=2000, le=2100)
    filters: InspectionPlanFilters = Field(default_factory=InspectionPlanFilters)
    ratio: float | None = Field(default=None, gt=0, le=100, description="抽查比例 as a percentage (5 = 5 % of the pool, rounded up)")
    count: int | None = Field(default=None, ge=1, le=100_000, description="抽查数量 (at most the pool)")
    inspectors_per_task: int = Field(ge=2, le=10, description="inspectors per subject (at least 2)")
    due_on: date = Field(description="完成期限")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a name is required")
        return value.strip()

    @model_validator(mode="after")
    def _ratio_or_count(self) -> "InspectionPlanCreate":
        if (self.ratio is None) == (self.count is None):
            raise ValueError("give either ratio or count")
        if not date(2000, 1, 1) <= self.due_on <= date(2100, 12, 31):
            raise ValueError("due_on must lie between 2000 and 2100")
        return self


class DrawCreate(RequestModel):
    seed: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="a public value fixed after the plan (a lottery's numbers): the seed is then SHA-256(secret ‖ value)",
    )
    reason: str | None = Field(default=None, max_length=2000, description="why the plan is drawn again (required for a redraw)")

    _trimmed = field_validator("seed", "reason", mode="before")(_text)


class InspectionTaskUpdate(RequestModel):
    inspectors: list[str] = Field(min_length=2, max_length=10, description="the task's inspectors by officer number")
    adjustment_reason: str = Field(min_length=1, max_length=2000)

    @field_validator("inspectors")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        values = [v.strip() for v in values]
        if len(set(values)) != len(values):
            raise ValueError("names repeat")
        return values

    @field_validator("adjustment_reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("an adjustment needs a reason")
        return value.strip()


class InspectionResultCreate(RequestModel):
    checked_on: date = Field(description="检查完成日期")
    result: InspectionResult
    note: str | None = Field(default=None, max_length=2000, description="备注 (public)")
    case_id: str | None = Field(
        default=None, max_length=32, description="the inspection case (procedure inspection-routine); required for case_filed"
    )
    penalty_case_id: str | None = Field(
        default=None, max_length=32, description="the case filed (立案查处): its penalty decision's publication is linked once public"
    )

    _trimmed = field_validator("note", "case_id", "penalty_case_id", mode="before")(_text)

    @model_validator(mode="after")
    def _case_for_case_filed(self) -> "InspectionResultCreate":
        if self.result is InspectionResult.case_filed and not self.case_id:
            raise ValueError("a result of case_filed needs the case_id")
        return self


class InspectionConflictCreate(RequestModel):
    officer_id: str = Field(pattern=OFFICER_ID)
    uscc: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=2000, description="why the officer must not inspect the subject")
    source: InspectionConflictSource = Field(
        default=InspectionConflictSource.agency, description="agency: the agency's list; officer: the officer's own declaration"
    )

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        return checked_uscc(value)


class InspectionConflictWithdraw(RequestModel):
    reason: str = Field(min_length=1, max_length=2000)


# --- answers ---------------------------------------------------------------------------------------


def inspection_type(filters: dict[str, list[str]]) -> str:
    """定向 (the plan narrows the pool by category, region or risk) or 不定向 (the whole 名录库)."""
    return "directed" if any(filters.values()) else "undirected"


class SubjectOut(BaseModel):
    uscc: str
    name: str
    kind: str | None
    category: str | None
    region: str | None
    address: str | None
    risk: str | None
    risk_name: str | None
    version: int

    @classmethod
    def of(cls, subject: InspectionSubject) -> "SubjectOut":
        return cls(
            uscc=subject.uscc,
            name=subject.name,
            kind=subject.kind,
            category=subject.category,
            region=subject.region,
            address=subject.address,
            risk=subject.risk,
            risk_name=name_of("subject_risk", subject.risk) if subject.risk else None,
            version=subject.version,
        )


class SubjectPage(BaseModel):
    items: list[SubjectOut]
    next_cursor: str | None = None


class SubjectVersionOut(BaseModel):
    """One import of the 名录库: how many rows, what changed against the previous one, the snapshot's SHA-256."""

    version: int
    agency: str
    filename: str | None
    rows: int
    added: int
    removed: int
    changed: int
    sha256: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: InspectionSubjectVersion, tz: tzinfo) -> "SubjectVersionOut":
        return cls(
            version=row.version,
            agency=row.agency,
            filename=row.filename,
            rows=row.rows,
            added=row.added,
            removed=row.removed,
            changed=row.changed,
            sha256=row.sha256,
            created_at=row.created_at.astimezone(tz),
            created_by=row.created_by,
        )


class InspectionConflictOut(BaseModel):
    id: str
    officer_id: str
    uscc: str
    source: str
    reason: str
    declared_at: datetime
    declared_by: str
    withdrawn_at: datetime | None
    withdrawn_reason: str | None

    @classmethod
    def of(cls, row: InspectionConflict, tz: tzinfo) -> "InspectionConflictOut":
        return cls(
            id=row.id,
            officer_id=row.officer_id,
            uscc=row.uscc,
            source=row.source,
            reason=row.reason,
            declared_at=row.declared_at.astimezone(tz),
            declared_by=row.declared_by,
            withdrawn_at=row.withdrawn_at.astimezone(tz) if row.withdrawn_at else None,
            withdrawn_reason=row.withdrawn_reason,
        )


class DrawSummary(BaseModel):
    id: str
    seq: int
    status: str
    reason: str | None
    drawn_at: datetime
    public_url: str

    @classmethod
    def of(cls, draw: InspectionDraw, tz: tzinfo) -> "DrawSummary":
        return cls(
            id=draw.id,
            seq=draw.seq,
            status=draw.status,
            reason=draw.reason,
            drawn_at=draw.drawn_at.astimezone(tz),
            public_url=f"/public/draws/{draw.id}",
        )


class InspectionPlanOut(BaseModel):
    id: str
    number: str = Field(description="计划编号")
    agency: str
    year: int
    matter_code: str
    matter_name: str
    enforcement_category: str = Field(description="执法类别 the inspectors' certificates must cover")
    name: str
    filters: dict[str, list[str]]
    inspection_type: str = Field(description="directed (定向: filtered) or undirected (不定向)")
    ratio: float | None
    count: int | None
    inspectors_per_task: int
    due_on: date
    status: str
    commitment: str = Field(description="SHA-256 of the secret the next draw reveals")
    committed_at: datetime
    algorithm: str = ALGORITHM
    draws: list[DrawSummary]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, plan: InspectionPlan, draws: list[InspectionDraw], tz: tzinfo) -> "InspectionPlanOut":
        return cls(
            id=plan.id,
            number=plan.number,
            agency=plan.agency,
            year=plan.year,
            matter_code=plan.matter_code,
            matter_name=plan.matter_name,
            enforcement_category=plan.category,
            name=plan.name,
            filters=plan.filters or {},
            inspection_type=inspection_type(plan.filters or {}),
            ratio=plan.ratio,
            count=plan.count,
            inspectors_per_task=plan.inspectors_per_task,
            due_on=plan.due_on,
            status=plan.status,
            commitment=plan.commitment,
            committed_at=plan.committed_at.astimezone(tz),
            draws=[DrawSummary.of(d, tz) for d in draws],
            created_at=plan.created_at.astimezone(tz),
            created_by=plan.created_by,
        )


class InspectionPlanPage(BaseModel):
    items: list[InspectionPlanOut]
    next_cursor: str | None = None


class TaskAdjustmentOut(BaseModel):
    before: list[str]
    after: list[str]
    reason: str
    at: datetime
    by: str

    @classmethod
    def of(cls, row: InspectionTaskAdjustment, tz: tzinfo) -> "TaskAdjustmentOut":
        return cls(before=row.before, after=row.after, reason=row.reason, at=row.at.astimezone(tz), by=row.by)


class InspectionTaskOut(BaseModel):
    id: str
    number: str = Field(description="任务编号")
    seq: int
    plan_id: str
    draw_id: str
    uscc: str
    subject_name: str
    inspectors: list[str]
    drawn_inspectors: list[str]
    status: str
    checked_on: date | None
    result: str | None
    result_name: str | None
    note: str | None
    case_id: str | None
    penalty_case_id: str | None
    publish_due_on: date | None = Field(description="the result is due on the public list by then (20 working days)")
    published_at: datetime | None
    overdue: bool
    adjustments: list[TaskAdjustmentOut] | None = Field(default=None, description="single reads only")

    @classmethod
    def of(
        cls, task: InspectionTask, tz: tzinfo, *, overdue: bool, adjustments: list[InspectionTaskAdjustment] | None = None
    ) -> "InspectionTaskOut":
        return cls(
            id=task.id,
            number=task.number,
            seq=task.seq,
            plan_id=task.plan_id,
            draw_id=task.draw_id,
            uscc=task.uscc,
            subject_name=task.subject_name,
            inspectors=task.inspectors,
            drawn_inspectors=task.drawn_inspectors,
            status=task.status,
            checked_on=task.checked_on,
            result=task.result,
            result_name=name_of("inspection_result", task.result) if task.result else None,
            note=task.note,
            case_id=task.case_id,
            penalty_case_id=task.penalty_case_id,
            publish_due_on=task.publish_due_on,
            published_at=task.published_at.astimezone(tz) if task.published_at else None,
            overdue=overdue,
            adjustments=None if adjustments is None else [TaskAdjustmentOut.of(a, tz) for a in adjustments],
        )


class InspectionTaskPage(BaseModel):
    items: list[InspectionTaskOut]
    next_cursor: str | None = None


class EligibleOut(BaseModel):
    officer_id: str
    name: str
    certificate_number: str


class DrawnOut(BaseModel):
    uscc: str
    name: str
    rank: str = Field(description="SHA-256(seed|pool_sha256|uscc): the subjects with the lowest are drawn")


class DrawOut(BaseModel):
    id: str
    plan_id: str
    plan_number: str
    seq: int = Field(description="1 for the draw, 2… for redraws")
    status: str = Field(description="current, or superseded by a redraw")
    reason: str | None = Field(description="a redraw's reason")
    algorithm: str
    commitment: str = Field(description="SHA-256 of the secret, published before the draw")
    committed_at: datetime
    secret: str = Field(description="the secret the commitment bound, revealed by the draw")
    public_seed: str | None = Field(description="the public value given with the draw, if any")
    seed: str = Field(description="the secret, or SHA-256(secret ‖ public value)")
    subjects_version: int = Field(description="the 名录库 import drawn from")
    filters: dict[str, list[str]]
    pool_size: int
    pool_sha256: str
    wanted: int
    inspectors_per_task: int
    eligible: list[EligibleOut] = Field(description="officers certified for the matter's 执法类别 on the draw day")
    conflicts: list[list[str]] = Field(description="[officer_id, uscc] pairs excluded (回避)")
    drawn: list[DrawnOut]
    tasks: list[InspectionTaskOut]
    drawn_on: date
    drawn_at: datetime
    drawn_by: str

    @classmethod
    def of(cls, draw: InspectionDraw, plan: InspectionPlan, tasks: list[InspectionTaskOut], tz: tzinfo) -> "DrawOut":
        return cls(
            id=draw.id,
            plan_id=draw.plan_id,
            plan_number=plan.number,
            seq=draw.seq,
            status=draw.status,
            reason=draw.reason,
            algorithm=draw.algorithm,
            commitment=draw.commitment,
            committed_at=draw.committed_at.astimezone(tz),
            secret=draw.secret,
            public_seed=draw.public_seed,
            seed=draw.seed,
            subjects_version=draw.subjects_version,
            filters=draw.filters or {},
            pool_size=draw.pool_size,
            pool_sha256=draw.pool_sha256,
            wanted=draw.wanted,
            inspectors_per_task=draw.inspectors_per_task,
            eligible=[EligibleOut(**e) for e in draw.eligible],
            conflicts=[list(c) for c in draw.conflicts],
            drawn=[DrawnOut(**d) for d in draw.drawn],
            tasks=tasks,
            drawn_on=draw.drawn_on,
            drawn_at=draw.drawn_at.astimezone(tz),
            drawn_by=draw.drawn_by,
        )


class PublicDrawnOut(BaseModel):
    task_number: str
    uscc: str
    name: str
    rank: str


class PublicDrawOut(BaseModel):
    """What anyone may read of a draw: enough to recompute the subjects drawn, no personal data."""

    id: str
    agency: str
    agency_name: str | None
    plan_number: str
    plan_name: str
    matter_code: str
    matter_name: str
    inspection_type: str
    seq: int
    status: str
    reason: str | None
    algorithm: str
    commitment: str
    committed_at: datetime
    secret: str
    public_seed: str | None
    seed: str
    pool_size: int
    pool_sha256: str
    wanted: int
    inspectors_per_task: int
    eligible_count: int
    drawn: list[PublicDrawnOut]
    drawn_at: datetime
    verified: bool = Field(description="the service recomputed the draw from its stored snapshot and seed and it matched")

    @classmethod
    def of(
        cls, draw: InspectionDraw, plan: InspectionPlan, tasks: list[InspectionTask], agency_name: str | None, verified: bool, tz: tzinfo
    ) -> "PublicDrawOut":
        numbers = {t.uscc: t.number for t in tasks}
        return cls(
            id=draw.id,
            agency=draw.agency,
            agency_name=agency_name,
            plan_number=plan.number,
            plan_name=plan.name,
            matter_code=plan.matter_code,
            matter_name=plan.matter_name,
            inspection_type=inspection_type(draw.filters or {}),
            seq=draw.seq,
            status=draw.status,
            reason=draw.reason,
            algorithm=draw.algorithm,
            commitment=draw.commitment,
            committed_at=draw.committed_at.astimezone(tz),
            secret=draw.secret,
            public_seed=draw.public_seed,
            seed=draw.seed,
            pool_size=draw.pool_size,
            pool_sha256=draw.pool_sha256,
            wanted=draw.wanted,
            inspectors_per_task=draw.inspectors_per_task,
            eligible_count=len(draw.eligible),
            drawn=[
                PublicDrawnOut(task_number=numbers.get(d["uscc"], ""), uscc=d["uscc"], name=d["name"], rank=d["rank"]) for d in draw.drawn
            ],
            drawn_at=draw.drawn_at.astimezone(tz),
            verified=verified,
        )


class PublicInspectionResult(BaseModel):
    """One row of 抽查结果公示."""

    plan_number: str = Field(description="计划编号")
    plan_name: str = Field(description="计划名称")
    task_number: str = Field(description="任务编号")
    inspection_type: str = Field(description="抽查类型: directed (定向) or undirected (不定向)")
    inspection_type_name: str
    agency: str
    agency_name: str | None = Field(description="检查机关 (the agency's profile)")
    subject_name: str = Field(description="市场主体名称")
    uscc: str = Field(description="统一社会信用代码")
    checked_on: date = Field(description="检查完成日期")
    result: str
    result_name: str = Field(description="检查结果")
    note: str | None = Field(description="备注")
    year: int
    matter_code: str
    matter_name: str
    publication_url: str | None = Field(description="the penalty decision's publication (查处结果), once public")
    draw_url: str = Field(description="the public page of the draw that chose the subject and its inspectors")
    published_at: datetime

    @classmethod
    def of(
        cls, task: InspectionTask, plan: InspectionPlan, agency_name: str | None, publication_id: str | None, tz: tzinfo
    ) -> "PublicInspectionResult":
        kind = inspection_type(plan.filters or {})
        assert task.checked_on is not None and task.result is not None and task.published_at is not None
        return cls(
            plan_number=plan.number,
            plan_name=plan.name,
            task_number=task.number,
            inspection_type=kind,
            inspection_type_name=name_of("inspection_type", kind),
            agency=task.agency,
            agency_name=agency_name,
            subject_name=task.subject_name,
            uscc=task.uscc,
            checked_on=task.checked_on,
            result=task.result,
            result_name=name_of("inspection_result", task.result),
            note=task.note,
            year=plan.year,
            matter_code=plan.matter_code,
            matter_name=plan.matter_name,
            publication_url=f"/public/publications/{publication_id}" if publication_id else None,
            draw_url=f"/public/draws/{task.draw_id}",
            published_at=task.published_at.astimezone(tz),
        )


class PublicInspectionResultPage(BaseModel):
    items: list[PublicInspectionResult]
    next_cursor: str | None = None


class InspectionPlanFigures(BaseModel):
    plan_id: str
    number: str
    name: str
    matter_code: str
    pool_size: int | None
    drawn: int
    coverage: float | None = Field(description="drawn ÷ pool size")
    redraws: int
    done: int
    published: int
    overdue: int


class InspectionStatistics(BaseModel):
    """双随机 figures of a year: plans, draws, the pool covered, results by kind, published and overdue."""

    year: int
    agency: str | None
    plans: int
    drawn_plans: int
    redraws: int
    pool_size: int
    drawn: int
    coverage: float | None
    tasks: int
    done: int
    results: dict[str, int]
    published: int
    overdue: int
    adjustments: int
    by_plan: list[InspectionPlanFigures]
