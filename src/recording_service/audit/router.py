from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, Role, require_roles
from ..core.times import local, require_offset
from .checkpoint import verify_with_checkpoints
from .models import AuditEvent
from .service import agency_figures, visible_events

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
AuditReader = Annotated[Principal, require_roles(Role.admin, Role.auditor)]


class Actor(BaseModel):
    token_id: str | None
    role: str
    agency: str
    name: str | None = Field(default=None, description="the token's (or person's) name; null on events recorded before names were kept")
    user_id: str | None = Field(default=None, description="a person signed in to the pages (token_id is then null)")


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: Actor
    action: str
    agency: str | None
    case_id: str | None
    media_id: str | None
    upload_id: str | None
    request_id: str | None
    client_address: str | None
    payload: dict
    prev_hash: str
    entry_hash: str = Field(description="SHA-256 over prev_hash and the canonical serialisation of the event")


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None = None


class VerifyOut(BaseModel):
    ok: bool = Field(description="the whole chain (every agency's events link into one) verifies")
    checked: int = Field(description="events verified: all of them for an admin of '*', the agency's own otherwise")
    head_seq: int = Field(description="the last event's seq: the chain's for an admin of '*', the agency's latest otherwise")
    head_hash: str
    first_bad_seq: int | None
    problem: str | None = None
    agency: str | None = Field(default=None, description="the agency the figures are about (null: all)")


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
    return AuditPage(items=[_out(e, settings) for e in rows], next_cursor=next_cursor)


def _out(event: AuditEvent, settings) -> AuditEventOut:
    return AuditEventOut(
        seq=event.seq,
        at=local(event.at, settings.tz),
        actor=Actor(
            token_id=event.actor_token_id,
            role=event.actor_role,
            agency=event.actor_agency,
            name=event.actor_name,
            user_id=event.actor_user_id,
        ),
        action=event.action,
        agency=event.agency,
        case_id=event.case_id,
        media_id=event.media_id,
        upload_id=event.upload_id,
        request_id=event.request_id,
        client_address=event.client_address,
        payload=event.payload or {},
        prev_hash=event.prev_hash,
        entry_hash=event.entry_hash,
    )


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
