"""The procedure and document-type catalogs: data files in `data/`, validated at start-up."""

from enum import StrEnum
from typing import Any

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


class Catalog(BaseModel):
    procedures: list[Procedure]
    document_types: list[DocumentType]
    retention_classes: list[RetentionClass]
    interruption_reasons: list[InterruptionReason] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> "Catalog":
        for kind, codes in (("procedure", [p.code for p in self.procedures]), ("document type", [d.code for d in self.document_types])):
            if len(set(codes)) != len(codes):
                raise ValueError(f"{kind} codes repeat")
        if {"standard", "case", "important"} - {r.code for r in self.retention_classes}:
            raise ValueError("retention classes standard, case and important are required")
        known = {d.code for d in self.document_types}
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
