from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from ..auth.deps import Reader, require_roles
from ..auth.service import Principal, Role
from ..catalog.schemas import CalendarYear
from ..db import DbSession
from ..problems import Problem
from .counting import MAX_LIMIT_DAYS
from .service import YearExists, calendar_years, load_year, working_calendar

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
Admin = Annotated[Principal, require_roles(Role.admin)]
YEAR = Path(ge=2000, le=2199)


class CalendarYearOut(BaseModel):
    year: int
    origin: str = Field(description="catalog (packaged with the service) or loaded (added since)")
    source: dict
    holidays: list[dict] = Field(description="days off (放假调休), each period with its name and from/to dates")
    days_off: list[date] = Field(description="every day of the holiday periods")
    working_weekends: list[date] = Field(description="weekends made working days (调休上班)")


class DeadlineOut(BaseModel):
    start: date
    days: int
    count: str
    due_on: date
    provisional: bool = Field(description="a day consulted lies in a year without calendar data (counted Monday to Friday)")


def _out(year: CalendarYear, origin: str) -> CalendarYearOut:
    data = year.model_dump(mode="json", by_alias=True)
    return CalendarYearOut(year=year.year, origin=origin, source=data["source"], holidays=data["holidays"],
                           days_off=[d for period in year.holidays for d in period.days()], working_weekends=year.working_weekends)


@router.get("/deadline", response_model=DeadlineOut, summary="When a limit counted from a date ends, on the official calendar")
async def deadline(request: Request, principal: Reader, session: DbSession,
                   start: Annotated[date, Query(description="the day the limit runs from (not counted)")],
                   days: Annotated[int, Query(ge=0, le=MAX_LIMIT_DAYS)],
                   count: Annotated[str, Query(pattern="^(working|calendar)$", description="working or calendar days")] = "working",
                   ) -> DeadlineOut:
    if not 2000 <= start.year <= 2190:
        raise Problem(400, "invalid-query", "start must lie between 2000 and 2190.")
    calendar = await working_calendar(session, request.app.state.catalog)
    due = calendar.add_working_days(start, days) if count == "working" else calendar.add_calendar_days(start, days)
    return DeadlineOut(start=start, days=days, count=count, due_on=due.due_on, provisional=due.provisional)


@router.get("/{year}", response_model=CalendarYearOut, summary="A year's holidays and working weekends, with its source (404: no data)")
async def read_year(request: Request, principal: Reader, session: DbSession, year: Annotated[int, YEAR]) -> CalendarYearOut:
    known = (await calendar_years(session, request.app.state.catalog)).get(year)
    if known is None:
        raise Problem(404, "calendar-year-unknown",
                      f"No calendar data for {year}: deadlines in it are counted Monday to Friday and marked provisional "
                      "until the State Council's notice is loaded (`recording-service calendar load FILE`).")
    return _out(*known)


@router.put("/{year}", response_model=CalendarYearOut, summary="Add (or, with replace=true, correct) a year of the calendar (admin)")
async def put_year(request: Request, principal: Admin, session: DbSession, body: CalendarYear, year: Annotated[int, YEAR],
                   replace: bool = False) -> CalendarYearOut:
    if body.year != year:
        raise Problem(400, "year-mismatch", f"The body is the calendar of {body.year}, the path names {year}.")
    try:
        await load_year(session, request.app.state.catalog, principal, body, replace=replace)
    except YearExists:
        raise Problem(409, "calendar-year-exists", f"The calendar already holds {year}; send replace=true to correct it.") from None
    await session.commit()
    return _out(body, "loaded")
