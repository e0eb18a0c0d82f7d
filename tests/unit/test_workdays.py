"""The working-day calendar and the counting rules: the packaged data against both libraries for every
year they hold, fixed cases across 春节, 国庆 and 调休 weekends, and properties over random dates."""

from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recording_service.catalog.service import load_catalog
from recording_service.workdays.counting import WorkingCalendar

CATALOG = load_catalog()
CALENDAR = WorkingCalendar(CATALOG.calendar)
YEARS = sorted(y.year for y in CATALOG.calendar)


def test_the_packaged_years_are_the_ones_published_so_far():
    assert list(range(2020, 2027)) == YEARS
    assert all(y.source.title_zh == f"国务院办公厅关于{y.year}年部分节假日安排的通知" for y in CATALOG.calendar)


@pytest.mark.parametrize("year", YEARS)
def test_every_day_agrees_with_chinese_calendar(year):
    day = date(year, 1, 1)
    while day.year == year:
        assert CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize("year", YEARS)
def test_days_off_and_working_weekends_agree_with_holidays(year):
    china = holidays.China(years=year)
    packaged = next(y for y in CATALOG.calendar if y.year == year)
    off_weekdays = {d for p in packaged.holidays for d in p.days() if d.weekday() < 5 and d.year == year}
    assert off_weekdays == {d for d in china if d.weekday() < 5}
    assert set(packaged.working_weekends) == {d for d in china.weekend_workdays if d.year == year}


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 9, 24), 20, date(2026, 10, 29)),  # the domain reference's figures: 国庆 and 中秋 inside
        (date(2026, 9, 24), 7, date(2026, 10, 12)),
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # a Saturday made a working day (调休)
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # 春节: 2/14 (Sat) works, 2/15–2/23 off
        (date(2025, 1, 24), 3, date(2025, 2, 5)),  # 春节 2025: 1/26 (Sun) works, 1/28–2/4 off
        (date(2025, 1, 24), 6, date(2025, 2, 8)),  # … and 2/8 (Sat) works
        (date(2026, 12, 31), 1, date(2027, 1, 1)),  # 2027 is not published: Monday to Friday, provisional
    ],
)
def test_working_day_limits(start, days, due):
    deadline = CALENDAR.add_working_days(start, days)
    assert deadline.due_on == due
    assert deadline.provisional == (due.year not in YEARS)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # last day in 国庆: moves to the first working day after it
        (date(2026, 9, 1), 30, date(2026, 10, 8)),
        (date(2026, 6, 1), 30, date(2026, 7, 1)),  # an ordinary working day stays
        (date(2026, 2, 10), 4, date(2026, 2, 14)),  # lands on a 调休 Saturday: a working day, stays
    ],
)
def test_calendar_day_limits(start, days, due):
    assert CALENDAR.add_calendar_days(start, days).due_on == due


known_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 10, 31))


@settings(max_examples=300, deadline=None)
@given(start=known_days, days=st.integers(min_value=1, max_value=40))
def test_the_nth_working_day_is_what_chinese_calendar_finds(start, days):
    deadline = CALENDAR.add_working_days(start, days)
    # find_workday counts from the first working day on or after its date: one fewer when the start is not one.
    assert deadline.due_on == chinese_calendar.find_workday(days if chinese_calendar.is_workday(start) else days - 1, start)
    assert not deadline.provisional


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=date(2019, 12, 1), max_value=date(2031, 12, 31)), days=st.integers(min_value=1, max_value=120))
def test_counting_properties(start, days):
    deadline = CALENDAR.add_working_days(start, days)
    assert deadline.due_on > start and CALENDAR.is_working_day(deadline.due_on)
    used, provisional = CALENDAR.working_days_between(start, deadline.due_on)
    assert used == days and provisional == deadline.provisional
    assert CALENDAR.add_working_days(start, days + 1).due_on > deadline.due_on
    assert deadline.provisional == any(not CALENDAR.known(start + timedelta(days=i)) for i in range(1, (deadline.due_on - start).days + 1))
    calendar_due = CALENDAR.add_calendar_days(start, days)
    assert calendar_due.due_on >= start + timedelta(days=days) and CALENDAR.is_working_day(calendar_due.due_on)
    skipped = (calendar_due.due_on - (start + timedelta(days=days))).days
    assert all(not CALENDAR.is_working_day(start + timedelta(days=days + i)) for i in range(skipped))


@given(day=st.dates(min_value=date(2027, 1, 1), max_value=date(2035, 12, 31)))
def test_a_year_without_data_is_monday_to_friday(day):
    assert CALENDAR.is_working_day(day) == (day.weekday() < 5) and not CALENDAR.known(day)


def test_limits_are_bounded():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        CALENDAR.add_calendar_days(date(2026, 1, 1), 10**6)


@pytest.mark.parametrize(
    "start, years, due",
    [
        ("2024-08-01", 2, "2026-08-03"),  # 8/1/2026 is a Saturday: the next working day
        ("2024-07-30", 2, "2026-07-30"),
        ("2024-02-29", 2, "2026-02-28"),  # no 29 February in 2026: 28 February, a Saturday made a working day (调休)
        ("2021-10-01", 5, "2026-10-08"),  # 国庆
        ("2024-02-16", 2, "2026-02-24"),  # 春节 2026: 2/15–2/23 off
    ],
)
def test_limits_in_years(start, years, due):
    deadline = CALENDAR.add_years(date.fromisoformat(start), years)
    assert (deadline.due_on.isoformat(), deadline.provisional) == (due, False)


@settings(max_examples=300, deadline=None)
@given(start=st.dates(date(2020, 1, 1), date(2021, 12, 31)), years=st.integers(0, 5))
def test_a_limit_in_years_ends_on_the_first_working_day_from_the_anniversary(start, years):
    due = CALENDAR.add_years(start, years).due_on
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:
        anniversary = date(start.year + years, 2, 28)
    assert due >= anniversary and CALENDAR.is_working_day(due)
    assert all(not CALENDAR.is_working_day(anniversary + timedelta(days=n)) for n in range((due - anniversary).days))
