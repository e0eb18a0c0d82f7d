from datetime import date, datetime

from pydantic import BaseModel, Field

from ..catalog.schemas import InspectionMatter, Matter


class ListVersion(BaseModel):
    seq: int = Field(description="the version's number, in the order the service first served it (?version=)")
    version: str = Field(description="the agency's own label")
    effective_from: date
    note: str | None
    sha256: str = Field(description="SHA-256 of the list's canonical JSON")
    first_served_at: datetime


class MatterOut(Matter):
    category_zh: str
    flowchart_url: str | None


class MatterListOut(ListVersion):
    items: list[MatterOut]
    versions: list[ListVersion]


class InspectionMatterOut(InspectionMatter):
    flowchart_url: str | None


class InspectionMatterListOut(ListVersion):
    items: list[InspectionMatterOut]
    versions: list[ListVersion]


class PublicProcedure(BaseModel):
    code: str
    kind: str
    kind_zh: str
    name_zh: str
    name_en: str
    stages: list[str] = Field(description="the stages' Chinese names in order")
    flowchart_url: str
