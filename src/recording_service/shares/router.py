"""The agency's side of shares: make one for a case, list a case's, revoke one. The recipient's side is the page
`/shared/{token}` (web/shares.py)."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ..cases.service import get_case
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.pagination import MAX_LIMIT
from ..core.principals import Principal, Role, require_roles
from ..core.query import only
from .models import Share
from .schemas import ShareCreate, ShareCreated, ShareOut, SharePage, ShareRevoke
from .service import code_key, counts_of, create_share, file_out, files_of, get_share, revoke_share, shares_page, status_of

router = APIRouter(prefix="/api/v1", tags=["shares"])
# Who hands a case to someone outside: those who handle cases (the case-handling system) and administrators.
Sharer = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
# Who may see what was shared and how it was used: those and the agency's supervisors (执法监督), read-only.
ShareReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor)]


async def _out(session: AsyncSession, share: Share) -> ShareOut:
    files = (await files_of(session, [share.id]))[share.id]
    counts = (await counts_of(session, [share.id]))[share.id]
    return ShareOut.of(share, status_of(share), [file_out(f) for f in files], counts)


@router.post(
    "/cases/{case_id}/shares",
    status_code=201,
    response_model=ShareCreated,
    summary="Share a case (or chosen footage of it) with someone outside the agency (admin, case_system)",
    description="Answers the link's `token` and `url` (`/shared/{token}`) and the `access_code` (when asked for) this once: "
    "neither is stored. `expires_at` at least a minute and at most 90 days ahead; `media_ids` must be footage bound to "
    "the case or its documents' attachments (else 422 `share-media-not-in-case`). Audited as `share.created`.",
)
async def create(
    case_id: str, body: ShareCreate, principal: Sharer, session: DbSession, catalog: CatalogDep, settings: SettingsDep
) -> JSONResponse:
    case = await get_case(session, principal, case_id)
    made = await create_share(session, catalog, principal, case, body, code_key(settings.signing_key_file))
    out = ShareOut.of(
        made.share, status_of(made.share), [file_out(f) for f in made.files], (await counts_of(session, [made.share.id]))[made.share.id]
    )
    created = ShareCreated(**out.model_dump(), token=made.token, url=f"/shared/{made.token}", access_code=made.access_code)
    return JSONResponse(
        created.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/shares/{made.share.id}", "Cache-Control": "no-store"},
    )


@router.get(
    "/cases/{case_id}/shares",
    response_model=SharePage,
    dependencies=[only("limit", "cursor")],
    summary="A case's shares, newest first, with their status and the recipient's uses (admin, case_system, auditor)",
)
async def list_shares(
    case_id: str,
    principal: ShareReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> SharePage:
    case = await get_case(session, principal, case_id)
    rows, next_cursor = await shares_page(session, principal, case.id, cursor, limit)
    ids = [s.id for s in rows]
    files, counts = await files_of(session, ids), await counts_of(session, ids)
    return SharePage(
        items=[ShareOut.of(s, status_of(s), [file_out(f) for f in files[s.id]], counts[s.id]) for s in rows], next_cursor=next_cursor
    )


@router.get("/shares/{share_id}", response_model=ShareOut, summary="One share (admin, case_system, auditor)")
async def read_share(share_id: str, principal: ShareReader, session: DbSession) -> ShareOut:
    return await _out(session, await get_share(session, principal, share_id))


@router.post(
    "/shares/{share_id}/revoke",
    response_model=ShareOut,
    summary="Withdraw a share at once, with a reason (admin, case_system): its link answers 410 from now on",
    description="Revoking twice: 409 `share-revoked`. Audited as `share.revoked`.",
)
async def revoke(share_id: str, body: ShareRevoke, principal: Sharer, session: DbSession) -> ShareOut:
    share = await get_share(session, principal, share_id)
    await revoke_share(session, principal, share, body.reason)
    return await _out(session, share)
