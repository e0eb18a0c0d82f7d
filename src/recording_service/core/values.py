"""Checks of untrusted values that every router shares (plumbing: no domain knowledge)."""

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import TypeGuard

from pydantic import BaseModel, ConfigDict, model_validator

MAX_DIGITS = 19  # fits a signed 64-bit integer; anything longer is not a byte count or offset we serve


def plain_digits(value: str | None, max_digits: int = MAX_DIGITS) -> TypeGuard[str]:
    """ASCII 0-9 only: str.isdigit() also accepts '²' and other scripts' digits, which int() refuses."""
    return value is not None and 0 < len(value) <= max_digits and value.isascii() and value.isdigit()


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
INVISIBLE = {
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u061c",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
}


def normalised_identifier(value: str) -> str | None:
    """NFKC-normalised and trimmed, or None when it holds invisible or control characters."""
    if any(ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return None
    return unicodedata.normalize("NFKC", value).strip()


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_contains_nul(v) for v in value)
    return False


SAFE_INTEGER = 2**53 - 1  # JSON's safe range: larger integers lose digits in most clients (and in our encoder)


def _unsafe_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -SAFE_INTEGER <= value <= SAFE_INTEGER
    if isinstance(value, float):
        return value != value or value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_unsafe_number(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_unsafe_number(v) for v in value)
    return False


class RequestModel(BaseModel):
    """Request bodies: unknown fields refused (a misspelt `officers` must not vanish silently), no NaN
    or infinity, no NUL characters anywhere (PostgreSQL cannot store them; refused alike on every
    database), and times only between 1970 and 2200."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="after")
    def _no_nul(self) -> "RequestModel":
        for name, value in self.__dict__.items():
            if _contains_nul(value):
                raise ValueError(f"'{name}' contains a NUL character")
            if isinstance(value, datetime) and not sane_time(value):
                raise ValueError(f"'{name}' must lie between 1970 and 2200")
            if _unsafe_number(value):
                raise ValueError(f"'{name}' holds a number beyond JSON's safe range (±2^53) or not finite")
        return self


# Brackets people type around a 案号's year, in every width and shape, read as one pair: 〔2026〕, [2026],
# ［2026］, (2026), （2026）, 【2026】 and 〖2026〗 are the same number.
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "[": "(", "]": ")", "【": "(", "】": ")", "〖": "(", "〗": ")", "{": "(", "}": ")"})


def search_key(value: str | None) -> str:
    """A text as searches compare it, stored and typed alike: NFKC (full-width letters, digits and brackets to
    their usual forms), brackets unified, whitespace and invisible characters removed, case folded. So "１２号",
    "[2026]12号" and "濉卫立（2026）12 号" all lie inside the key of 濉卫立〔2026〕12号."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).translate(_BRACKETS).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf")))
