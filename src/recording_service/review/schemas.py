from pydantic import BaseModel, ConfigDict, Field


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
    max_points: float
    points_lost: float
    score: float
    findings: list[dict] = Field(description="the findings behind the lost points, each with the `points` it cost")


class CaseReview(BaseModel):
    case_id: str
    case_number: str
    sheet: SheetRef
    score: float
    max_score: float
    deductions: list[ItemScore] = Field(description="the sheet's items that lost points")
    items: list[ItemScore] = Field(description="every item of the sheet")
    findings: list[dict] = Field(description="every finding of the case's timeline")
    unscored_findings: list[dict] = Field(description="findings the sheet has no deduction for")
    deadlines: list[dict] = Field(description="the case's statutory limits with their state")
