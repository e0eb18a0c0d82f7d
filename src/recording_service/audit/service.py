"""The tamper-evident audit log: every change (and every read of footage, timelines and exports)
appends an event in the same transaction as the change; each event's hash covers the previous one."""

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVarTuple

import orjson
from sqlalchemy import ColumnElement, Row, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.db import utcnow
from ..core.principals import ALL_AGENCIES, Principal, Role, scoped_to_agency
from .models import GENESIS_HASH, AuditEvent, AuditHead

BATCH = 5000


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    client_address: str | None = None


# Set per request by the middleware, so services record who asked without threading it through.
REQUEST_CONTEXT: ContextVar[RequestContext] = ContextVar("request_context", default=RequestContext())  # noqa: B039 (frozen)


@dataclass(frozen=True)
class Actor:
    token_id: str | None
    role: str
    agency: str
    request_id: str | None = None
    client_address: str | None = None
    name: str | None = None
    user_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> "Actor":
        context = REQUEST_CONTEXT.get()
        person = principal.kind == "user"
        return cls(
            None if person else principal.id,
            principal.role.value,
            principal.agency,
            context.request_id,
            context.client_address,
            principal.name,
            principal.id if person else None,
        )


SYSTEM = Actor(token_id=None, role="system", agency="*", client_address="cli", name="recording-service")


def utc_text(value: datetime) -> str:
    """An event time as its hash covers it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """Every field of an event but its hashes, as its hash covers them (times in UTC)."""
    return {
        "seq": event.seq,
        "at": utc_text(event.at),
        # The name and the user joined the hashed fields later: events recorded without them hash as they always did.
        "actor": {
            "token_id": event.actor_token_id,
            "role": event.actor_role,
            "agency": event.actor_agency,
            **({"name": event.actor_name} if event.actor_name is not None else {}),
            **({"user_id": event.actor_user_id} if event.actor_user_id is not None else {}),
        },
        "action": event.action,
        "agency": event.agency,
        "case_id": event.case_id,
        "media_id": event.media_id,
        "upload_id": event.upload_id,
        "request_id": event.request_id,
        "client_address": event.client_address,
        "payload": event.payload or {},
    }


def hash_of(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the fields as sorted compact JSON. Offline tools (the
    export verifier) recompute it from an exported event with this same function."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()


def entry_hash(prev_hash: str, event: AuditEvent) -> str:
    return hash_of(prev_hash, hashed_fields(event))


@dataclass(frozen=True)
class Entry:
    """One event of a batch (`record_many`): what `record` takes besides the session and the actor."""

    action: str
    agency: str | None = None
    case_id: str | None = None
    media_id: str | None = None
    upload_id: str | None = None
    payload: dict[str, Any] | None = None


async def record(
    session: AsyncSession,
    who: "Actor | Principal",
    action: str,
    *,
    agency: str | None = None,
    case_id: str | None = None,
    media_id: str | None = None,
    upload_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the session's transaction. Call it just before commit: the head stays
    locked until then."""
    (event,) = await record_many(session, who, [Entry(action, agency, case_id, media_id, upload_id, payload)])
    return event


async def record_many(session: AsyncSession, who: "Actor | Principal", entries: list[Entry]) -> list[AuditEvent]:
    """Append several events, in order, taking the head once (an import of thousands of rows records one event per
    row in two statements, not two per row). The chain is the same as `record` called once per entry."""
    if not entries:
        return []
    actor = who if isinstance(who, Actor) else Actor.of(who)
    last_seq, prev_hash = (
        await session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + len(entries)).returning(AuditHead.seq, AuditHead.hash)
        )
    ).one()
    events = []
    for seq, entry in enumerate(entries, start=last_seq - len(entries) + 1):
        event = AuditEvent(
            seq=seq,
            at=utcnow(),
            actor_token_id=actor.token_id,
            actor_role=actor.role,
            actor_agency=actor.agency,
            actor_name=actor.name,
            actor_user_id=actor.user_id,
            action=entry.action,
            agency=entry.agency,
            case_id=entry.case_id,
            media_id=entry.media_id,
            upload_id=entry.upload_id,
            request_id=actor.request_id,
            client_address=actor.client_address,
            payload=entry.payload or {},
            prev_hash=prev_hash,
        )
        event.entry_hash = prev_hash = entry_hash(prev_hash, event)
        events.append(event)
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev_hash))
    session.add_all(events)
    return events


Ts = TypeVarTuple("Ts")

# The agency of an event about every agency (the official calendar): each agency's trail shows it.
EVERY_AGENCY = ALL_AGENCIES


def visible_events(query: Select[*Ts], principal: Principal) -> Select[*Ts]:
    """Restrict a query of events to what the principal may see: the agency's own and those about every agency."""
    if principal.role is Role.admin and principal.agency == ALL_AGENCIES:
        return query
    return query.where(or_(AuditEvent.agency == principal.agency, AuditEvent.agency == EVERY_AGENCY))


def trail_query(principal: Principal, *, case_id: str | None = None, media_ids: list[str] | tuple[str, ...] = ()) -> Select[AuditEvent]:
    """Events about a case or any of the given media, as the principal may see them, oldest first."""
    about: list[ColumnElement[bool]] = []
    if case_id is not None:
        about.append(AuditEvent.case_id == case_id)
    if media_ids:
        about.append(AuditEvent.media_id.in_(list(media_ids)))
    query = scoped_to_agency(select(AuditEvent), AuditEvent.agency, principal)
    return query.where(or_(*about)) if about else query


@dataclass(frozen=True)
class Subjects:
    """What an event is about, as a person names it: a case number's cases and the footage ever bound to them
    (found by `cases`), and a text that is an id (or the start of one, at least MIN_ID_PREFIX characters) of a
    case, a media item or an upload."""

    case_ids: tuple[str, ...] = ()
    media_ids: tuple[str, ...] = ()
    text: str | None = None


MIN_ID_PREFIX = 6


@dataclass(frozen=True)
class AuditFilter:
    """Which events: every field given must hold (the API's query parameters and the audit pages' filters)."""

    actor: str | None = None  # a token id or a person's user id, exactly
    person: str | None = None  # part of the actor's name (any case), or a token id or user id
    action: str | None = None
    case_id: str | None = None
    media_id: str | None = None
    upload_id: str | None = None
    subjects: Subjects | None = None
    since: datetime | None = None
    until: datetime | None = None


def local_day_bounds(first: date | None, last: date | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """[since, until) for the days `first`..`last` (both included) in the agency's time zone."""
    since = datetime.combine(first, time(0), tz) if first else None
    until = datetime.combine(last + timedelta(days=1), time(0), tz) if last else None
    return since, until


def filtered(query: Select[*Ts], where: AuditFilter) -> Select[*Ts]:
    for column, value in (
        (AuditEvent.case_id, where.case_id),
        (AuditEvent.media_id, where.media_id),
        (AuditEvent.upload_id, where.upload_id),
        (AuditEvent.action, where.action),
    ):
        if value:
            query = query.where(column == value)
    if where.actor:
        query = query.where(or_(AuditEvent.actor_token_id == where.actor, AuditEvent.actor_user_id == where.actor))
    if where.person and where.person.strip():
        who = where.person.strip()
        query = query.where(
            or_(
                func.lower(AuditEvent.actor_name).contains(who.lower(), autoescape=True),
                AuditEvent.actor_token_id == who,
                AuditEvent.actor_user_id == who,
            )
        )
    if where.subjects is not None:
        about: list[ColumnElement[bool]] = []
        if where.subjects.case_ids:
            about.append(AuditEvent.case_id.in_(list(where.subjects.case_ids)))
        if where.subjects.media_ids:
            about.append(AuditEvent.media_id.in_(list(where.subjects.media_ids)))
        text = (where.subjects.text or "").strip()
        if text:
            for column in (AuditEvent.case_id, AuditEvent.media_id, AuditEvent.upload_id):
                about.append(column.startswith(text, autoescape=True) if len(text) >= MIN_ID_PREFIX else column == text)
        query = query.where(or_(*about)) if about else query.where(AuditEvent.seq < 0)  # about nothing known: no events
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEvent.at < where.until)
    return query


async def count_of(session: AsyncSession, query: Select[Any]) -> int:
    return int((await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one())


@dataclass
class Verification:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


async def verify_chain(session: AsyncSession, checkpoints: list[dict[str, Any]] | None = None) -> Verification:
    """Recompute every link: sequence without gaps, each prev_hash the previous entry_hash, each
    entry_hash over its own content, the head row naming the last event — and every checkpoint
    written to the object store naming an event that is still there, with the same hash."""
    pinned = {c["seq"]: c["hash"] for c in checkpoints or []}
    expected_seq, prev, checked = 1, GENESIS_HASH, 0
    last_seq = 0

    async def read_head() -> Row[int, str]:
        return (await session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1))).one()

    head = await read_head()  # reported with a failure found on the way; compared at the end

    async def events_after(seq: int) -> list[AuditEvent]:
        return list(
            (await session.execute(select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq).limit(BATCH))).scalars().all()
        )

    while True:
        events = await events_after(last_seq)
        if not events:
            # The head is read only once the events run out, and the events are then looked for once
            # more: events appended meanwhile (reads need not share one snapshot) are verified too,
            # and the head compared is never ahead of the events seen.
            head = await read_head()
            events = await events_after(last_seq)
            if not events:
                break
        for event in events:
            if event.seq != expected_seq:
                return Verification(False, checked, head.seq, head.hash, expected_seq, f"event {expected_seq} is missing")
            if event.prev_hash != prev:
                return Verification(False, checked, head.seq, head.hash, event.seq, "prev_hash does not match the previous event")
            if entry_hash(prev, event) != event.entry_hash:
                return Verification(False, checked, head.seq, head.hash, event.seq, "content does not match entry_hash")
            if event.seq in pinned and pinned[event.seq] != event.entry_hash:
                return Verification(
                    False,
                    checked,
                    head.seq,
                    head.hash,
                    event.seq,
                    "differs from the checkpoint in the object store: the chain was rewritten",
                )
            prev, expected_seq, checked = event.entry_hash, expected_seq + 1, checked + 1
        last_seq = events[-1].seq
        session.expunge_all()
    if head.seq != checked or head.hash != prev:
        return Verification(False, checked, head.seq, head.hash, checked + 1, "the head does not match the last event")
    if pinned and max(pinned) > checked:
        return Verification(
            False,
            checked,
            head.seq,
            head.hash,
            checked + 1,
            f"the object store holds a checkpoint at seq {max(pinned)}: events were removed",
        )
    return Verification(True, checked, head.seq, head.hash)


@dataclass(frozen=True)
class AgencyFigures:
    events: int
    latest_seq: int
    latest_hash: str


async def agency_figures(session: AsyncSession, agency: str) -> AgencyFigures:
    """How many events an agency has in the chain and its latest: what an agency's auditor is shown beside
    the whole chain's verdict, instead of every other agency's activity."""
    own = select(AuditEvent).where(AuditEvent.agency == agency)
    count = (await session.execute(select(func.count()).select_from(own.subquery()))).scalar_one()
    latest = (await session.execute(own.order_by(AuditEvent.seq.desc()).limit(1))).scalar_one_or_none()
    return AgencyFigures(count, latest.seq if latest else 0, latest.entry_hash if latest else "")


async def events_after(session: AsyncSession, seq: int, limit: int) -> list[Row[int, datetime, str, str | None, str | None, str | None]]:
    """What happened after `seq`, oldest first (seq, at, action, agency, case_id, media_id): for those who keep
    figures derived from the record current. The head is locked until commit, so what is visible is always
    a gapless prefix of the chain."""
    return list(
        (
            await session.execute(
                select(AuditEvent.seq, AuditEvent.at, AuditEvent.action, AuditEvent.agency, AuditEvent.case_id, AuditEvent.media_id)
                .where(AuditEvent.seq > seq)
                .order_by(AuditEvent.seq)
                .limit(limit)
            )
        ).all()
    )


async def head_seq(session: AsyncSession) -> int:
    return (await session.execute(select(AuditHead.seq).where(AuditHead.id == 1))).scalar_one_or_none() or 0
