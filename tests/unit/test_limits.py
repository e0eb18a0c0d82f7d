"""Extensions and pauses of an adjustable limit, as the timeline counts them (pure: no database)."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from recording_service.catalog.service import load_catalog
from recording_service.timeline.limits import _adjusted
from recording_service.workdays.counting import WorkingCalendar

CATALOG = load_catalog()
CALENDAR = WorkingCalendar(CATALOG.calendar)
RULE = CATALOG.time_limit("decision_within_90_days")
START = date(2026, 3, 2)
CREATED = datetime(2026, 3, 2, tzinfo=UTC)


def pause(first: date, last: date | None, n: int = 0):
    return SimpleNamespace(id=f"p{n}", rule=RULE.code, kind="pause", paused_from=first, paused_to=last, created_at=CREATED)


def extension(days: int, approved: date, n: int = 0):
    return SimpleNamespace(id=f"e{n}", rule=RULE.code, kind="extension", days=days, approved_on=approved, created_at=CREATED)


spans = st.tuples(st.integers(-20, 150), st.integers(0, 40))


@settings(max_examples=300, deadline=None)
@given(st.lists(spans, max_size=5))
def test_paused_days_are_the_union_of_the_pauses_after_the_start(pauses):
    reached = START + timedelta(days=200)
    rows = [pause(START + timedelta(days=a), START + timedelta(days=a + b), i) for i, (a, b) in enumerate(pauses)]
    days = {START + timedelta(days=a + k) for a, b in pauses for k in range(b + 1)}
    expected = {d for d in days if d > START}
    assert _adjusted(RULE, rows, START, reached, CALENDAR)["paused_days"] == len(expected)


def test_an_open_pause_counts_up_to_the_day_reached_and_stops_the_clock():
    counted = _adjusted(RULE, [pause(date(2026, 4, 1), None)], START, date(2026, 4, 10), CALENDAR)
    assert (counted["paused_days"], counted["paused_now"]) == (10, True)


def test_extensions_count_only_when_approved_before_the_limit_ran_out():
    due = CALENDAR.add_calendar_days(START, 90).due_on  # 5/31 is a Sunday: 6/1
    assert due == date(2026, 6, 1)
    on_time = _adjusted(RULE, [extension(30, due, 1), extension(10, due + timedelta(days=29), 2)], START, date(2026, 8, 1), CALENDAR)
    assert on_time["extension_days"] == 40 and on_time["late_extensions"] == []  # the second came within the first's 30 days
    late = _adjusted(RULE, [extension(30, due + timedelta(days=1), 1)], START, date(2026, 8, 1), CALENDAR)
    assert late["extension_days"] == 0 and late["late_extensions"] == ["e1"]
    # A pause pushes the limit on, so an extension approved within the paused days still counts.
    paused = _adjusted(
        RULE, [pause(date(2026, 4, 1), date(2026, 4, 10)), extension(30, due + timedelta(days=5), 1)], START, date(2026, 8, 1), CALENDAR
    )
    assert paused["extension_days"] == 30
