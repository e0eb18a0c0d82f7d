from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class PartyKind(StrEnum):
    person = "person"
    organization = "organization"


class Party(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: PartyKind
    id_number: str | None = Field(default=None, max_length=64, description="身份证号 / 统一社会信用代码; returned only to roles that need it")


class Officer(BaseModel):
    officer_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    certificate_number: str | None = Field(default=None, max_length=64, description="执法证号")


class CaseCreate(BaseModel):
    case_number: str = Field(min_length=1, max_length=128, description="案号, unique per agency")
    procedure: str = Field(description="procedure code from GET /api/v1/procedures")
    title: str = Field(min_length=1, max_length=500)
    parties: list[Party] = Field(default_factory=list, max_length=50)
    officers: list[Officer] = Field(default_factory=list, max_length=50)
    opened_at: datetime | None = Field(default=None, description="when the case was opened (default: now), with offset")


class CaseOut(BaseModel):
    id: str
    agency: str
    case_number: str
    procedure: str
    title: str
    status: str
    parties: list[Party]
    officers: list[Officer]
    opened_at: datetime
    closed_at: datetime | None
    created_at: datetime


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = None
