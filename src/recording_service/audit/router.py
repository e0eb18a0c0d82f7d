from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import or_, select

from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, Role, require_roles
from ..core.times import require_offset
from .checkpoint import verify_with_checkpoints
from .models import AuditEvent
from .schemas import AuditEventOut, AuditPage, VerifyOut
from .service import agency_figures, visible_events

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
AuditReader = Annotated[Principal, require_roles(Role.admin, Role.auditor)]


@router.get("/events", response_model=AuditPage, summary="The chain of custody, oldest first")
async def list_events(
    principal: AuditReader,
    session: DbSession,
    settings: SettingsDep,
    case_id: str | None = None,
    media_id: str | None = None,
    actor: Annotated[str | None, Query(description="a token id or a person's user id")] = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> AuditPage:
    require_offset(since, "since")
    require_offset(until, "until")
    query = visible_events(select(AuditEvent), principal)
    for column, value in ((AuditEvent.case_id, case_id), (AuditEvent.media_id, media_id), (AuditEvent.action, action)):
        if value:
            query = query.where(column == value)
    if actor:
        query = query.where(or_(AuditEvent.actor_token_id == actor, AuditEvent.actor_user_id == actor))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    rows = (await session.execute(keyset(query, [AuditEvent.seq], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["seq"], limit)
    return AuditPage(items=[AuditEventOut.of(e, settings.tz) for e in rows], next_cursor=next_cursor)


@router.get("/verify", response_model=VerifyOut, summary="Recompute the whole chain, and check it against the store's checkpoints")
async def verify(principal: AuditReader, session: DbSession, store: StoreDep) -> VerifyOut:
    result = await verify_with_checkpoints(session, store)
    if principal.agency == ALL_AGENCIES:
        return VerifyOut(**result.__dict__)
    # The chain is one for all agencies and is verified whole; an agency's auditor sees that verdict with
    # the figures of the agency's own events, not the activity of every other agency.
    own = await agency_figures(session, principal.agency)
    return VerifyOut(
        ok=result.ok,
        checked=own.events,
        head_seq=own.latest_seq,
        head_hash=own.latest_hash,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem,
        agency=principal.agency,
    )
