"""People who sign in to the pages: accounts (argon2id passwords) and browser sessions.

Machines keep their bearer tokens; a person's session is a random cookie secret of which only the
SHA-256 is stored, with an idle and an absolute expiry. Every sign-in, failure, sign-out, disablement and
reset is an audit event. Repeated failures are throttled, never locked (`auth.throttling`).
"""

import asyncio
import re
import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, TypeVarTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import REQUEST_CONTEXT, Actor, record
from ..core.config import Settings
from ..core.db import rowcount, utcnow
from ..core.principals import ALL_AGENCIES, Principal, Role
from .models import User, WebSession
from .service import hash_token, validate_agency
from .throttling import forget_account

R = TypeVar("R")
Ts = TypeVarTuple("Ts")

# People review, oversee and administer; uploading and case-writing stay with machines' tokens.
PERSON_ROLES = (Role.admin, Role.auditor, Role.reviewer)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is an attack, not a secret

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters (64 MiB per hash)
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password. Made by the
# first sign-in, whatever its name, not at import: every command and server start would pay 64 MiB and 0.1 s.
_dummy_hash: str | None = None
ARGON2_AT_ONCE = 2
_argon2_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "SessionPolicy":
        return cls(idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_max_hours))


class PersonError(ValueError):
    pass


class SignInRefused(Exception):
    """The name and password did not open a session. Whatever the reason, the person at the form is told
    the same; `user` is the account when the name exists (for the audit log), else None."""

    def __init__(self, reason: str, user: "User | None" = None) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "disabled"
        self.user = user


def normalised_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise PersonError("a username is 2–64 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PersonError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PersonError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def person_principal(user: User) -> Principal:
    return Principal(id=user.id, name=f"{user.display_name} ({user.username})", role=Role(user.role), agency=user.agency, kind="user")


def _anonymous(agency: str) -> Actor:
    """Whoever typed a user's name at the sign-in form: not yet anyone."""
    context = REQUEST_CONTEXT.get()
    return Actor(token_id=None, role="anonymous", agency=agency, request_id=context.request_id, client_address=context.client_address)


async def find_user(session: AsyncSession, username: str) -> User | None:
    return (await session.execute(select(User).where(User.username == username.strip().lower()))).scalar_one_or_none()


async def create_user(
    session: AsyncSession, who: Actor | Principal, username: str, role: Role, agency: str, display_name: str | None, password: str
) -> User:
    name = normalised_username(username)
    if role not in PERSON_ROLES:
        raise PersonError(f"people sign in as {', '.join(r.value for r in PERSON_ROLES)}; '{role.value}' is a machine's role (use a token)")
    try:
        validate_agency(agency, role)
    except ValueError as exc:
        raise PersonError(str(exc)) from None
    check_password(password)
    if await find_user(session, name) is not None:
        raise PersonError(f"user {name} already exists")
    user = User(
        username=name,
        display_name=(display_name or name).strip()[:200] or name,
        role=role.value,
        agency=agency,
        password_hash=await _argon2(_hasher.hash, password),
        failed_attempts=0,
    )
    session.add(user)
    await session.flush()
    await record(
        session,
        who,
        "user.created",
        agency=None if agency == ALL_AGENCIES else agency,
        payload={"user_id": user.id, "username": name, "display_name": user.display_name, "role": role.value, "agency": agency},
    )
    return user


async def _end_sessions(session: AsyncSession, user_id: str, reason: str) -> int:
    result = await session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None)).values(ended_at=utcnow(), end_reason=reason)
    )
    return rowcount(result)


async def disable_user(session: AsyncSession, who: Actor | Principal, user: User) -> None:
    user.disabled_at = utcnow()
    ended = await _end_sessions(session, user.id, "disabled")
    await record(
        session,
        who,
        "user.disabled",
        agency=None if user.agency == ALL_AGENCIES else user.agency,
        payload={"user_id": user.id, "username": user.username, "sessions_ended": ended},
    )


async def reset_password(session: AsyncSession, who: Actor | Principal, user: User, password: str) -> None:
    check_password(password)
    user.password_hash = await _argon2(_hasher.hash, password)
    user.password_changed_at = utcnow()
    user.failed_attempts, user.locked_until = 0, None
    await forget_account(session, user.username)  # its sign-in throttling starts over
    ended = await _end_sessions(session, user.id, "password_reset")
    await record(
        session,
        who,
        "user.password_reset",
        agency=None if user.agency == ALL_AGENCIES else user.agency,
        payload={"user_id": user.id, "username": user.username, "sessions_ended": ended},
    )


async def sign_in(session: AsyncSession, policy: SessionPolicy, username: str, password: str) -> tuple[User, WebSession, str]:
    """Check the password and open a session; the caller commits (the audit event is in the transaction).
    Every refusal costs one argon2 verification, whether the name exists or not."""
    dummy_hash = await _the_dummy_hash()
    now = utcnow()
    user = await find_user(session, username) if USERNAME.match(username.strip().lower()) else None
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        await _verify(dummy_hash, password[:MAX_PASSWORD_LENGTH])
        raise SignInRefused("invalid")
    if user.disabled_at is not None:
        await _verify(dummy_hash, password)
        raise SignInRefused("disabled", user)
    if not await _verify(user.password_hash, password):
        raise SignInRefused("invalid", user)
    agency = None if user.agency == ALL_AGENCIES else user.agency
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await _argon2(_hasher.hash, password)
    user.last_sign_in_at = now
    secret = secrets.token_urlsafe(32)
    browser = WebSession(
        user_id=user.id,
        secret_hash=hash_token(secret),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute,
        client_address=REQUEST_CONTEXT.get().client_address,
    )
    session.add(browser)
    await session.flush()
    await record(
        session,
        person_principal(user),
        "user.signed_in",
        agency=agency,
        payload={"session_id": browser.id, "expires_at": browser.expires_at.isoformat()},
    )
    return user, browser, secret


async def record_failure(session: AsyncSession, user: User, payload: dict[str, Any]) -> None:
    """Audits a refused sign-in to an existing account (`payload`: the throttle's counts and wait)."""
    agency = None if user.agency == ALL_AGENCIES else user.agency
    await record(
        session,
        _anonymous(user.agency),
        "user.sign_in_failed",
        agency=agency,
        payload={"user_id": user.id, "username": user.username, **payload},
    )


async def record_throttled(session: AsyncSession, user: User, payload: dict[str, Any]) -> None:
    """Audits the start of an account's waiting time (failures in a row reached the threshold)."""
    agency = None if user.agency == ALL_AGENCIES else user.agency
    await record(
        session,
        _anonymous(user.agency),
        "user.sign_in_throttled",
        agency=agency,
        payload={"user_id": user.id, "username": user.username, **payload},
    )


async def _the_dummy_hash() -> str:
    global _dummy_hash
    if _dummy_hash is None:  # two first sign-ins at once may both make one: either serves
        _dummy_hash = await _argon2(_hasher.hash, secrets.token_urlsafe(16))
    return _dummy_hash


async def _verify(password_hash: str, password: str) -> bool:
    """In a thread: argon2 costs ~0.1 s of CPU, which must not stall the event loop's other requests."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await _argon2(check)


async def _argon2(work: Callable[[*Ts], R], *args: *Ts) -> R:
    """Run an argon2 hash or verification in a thread (~0.1 s of CPU must not stall the event loop), at most
    ARGON2_AT_ONCE at a time per process: each takes 64 MiB while it runs, and a burst of sign-ins (the default
    thread pool runs six things at once) would otherwise take six times that. The others wait their turn."""
    loop = asyncio.get_running_loop()
    slots = _argon2_slots.get(loop)
    if slots is None:
        slots = _argon2_slots[loop] = asyncio.Semaphore(ARGON2_AT_ONCE)
    async with slots:
        return await asyncio.to_thread(work, *args)


# A session's last_seen_at is written at most this often (or a quarter of the idle limit, when shorter):
# not one write per page or per video range.
TOUCH_EVERY = timedelta(seconds=60)


async def session_of(session: AsyncSession, policy: SessionPolicy, secret: str) -> tuple[Principal, WebSession] | None:
    """The person a session cookie belongs to, when the session is alive (not ended, not idle, not past its
    absolute expiry, the account enabled)."""
    now = utcnow()
    row = (
        await session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.secret_hash == hash_token(secret), WebSession.ended_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        return None
    browser, user = row
    if user.disabled_at is not None or browser.expires_at <= now or browser.last_seen_at + policy.idle <= now:
        return None
    if now - browser.last_seen_at >= min(TOUCH_EVERY, policy.idle / 4):
        await session.execute(update(WebSession).where(WebSession.id == browser.id).values(last_seen_at=now))
        # The keep-alive is its own short transaction, before the page's work: on SQLite a write held for the
        # whole request would make every other writer (the shared throttles among them) wait for it.
        await session.commit()
    return person_principal(user), browser


async def sign_out(session: AsyncSession, principal: Principal, browser: WebSession) -> None:
    await session.execute(
        update(WebSession)
        .where(WebSession.id == browser.id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason="signed_out")
    )
    await record(
        session,
        principal,
        "user.signed_out",
        agency=None if principal.agency == ALL_AGENCIES else principal.agency,
        payload={"session_id": browser.id},
    )
