"""Keyset (cursor) pagination shared by every list endpoint: {"items": [...], "next_cursor": ...}."""

import base64
import json
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, TypeDecorator, and_, or_
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


def _key_type(key: InstrumentedAttribute[Any]) -> type:
    """What a key's values are in Python (datetime, date, str or int): a cursor's value must be one."""
    column_type = key.type
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    kind = column_type.python_type
    if kind not in (datetime, date, str, int):
        raise TypeError(f"no cursor encoding for {kind.__name__} keys")
    return kind  # type: ignore[no-any-return]  # python_type is typed Any by SQLAlchemy


def _cursor_value(value: Any, kind: type) -> Any:
    # Only what encode_cursor writes for a key of this type; anything else (another shape, another
    # type, a time out of range) is forged.
    if kind is datetime:
        if not (isinstance(value, dict) and set(value) == {"t"} and isinstance(value["t"], str) and len(value["t"]) <= 64):
            raise ValueError
        parsed = datetime.fromisoformat(value["t"])
        if parsed.tzinfo is None or not sane_time(parsed):
            raise ValueError
        return parsed
    if kind is date:
        if not (isinstance(value, dict) and set(value) == {"d"} and isinstance(value["d"], str) and len(value["d"]) == 10):
            raise ValueError
        return date.fromisoformat(value["d"])
    if kind is str and isinstance(value, str) and len(value) <= 512 and "\x00" not in value:
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    raise ValueError


def decode_cursor(cursor: str, kinds: list[type]) -> list[Any]:
    """The values of a cursor for keys of these types, or a 400 `invalid-cursor` problem."""
    try:
        if len(cursor) > 4096:
            raise ValueError
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return [_cursor_value(v, kind) for v, kind in zip(values, kinds)]
    except (ValueError, TypeError, KeyError, RecursionError):
        raise Problem(400, "invalid-cursor", "The cursor is not one this service issued.") from None


def keyset(
    query: Select[Any], keys: list[InstrumentedAttribute[Any]], cursor: str | None, limit: int, descending: bool = False
) -> Select[Any]:
    """Order by `keys` (ascending, or newest first) and start after the cursor's row."""
    if cursor:
        values = decode_cursor(cursor, [_key_type(key) for key in keys])
        conditions = []
        for i, key in enumerate(keys):
            conditions.append(and_(*(keys[j] == values[j] for j in range(i)), key < values[i] if descending else key > values[i]))
        # The first key's bound once more outside the OR: the same rows, and the planner walks one index range in order
        # and stops at the page's end (SQLite otherwise splits the OR into two index searches and sorts everything found).
        query = query.where(keys[0] <= values[0] if descending else keys[0] >= values[0], or_(*conditions))
    return query.order_by(*(key.desc() for key in keys) if descending else keys).limit(limit + 1)


def page_of(rows: list[T], keys: list[str], limit: int) -> tuple[list[T], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, name) for name in keys])
