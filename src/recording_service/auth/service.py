import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.db import read_apart
from ..core.principals import ALL_AGENCIES, Principal, Role
from .models import ApiToken

TOKEN_PREFIX = "rst_"
AGENCY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_agency(agency: str, role: Role) -> str:
    if agency == ALL_AGENCIES:
        if role is not Role.admin:
            raise ValueError("only admin tokens may belong to agency '*'")
        return agency
    if not AGENCY_CODE.fullmatch(agency):
        raise ValueError("agency code: letters, digits, '_', '.', '-' (at most 64)")
    return agency


DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '30m', '2w', '45s'."""
    match = DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError("a duration is a positive number followed by s, m, h, d or w (e.g. 90d)")
    return timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])


def token_status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


async def create_token(
    session: AsyncSession, role: Role, agency: str, name: str | None, expires_in: timedelta | None = None
) -> tuple[ApiToken, str]:
    validate_agency(agency, role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + expires_in if expires_in else None
    token = ApiToken(
        name=name or f"{role.value}@{agency}", role=role.value, agency=agency, token_hash=hash_token(secret), expires_at=expires_at
    )
    session.add(token)
    await session.flush()
    return token, secret


# Built once: every request with a token runs it, and building it cost more than running it.
_TOKEN_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))


async def authenticate(session: AsyncSession, secret: str) -> Principal | None:
    # Apart from the request's transaction: on SQLite one thread hand-off instead of aiosqlite's four (every PATCH).
    token_hash = hash_token(secret)
    row = await read_apart(session, lambda reading: reading.execute(_TOKEN_BY_HASH, {"token_hash": token_hash}).scalar_one_or_none())
    if row is None or token_status(row, datetime.now(UTC)) != "active":
        return None
    return Principal(id=row.id, name=row.name, role=Role(row.role), agency=row.agency)
