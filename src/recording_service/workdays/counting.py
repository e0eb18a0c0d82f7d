"""Counting statutory time limits on the official calendar — the rules in one place.

- The start day is not counted (民事诉讼法 art. 85, applied by 行政处罚法 and 行政强制法).
- A working-day limit ends on the n-th working day after the start day (调休 weekends are working days,
  days off within 放假 periods are not).
- A calendar-day limit ends n days after the start day; when that day is not a working day it moves to
  the next working day.
- A limit in years ends on the same date that many years on (28 February for a 29 February start with no
  such day), moved to the next working day like a calendar-day limit.
- A year the calendar holds no data for is counted Monday to Friday, and every answer that consulted such
  a day says `provisional`: it is recomputed (by asking again) once the State Council's notice is loaded.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ..catalog.schemas import CalendarYear

MAX_LIMIT_DAYS = 3660  # ten years: far beyond any statutory limit; bounds the walk


@dataclass(frozen=True)
class Deadline:
    due_on: date
    provisional: bool


class WorkingCalendar:
    def __init__(
        self, years: list[CalendarYear], *, local_off: Iterable[date] = frozenset(), local_working: Iterable[date] = frozenset()
    ) -> None:
        self.years = {y.year: y for y in years}
        self._off = {day for y in years for period in y.holidays for day in period.days()}
        self._working = {day for y in years for day in y.working_weekends}
        # An agency's own adjustments (a provincial holiday, a local working day) take precedence.
        self._local_off, self._local_working = set(local_off), set(local_working)

    def known(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self._local_working:
            return True
        if day in self._local_off:
            return False
        if day in self._working:
            return True
        if day in self._off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> Deadline:
        """The `days`-th working day after `start` (start not counted)."""
        _check(days)
        day, counted, provisional = start, 0, False
        while counted < days:
            day += timedelta(days=1)
            provisional |= not self.known(day)
            if self.is_working_day(day):
                counted += 1
        return Deadline(day, provisional)

    def add_calendar_days(self, start: date, days: int) -> Deadline:
        """`days` days after `start`; a last day that is not a working day moves to the next working day."""
        _check(days)
        return self._to_working_day(start + timedelta(days=days))

    def add_years(self, start: date, years: int) -> Deadline:
        """The same date `years` on (28 February when there is no 29th), moved to a working day."""
        if not 0 <= years <= 10:
            raise ValueError("a limit in years is 0 to 10 years")
        try:
            day = start.replace(year=start.year + years)
        except ValueError:  # 29 February into a common year
            day = date(start.year + years, 2, 28)
        return self._to_working_day(day)

    def _to_working_day(self, day: date) -> Deadline:
        provisional = not self.known(day)
        while not self.is_working_day(day):
            day += timedelta(days=1)
            provisional |= not self.known(day)
        return Deadline(day, provisional)

    def working_days_between(self, start: date, end: date) -> tuple[int, bool]:
        """Working days in (start, end] — how many of a working-day limit were used — and whether provisional."""
        if end <= start:
            return 0, False
        if (end - start).days > MAX_LIMIT_DAYS:
            raise ValueError("the span is longer than ten years")
        count, provisional, day = 0, False, start
        while day < end:
            day += timedelta(days=1)
            provisional |= not self.known(day)
            count += self.is_working_day(day)
        return count, provisional


def add_months(start: date, months: int) -> date:
    """The same day `months` on (the month's last day when it is shorter): a publication period's end."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, last))


def _check(days: int) -> None:
    if not 0 <= days <= MAX_LIMIT_DAYS:
        raise ValueError(f"a limit is 0 to {MAX_LIMIT_DAYS} days")
