"""Bearer-token authentication and role checks as FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from ..db import DbSession
from ..problems import Problem
from .service import Principal, Role, authenticate

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="recording-service"'}
# Declares the bearer scheme in the OpenAPI document (and /docs' Authorize button); the checks and
# their problems are ours, below.
_bearer = HTTPBearer(auto_error=False, description="an API token: `recording-service token create`")


async def current_principal(request: Request, session: DbSession, _scheme=Depends(_bearer)) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(401, "unauthenticated", "A bearer token is required (Authorization: Bearer TOKEN).", headers=_CHALLENGE)
    principal = await authenticate(session, secret.strip())
    if principal is None:
        raise Problem(401, "invalid-token", "The bearer token is not valid, has expired or has been revoked.", headers=_CHALLENGE)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role):
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Problem(403, "forbidden-role", f"Role '{principal.role.value}' may not do this; allowed: {names}.")
        return principal

    return Depends(check)


UPLOADERS = (Role.admin, Role.dock, Role.case_system)
READERS = (Role.admin, Role.dock, Role.case_system, Role.auditor, Role.reviewer)

Uploader = Annotated[Principal, require_roles(*UPLOADERS)]
Reader = Annotated[Principal, require_roles(*READERS)]
