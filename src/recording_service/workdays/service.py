"""The official calendar (packaged years, then loaded versions) and each agency's local days on top."""

from datetime import date, datetime
from typing import NamedTuple, TypedDict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import EVERY_AGENCY, Actor, record
from ..catalog.schemas import CalendarYear, Catalog
from ..core.db import utcnow
from ..core.principals import Principal
from .counting import WorkingCalendar
from .models import CalendarYearVersion, LocalCalendarDay

MAX_LOCAL_DAYS_PER_YEAR = 30  # the longest real local arrangement (西藏 藏历新年 and 雪顿节) is well under


class KnownYear(NamedTuple):
    year: CalendarYear
    origin: str  # catalog (packaged with the service) or loaded
    version: int  # 0 for the packaged year, 1, 2, … for each load


class YearVersion(TypedDict):
    version: int
    origin: str
    loaded_at: datetime | None
    loaded_by: str | None
    year: CalendarYear


async def calendar_years(session: AsyncSession, catalog: Catalog) -> dict[int, KnownYear]:
    """Every year the service knows in its current state."""
    years = {y.year: KnownYear(y, "catalog", 0) for y in catalog.calendar}
    latest = (
        select(CalendarYearVersion.year, func.max(CalendarYearVersion.version).label("version"))
        .group_by(CalendarYearVersion.year)
        .subquery()
    )
    rows = (
        await session.execute(
            select(CalendarYearVersion).join(
                latest, (CalendarYearVersion.year == latest.c.year) & (CalendarYearVersion.version == latest.c.version)
            )
        )
    ).scalars()
    for row in rows:
        years[row.year] = KnownYear(CalendarYear.model_validate(row.data), "loaded", row.version)
    return years


async def year_versions(session: AsyncSession, catalog: Catalog, year: int) -> list[YearVersion]:
    """Every state the year has had, oldest first: the packaged one (if any), then each load."""
    out: list[YearVersion] = [
        {"version": 0, "origin": "catalog", "loaded_at": None, "loaded_by": None, "year": y} for y in catalog.calendar if y.year == year
    ]
    rows = (
        await session.execute(select(CalendarYearVersion).where(CalendarYearVersion.year == year).order_by(CalendarYearVersion.version))
    ).scalars()
    out += [
        {
            "version": r.version,
            "origin": "loaded",
            "loaded_at": r.loaded_at,
            "loaded_by": r.loaded_by,
            "year": CalendarYear.model_validate(r.data),
        }
        for r in rows
    ]
    return out


async def working_calendar(session: AsyncSession, catalog: Catalog, agency: str | None = None) -> WorkingCalendar:
    """The official calendar; with an agency, that agency's local days on top (and nobody else's)."""
    years = [known.year for known in (await calendar_years(session, catalog)).values()]
    off: set[date] = set()
    working: set[date] = set()
    if agency is not None:
        for day in await local_days(session, agency):
            (off if day.kind == "off" else working).add(day.day)
    return WorkingCalendar(years, local_off=off, local_working=working)


async def load_year(session: AsyncSession, catalog: Catalog, who: Actor | Principal, year: CalendarYear, *, replace: bool) -> str:
    """Add a year as a new version (audited where every agency sees it; the caller commits). An existing
    year is replaced only when asked to; the version it replaces stays."""
    known = await calendar_years(session, catalog)
    if year.year in known and not replace:
        raise YearExists(year.year)
    previous = (
        await session.execute(select(func.max(CalendarYearVersion.version)).where(CalendarYearVersion.year == year.year))
    ).scalar() or 0
    session.add(
        CalendarYearVersion(
            year=year.year,
            version=previous + 1,
            data=year.model_dump(mode="json", by_alias=True),
            loaded_at=utcnow(),
            loaded_by=getattr(who, "name", None) or "system",
        )
    )
    await session.flush()
    await record(
        session,
        who,
        "calendar.loaded",
        agency=EVERY_AGENCY,
        payload={
            "year": year.year,
            "version": previous + 1,
            "replaced": year.year in known,
            "source": year.source.title_zh,
            "source_url": year.source.url,
            "days_off": sum(len(p.days()) for p in year.holidays),
            "working_weekends": len(year.working_weekends),
        },
    )
    return "replaced" if year.year in known else "added"


async def local_days(session: AsyncSession, agency: str, *, year: int | None = None, withdrawn: bool = False) -> list[LocalCalendarDay]:
    query = select(LocalCalendarDay).where(LocalCalendarDay.agency == agency).order_by(LocalCalendarDay.day)
    if not withdrawn:
        query = query.where(LocalCalendarDay.withdrawn_at.is_(None))
    if year is not None:
        query = query.where(LocalCalendarDay.day >= date(year, 1, 1), LocalCalendarDay.day <= date(year, 12, 31))
    return list((await session.execute(query)).scalars())


async def add_local_day(
    session: AsyncSession, who: Actor | Principal, agency: str, *, day: date, kind: str, name_zh: str, basis: str
) -> LocalCalendarDay:
    """An agency's own day off or working day (audited in the agency's trail; the caller commits)."""
    current = await local_days(session, agency, year=day.year)
    if any(d.day == day for d in current):
        raise LocalDayRefused("local-day-exists", f"{day} 已有本单位的调整；请先撤回再重新添加。")
    if len(current) >= MAX_LOCAL_DAYS_PER_YEAR:
        raise LocalDayRefused(
            "local-days-exhausted", f"{day.year} 年本单位已有 {len(current)} 天地方调整，上限为 {MAX_LOCAL_DAYS_PER_YEAR} 天。"
        )
    row = LocalCalendarDay(
        agency=agency, day=day, kind=kind, name_zh=name_zh, basis=basis, added_at=utcnow(), added_by=getattr(who, "name", None) or "system"
    )
    session.add(row)
    await session.flush()
    await record(
        session,
        who,
        "calendar.local_day_added",
        agency=agency,
        payload={"id": row.id, "day": day.isoformat(), "kind": kind, "name_zh": name_zh, "basis": basis},
    )
    return row


async def withdraw_local_day(
    session: AsyncSession, who: Actor | Principal, agency: str, day_id: str, reason: str
) -> LocalCalendarDay | None:
    row = await session.get(LocalCalendarDay, day_id)
    if row is None or row.agency != agency:
        return None
    if row.withdrawn_at is not None:
        raise LocalDayRefused("local-day-withdrawn", "该地方调整已撤回。")
    row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = utcnow(), getattr(who, "name", None) or "system", reason
    await session.flush()
    await record(
        session,
        who,
        "calendar.local_day_withdrawn",
        agency=agency,
        payload={"id": row.id, "day": row.day.isoformat(), "kind": row.kind, "reason": reason},
    )
    return row


class YearExists(Exception):
    def __init__(self, year: int) -> None:
        super().__init__(f"the calendar already holds {year}")
        self.year = year


class LocalDayRefused(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail
