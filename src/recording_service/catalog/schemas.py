"""The procedure and document-type catalogs: data files in `data/`, validated at start-up."""

from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CODE = r"^[a-z][a-z0-9_-]{1,63}$"


class Condition(BaseModel):
    """True when the stage attribute `attribute` equals `equals`, or is one of `in`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    attribute: str
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")

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
    officers: OfficerRule = Field(default_factory=lambda: OfficerRule(min=0))


class Procedure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name_zh: str
    name_en: str
    stages: list[Stage] = Field(min_length=1)

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
        first, last = date(self.year - 1, 12, 1), date(self.year + 1, 1, 31)  # 元旦 may start on the 31st of December
        off = [day for period in self.holidays for day in period.days()]
        for day in off + self.working_weekends:
            if not first <= day <= last:
                raise ValueError(f"{self.year}: {day} lies outside the year")
        if len(set(off)) != len(off):
            raise ValueError(f"{self.year}: holiday periods overlap")
        for day in self.working_weekends:
            if day.weekday() < 5:
                raise ValueError(f"{self.year}: working weekend {day} is a {day.strftime('%A')}, not a Saturday or Sunday")
            if day in off:
                raise ValueError(f"{self.year}: {day} is both a day off and a working weekend")
        return self


class LimitEvent(BaseModel):
    """A stage's start or end, or the first (not void) document of the listed types at the first listed moment."""

    model_config = ConfigDict(extra="forbid")

    stage: str | None = Field(default=None, pattern=CODE)
    document: list[str] | None = Field(default=None, min_length=1)
    at: list[Literal["started", "ended", "issued", "signed", "served"]] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> "LimitEvent":
        if (self.stage is None) == (self.document is None):
            raise ValueError("an event is a stage's or a document's")
        allowed = {"started", "ended"} if self.stage else {"issued", "signed", "served"}
        if set(self.at) - allowed:
            raise ValueError(f"a {'stage' if self.stage else 'document'} event is one of {sorted(allowed)}")
        return self


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
    count: Literal["working", "calendar"]
    direction: Literal["within", "after", "not_before"]
    unless_stage_held: str | None = Field(default=None, pattern=CODE)


class Catalog(BaseModel):
    procedures: list[Procedure]
    document_types: list[DocumentType]
    retention_classes: list[RetentionClass]
    interruption_reasons: list[InterruptionReason] = Field(min_length=1)
    calendar: list[CalendarYear] = Field(default_factory=list)
    time_limits: list[TimeLimitRule] = Field(default_factory=list)

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
        for rule in self.time_limits:
            for code in rule.procedures:
                procedure = self.procedure(code)
                if procedure is None:
                    raise ValueError(f"time limit {rule.code}: unknown procedure {code}")
                stages = {s.code for s in procedure.stages}
                for stage in (rule.stage, rule.start.stage, rule.end.stage, rule.unless_stage_held):
                    if stage is not None and stage not in stages:
                        raise ValueError(f"time limit {rule.code}: {code} has no stage {stage}")
            for event in (rule.start, rule.end):
                unknown = sorted(set(event.document or []) - known)
                if unknown:
                    raise ValueError(f"time limit {rule.code}: unknown document types {unknown}")
        for procedure in self.procedures:
            for stage in procedure.stages:
                used = [code for requirement in stage.documents for code in requirement.one_of] + stage.optional_documents
                unknown = sorted(set(used) - known)
                if unknown:
                    raise ValueError(f"{procedure.code}/{stage.code}: unknown document types {unknown}")
        return self

    def procedure(self, code: str) -> Procedure | None:
        return next((p for p in self.procedures if p.code == code), None)

    def retention(self, code: str) -> RetentionClass:
        return next(r for r in self.retention_classes if r.code == code)

    def document_type(self, code: str) -> DocumentType | None:
        return next((d for d in self.document_types if d.code == code), None)

    def interruption_reason(self, code: str) -> InterruptionReason | None:
        return next((r for r in self.interruption_reasons if r.code == code), None)
