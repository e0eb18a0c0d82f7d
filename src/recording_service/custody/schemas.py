"""Legal holds as the API takes and answers them."""

from datetime import datetime, tzinfo

from pydantic import BaseModel, Field, model_validator

from ..core.times import local
from ..core.values import RequestModel
from .models import LegalHold


class HoldCreate(RequestModel):
    case_id: str | None = None
    media_id: str | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _one_subject(self) -> "HoldCreate":
        if (self.case_id is None) == (self.media_id is None):
            raise ValueError("name exactly one of case_id or media_id")
        return self


class HoldLift(RequestModel):
    reason: str = Field(min_length=1, max_length=2000)


class HoldOut(BaseModel):
    id: str
    agency: str
    case_id: str | None
    media_id: str | None
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None

    @classmethod
    def of(cls, hold: LegalHold, tz: tzinfo) -> "HoldOut":
        return cls(
            id=hold.id,
            agency=hold.agency,
            case_id=hold.case_id,
            media_id=hold.media_id,
            reason=hold.reason,
            placed_by=hold.placed_by,
            placed_at=local(hold.placed_at, tz),
            lifted_by=hold.lifted_by,
            lifted_at=local(hold.lifted_at, tz),
            lift_reason=hold.lift_reason,
        )
