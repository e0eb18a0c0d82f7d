from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..catalog.schemas import Catalog, CalendarYear
from ..db import utcnow
from .counting import WorkingCalendar
from .models import LoadedCalendarYear


async def calendar_years(session: AsyncSession, catalog: Catalog) -> dict[int, tuple[CalendarYear, str]]:
    """Every year the service knows, with where it came from: `catalog` (packaged) or `loaded`."""
    years = {y.year: (y, "catalog") for y in catalog.calendar}
    for row in (await session.execute(select(LoadedCalendarYear))).scalars():
        years[row.year] = (CalendarYear.model_validate(row.data), "loaded")
    return years


async def working_calendar(session: AsyncSession, catalog: Catalog) -> WorkingCalendar:
    return WorkingCalendar([year for year, _ in (await calendar_years(session, catalog)).values()])


async def load_year(session: AsyncSession, catalog: Catalog, who, year: CalendarYear, *, replace: bool) -> str:
    """Add a year (audited, the caller commits); an existing year is replaced only when asked to."""
    known = await calendar_years(session, catalog)
    if year.year in known and not replace:
        raise YearExists(year.year)
    data = year.model_dump(mode="json", by_alias=True)
    row = await session.get(LoadedCalendarYear, year.year)
    if row is None:
        session.add(LoadedCalendarYear(year=year.year, data=data, loaded_at=utcnow(), loaded_by=getattr(who, "name", None) or "system"))
    else:
        row.data, row.loaded_at = data, utcnow()
    await session.flush()
    await record(session, who, "calendar.loaded", payload={
        "year": year.year, "replaced": year.year in known, "source": year.source.title_zh,
        "days_off": sum(len(p.days()) for p in year.holidays), "working_weekends": len(year.working_weekends)})
    return "replaced" if year.year in known else "added"


class YearExists(Exception):
    def __init__(self, year: int) -> None:
        super().__init__(f"the calendar already holds {year}")
        self.year = year
