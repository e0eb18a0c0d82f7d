"""Sign-in throttling: nobody can lock anyone out, and guessing gets slower the longer it goes on.

Kept in the shared `throttles` table (see `throttle.py`), so every instance sees the same counts. Keys:

- `login:client:<address>`: a budget of sign-in posts per client address and minute, spent before
  anything else (before any password is hashed).
- `login:account:<name>`: the account's failures in a row, from anywhere. After `attempts` of them each
  further attempt must wait, the wait doubling per failure up to `max_delay`.
- `login:pair:<name>@<address>`: the same count for one client and one account; a client that keeps
  failing for an account waits on its own count whatever the account's.
- `login:known:<name>@<address>`: a client that signed in to the account (kept `known_for`); it is not
  held up by the account's wait, only by its own failures.
- `login:fresh:<name>`: while the account waits, clients that have never failed for it (someone at a new
  place, the owner included) share a small allowance of attempts per `max_delay`.

Names that exist and names that do not are throttled alike (the keys do not depend on the account), so
the answers cannot tell them apart. No row ever stops a right password for good: waits are capped and
failures are forgotten after `max_delay` without one.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..core.config import Settings
from ..core.throttle import Budget, ThrottleRow, count_failure, forget, mark, spend, state

USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")


@dataclass(frozen=True)
class SignInLimits:
    requests_per_minute: int
    attempts: int
    first_delay: float  # seconds
    max_delay: float  # seconds
    fresh_attempts: int
    known_for: float  # seconds

    @classmethod
    def of(cls, settings: Settings) -> "SignInLimits":
        return cls(
            requests_per_minute=settings.sign_in_requests_per_minute,
            attempts=settings.sign_in_attempts,
            first_delay=settings.sign_in_first_delay_seconds,
            max_delay=settings.sign_in_max_delay_minutes * 60,
            fresh_attempts=settings.sign_in_fresh_client_attempts,
            known_for=settings.sign_in_known_client_days * 86400,
        )


def account_name(username: str) -> str:
    """The name as keys carry it: the normalised username, or a digest of anything that is not one."""
    name = username.strip().lower()
    if 2 <= len(name) <= 64 and set(name) <= USERNAME_CHARS:
        return name
    return "#" + hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:32]


@dataclass(frozen=True)
class Attempt:
    name: str
    client: str

    @classmethod
    def of(cls, username: str, client: str) -> "Attempt":
        return cls(account_name(username), client[:100])

    @property
    def client_key(self) -> str:
        return f"login:client:{self.client}"

    @property
    def account_key(self) -> str:
        return f"login:account:{self.name}"

    @property
    def pair_key(self) -> str:
        return f"login:pair:{self.name}@{self.client}"

    @property
    def known_key(self) -> str:
        return f"login:known:{self.name}@{self.client}"

    @property
    def fresh_key(self) -> str:
        return f"login:fresh:{self.name}"


async def client_wait(engine: AsyncEngine, limits: SignInLimits, attempt: Attempt) -> float | None:
    """Spends one sign-in post of the client's budget: None, or the seconds until it has room again."""
    return await spend(engine, [Budget(attempt.client_key, limits.requests_per_minute, 60.0)])


async def account_wait(engine: AsyncEngine, limits: SignInLimits, attempt: Attempt) -> float | None:
    """None when this client may try this account's password now, else the seconds to wait."""
    rows = await state(engine, [attempt.account_key, attempt.pair_key, attempt.known_key])
    pair, account = rows.get(attempt.pair_key), rows.get(attempt.account_key)
    if pair is not None and pair.wait > 0:
        return pair.wait  # this client's own failures for this account
    if account is None or account.wait <= 0:
        return None
    if attempt.known_key in rows:
        return None  # signed in from here before: the account's wait is for others
    if pair is not None and pair.count > 0:
        return account.wait  # has failed for this account lately: waits like everyone failing
    wait = await spend(engine, [Budget(attempt.fresh_key, limits.fresh_attempts, limits.max_delay)])
    return None if wait is None else min(wait, account.wait)


async def failed(engine: AsyncEngine, limits: SignInLimits, attempt: Attempt) -> dict[str, Any]:
    """Counts a refused password; what it did, for the audit log: failures in a row, the wait now imposed."""
    counts = await count_failure(
        engine,
        [attempt.account_key, attempt.pair_key],
        free=limits.attempts,
        first_delay=limits.first_delay,
        max_delay=limits.max_delay,
        forget_after=limits.max_delay,
    )
    failures, wait = counts[attempt.account_key]
    return {
        "attempts": failures,
        "wait_seconds": round(max(wait, counts[attempt.pair_key][1]), 3),
        "throttle_starts": failures == limits.attempts,
    }


async def succeeded(engine: AsyncEngine, limits: SignInLimits, attempt: Attempt) -> None:
    """The client's failures for the account are forgotten and the client is known to it from now on.
    The account's own count stays: someone else may still be guessing."""
    await mark(engine, attempt.known_key, limits.known_for)
    await forget(engine, [attempt.pair_key])


async def forget_account(session: AsyncSession, username: str) -> None:
    """An administrator's reset: the account's failures, waits and allowances are gone (known clients stay).
    In the caller's transaction."""
    name = account_name(username)
    await session.execute(
        delete(ThrottleRow).where(
            or_(
                ThrottleRow.key.in_([f"login:account:{name}", f"login:fresh:{name}"]),
                ThrottleRow.key.startswith(f"login:pair:{name}@", autoescape=True),
            )
        )
    )
