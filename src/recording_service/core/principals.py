"""Who asks, and what a role may do: the principal every domain and the audit chain receive.

Plumbing below every domain: it knows roles and agencies, not how a token or a person is checked. The
application registers the token check at start-up (`app.state.authenticate`, from `auth`), so the audit
chain and the domains depend on this module, never on `auth`.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVarTuple

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from .db import DbSession
from .problems import Problem

ALL_AGENCIES = "*"
Ts = TypeVarTuple("Ts")


class Role(StrEnum):
    admin = "admin"
    dock = "dock"
    case_system = "case_system"
    auditor = "auditor"
    reviewer = "reviewer"


@dataclass(frozen=True)
class Principal:
    """Who asks: a machine's API token or a person signed in to the pages."""

    id: str  # the token's id, or the person's user id (kind says which)
    name: str
    role: Role
    agency: str
    kind: str = "token"  # "token" or "user"

    def __post_init__(self) -> None:
        # The role is compared by identity (`is Role.dock`) and principals key cached statements: never a bare string
        # that equals a Role and hashes like it but fails those checks.
        object.__setattr__(self, "role", Role(self.role))

    def sees_agency(self, agency: str) -> bool:
        return self.agency == agency or (self.role is Role.admin and self.agency == ALL_AGENCIES)


def agency_conditions(agency_column: Any, principal: Principal) -> list[ColumnElement[bool]]:
    """The principal's agency as conditions of a statement: none for admins of '*', who see every agency."""
    if principal.role is Role.admin and principal.agency == ALL_AGENCIES:
        return []
    return [agency_column == principal.agency]


def scoped_to_agency(query: Select[*Ts], agency_column: Any, principal: Principal) -> Select[*Ts]:
    """Restrict a query to the principal's agency (admins of '*' see every agency)."""
    return query.where(*agency_conditions(agency_column, principal))


Authenticator = Callable[[AsyncSession, str], Awaitable[Principal | None]]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="recording-service"'}
# Declares the bearer scheme in the OpenAPI document (and /docs' Authorize button); the checks and
# their problems are ours, below.
_bearer = HTTPBearer(auto_error=False, description="an API token: `recording-service token create`")


async def current_principal(request: Request, session: DbSession, _scheme: Any = Depends(_bearer)) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(401, "unauthenticated", "A bearer token is required (Authorization: Bearer TOKEN).", headers=_CHALLENGE)
    authenticate: Authenticator = request.app.state.authenticate
    principal = await authenticate(session, secret.strip())
    if principal is None:
        raise Problem(401, "invalid-token", "The bearer token is not valid, has expired or has been revoked.", headers=_CHALLENGE)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Any:  # a FastAPI Depends(...) marker
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Problem(403, "forbidden-role", f"Role '{principal.role.value}' may not do this; allowed: {names}.")
        return principal

    return Depends(check)


# A person's browser on the tus endpoint: the application registers the check (`app.state.authenticate_browser`,
# from the pages' sessions) — the session cookie together with the session's CSRF token in a header, never the
# cookie alone (see web/session.py). Answers None when the request carries no session cookie.
BrowserAuthenticator = Callable[[Request, AsyncSession], Awaitable[Principal | None]]


async def token_or_browser(request: Request, session: DbSession, _scheme: Any = Depends(_bearer)) -> Principal:
    """A bearer token (docks, scripts) or, without an Authorization header, a signed-in person's browser."""
    if request.headers.get("authorization") is None:
        check: BrowserAuthenticator | None = getattr(request.app.state, "authenticate_browser", None)
        principal = await check(request, session) if check is not None else None
        if principal is not None:
            request.state.principal = principal
            return principal
    return await current_principal(request, session)


TokenOrBrowser = Annotated[Principal, Depends(token_or_browser)]


def require_uploader_roles(*roles: Role) -> Any:  # a FastAPI Depends(...) marker: token_or_browser, then the role
    allowed = frozenset(roles)

    async def check(principal: TokenOrBrowser) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Problem(403, "forbidden-role", f"Role '{principal.role.value}' may not do this; allowed: {names}.")
        return principal

    return Depends(check)


UPLOADERS = (Role.admin, Role.dock, Role.case_system)
READERS = (Role.admin, Role.dock, Role.case_system, Role.auditor, Role.reviewer)

Uploader = Annotated[Principal, require_roles(*UPLOADERS)]
Reader = Annotated[Principal, require_roles(*READERS)]
# The tus endpoint also takes a person's browser (the upload form in the pages).
BrowserOrUploader = Annotated[Principal, require_uploader_roles(*UPLOADERS)]
