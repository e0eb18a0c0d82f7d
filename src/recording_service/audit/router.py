from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, Role, require_roles
from ..core.problems import Problem
from ..core.times import require_offset
from .checkpoint import verify_with_checkpoints
from .describe import descriptions
from .models import AuditEvent
from .schemas import AuditActionOut, AuditEventOut, AuditPage, VerifyOut
from .service import AuditFilter, Subjects, agency_figures, filtered, local_day_bounds, visible_events

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
AuditReader = Annotated[Principal, require_roles(Role.admin, Role.auditor)]


@router.get("/events", response_model=AuditPage, summary="The chain of custody, oldest first (or newest first)")
async def list_events(
    request: Request,
    principal: AuditReader,
    session: DbSession,
    settings: SettingsDep,
    case_id: str | None = None,
    media_id: str | None = None,
    actor: Annotated[str | None, Query(description="a token id or a person's user id")] = None,
    action: Annotated[str | None, Query(description="an action code, e.g. media.created (GET /api/v1/audit/actions lists them)")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    upload_id: str | None = None,
    person: Annotated[
        str | None, Query(max_length=200, description="part of the actor's name (any case), or a token id or user id")
    ] = None,
    about: Annotated[
        str | None,
        Query(
            alias="object",
            max_length=200,
            description="a case number (its case and the footage ever bound to it), or a case, media or upload id "
            "(or the first 6 or more characters of one)",
        ),
    ] = None,
    first_day: Annotated[date | None, Query(alias="from", description="the first day, in the agency's time zone")] = None,
    last_day: Annotated[date | None, Query(alias="to", description="the last day (included), in the agency's time zone")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="asc: oldest first (the default); desc: newest first")] = "asc",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> AuditPage:
    require_offset(since, "since")
    require_offset(until, "until")
    if first_day and last_day and first_day > last_day:
        raise Problem(400, "invalid-period", "from is after to.", field="from")
    day_since, day_until = local_day_bounds(first_day, last_day, settings.tz)
    subjects = None
    if about is not None and about.strip():
        case_ids, media_ids = await request.app.state.numbered_subjects(session, principal, about)
        subjects = Subjects(tuple(case_ids), tuple(media_ids), about.strip())
    where = AuditFilter(
        actor=actor,
        person=person,
        action=action,
        case_id=case_id,
        media_id=media_id,
        upload_id=upload_id,
        subjects=subjects,
        since=max((t for t in (since, day_since) if t is not None), default=None),
        until=min((t for t in (until, day_until) if t is not None), default=None),
    )
    query = filtered(visible_events(select(AuditEvent), principal), where)
    rows = (await session.execute(keyset(query, [AuditEvent.seq], cursor, limit, descending=order == "desc"))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["seq"], limit)
    return AuditPage(items=[AuditEventOut.of(e, settings.tz) for e in rows], next_cursor=next_cursor)


@router.get("/actions", response_model=list[AuditActionOut], summary="Every action the audit log records, with its description in Chinese")
async def list_actions(_principal: AuditReader) -> list[AuditActionOut]:
    known = descriptions()
    return [AuditActionOut(code=code, name_zh=name, group_zh=known.groups[code.split(".", 1)[0]]) for code, name in known.actions.items()]


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
