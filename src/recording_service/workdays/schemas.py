"""The working-day calendar as the API takes and answers it."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from ..core.values import RequestModel
from .models import LocalCalendarDay

if TYPE_CHECKING:
    from .service import KnownYear


def _year_fields(known: "KnownYear") -> dict[str, Any]:
    data = known.year.model_dump(mode="json", by_alias=True)
    return dict(
        year=known.year.year,
        origin=known.origin,
        version=known.version,
        source=data["source"],
        holidays=data["holidays"],
        days_off=[d for period in known.year.holidays for d in period.days()],
        working_weekends=known.year.working_weekends,
    )


class CalendarYearOut(BaseModel):
    year: int
    origin: str = Field(description="catalog (packaged with the service) or loaded (added since)")
    version: int = Field(description="0 for the packaged year, then 1, 2, … for each load; every version is kept")
    source: dict[str, Any]
    holidays: list[dict[str, Any]] = Field(description="days off (放假调休), each period with its name and from/to dates")
    days_off: list[date] = Field(description="every day of the holiday periods")
    working_weekends: list[date] = Field(description="weekends made working days (调休上班)")

    @classmethod
    def of(cls, known: "KnownYear") -> "CalendarYearOut":
        return cls(**_year_fields(known))


class CalendarVersionOut(CalendarYearOut):
    loaded_at: datetime | None
    loaded_by: str | None

    @classmethod
    def of(cls, known: "KnownYear", loaded_at: datetime | None = None, loaded_by: str | None = None) -> "CalendarVersionOut":
        return cls(**_year_fields(known), loaded_at=loaded_at, loaded_by=loaded_by)


class CalendarVersions(BaseModel):
    items: list[CalendarVersionOut]


class DeadlineOut(BaseModel):
    start: date
    days: int
    count: str
    due_on: date
    provisional: bool = Field(description="a day consulted lies in a year without calendar data (counted Monday to Friday)")
    agency: str | None = Field(description="whose local days were counted on top of the official calendar (null: none)")


class LocalDayCreate(RequestModel):
    day: date
    kind: Literal["off", "working"] = Field(description="off: a local holiday (地方性假日); working: a local working day")
    name_zh: str = Field(min_length=1, max_length=50, description="e.g. 三月三")
    basis: str = Field(min_length=1, max_length=500, description="the local rule or notice that sets the day")
    agency: str | None = Field(default=None, description="only for an admin of every agency ('*'); others add their own")


class LocalDayWithdrawal(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class LocalDayOut(BaseModel):
    id: str
    agency: str
    day: date
    kind: str
    name_zh: str
    basis: str
    added_at: datetime
    added_by: str
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None

    @classmethod
    def of(cls, row: LocalCalendarDay) -> "LocalDayOut":
        return cls.model_validate(row, from_attributes=True)


class LocalDays(BaseModel):
    items: list[LocalDayOut]
