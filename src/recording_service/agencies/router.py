from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.db import DbSession
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import READERS, Principal, Role, require_roles
from ..core.problems import Problem
from ..core.public_side import LIST, PUBLIC_CACHE, public_budget
from .models import AgencyProfile, AgencyProfileVersion
from .schemas import AGENCY_CODE, AgencyFields, AgencyOut, AgencyPage, AgencyVersionOut, AgencyVersionPage, PublicAgency, PublicAgencyPage
from .service import agency_codes_under, get_agency, may_edit, sees_agency, sees_every_agency, set_agency

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
ProfileReader = Annotated[Principal, require_roles(*READERS)]
ProfileKeeper = Annotated[Principal, require_roles(Role.admin)]
Code = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _not_found(code: str) -> Problem:
    return Problem(404, "agency-not-found", f"No agency profile '{code}'.")


async def _visible(session: AsyncSession, principal: Principal, code: str) -> AgencyProfile:
    """The profile, or 404 alike when there is none and when it is not the principal's to see."""
    profile = await get_agency(session, code)
    if profile is None or not await sees_agency(session, principal, code):
        raise _not_found(code)
    return profile


@router.get("", response_model=AgencyPage, summary="Agency profiles: the caller's agency and those under it (all, for admins of '*')")
async def list_profiles(principal: ProfileReader, session: DbSession, limit: Limit = 100, cursor: str | None = None) -> AgencyPage:
    query = select(AgencyProfile)
    if not sees_every_agency(principal):
        query = query.where(AgencyProfile.code.in_(await agency_codes_under(session, principal.agency)))
    rows = (await session.execute(keyset(query, [AgencyProfile.code], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["code"], limit)
    return AgencyPage(items=[AgencyOut.of(p) for p in rows], next_cursor=next_cursor)


@router.get("/{code}", response_model=AgencyOut, summary="One agency's profile")
async def read_profile(code: Code, principal: ProfileReader, session: DbSession) -> dict[str, Any]:
    return AgencyOut.of(await _visible(session, principal, code)).model_dump(mode="json")


@router.put(
    "/{code}",
    response_model=AgencyOut,
    responses={201: {"model": AgencyOut, "description": "created"}},
    summary="Create (201) or replace (200) an agency's profile: administrators of that agency or of '*'",
    description="The whole profile: optional fields left out are cleared. The USCC's check character and the division's "
    "province are verified; `parent` must have a profile and cannot lie under this agency. A change is a new "
    "version (GET …/versions) and an audit event (`agency.created`, `agency.updated`); an identical PUT changes nothing.",
)
async def put_profile(code: Code, body: AgencyFields, principal: ProfileKeeper, session: DbSession) -> JSONResponse:
    if not may_edit(principal, code):
        if await sees_agency(session, principal, code):  # an agency under the caller's: it may read it, not change it
            raise Problem(403, "agency-not-yours", f"Only administrators of '{code}' (or of '*') change its profile.")
        raise _not_found(code)
    existed = await get_agency(session, code) is not None
    profile = await set_agency(session, principal, code, body.model_dump())
    return JSONResponse(
        AgencyOut.of(profile).model_dump(mode="json"),
        status_code=200 if existed else 201,
        headers={} if existed else {"Location": f"/api/v1/agencies/{code}"},
    )


@router.get("/{code}/versions", response_model=AgencyVersionPage, summary="Every state the profile has had, oldest first")
async def profile_versions(
    code: Code, principal: ProfileReader, session: DbSession, limit: Limit = 100, cursor: str | None = None
) -> AgencyVersionPage:
    await _visible(session, principal, code)
    query = select(AgencyProfileVersion).where(AgencyProfileVersion.code == code)
    rows = (await session.execute(keyset(query, [AgencyProfileVersion.version], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["version"], limit)
    return AgencyVersionPage(items=[AgencyVersionOut.model_validate(v, from_attributes=True) for v in rows], next_cursor=next_cursor)


@public_router.get(
    "/agencies", response_model=PublicAgencyPage, summary="Agency profiles as published (no token)", dependencies=[public_budget(LIST)]
)
async def public_agencies(
    request: Request,
    session: DbSession,
    limit: Limit = 100,
    cursor: str | None = None,
    under: Annotated[str | None, Query(pattern=AGENCY_CODE, description="an agency and those under it")] = None,
) -> JSONResponse:
    query = select(AgencyProfile)
    if under is not None:
        if await get_agency(session, under) is None:
            raise _not_found(under)
        query = query.where(AgencyProfile.code.in_(await agency_codes_under(session, under)))
    rows = (await session.execute(keyset(query, [AgencyProfile.code], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["code"], limit)
    return JSONResponse(
        {"items": [PublicAgency.of(p).model_dump(mode="json") for p in rows], "next_cursor": next_cursor}, headers=PUBLIC_CACHE
    )
