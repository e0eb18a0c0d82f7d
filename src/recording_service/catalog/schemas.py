"""The procedure and document-type catalogs: data files in `data/`, validated at start-up."""

import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

CODE = r"^[a-z][a-z0-9_-]{1,63}$"


class Condition(BaseModel):
    """True when the stage attribute `attribute` equals `equals`, or is one of `in`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    attribute: str
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    label_zh: str | None = Field(default=None, max_length=40, description="the condition as the flowchart says it (e.g. 留置送达时)")

    @model_validator(mode="after")
    def _one_test(self) -> "Condition":
        if (self.equals is None) == (self.in_ is None):
            raise ValueError("a condition has exactly one of 'equals' or 'in'")
        return self

    def holds(self, attributes: dict[str, Any]) -> bool:
        value = attributes.get(self.attribute)
        return value in self.in_ if self.in_ is not None else value == self.equals


class DocumentType(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    # A 笔录 the party signs (or the officers note that the party refused): checked by the review.
    party_signs: bool = False


class DocumentRequirement(BaseModel):
    """Satisfied by any one document of the listed types (a "one of" group)."""

    model_config = ConfigDict(extra="forbid")

    one_of: list[str] = Field(min_length=1)
    when: Condition | None = None


class AvRule(StrEnum):
    none = "none"
    required = "required"
    conditional = "conditional"
    whole_process = "whole_process"


class AudioVisual(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: AvRule
    when: Condition | None = None

    @model_validator(mode="after")
    def _condition_only_when_conditional(self) -> "AudioVisual":
        if (self.rule is AvRule.conditional) != (self.when is not None):
            raise ValueError("'when' is given exactly when the rule is 'conditional'")
        return self


class PhotoRule(BaseModel):
    """Photos (现场照片) a stage is expected to keep as evidence: `recommended` (shown to the reviewer as a
    recommendation, never a finding: the record stays complete without them) or `required` (a finding, like a
    missing document), optionally only `when` a stage attribute holds. Photos are counted apart from the
    audio-visual record: a photo never stands in for a recording."""

    model_config = ConfigDict(extra="forbid")

    expect: Literal["recommended", "required"]
    min: int = Field(default=1, ge=1, le=100)
    when: Condition | None = None
    label_zh: str = Field(default="现场照片", max_length=20)

    def applies(self, attributes: dict[str, Any]) -> bool:
        return self.when is None or self.when.holds(attributes)


class OfficerRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: int = Field(ge=0, le=20)
    when: Condition | None = None


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    order: int = Field(ge=1)
    name_zh: str
    name_en: str
    optional: bool = False
    documents: list[DocumentRequirement] = Field(default_factory=list)
    optional_documents: list[str] = Field(default_factory=list)
    av: AudioVisual
    photos: PhotoRule | None = None
    officers: OfficerRule = Field(default_factory=lambda: OfficerRule(min=0))
    # Stages this one may start before without a review finding (evidence from the first inspection
    # predates 立案).
    may_start_before: list[str] = Field(default_factory=list)


# Kinds of enforcement (行政执法行为类别): the published lists, the flowcharts and the annual report use them.
ENFORCEMENT_KINDS = {
    "license": "行政许可",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "inspection": "行政检查",
    "levy": "行政征收",
    "confirmation": "行政确认",
    "other": "其他行政执法",
}
EnforcementKind = Literal["license", "penalty", "coercion", "inspection", "levy", "confirmation", "other"]


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    kind: EnforcementKind = "other"
    name_zh: str
    name_en: str
    stages: list[Stage] = Field(min_length=1)
    decided_by: list[str] = Field(default_factory=list, description="document types whose date is the decision date")

    @model_validator(mode="after")
    def _stages_in_order(self) -> "Procedure":
        orders = [stage.order for stage in self.stages]
        if orders != list(range(1, len(self.stages) + 1)):
            raise ValueError(f"{self.code}: stage orders must run 1..{len(self.stages)} in file order, got {orders}")
        codes = [stage.code for stage in self.stages]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: stage codes repeat")
        return self

    def stage(self, code: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.code == code), None)


class RetentionClass(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    days: float | None = Field(gt=0, description="null: kept permanently")


class InterruptionReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    needs_text: bool = False


class CalendarSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_zh: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(default=None, max_length=500)
    note_zh: str | None = Field(default=None, max_length=2000)
    url: str | None = Field(default=None, max_length=1000)


class HolidayPeriod(BaseModel):
    """Days off as a notice sets them (放假调休), weekends inside the period included."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name_zh: str = Field(min_length=1, max_length=50)
    name_en: str = Field(min_length=1, max_length=100)
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> "HolidayPeriod":
        if self.end < self.start or (self.end - self.start).days > 15:
            raise ValueError(f"{self.name_zh}: 'to' must be on or after 'from', within 15 days")
        return self

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class CalendarYear(BaseModel):
    """One year of the official working-day calendar (国务院办公厅关于部分节假日安排的通知)."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2199)
    source: CalendarSource
    holidays: list[HolidayPeriod] = Field(min_length=1)
    working_weekends: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "CalendarYear":
        # Every day lies in the year itself: a year's data must not move another year's deadlines. When a
        # notice sets days of the December before (元旦 from the 30th), they go into that year's data.
        first, last = date(self.year, 1, 1), date(self.year, 12, 31)
        off = [day for period in self.holidays for day in period.days()]
        for day in off + self.working_weekends:
            if not first <= day <= last:
                raise ValueError(f"{self.year}: {day} lies outside the year (days of {day.year} belong in the calendar of {day.year})")
        if len(set(off)) != len(off):
            raise ValueError(f"{self.year}: holiday periods overlap")
        for day in self.working_weekends:
            if day.weekday() < 5:
                raise ValueError(f"{self.year}: working weekend {day} is a {day.strftime('%A')}, not a Saturday or Sunday")
            if day in off:
                raise ValueError(f"{self.year}: {day} is both a day off and a working weekend")
        return self


# Facts a case may record (PATCH /api/v1/cases/{id}) that limits and checks read.
DATE_FACTS = {"violation_ended_on"}
FLAG_FACTS = {"serious_harm", "major_decision"}


class LimitEvent(BaseModel):
    """A stage's start or end, the first (not void) document of the listed types at the first listed moment,
    or a date the case records as a fact."""

    model_config = ConfigDict(extra="forbid")

    stage: str | None = Field(default=None, pattern=CODE)
    document: list[str] | None = Field(default=None, min_length=1)
    fact: str | None = None
    # A date the case system records as a stage attribute (e.g. the hearing's `requested_on`).
    attribute: str | None = Field(default=None, pattern=CODE)
    at: list[Literal["started", "ended", "issued", "signed", "served"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> "LimitEvent":
        if sum(x is not None for x in (self.stage, self.document, self.fact)) != 1:
            raise ValueError("an event is a stage's, a document's or a case fact")
        if self.fact is not None:
            if self.fact not in DATE_FACTS or self.at:
                raise ValueError(f"a fact event names one of {sorted(DATE_FACTS)} and no moment")
            return self
        if self.attribute is not None:
            if self.stage is None or self.at:
                raise ValueError("an attribute event names a stage and no moment")
            return self
        allowed = {"started", "ended"} if self.stage else {"issued", "signed", "served"}
        if not self.at or set(self.at) - allowed:
            raise ValueError(f"a {'stage' if self.stage else 'document'} event is one or more of {sorted(allowed)}")
        return self


class LongerWhen(BaseModel):
    """A longer limit when a flag fact holds (e.g. 5 years where life or health was harmed)."""

    model_config = ConfigDict(extra="forbid")

    fact: str
    limit: int = Field(ge=1, le=3650)

    @model_validator(mode="after")
    def _known(self) -> "LongerWhen":
        if self.fact not in FLAG_FACTS:
            raise ValueError(f"longer_when names one of {sorted(FLAG_FACTS)}")
        return self


class PauseReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str


class Adjustable(BaseModel):
    """Approved extensions and the periods not counted (听证, 公告, 检测, 鉴定) a case may record for a limit."""

    model_config = ConfigDict(extra="forbid")

    extension: bool = False
    extension_max_days: int | None = Field(default=None, ge=1, le=365, description="null: no statutory cap")
    pauses: list[str] = Field(default_factory=list, description="pause reason codes that stop the clock")


class TimeLimitRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    basis: str
    procedures: list[str] = Field(min_length=1)
    stage: str = Field(pattern=CODE, description="the stage a finding is shown at")
    start: LimitEvent = Field(alias="from")
    end: LimitEvent = Field(alias="to")
    limit: int = Field(ge=0, le=3650)
    count: Literal["working", "calendar", "years"]
    direction: Literal["within", "within_if_any", "after", "not_before"]
    unless_stage_held: str | None = Field(default=None, pattern=CODE)
    # An optional stage the limit leads to: recorded as skipped (with its note), the limit does not apply.
    unless_stage_skipped: str | None = Field(default=None, pattern=CODE)
    longer_when: LongerWhen | None = None
    adjustable: Adjustable | None = None

    @model_validator(mode="after")
    def _adjustable_counts_days(self) -> "TimeLimitRule":
        if self.adjustable is not None and (self.count != "calendar" or self.direction != "within"):
            raise ValueError(f"{self.code}: only a calendar-day `within` limit takes extensions and pauses")
        if self.count == "years" and self.limit > 10:
            raise ValueError(f"{self.code}: a limit in years is at most 10")
        return self


class AmountLimit(BaseModel):
    """The largest fine a procedure may impose, by the kind of party (简易程序: 200 / 3,000 yuan)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    basis: str
    procedures: list[str] = Field(min_length=1)
    stage: str = Field(pattern=CODE)
    max_yuan: dict[Literal["person", "organization"], float] = Field(min_length=2)


class ScoredFinding(Protocol):
    """What a deduction matches a finding by (a timeline finding: its kind, and its review check or time-limit rule)."""

    @property
    def kind(self) -> str: ...

    @property
    def code(self) -> str | None: ...


class Deduction(BaseModel):
    """Points a finding costs: matched by kind, and by the review check or time-limit rule when given."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    check: str | None = None
    points: float = Field(gt=0, le=100)

    def matches(self, finding: "ScoredFinding") -> bool:
        if finding.kind != self.kind:
            return False
        return self.check is None or self.check == finding.code


class ReviewItem(BaseModel):
    """One item of the sheet: scored from the timeline's findings (`judged_by: data`, by its deductions), or judged
    by a reviewer (`judged_by: reviewer`: no deductions; `criteria_zh` says what the reviewer looks at)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    points: float = Field(gt=0, le=100)
    judged_by: Literal["data", "reviewer"] = "data"
    criteria_zh: str | None = None
    deductions: list[Deduction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _judged(self) -> "ReviewItem":
        if self.judged_by == "data" and not self.deductions:
            raise ValueError(f"review item {self.code}: an item scored from the data needs deductions")
        if self.judged_by == "reviewer" and self.deductions:
            raise ValueError(f"review item {self.code}: an item a reviewer judges has no deductions")
        return self


class ReviewSheet(BaseModel):
    """An agency's 评查标准 as data: items with points, the findings that cost points, and the settings
    the review checks read."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    source_zh: str | None = None
    items: list[ReviewItem] = Field(min_length=1)
    # 文号: region + 卫 + category + nature + 〔year〕 + serial + 号; an agency may set its own, by agency code.
    doc_number_pattern: str
    doc_number_patterns: dict[str, str] = Field(default_factory=dict)
    upload_within_hours: float = Field(default=24, gt=0, le=24 * 30)

    @model_validator(mode="after")
    def _sound(self) -> "ReviewSheet":
        codes = [item.code for item in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError("review item codes repeat")
        for pattern in (self.doc_number_pattern, *self.doc_number_patterns.values()):
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"doc number pattern {pattern!r}: {exc}") from None
            if "year" not in compiled.groupindex:
                raise ValueError(f"doc number pattern {pattern!r} needs a named group `year`")
        return self

    @property
    def max_score(self) -> float:
        return sum(item.points for item in self.items)

    @property
    def manual_items(self) -> list[ReviewItem]:
        """The items a reviewer judges (案卷评查 by people)."""
        return [item for item in self.items if item.judged_by == "reviewer"]

    def item(self, code: str) -> ReviewItem | None:
        return next((item for item in self.items if item.code == code), None)

    def item_for(self, finding: "ScoredFinding") -> tuple["ReviewItem", Deduction] | None:
        for item in self.items:
            for deduction in item.deductions:
                if deduction.matches(finding):
                    return item, deduction
        return None


class PublicationPeriod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish: bool
    min_months: int = Field(ge=0, le=120)
    max_months: int = Field(ge=1, le=120)


PUBLICATION_KINDS = ("penalty", "license", "inspection")
SEVERITIES = ("minor", "ordinary", "serious")


class PublicationRules(BaseModel):
    """When decisions are published and for how long (catalog `publication.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    due_working_days: dict[Literal["penalty", "license", "inspection"], int]
    withdraw_within_working_days: int = Field(ge=1, le=30)
    periods: dict[Literal["minor", "ordinary", "serious"], PublicationPeriod]
    decision_documents: dict[Literal["penalty", "license", "inspection"], list[str]]

    @model_validator(mode="after")
    def _complete(self) -> "PublicationRules":
        for name, mapping, keys in (
            ("due_working_days", self.due_working_days, PUBLICATION_KINDS),
            ("periods", self.periods, SEVERITIES),
            ("decision_documents", self.decision_documents, PUBLICATION_KINDS),
        ):
            if set(mapping) != set(keys):
                raise ValueError(f"publication {name} needs exactly {', '.join(keys)}")
        if any(not 1 <= days <= 60 for days in self.due_working_days.values()):
            raise ValueError("publication due_working_days are 1 to 60")
        if any(p.min_months > p.max_months for p in self.periods.values()):
            raise ValueError("a publication period's min_months exceeds its max_months")
        return self


class DiscretionLevel(BaseModel):
    """One step of a 裁量基准: a circumstance and the sanction it leads to."""

    model_config = ConfigDict(extra="forbid")

    level_zh: str = Field(min_length=1, max_length=20)
    circumstance: str = Field(min_length=1, max_length=1000)
    sanction: str = Field(min_length=1, max_length=1000)


class ServiceGuide(BaseModel):
    """行政执法服务指南 for one matter: what a party needs to know to deal with it."""

    model_config = ConfigDict(extra="forbid")

    applies_to: str = Field(min_length=1, max_length=1000)
    conditions: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    fee: str = Field(default="不收费", max_length=200)
    place: str = Field(min_length=1, max_length=500)
    hours: str | None = Field(default=None, max_length=200)
    contact: str = Field(min_length=1, max_length=200)
    rights: list[str] = Field(default_factory=list, description="the party's rights (陈述、申辩、听证 …)")
    remedy: str = Field(min_length=1, max_length=1000)


class Matter(BaseModel):
    """One entry of the 行政执法事项清单."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    category: EnforcementKind
    name_zh: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    legal_basis: list[str] = Field(min_length=1)
    discretion: list[DiscretionLevel] = Field(default_factory=list)
    handling_unit: str = Field(min_length=1, max_length=200)
    time_limit_zh: str = Field(min_length=1, max_length=300)
    procedure: str | None = Field(default=None, pattern=CODE, description="the catalog procedure the matter is handled under")
    guide: ServiceGuide


class InspectionMatter(BaseModel):
    """One entry of the 随机抽查事项清单."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    subject: str = Field(min_length=1, max_length=200, description="抽查主体")
    name_zh: str = Field(min_length=1, max_length=300, description="抽查事项")
    name_en: str = Field(min_length=1, max_length=300)
    basis: list[str] = Field(min_length=1)
    object: str = Field(min_length=1, max_length=500, description="抽查对象")
    content: list[str] = Field(min_length=1, description="抽查内容")
    method: str = Field(min_length=1, max_length=200, description="抽查方式")
    ratio_percent: float = Field(gt=0, le=100, description="抽查比例")
    frequency: str = Field(min_length=1, max_length=100, description="抽查频次")
    procedure: str | None = Field(default=None, pattern=CODE)
    enforcement_category: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="执法类别 an inspector's certificate must cover to be drawn for this matter (双随机: the 执法检查人员名录库)",
    )


class PublishedList(BaseModel):
    """A list the agency publishes, as it edits it: a version label, the day it takes effect, what changed."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=40)
    effective_from: date
    note: str | None = Field(default=None, max_length=2000)

    def codes_unique(self, items: list[Matter] | list[InspectionMatter]) -> None:
        codes = [item.code for item in items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"list codes repeat: {sorted({c for c in codes if codes.count(c) > 1})}")


class MatterList(PublishedList):
    items: list[Matter] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "MatterList":
        self.codes_unique(self.items)
        return self


class InspectionMatterList(PublishedList):
    items: list[InspectionMatter] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "InspectionMatterList":
        self.codes_unique(self.items)
        return self


class PenaltyKind(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str


class StatisticsRules(BaseModel):
    """How the statistics count (catalog `statistics.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    penalty_kinds: list[PenaltyKind] = Field(min_length=1, description="lightest first: a decision counts under its most severe")
    score_bands_percent: list[int] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _sound(self) -> "StatisticsRules":
        codes = [k.code for k in self.penalty_kinds]
        if len(set(codes)) != len(codes):
            raise ValueError("penalty kind codes repeat")
        bands = self.score_bands_percent
        if bands != sorted(set(bands)) or bands[0] <= 0 or bands[-1] > 100:
            raise ValueError("score_bands_percent rise strictly within 1..100")
        return self

    def severity(self, code: str) -> int:
        return next((n for n, kind in enumerate(self.penalty_kinds) if kind.code == code), -1)

    def most_severe(self, codes: list[str]) -> str | None:
        known = [code for code in codes if self.severity(code) >= 0]
        return max(known, key=self.severity) if known else None


class ComplaintRules(BaseModel):
    """How complaints from the public are handled (catalog `complaints.yaml`): the reply is due within this many
    working days of the day a complaint is filed (the day itself not counted)."""

    model_config = ConfigDict(extra="forbid")

    reply_working_days: int = Field(default=15, ge=1, le=60)


class Catalog(BaseModel):
    procedures: list[Procedure]
    document_types: list[DocumentType]
    retention_classes: list[RetentionClass]
    interruption_reasons: list[InterruptionReason] = Field(min_length=1)
    calendar: list[CalendarYear] = Field(default_factory=list)
    time_limits: list[TimeLimitRule] = Field(default_factory=list)
    amount_limits: list[AmountLimit] = Field(default_factory=list)
    pause_reasons: list[PauseReason] = Field(default_factory=list)
    review_sheet: ReviewSheet | None = None
    publication: PublicationRules | None = None
    matters: MatterList | None = None
    inspection_matters: InspectionMatterList | None = None
    statistics: StatisticsRules
    complaints: ComplaintRules = Field(default_factory=ComplaintRules)
    _document_types: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references_resolve(self) -> "Catalog":
        years = [y.year for y in self.calendar]
        if len(set(years)) != len(years):
            raise ValueError("a calendar year appears twice")
        for kind, codes in (("procedure", [p.code for p in self.procedures]), ("document type", [d.code for d in self.document_types])):
            if len(set(codes)) != len(codes):
                raise ValueError(f"{kind} codes repeat")
        if {"standard", "case", "important"} - {r.code for r in self.retention_classes}:
            raise ValueError("retention classes standard, case and important are required")
        known = {d.code for d in self.document_types}
        pause_codes = {r.code for r in self.pause_reasons}
        rule_codes = [r.code for r in self.time_limits] + [r.code for r in self.amount_limits]
        if len(set(rule_codes)) != len(rule_codes):
            raise ValueError("time limit codes repeat")
        rules: list[TimeLimitRule | AmountLimit] = [*self.time_limits, *self.amount_limits]
        for rule in rules:
            events = (rule.start, rule.end) if isinstance(rule, TimeLimitRule) else ()
            for code in rule.procedures:
                procedure = self.procedure(code)
                if procedure is None:
                    raise ValueError(f"time limit {rule.code}: unknown procedure {code}")
                stages = {s.code for s in procedure.stages}
                for stage in (
                    rule.stage,
                    *(e.stage for e in events),
                    getattr(rule, "unless_stage_held", None),
                    getattr(rule, "unless_stage_skipped", None),
                ):
                    if stage is not None and stage not in stages:
                        raise ValueError(f"time limit {rule.code}: {code} has no stage {stage}")
            adjustable = getattr(rule, "adjustable", None)
            if adjustable is not None and set(adjustable.pauses) - pause_codes:
                raise ValueError(f"time limit {rule.code}: unknown pause reasons {sorted(set(adjustable.pauses) - pause_codes)}")
            for event in events:
                unknown = sorted(set(event.document or []) - known)
                if unknown:
                    raise ValueError(f"time limit {rule.code}: unknown document types {unknown}")
        if self.publication is not None:
            unknown = sorted({c for codes in self.publication.decision_documents.values() for c in codes} - known)
            if unknown:
                raise ValueError(f"publication decision_documents: unknown document types {unknown}")
        matters: list[Matter | InspectionMatter] = [
            *(self.matters.items if self.matters else []),
            *(self.inspection_matters.items if self.inspection_matters else []),
        ]
        for matter in matters:
            if matter.procedure is None:
                continue
            procedure = self.procedure(matter.procedure)
            if procedure is None:
                raise ValueError(f"matter {matter.code}: unknown procedure {matter.procedure}")
            kind = getattr(matter, "category", "inspection")  # what the list says must be what the procedure is
            if procedure.kind != kind:
                raise ValueError(f"matter {matter.code} is {kind} but procedure {procedure.code} is {procedure.kind}")
        for procedure in self.procedures:
            if set(procedure.decided_by) - known:
                raise ValueError(f"{procedure.code}: decided_by names unknown document types {sorted(set(procedure.decided_by) - known)}")
            for stage in procedure.stages:
                if set(stage.may_start_before) - {s.code for s in procedure.stages}:
                    raise ValueError(f"{procedure.code}/{stage.code}: may_start_before names unknown stages")
                used = [code for requirement in stage.documents for code in requirement.one_of] + stage.optional_documents
                unknown = sorted(set(used) - known)
                if unknown:
                    raise ValueError(f"{procedure.code}/{stage.code}: unknown document types {unknown}")
        return self

    def procedure(self, code: str) -> Procedure | None:
        return next((p for p in self.procedures if p.code == code), None)

    def kinds(self) -> list[str]:
        """The kinds of enforcement the catalog has procedures of, in the order of ENFORCEMENT_KINDS: the rows of the
        statistics by kind and the tables of the annual report."""
        return [kind for kind in ENFORCEMENT_KINDS if any(p.kind == kind for p in self.procedures)]

    def retention(self, code: str) -> RetentionClass:
        return next(r for r in self.retention_classes if r.code == code)

    def document_type(self, code: str) -> DocumentType | None:
        if not self._document_types:  # looked up per document of every timeline: by dict, built once
            self._document_types.update((d.code, d) for d in self.document_types)
        return self._document_types.get(code)

    def time_limit(self, code: str) -> TimeLimitRule | None:
        return next((r for r in self.time_limits if r.code == code), None)

    def pause_reason(self, code: str) -> PauseReason | None:
        return next((r for r in self.pause_reasons if r.code == code), None)

    def interruption_reason(self, code: str) -> InterruptionReason | None:
        return next((r for r in self.interruption_reasons if r.code == code), None)


# The catalog's answers (GET /api/v1/procedures …).


class ProcedurePage(BaseModel):
    items: list[Procedure]
    next_cursor: str | None = None


class DocumentTypePage(BaseModel):
    items: list[DocumentType]
    next_cursor: str | None = None


class RetentionPage(BaseModel):
    items: list[RetentionClass]
    next_cursor: str | None = None


class InterruptionReasonPage(BaseModel):
    items: list[InterruptionReason]
    next_cursor: str | None = None


class TimeLimitCatalog(BaseModel):
    items: list[TimeLimitRule]
    amount_limits: list[AmountLimit]
    pause_reasons: list[PauseReason]
    next_cursor: str | None = None
