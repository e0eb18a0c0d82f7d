"""Throttles shared by every instance: budgets, failure backoff and one-time claims, kept in the database.

One small table of keyed rows (`throttles`). Every decision is a single atomic statement (INSERT … ON
CONFLICT DO UPDATE … WHERE … RETURNING on SQLite and PostgreSQL alike), so two instances, or two requests
of one instance, can never both take the last unit of a budget. Times are the database's clock
(`db_epoch`), seconds since the epoch. Each function runs its own short transaction on the engine, apart
from the request's session: what was spent stays spent whatever the request does next, and no row lock is
held while the request works.

- A **budget** (`spend`) is a GCRA token bucket in one number per key (`next_at`, the theoretical arrival
  time): `limit` units per `period`, at most `limit` at once; a request of cost c moves it c·period/limit
  ahead and is refused when that would put it more than `period` ahead of now.
- A **failure count** (`count_failure`) counts failures in a row under a key; after `free` of them each
  further failure makes the next attempt wait `first_delay` doubled per failure, at most `max_delay`;
  the count is forgotten after `forget_after` without a failure (plus the delay then running).
- A **claim** (`claim_once`) holds a key for a while: the first caller gets True, every later one False.
- A **mark** (`mark`) notes a key for a while (`state` tells whether it is still there).

The plumbing knows no domain: callers choose the keys (e.g. `login:account:<name>`, `public:<address>`).
"""

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, String, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, db_epoch


class ThrottleRow(Base):
    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[float] = mapped_column(Float)  # first failure of the current run (failure counts)
    next_at: Mapped[float] = mapped_column(Float)  # budgets: the bucket's arrival time; failures: next attempt allowed
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # past it, the row means nothing (purged)


KEY_LENGTH = 200


@dataclass(frozen=True)
class Budget:
    key: str
    limit: float  # units per period, and at most this many at once
    period: float  # seconds
    cost: float = 1.0

    @property
    def step(self) -> float:
        """Seconds one request moves the bucket on (a cost above the whole budget counts as the whole budget)."""
        return min(self.cost, self.limit) * self.period / self.limit


@dataclass(frozen=True)
class KeyState:
    count: int
    wait: float  # seconds until next_at (≤ 0: nothing to wait for)
    left: float  # seconds until the row expires


def _insert(engine: AsyncEngine) -> Any:  # the dialect's INSERT … ON CONFLICT construct
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(ThrottleRow)


def _check_key(key: str) -> str:
    if len(key) > KEY_LENGTH:
        raise ValueError(f"throttle keys are at most {KEY_LENGTH} characters")
    return key


async def spend(engine: AsyncEngine, budgets: list[Budget]) -> float | None:
    """Spend from every budget in one statement. None when each had room; else the seconds until the
    refused ones would have room (the budgets that had room are spent all the same)."""
    budgets = sorted({_check_key(b.key): b for b in budgets}.values(), key=lambda b: b.key)  # one lock order
    now = db_epoch()
    statement = _insert(engine).values(
        [{"key": b.key, "count": 0, "window_start": now, "next_at": now + b.step, "expires_at": now + b.step} for b in budgets]
    )
    row = ThrottleRow.__table__.c
    moved = case((row.next_at > now, row.next_at), else_=now) + (statement.excluded.next_at - now)
    period = case({b.key: b.period for b in budgets}, value=row.key)
    statement = statement.on_conflict_do_update(
        index_elements=[row.key],
        set_={"next_at": moved, "expires_at": moved},
        where=moved - now <= period,
    ).returning(row.key)
    async with engine.begin() as connection:
        passed = set((await connection.execute(statement)).scalars())
        refused = [b for b in budgets if b.key not in passed]
        if not refused:
            return None
        ahead = dict(
            (await connection.execute(select(row.key, row.next_at - db_epoch()).where(row.key.in_([b.key for b in refused])))).all()
        )
    return float(max(max(0.0, ahead.get(b.key, 0.0) + b.step - b.period) for b in refused))


async def state(engine: AsyncEngine, keys: list[str]) -> dict[str, KeyState]:
    """The live rows among `keys` (expired ones are left out)."""
    now = db_epoch()
    row = ThrottleRow.__table__.c
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(row.key, row.count, row.next_at - now, row.expires_at - now).where(
                    row.key.in_([_check_key(k) for k in keys]), row.expires_at > now
                )
            )
        ).all()
    return {key: KeyState(count, wait, left) for key, count, wait, left in rows}


def backoff(count: int, free: int, first_delay: float, max_delay: float) -> float:
    """The wait after `count` failures in a row: none for the first `free` - 1, then doubling, capped."""
    if count < free:
        return 0.0
    exponent = count - free
    return max_delay if exponent > 60 else min(max_delay, first_delay * math.pow(2, exponent))


async def count_failure(
    engine: AsyncEngine, keys: list[str], *, free: int, first_delay: float, max_delay: float, forget_after: float
) -> dict[str, tuple[int, float]]:
    """One more failure under each key: per key, the failures in a row and the wait now imposed (seconds)."""
    keys = sorted({_check_key(k) for k in keys})
    now = db_epoch()
    statement = _insert(engine).values(
        [{"key": k, "count": 1, "window_start": now, "next_at": now, "expires_at": now + forget_after} for k in keys]
    )
    row = ThrottleRow.__table__.c
    stale = row.expires_at <= now
    statement = statement.on_conflict_do_update(
        index_elements=[row.key],
        set_={
            "count": case((stale, 1), else_=row.count + 1),
            "window_start": case((stale, now), else_=row.window_start),
            "next_at": case((stale, now), else_=row.next_at),
            "expires_at": now + forget_after,
        },
    ).returning(row.key, row.count)
    async with engine.begin() as connection:
        counts = dict((await connection.execute(statement)).all())
        waits = {key: backoff(count, free, first_delay, max_delay) for key, count in counts.items()}
        for key, wait in waits.items():
            if wait > 0:
                later = db_epoch()
                until = later + wait
                await connection.execute(
                    update(ThrottleRow)
                    .where(row.key == key)
                    .values(
                        next_at=case((row.next_at > until, row.next_at), else_=until),
                        expires_at=until + forget_after,
                    )
                )
    return {key: (counts[key], waits[key]) for key in keys}


async def mark(engine: AsyncEngine, key: str, seconds: float) -> None:
    """Note `key` for `seconds` from now (again: the time starts over)."""
    now = db_epoch()
    statement = _insert(engine).values(key=_check_key(key), count=1, window_start=now, next_at=now, expires_at=now + seconds)
    statement = statement.on_conflict_do_update(
        index_elements=[ThrottleRow.__table__.c.key], set_={"count": 1, "window_start": now, "next_at": now, "expires_at": now + seconds}
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


async def claim_once(engine: AsyncEngine, key: str, seconds: float) -> bool:
    """True for the first caller that claims `key` (held `seconds`), False for every later one."""
    now = db_epoch()
    row = ThrottleRow.__table__.c
    statement = _insert(engine).values(key=_check_key(key), count=1, window_start=now, next_at=now, expires_at=now + seconds)
    # A claim that has expired (and not yet been purged) may be taken again.
    statement = statement.on_conflict_do_update(
        index_elements=[row.key],
        set_={"count": 1, "window_start": now, "next_at": now, "expires_at": now + seconds},
        where=row.expires_at <= now,
    ).returning(row.key)
    async with engine.begin() as connection:
        return (await connection.execute(statement)).first() is not None


async def forget(engine: AsyncEngine, keys: list[str]) -> None:
    async with engine.begin() as connection:
        await connection.execute(delete(ThrottleRow).where(ThrottleRow.__table__.c.key.in_(keys)))


async def purge(engine: AsyncEngine) -> int:
    """Removes the rows that no longer mean anything; the worker runs it now and then."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(ThrottleRow).where(ThrottleRow.__table__.c.expires_at <= db_epoch()))
    return result.rowcount or 0


def purge_throttles(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[[Any], Awaitable[None]]:
    """Periodic work for the job queue: `purge` on the sessionmaker's engine."""

    async def run(_queue: Any) -> None:
        await purge(sessionmaker.kw["bind"])

    return run
