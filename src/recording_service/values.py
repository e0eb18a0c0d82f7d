"""Checks of untrusted values that every router shares (plumbing: no domain knowledge)."""

import unicodedata
from datetime import UTC, date, datetime, timedelta

MAX_DIGITS = 19  # fits a signed 64-bit integer; anything longer is not a byte count or offset we serve


def plain_digits(value: str | None, max_digits: int = MAX_DIGITS) -> bool:
    """ASCII 0-9 only: str.isdigit() also accepts '²' and other scripts' digits, which int() refuses."""
    return bool(value) and len(value) <= max_digits and value.isascii() and value.isdigit()


# Times outside this window are not real recordings or acts: a year-9999 time with a negative offset
# cannot even be converted to UTC.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def sane_time(value: datetime) -> bool:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return False
    return EARLIEST <= utc < LATEST


def sane_date(value: date) -> bool:
    """The same window for a calendar day (a violation, an approval, a pause)."""
    return EARLIEST.date() <= value < LATEST.date()


# What is published or recorded now about today's administration: not before 2000, and not more than
# a year ahead of today (a decision, the start of a licence, a notice), unless a longer horizon is
# given (the end of a licence's term).
PLAUSIBLE_FROM = date(2000, 1, 1)


def plausible_day(value: date, today: date, years_ahead: int = 1) -> bool:
    return PLAUSIBLE_FROM <= value <= today + timedelta(days=366 * years_ahead)


# Zero-width and bidirectional control characters: invisible, so two identifiers that look the same differ.
INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u061c",
             *(chr(c) for c in range(0x202A, 0x202F)), *(chr(c) for c in range(0x2066, 0x206A))}


def normalised_identifier(value: str) -> str | None:
    """NFKC-normalised and trimmed, or None when it holds invisible or control characters."""
    if any(ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return None
    return unicodedata.normalize("NFKC", value).strip()
