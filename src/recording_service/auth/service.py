import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ApiToken

TOKEN_PREFIX = "rst_"
ALL_AGENCIES = "*"
AGENCY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Role(StrEnum):
    admin = "admin"
    dock = "dock"
    case_system = "case_system"
    auditor = "auditor"
    reviewer = "reviewer"


@dataclass(frozen=True)
class Principal:
    token_id: str
    name: str
    role: Role
    agency: str

    def sees_agency(self, agency: str) -> bool:
        return self.agency == agency or (self.role is Role.admin and self.agency == ALL_AGENCIES)


def scoped_to_agency(query, agency_column, principal: "Principal"):
    """Restrict a query to the principal's agency (admins of '*' see every agency)."""
    if principal.role is Role.admin and principal.agency == ALL_AGENCIES:
        return query
    return query.where(agency_column == principal.agency)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def validate_agency(agency: str, role: Role) -> str:
    if agency == ALL_AGENCIES:
        if role is not Role.admin:
            raise ValueError("only admin tokens may belong to agency '*'")
        return agency
    if not AGENCY_CODE.match(agency):
        raise ValueError("agency code: letters, digits, '_', '.', '-' (at most 64)")
    return agency


async def create_token(session: AsyncSession, role: Role, agency: str, name: str | None) -> tuple[ApiToken, str]:
    validate_agency(agency, role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name or f"{role.value}@{agency}", role=role.value, agency=agency, token_hash=hash_token(secret))
    session.add(token)
    await session.flush()
    return token, secret


async def authenticate(session: AsyncSession, secret: str) -> Principal | None:
    row = (
        await session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None)))
    ).scalar_one_or_none()
    if row is None:
        return None
    return Principal(token_id=row.id, name=row.name, role=Role(row.role), agency=row.agency)
