from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.exc import IntegrityError

from ..catalog.schemas import CalendarYear
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.principals import ALL_AGENCIES, Principal, Reader, Role, require_roles
from ..core.problems import Problem
from .counting import MAX_LIMIT_DAYS
from .schemas import (
    CalendarVersionOut,
    CalendarVersions,
    CalendarYearOut,
    DeadlineOut,
    LocalDayCreate,
    LocalDayOut,
    LocalDays,
    LocalDayWithdrawal,
)
from .service import (
    KnownYear,
    LocalDayRefused,
    YearExists,
    add_local_day,
    calendar_years,
    load_year,
    local_days,
    withdraw_local_day,
    working_calendar,
    year_versions,
)

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
Admin = Annotated[Principal, require_roles(Role.admin)]


async def _operator(principal: Admin) -> Principal:
    # The official calendar counts every agency's deadlines: one agency must not move another's.
    if principal.agency != ALL_AGENCIES:
        raise Problem(
            403,
            "calendar-official",
            "The State Council's calendar is loaded by the operator (`recording-service calendar load FILE`) or an "
            "admin of every agency; an agency adds its own local days at /api/v1/calendar/local-days.",
        )
    return principal


Operator = Annotated[Principal, Depends(_operator)]
YEAR = Path(ge=2000, le=2199)
DAYS_FROM, DAYS_TO = 2000, 2190


def _agency_of(principal: Principal, agency: str | None) -> str:
    """The agency whose local days a request concerns: one's own; an admin of every agency names one."""
    if principal.agency != ALL_AGENCIES:
        if agency not in (None, principal.agency):
            raise Problem(404, "agency-not-found", f"No agency {agency} visible to this token.")
        return principal.agency
    if agency is None:
        raise Problem(400, "agency-required", "An admin of every agency names the agency ('agency').")
    return agency


@router.get(
    "/deadline",
    response_model=DeadlineOut,
    summary="When a limit counted from a date ends, on the official calendar and the agency's own local days",
)
async def deadline(
    catalog: CatalogDep,
    principal: Reader,
    session: DbSession,
    start: Annotated[date, Query(description="the day the limit runs from (not counted)")],
    days: Annotated[int, Query(ge=0, le=MAX_LIMIT_DAYS)],
    count: Annotated[str, Query(pattern="^(working|calendar)$", description="working or calendar days")] = "working",
    agency: Annotated[
        str | None,
        Query(max_length=64, description="an admin of every agency: whose local days count (default: none); others always count their own"),
    ] = None,
) -> DeadlineOut:
    if not DAYS_FROM <= start.year <= DAYS_TO:
        raise Problem(400, "invalid-query", f"start must lie between {DAYS_FROM} and {DAYS_TO}.")
    whose = agency if principal.agency == ALL_AGENCIES else _agency_of(principal, agency)
    calendar = await working_calendar(session, catalog, whose)
    due = calendar.add_working_days(start, days) if count == "working" else calendar.add_calendar_days(start, days)
    return DeadlineOut(start=start, days=days, count=count, due_on=due.due_on, provisional=due.provisional, agency=whose)


@router.get("/local-days", response_model=LocalDays, summary="An agency's own days off and working days on top of the official calendar")
async def list_local_days(
    principal: Reader,
    session: DbSession,
    year: Annotated[int | None, Query(ge=DAYS_FROM, le=DAYS_TO)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    withdrawn: Annotated[bool, Query(description="include withdrawn days")] = False,
) -> LocalDays:
    rows = await local_days(session, _agency_of(principal, agency), year=year, withdrawn=withdrawn)
    return LocalDays(items=[LocalDayOut.of(r) for r in rows])


@router.post(
    "/local-days",
    response_model=LocalDayOut,
    status_code=201,
    summary="Add a local day off or working day for the admin's own agency (audited in its trail)",
)
async def create_local_day(catalog: CatalogDep, principal: Admin, session: DbSession, body: LocalDayCreate) -> LocalDayOut:
    agency = _agency_of(principal, body.agency)
    if not DAYS_FROM <= body.day.year <= DAYS_TO:
        raise Problem(422, "invalid-local-day", f"A local day lies between {DAYS_FROM} and {DAYS_TO}.")
    official = await working_calendar(session, catalog)
    if body.kind == "off" and not official.is_working_day(body.day):
        raise Problem(422, "invalid-local-day", f"{body.day} 按全国节假日安排已是休息日，无需地方调整。")
    if body.kind == "working" and official.is_working_day(body.day):
        raise Problem(422, "invalid-local-day", f"{body.day} 按全国节假日安排已是工作日，无需地方调整。")
    try:
        row = await add_local_day(
            session, principal, agency, day=body.day, kind=body.kind, name_zh=body.name_zh.strip(), basis=body.basis.strip()
        )
    except LocalDayRefused as exc:
        raise Problem(409, exc.kind, exc.detail) from None
    return LocalDayOut.of(row)


@router.post("/local-days/{day_id}/withdraw", response_model=LocalDayOut, summary="Withdraw a local day (kept, with the reason)")
async def withdraw(
    principal: Admin,
    session: DbSession,
    day_id: Annotated[str, Path(max_length=64)],
    body: LocalDayWithdrawal,
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> LocalDayOut:
    try:
        row = await withdraw_local_day(session, principal, _agency_of(principal, agency), day_id, body.reason.strip())
    except LocalDayRefused as exc:
        raise Problem(409, exc.kind, exc.detail) from None
    if row is None:
        raise Problem(404, "local-day-not-found", f"No local day {day_id} of this agency.")
    return LocalDayOut.of(row)


@router.get("/{year}", response_model=CalendarYearOut, summary="A year's holidays and working weekends, with its source (404: no data)")
async def read_year(catalog: CatalogDep, principal: Reader, session: DbSession, year: Annotated[int, YEAR]) -> CalendarYearOut:
    known = (await calendar_years(session, catalog)).get(year)
    if known is None:
        raise Problem(
            404,
            "calendar-year-unknown",
            f"No calendar data for {year}: deadlines in it are counted Monday to Friday and marked provisional "
            "until the State Council's notice is loaded (`recording-service calendar load FILE`).",
        )
    return CalendarYearOut.of(known)


@router.get("/{year}/versions", response_model=CalendarVersions, summary="Every state the year has had, oldest first, each with its source")
async def read_versions(catalog: CatalogDep, principal: Reader, session: DbSession, year: Annotated[int, YEAR]) -> CalendarVersions:
    versions = await year_versions(session, catalog, year)
    if not versions:
        raise Problem(404, "calendar-year-unknown", f"No calendar data for {year}.")
    return CalendarVersions(
        items=[
            CalendarVersionOut.of(KnownYear(v["year"], v["origin"], v["version"]), loaded_at=v["loaded_at"], loaded_by=v["loaded_by"])
            for v in versions
        ]
    )


@router.put(
    "/{year}",
    response_model=CalendarYearOut,
    summary="Add (or, with replace=true, correct) a year of the official calendar (admin of every agency only)",
)
async def put_year(
    catalog: CatalogDep, principal: Operator, session: DbSession, body: CalendarYear, year: Annotated[int, YEAR], replace: bool = False
) -> CalendarYearOut:
    if body.year != year:
        raise Problem(400, "year-mismatch", f"The body is the calendar of {body.year}, the path names {year}.")
    try:
        await load_year(session, catalog, principal, body, replace=replace)
        await session.flush()  # a concurrent load of the same year fails here, as a 409
    except YearExists:
        raise Problem(409, "calendar-year-exists", f"The calendar already holds {year}; send replace=true to correct it.") from None
    except IntegrityError:
        raise Problem(
            409, "calendar-year-changed", f"{year} was loaded by someone else at the same moment; read it and try again."
        ) from None
    known = (await calendar_years(session, catalog))[year]
    return CalendarYearOut.of(known)
