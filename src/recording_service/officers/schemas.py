from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..core.messages import names
from ..core.values import RequestModel
from .models import Officer, OfficerStatusChange


class CertificateStatus(StrEnum):
    valid = "valid"  # 有效
    suspended = "suspended"  # 暂扣
    cancelled = "cancelled"  # 注销
    revoked = "revoked"  # 吊销


STATUS_NAMES = names("certificate_status")  # the message catalogue's words: 有效、暂扣、注销、吊销
STATUS_BY_NAME = {**{v: k for k, v in STATUS_NAMES.items()}, **{k: k for k in STATUS_NAMES}}
ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


def _names(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v and v.strip()]
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("names repeat")
    return cleaned


class OfficerFields(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=200)
    certificate_number: str = Field(min_length=1, max_length=64)
    categories: list[str] = Field(min_length=1, max_length=50)
    regions: list[str] = Field(default_factory=list, max_length=200)
    valid_from: date
    valid_to: date

    _categories = field_validator("categories", "regions")(_names)

    @model_validator(mode="after")
    def _period(self) -> "OfficerFields":
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to lies before valid_from")
        if not (date(1990, 1, 1) <= self.valid_from and self.valid_to <= date(2199, 12, 31)):
            raise ValueError("validity must lie between 1990 and 2199")
        return self


class OfficerCreate(OfficerFields):
    officer_id: str = Field(pattern=ID)
    status: CertificateStatus = CertificateStatus.valid


class OfficerUpdate(RequestModel):
    """Changed fields only. A status change takes effect on `effective_on` (default: today) with a reason."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    unit: str | None = Field(default=None, min_length=1, max_length=200)
    certificate_number: str | None = Field(default=None, min_length=1, max_length=64)
    categories: list[str] | None = Field(default=None, min_length=1, max_length=50)
    regions: list[str] | None = Field(default=None, max_length=200)
    valid_from: date | None = None
    valid_to: date | None = None
    status: CertificateStatus | None = None
    effective_on: date | None = None
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _status_needs_reason(self) -> "OfficerUpdate":
        if self.status is not None and self.status is not CertificateStatus.valid and not (self.reason or "").strip():
            raise ValueError("a status change to suspended, cancelled or revoked needs a reason")
        if self.effective_on is not None and self.status is None:
            raise ValueError("effective_on goes with a status change")
        return self


class StatusChangeOut(BaseModel):
    status: str
    status_name: str
    effective_on: date
    reason: str | None
    changed_by: str


class PublicOfficer(BaseModel):
    """What the public list shows (资格清单): nothing else."""

    name: str
    unit: str
    certificate_number: str
    categories: list[str]
    regions: list[str]
    valid_from: date
    valid_to: date
    agency: str

    @classmethod
    def of(cls, officer: Officer) -> "PublicOfficer":
        return cls(
            name=officer.name,
            unit=officer.unit,
            certificate_number=officer.certificate_number,
            categories=officer.categories or [],
            regions=officer.regions or [],
            valid_from=officer.valid_from,
            valid_to=officer.valid_to,
            agency=officer.agency,
        )


class OfficerOut(PublicOfficer):
    officer_id: str
    status: str
    status_name: str
    history: list[StatusChangeOut] | None = Field(default=None, description="single reads only")

    @classmethod
    def of(cls, officer: Officer, history: list[OfficerStatusChange] | None = None) -> "OfficerOut":
        return cls(
            officer_id=officer.officer_id,
            agency=officer.agency,
            name=officer.name,
            unit=officer.unit,
            certificate_number=officer.certificate_number,
            categories=officer.categories or [],
            regions=officer.regions or [],
            valid_from=officer.valid_from,
            valid_to=officer.valid_to,
            status=officer.status,
            status_name=STATUS_NAMES[officer.status],
            history=None
            if history is None
            else [
                StatusChangeOut(
                    status=c.status,
                    status_name=STATUS_NAMES[c.status],
                    effective_on=c.effective_on,
                    reason=c.reason,
                    changed_by=c.changed_by,
                )
                for c in history
            ],
        )


class PublicOfficerPage(BaseModel):
    items: list[PublicOfficer]
    next_cursor: str | None = None


class OfficerPage(BaseModel):
    items: list[OfficerOut]
    next_cursor: str | None = None


class ImportReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rows: int


class CertificateCheckOut(BaseModel):
    """The public certificate check's whole answer: the standing today, nothing about the officer."""

    status: Literal["valid", "suspended", "revoked", "unknown"] = Field(
        description="`valid` 有效, `suspended` 暂扣, `revoked` 吊销; `unknown` when no certificate with that number is held by "
        "that name, or it is cancelled or outside its term"
    )
