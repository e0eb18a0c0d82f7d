"""Keyset (cursor) pagination shared by every list endpoint: {"items": [...], "next_cursor": ...}."""

import base64
import json
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from .problems import Problem
from .values import sane_time

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: list[Any]) -> str:
    plain = [{"t": v.isoformat()} if isinstance(v, datetime) else {"d": v.isoformat()} if isinstance(v, date) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _cursor_value(value: Any) -> Any:
    # Only what encode_cursor writes: strings, 64-bit integers, times and days; anything else is forged.
    if isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str):
        parsed = datetime.fromisoformat(value["t"])
        if parsed.tzinfo is None or not sane_time(parsed):
            raise ValueError
        return parsed
    if isinstance(value, dict) and set(value) == {"d"} and isinstance(value["d"], str) and len(value["d"]) == 10:
        return date.fromisoformat(value["d"])
    if isinstance(value, str) and len(value) <= 512 and "\x00" not in value:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    raise ValueError


def decode_cursor(cursor: str, count: int, types: list[type | None] | None = None) -> list[Any]:
    """The cursor's values, each of the type its key column holds (`types`; None: any the cursor may carry)."""
    try:
        if len(cursor) > 4096:
            raise ValueError
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != count:
            raise ValueError
        values = [_cursor_value(v) for v in values]
        if types and any(expected is not None and not _is(value, expected) for value, expected in zip(values, types)):
            raise ValueError  # e.g. a number where the column holds text: the database would refuse the comparison
        return values
    except (ValueError, TypeError, KeyError):
        raise Problem(400, "invalid-cursor", "The cursor is not one this service issued.") from None


def _is(value: Any, expected: type) -> bool:
    # A datetime is a date to isinstance; a day column takes a day only.
    return isinstance(value, expected) and not (expected is date and isinstance(value, datetime))


def _key_type(key: InstrumentedAttribute) -> type | None:
    """What a cursor may hold for a key column: str, int, datetime or date as the column says; None when unknown."""
    try:
        python_type = key.type.python_type
    except (NotImplementedError, AttributeError):
        return None
    return python_type if python_type in (str, int, datetime, date) else None


def keyset(query: Select, keys: list[InstrumentedAttribute], cursor: str | None, limit: int, descending: bool = False) -> Select:
    """Order by `keys` (ascending, or newest first) and start after the cursor's row."""
    if cursor:
        values = decode_cursor(cursor, len(keys), [_key_type(key) for key in keys])
        conditions = []
        for i, key in enumerate(keys):
            conditions.append(and_(*(keys[j] == values[j] for j in range(i)), key < values[i] if descending else key > values[i]))
        query = query.where(or_(*conditions))
    return query.order_by(*(key.desc() for key in keys) if descending else keys).limit(limit + 1)


def page_of(rows: list, keys: list[str], limit: int) -> tuple[list, str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, name) for name in keys])
