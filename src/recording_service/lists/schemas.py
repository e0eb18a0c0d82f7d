from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from ..catalog.schemas import ENFORCEMENT_KINDS, InspectionMatter, Matter
from .models import PublishedListVersion


def procedure_flowchart_url(code: str) -> str:
    return f"/api/v1/public/procedures/{code}/flowchart.svg"


def flowchart_url(code: str | None) -> str | None:
    return procedure_flowchart_url(code) if code else None


def _served_items(row: PublishedListVersion, **extra: Callable[[dict[str, Any]], Any]) -> list[dict[str, Any]]:
    """A list version's items as served: with their flowchart links (and `extra(item)` fields)."""
    return [
        {**item, **{name: make(item) for name, make in extra.items()}, "flowchart_url": flowchart_url(item.get("procedure"))}
        for item in row.content["items"]
    ]


class ListVersion(BaseModel):
    seq: int = Field(description="the version's number, in the order the service first served it (?version=)")
    version: str = Field(description="the agency's own label")
    effective_from: date
    note: str | None
    sha256: str = Field(description="SHA-256 of the list's canonical JSON")
    first_served_at: datetime

    @classmethod
    def of(cls, row: PublishedListVersion) -> "ListVersion":
        return cls.model_validate(row, from_attributes=True)


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

    @classmethod
    def of(cls, row: PublishedListVersion, versions: Sequence[PublishedListVersion] = ()) -> "MatterListOut":
        return cls(
            **ListVersion.of(row).model_dump(),
            items=[
                MatterOut.model_validate(item) for item in _served_items(row, category_zh=lambda item: ENFORCEMENT_KINDS[item["category"]])
            ],
            versions=[ListVersion.of(v) for v in versions],
        )


class InspectionMatterOut(InspectionMatter):
    flowchart_url: str | None


class InspectionMatterListOut(ListVersion):
    items: list[InspectionMatterOut]
    versions: list[ListVersion]

    @classmethod
    def of(cls, row: PublishedListVersion, versions: Sequence[PublishedListVersion] = ()) -> "InspectionMatterListOut":
        return cls(
            **ListVersion.of(row).model_dump(),
            items=[InspectionMatterOut.model_validate(item) for item in _served_items(row)],
            versions=[ListVersion.of(v) for v in versions],
        )


class PublicProcedure(BaseModel):
    code: str
    kind: str
    kind_zh: str
    name_zh: str
    name_en: str
    stages: list[str] = Field(description="the stages' Chinese names in order")
    flowchart_url: str
