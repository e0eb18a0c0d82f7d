"""Times: stored in UTC, required with an offset on input, shown in the agency's time zone."""

from datetime import date, datetime, tzinfo
from typing import Any, overload

from .problems import Problem
from .values import sane_time


def require_offset(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Problem(400, "invalid-time", f"{name} needs a UTC offset, e.g. 2026-11-24T09:00:00+08:00.")
    if value is not None and not sane_time(value):
        raise Problem(400, "invalid-time", f"{name} must lie between 1970 and 2200.", field=name)
    return value


def today(tz: tzinfo) -> date:
    """The agency's date now: limits, deadlines and validity are counted in local days."""
    return datetime.now(tz).date()


@overload
def local(value: datetime, tz: tzinfo) -> datetime: ...
@overload
def local(value: datetime | None, tz: tzinfo) -> datetime | None: ...
def local(value: datetime | None, tz: tzinfo) -> datetime | None:
    return value.astimezone(tz) if value is not None else None


def local_notes(notes: list[dict[str, Any]] | None, tz: tzinfo) -> list[dict[str, Any]]:
    """Stored notes carry their time in UTC; people read them in the agency's zone."""
    out = []
    for note in notes or []:
        at = note.get("at")
        try:
            at = datetime.fromisoformat(at).astimezone(tz).isoformat() if at else at
        except (TypeError, ValueError):
            pass
        out.append({**note, "at": at})
    return out
