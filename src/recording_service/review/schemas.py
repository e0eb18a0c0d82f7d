from datetime import datetime, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..catalog.schemas import ReviewSheet
from ..core.values import RequestModel
from .models import ManualReview, ManualReviewVersion


class SheetRef(BaseModel):
    code: str
    name_zh: str
    name_en: str
    source_zh: str | None = None


class ItemScore(BaseModel):
    model_config = ConfigDict(extra="allow")

    item: str
    name_zh: str
    name_en: str
    judged_by: Literal["data", "reviewer"] = Field(
        description="`data`: scored from the timeline's findings; `reviewer`: judged by a reviewer"
    )
    judged: bool = Field(description="false for a reviewer's item nobody has scored yet (it loses nothing until then)")
    max_points: float
    points_lost: float
    score: float
    findings: list[dict[str, Any]] = Field(description="the findings behind the lost points, each with the `points` it cost")
    opinion: str | None = Field(default=None, description="the reviewer's 评查意见 on this item (reviewer's items)")
    criteria_zh: str | None = Field(default=None, description="what a reviewer looks at (reviewer's items)")


# --- the reviewer's part (案卷评查 by people) --------------------------------------------------------


class ManualItemIn(RequestModel):
    item: str = Field(max_length=64, description="the code of an item of the sheet a reviewer judges (`judged_by: reviewer`)")
    points_lost: float = Field(description="the deduction: from 0 to the item's points")
    opinion: str = Field(default="", max_length=2000, description="评查意见 on this item; required when points are deducted")


class ManualReviewIn(RequestModel):
    items: list[ManualItemIn] = Field(default_factory=list, max_length=100, description="the items judged so far; the others stay unjudged")
    opinion: str = Field(default="", max_length=4000, description="the overall 评查意见")
    version: int | None = Field(
        default=None, ge=0, description="the version this change was made on (0: none yet): refused with 409 when another change came first"
    )


class SignOffIn(RequestModel):
    version: int | None = Field(default=None, ge=1, description="the version being signed: refused with 409 when it changed meanwhile")


class ReopenIn(RequestModel):
    reason: str = Field(max_length=2000, description="why the signed review is reopened (required)")


class ManualItemOut(BaseModel):
    item: str
    name_zh: str
    name_en: str
    criteria_zh: str | None
    max_points: float
    judged: bool
    points_lost: float | None = Field(description="null until judged")
    score: float | None
    opinion: str


class ManualReviewVersionOut(BaseModel):
    version: int
    action: Literal["saved", "signed", "reopened"]
    at: datetime
    by: str
    reason: str | None

    @classmethod
    def of(cls, row: ManualReviewVersion) -> "ManualReviewVersionOut":
        return cls(version=row.version, action=row.action, at=row.at, by=row.by, reason=row.reason)


class ManualReviewOut(BaseModel):
    case_id: str
    sheet_code: str
    status: Literal["not_started", "draft", "signed"] = Field(description="`signed`: read-only until an admin reopens it")
    signed: bool
    version: int = Field(description="0 until the first save; every save, sign-off and reopening adds one")
    items: list[ManualItemOut] = Field(description="every item of the sheet a reviewer judges")
    complete: bool = Field(description="every reviewer's item judged (a sign-off needs it, and the overall opinion)")
    opinion: str = Field(description="the overall 评查意见")
    score: float = Field(description="the reviewer's items' points less their deductions (unjudged items lose nothing)")
    max_score: float
    updated_at: datetime | None
    updated_by: str | None
    signed_at: datetime | None
    signed_by: str | None = Field(description="评查人: the name of the account that signed")
    signature: str | None = Field(description="签名: the signer's name and the time of the sign-off, local time")
    versions: list[ManualReviewVersionOut] = Field(default_factory=list, description="every save, sign-off and reopening, oldest first")

    @classmethod
    def of(
        cls,
        sheet: ReviewSheet,
        case_id: str,
        row: ManualReview | None,
        tz: tzinfo | None,
        versions: list[ManualReviewVersion] | None = None,
    ) -> "ManualReviewOut":
        judged = row.items if row is not None else {}
        items = []
        for item in sheet.manual_items:
            entry = judged.get(item.code)
            lost = min(item.points, float(entry["points_lost"])) if entry else None
            items.append(
                ManualItemOut(
                    item=item.code,
                    name_zh=item.name_zh,
                    name_en=item.name_en,
                    criteria_zh=item.criteria_zh,
                    max_points=item.points,
                    judged=entry is not None,
                    points_lost=lost,
                    score=None if lost is None else item.points - lost,
                    opinion=entry.get("opinion", "") if entry else "",
                )
            )
        signature = None
        if row is not None and row.signed_at is not None and row.signed_by and tz is not None:
            signature = f"{row.signed_by} {row.signed_at.astimezone(tz):%Y-%m-%d %H:%M}"
        return cls(
            case_id=case_id,
            sheet_code=row.sheet_code if row is not None else sheet.code,
            status="not_started" if row is None else row.status,
            signed=row is not None and row.status == "signed",
            version=row.version if row is not None else 0,
            items=items,
            complete=all(i.judged for i in items),
            opinion=row.opinion if row is not None else "",
            score=round(sum(i.max_points - (i.points_lost or 0) for i in items), 2),
            max_score=sum(i.points for i in sheet.manual_items),
            updated_at=row.updated_at if row is not None else None,
            updated_by=row.updated_by if row is not None else None,
            signed_at=row.signed_at if row is not None else None,
            signed_by=row.signed_by if row is not None else None,
            signature=signature,
            versions=[ManualReviewVersionOut.of(v) for v in versions or []],
        )


class CaseReview(BaseModel):
    case_id: str
    case_number: str
    sheet: SheetRef
    score: float = Field(description="the total: the items scored from the data plus the reviewer's items (unjudged ones lose nothing)")
    max_score: float
    automatic_score: float = Field(description="the items scored from the timeline's findings")
    automatic_max_score: float
    manual_score: float = Field(description="the items a reviewer judges, less the reviewer's deductions")
    manual_max_score: float
    signed: bool = Field(description="the reviewer has signed the review: the score is final")
    manual: ManualReviewOut = Field(description="the reviewer's part: deductions, 评查意见, sign-off")
    deductions: list[ItemScore] = Field(description="the sheet's items that lost points")
    items: list[ItemScore] = Field(description="every item of the sheet, scored from the data or judged by a reviewer")
    findings: list[dict[str, Any]] = Field(description="every finding of the case's timeline")
    unscored_findings: list[dict[str, Any]] = Field(description="findings the sheet has no deduction for")
    deadlines: list[dict[str, Any]] = Field(description="the case's statutory limits with their state")
