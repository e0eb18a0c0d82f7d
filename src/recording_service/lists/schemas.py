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


class AgencyGuide(BaseModel):
    """The agency a guide is read for (`?agency=`), from its profile."""

    code: str
    name_zh: str = Field(description="办理机关")
    address: str | None
    phone: str | None
    office_hours: str | None
    review_body: str | None = Field(description="申请行政复议: the 复议机关")
    court: str | None = Field(description="提起行政诉讼: the court")
    remedy_zh: str | None = Field(description="救济渠道 as one line, e.g. 申请行政复议：某某县人民政府；提起行政诉讼：某某县人民法院")


class MatterListOut(ListVersion):
    items: list[MatterOut]
    versions: list[ListVersion]
    agency: AgencyGuide | None = Field(default=None, description="with ?agency=: who handles the matters, where, when, and 救济渠道")


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
