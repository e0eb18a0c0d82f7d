"""Upload lifecycle, independent of the wire protocol and of the object store.

tus and the multipart endpoint both: create an upload, stream chunks into it and complete it.
Each chunk goes to the store and through the running SHA-256 in the same pass; the hash state,
offset and S3 parts are checkpointed to the database, so any instance can resume the upload.
"""

import asyncio
import logging
import mimetypes
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import ClauseElement, ColumnElement, Executable, Table, Update, and_, bindparam, case, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.service import Actor, record
from ..core.config import Settings
from ..core.db import blocking_engine, db_clock, in_blocking_session, in_transaction_thread, rowcount, utcnow
from ..core.faults import fault_point
from ..core.hashing import ResumableSha256
from ..core.ids import new_id
from ..core.principals import ALL_AGENCIES, Principal, Role, agency_conditions
from ..core.problems import Problem
from ..media.models import ABANDONED, COMPLETED, MERGED, REPLACEABLE, Media, MediaSighting, MediaStatus
from ..media.service import merge_sighting, object_owner, officer_index
from ..storage import ChunkWriter, Durable, ObjectStore, Part, StoredObjectMismatch, StoreUnavailable, UploadTarget, WriterBusy
from .checksum import ChunkChecksum
from .metadata import UploadMetadata
from .models import Upload, UploadPart, UploadStatus
from .pipeline import Pipeline

log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 10.0  # progress checkpoints (and lease renewals) during a long body


class ClientDisconnected(Exception):
    pass


class Outcome(StrEnum):
    created = "created"  # new evidence
    duplicate = "duplicate"  # the same bytes again: a sighting of existing media
    repaired = "repaired"  # the good bytes of corrupt, missing or deleted media, stored again


# Called once a completed upload's record is committed: what follows (store locks, probing) is not
# ingest's business. Arguments: session, media, outcome, whether the sighting added metadata, who.
Handoff = Callable[[AsyncSession, Media, Outcome, bool, Actor | Principal], Awaitable[None]]
# Called in a completion's own transaction, before it commits, when a recording's bytes prove to be media the agency
# already has (issue 29): whatever refers to the recording (case bindings) moves to that media with it. Arguments:
# session, the recording (now merged), the media it was merged into, who.
MergeHandoff = Callable[[AsyncSession, Media, Media, Actor | Principal], Awaitable[None]]


@dataclass
class Ingest:
    """What every upload operation needs; built once by the composition root (app.py) or the CLI."""

    sessionmaker: async_sessionmaker[AsyncSession]
    store: ObjectStore
    settings: Settings
    handoff: Handoff | None = None
    merge_handoff: MergeHandoff | None = None


def upload_target(upload: Upload, lease: "Lease | None" = None) -> UploadTarget:
    return UploadTarget(
        upload_id=upload.id,
        key=upload.storage_key,
        backend_ref=upload.backend_ref,
        parts=tuple(Part(p.number, p.size, p.etag, p.checksum) for p in upload.parts),
        generation=lease.generation if lease else upload.lease_generation,
        state=upload.store_state,
        live=upload.length_deferred,
    )


def _object_metadata(upload_id: str, agency: str, meta: UploadMetadata, sha256: str | None) -> dict[str, str]:
    values = {"upload-id": upload_id, "agency": agency}
    if sha256:
        values["sha256"] = sha256
    if meta.filename:
        values["filename"] = meta.filename
    if meta.device_id:
        values["device-id"] = meta.device_id
    return values


def store_unavailable(exc: StoreUnavailable) -> Problem:
    return Problem(
        503, "store-unavailable", "The object store cannot be reached; nothing was lost, retry later.", headers={"Retry-After": "5"}
    )


async def create_upload(
    ingest: Ingest,
    principal: Principal,
    *,
    channel: str,
    length: int | None,
    meta: UploadMetadata,
    raw_metadata: str | None,
    length_deferred: bool = False,
) -> Upload:
    if principal.agency == ALL_AGENCIES:
        raise Problem(403, "agency-required", "Evidence belongs to one agency: upload with a token of that agency.")
    if length is not None and length > ingest.settings.max_upload_size:
        raise Problem(413, "upload-too-large", f"Upload-Length exceeds the maximum of {ingest.settings.max_upload_size} bytes.")
    async with ingest.sessionmaker() as session:
        open_uploads = (
            await session.execute(
                select(func.count())
                .select_from(Upload)
                .where(Upload.created_by == principal.id, Upload.status == UploadStatus.receiving, Upload.expires_at > utcnow())
            )
        ).scalar_one()
    if open_uploads >= ingest.settings.max_open_uploads_per_token:
        raise Problem(
            429,
            "too-many-open-uploads",
            f"This token already has {open_uploads} unfinished uploads (the limit is "
            f"{ingest.settings.max_open_uploads_per_token}); finish or terminate some first.",
            headers={"Retry-After": "60"},
        )
    upload_id = new_id()
    now = utcnow()
    key = f"evidence/{principal.agency}/{now:%Y/%m/%d}/{upload_id}"
    try:
        backend_ref = await ingest.store.begin(upload_id, key, _object_metadata(upload_id, principal.agency, meta, meta.sha256))
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    upload = Upload(
        id=upload_id,
        agency=principal.agency,
        created_by=principal.id,
        channel=channel,
        length=length,
        length_deferred=length_deferred,
        offset=0,
        upload_metadata=meta.model_dump(mode="json"),
        raw_metadata=raw_metadata,
        declared_sha256=meta.sha256,
        status=UploadStatus.receiving,
        storage_key=key,
        backend_ref=backend_ref,
        hash_state=ResumableSha256().state(),
        parts=[],
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=ingest.settings.upload_expiry_hours),
    )
    async with ingest.sessionmaker() as session:
        session.add(upload)
        await record(
            session,
            principal,
            "upload.created",
            agency=upload.agency,
            upload_id=upload.id,
            payload={
                "channel": channel,
                "length": length,
                **({"length_deferred": True} if length_deferred else {}),
                "declared_sha256": meta.sha256,
                "filename": meta.filename,
                "device_id": meta.device_id,
                "storage_key": key,
            },
        )
        # ingest's own transaction: the upload exists (and is audited) before its first PATCH can arrive
        await session.commit()
    return upload


async def any_upload(session: AsyncSession) -> bool:
    """Whether anything was ever uploaded: the store then exists already (see storage.open_store's `create`)."""
    return (await session.execute(select(Upload.id).limit(1))).first() is not None


def may_access_upload(principal: Principal, upload: Upload) -> bool:
    if not principal.sees_agency(upload.agency):
        return False
    return principal.role is not Role.dock or upload.created_by == principal.id


def upload_access(principal: Principal, columns: Any = Upload) -> list[ColumnElement[bool]]:
    """`may_access_upload` as conditions of a statement (`columns`: the mapped class, or its table's columns)."""
    return agency_conditions(columns.agency, principal) + ([columns.created_by == principal.id] if principal.role is Role.dock else [])


async def get_upload(session: AsyncSession, principal: Principal, upload_id: str) -> Upload:
    upload = await session.get(Upload, upload_id)
    if upload is None or not may_access_upload(principal, upload):
        raise Problem(404, "upload-not-found", f"No upload {upload_id}.")
    return upload


def recording_abandoned(upload: Upload) -> Problem:
    """What a late request on a recording the job closed hears: what happened, and where the bytes are."""
    assert upload.abandoned_at is not None
    return Problem(
        410,
        "recording-abandoned",
        f"This recording received nothing for too long and was closed at {upload.abandoned_at.isoformat()}: "
        f"its {upload.offset} bytes are kept as media {upload.media_id} (status incomplete). Nothing more can be appended; "
        "send the rest of the footage as a new upload.",
        bytes_kept=upload.offset,
        media_id=upload.media_id,
    )


def require_receiving(upload: Upload) -> None:
    if upload.abandoned_at is not None:
        raise recording_abandoned(upload)
    if upload.status == UploadStatus.receiving and upload.expires_at <= utcnow():
        raise Problem(410, "upload-expired", "This upload expired before it was finished; start a new one.")
    if upload.status != UploadStatus.receiving:
        messages = {
            UploadStatus.completed: "This upload is complete.",
            UploadStatus.rejected: "This upload was rejected: " + str((upload.error or {}).get("detail", "")),
            UploadStatus.terminated: "This upload was terminated.",
            UploadStatus.expired: "This upload expired before it was finished; start a new one.",
        }
        raise Problem(
            410, f"upload-{upload.status}", messages.get(UploadStatus(upload.status), "Upload closed."), upload_status=upload.status
        )


@dataclass(frozen=True)
class Lease:
    """A request's hold on an upload. The generation is the fencing token: it grows at every take-over,
    and every write of the upload's record names it, so a request that lost its hold (stalled past
    the lease, or judged expired by a host whose clock runs ahead) can no longer change anything."""

    upload_id: str
    owner: str
    generation: int


def _held(lease: Lease) -> ColumnElement[bool]:
    return _held_by(lease.upload_id, lease.owner, lease.generation)


def _held_by(upload_id: Any, owner: Any, generation: Any) -> ColumnElement[bool]:
    """The fencing condition, with values or bound parameters."""
    return and_(Upload.id == upload_id, Upload.lease_owner == owner, Upload.lease_generation == generation)


def lease_free(columns: Any = Upload) -> ColumnElement[bool]:
    """`columns`: the mapped class, or its table's columns. Expiry is judged by the database's clock, not by this host's."""
    return or_(columns.lease_owner.is_(None), columns.lease_expires_at < db_clock())


LEASE_LOST = "This request lost its hold on the upload (another request took it over); check the offset and resume."


def _lease_lost() -> Problem:
    return Problem(409, "upload-lease-lost", LEASE_LOST)


def _locked() -> Problem:
    return Problem(423, "upload-locked", "Another request is writing to this upload; retry shortly.", headers={"Retry-After": "2"})


async def _fresh_upload(session: AsyncSession, upload_id: str) -> Upload:
    return (await session.execute(select(Upload).where(Upload.id == upload_id).execution_options(populate_existing=True))).scalar_one()


def _blocking(ingest: Ingest, *, wait_for_disk: bool) -> Engine | None:
    """SQLite's synchronous engine for a transaction in one thread hand-off (`core.db.blocking_engine`); None on
    PostgreSQL, whose driver needs no thread."""
    return blocking_engine(ingest.sessionmaker.kw.get("bind"), wait_for_disk=wait_for_disk)


def recording_last_heard(columns: Any = Upload) -> ColumnElement[datetime]:
    """When a recording's bytes last arrived (its media record says; a recording has one from its first acknowledged
    bytes). Not the upload's updated_at: every lease taken moves that, so a camera whose PATCHes bring nothing would
    keep its recording open for ever. `columns`: the mapped class, or its table's columns (then the media table's too)."""
    media = Media if columns is Upload else Media.__table__.c
    last_received = (
        select(media.last_received_at)
        .where(media.id == columns.media_id)
        .correlate(Upload if columns is Upload else _UPLOADS)
        .scalar_subquery()
    )
    return func.coalesce(last_received, columns.created_at)


@dataclass(frozen=True)
class Closing:
    """The recording job's take of an idle deferred-length upload (issue 29): only one idle since `idle_before`
    (or one a crashed run already marked), and it declares the length as the offset reached."""

    idle_before: datetime
    at: datetime


async def _acquire_lease(
    ingest: Ingest, upload_id: str, offset: int, *, declare_length: int | None = None, closing: Closing | None = None
) -> tuple[Lease, Upload]:
    """Take the upload at `offset`; returns the lease and the upload as the database holds it now. With
    `declare_length` (tus creation-defer-length), the same statement sets a length not yet known, or finds it equal;
    with `closing`, the recording job takes an idle recording and marks it abandoned."""
    c = _UPLOADS.c  # see _take_statement
    conditions = [c.id == upload_id, c.status == UploadStatus.receiving, c.offset == offset, lease_free(c)]
    values: dict[str, Any] = {}
    if declare_length is not None:
        conditions.append(or_(c.length.is_(None), c.length == declare_length))
        values["length"] = declare_length
    if closing is not None:
        conditions += [
            c.length_deferred.is_(True),
            or_(c.abandoned_at.is_not(None), recording_last_heard(c) < closing.idle_before),
        ]
        values.update(length=offset, abandoned_at=func.coalesce(c.abandoned_at, closing.at))
    taken = await _take(ingest, upload_id, _take_statement(conditions, values, ingest.settings.upload_lease_seconds, _no_parts(ingest)), {})
    if taken is None:
        async with ingest.sessionmaker() as session:
            upload = await _fresh_upload(session, upload_id)
        if closing is not None:  # written to meanwhile, held, or already closed: not the job's to close now
            raise Problem(409, "recording-not-idle", "This recording is not idle now; it is left as it is.")
        require_receiving(upload)
        if upload.offset != offset:
            raise offset_mismatch(offset, upload.offset)
        if declare_length is not None and upload.length is not None and upload.length != declare_length:
            raise length_changed(upload.length, declare_length)
        raise _locked()
    return taken


async def take_for_patch(
    ingest: Ingest, principal: Principal, upload_id: str, offset: int, body_length: int
) -> tuple[Lease, Upload] | None:
    """The usual PATCH (`body_length` more bytes at the offset the client knows, no length to declare) in one
    statement: the upload is taken only if this principal may write to it (`upload_access`) and it is
    receiving, unexpired, not closed, at `offset`, has room for the body and is not held. None otherwise, taking
    nothing: the caller reads the upload and explains, as every PATCH did before — a read and a commit ahead of the
    lease, the larger part of what a PATCH cost beyond its bytes."""
    statement = _patch_take_statement(principal, ingest.settings.upload_lease_seconds, _no_parts(ingest))
    parameters = {"b_upload_id": upload_id, "b_offset": offset, "b_now": utcnow(), "b_end": offset + body_length}
    return await _take(ingest, upload_id, statement, parameters)


@lru_cache(maxsize=64)  # per principal writing (a dock: its token) and store: 19 KiB each; past 64, rebuilt as before
def _patch_take_statement(principal: Principal, lease_seconds: float, no_parts: bool) -> Executable:
    """take_for_patch's statement, built once: building it (and its cache key) at every PATCH cost twice what
    running it did (0.8–1.0 CPU-ms against 0.4). What varies from one PATCH to the next is a bound parameter;
    the principal's access (`upload_access`) is written into it as for any statement."""
    c = _UPLOADS.c  # see _take_statement
    conditions = [
        c.id == bindparam("b_upload_id"),
        c.status == UploadStatus.receiving,
        c.offset == bindparam("b_offset"),
        c.abandoned_at.is_(None),
        c.expires_at > bindparam("b_now", type_=c.expires_at.type),
        or_(c.length.is_(None), c.length >= bindparam("b_end")),
        lease_free(c),
        *upload_access(principal, c),
    ]
    return _take_statement(conditions, {}, lease_seconds, no_parts)


def _no_parts(ingest: Ingest) -> bool:
    # the filesystem store appends to one file and records no parts: no second query for them (set empty in _take)
    return ingest.store.kind == "filesystem"


def _take_statement(conditions: list[ColumnElement[bool]], values: dict[str, Any], lease_seconds: float, no_parts: bool) -> Executable:
    """Take the upload where `conditions` hold (for the owner bound as b_lease_owner), setting `values` too, and
    read it back as taken (RETURNING), as the mapped object. Conditions and values are of the table's columns (`_UPLOADS.c`):
    an UPDATE of the mapped class is annotated anew by the ORM at every execution, so its cache key (a walk of the whole
    statement) was computed every time, ~0.4 ms a PATCH; a table's UPDATE, read back through `from_statement`, keeps it."""
    c = _UPLOADS.c
    taking = (
        update(_UPLOADS)
        .where(*conditions)
        .values(
            lease_owner=bindparam("b_lease_owner"),
            lease_generation=c.lease_generation + 1,
            lease_expires_at=db_clock(lease_seconds),
            **values,
        )
        .returning(*c)
    )
    return select(Upload).from_statement(taking).execution_options(populate_existing=True).options(*([_NO_PARTS] if no_parts else []))


async def _take(ingest: Ingest, upload_id: str, statement: Executable, parameters: dict[str, Any]) -> tuple[Lease, Upload] | None:
    """Run a `_take_statement`: every PATCH starts here. None: not taken.

    On SQLite the statement and its commit run in one thread hand-off, and the commit does not wait for the disk:
    every PATCH takes a lease, and that fsync was a fifth of an 8 MiB PATCH. Safe because the lease acknowledges
    nothing: the commit is atomic and seen by every connection at once, and survives the process being killed (it
    is in the operating system's hands); only an OS crash or power loss can undo it, and that ends every request on
    the host as well (SQLite is one host's database), so no writer is left holding the lease that was lost. The WAL
    is written in order, so the checkpoint that acknowledges bytes (a FULL commit, fsynced) makes the lease before it
    durable too. PostgreSQL commits as it always does."""
    owner = new_id()
    parameters = {**parameters, "b_lease_owner": owner}
    blocking = _blocking(ingest, wait_for_disk=False)
    if blocking is None:
        async with ingest.sessionmaker() as session:
            taken = (await session.execute(statement, parameters)).scalar_one_or_none()
            # ingest's own short transaction: a PATCH streams for minutes and holds no transaction meanwhile
            await session.commit()
    else:
        running = asyncio.ensure_future(
            in_transaction_thread(
                partial(in_blocking_session, blocking, lambda session: session.execute(statement, parameters).scalar_one_or_none())
            )
        )
        try:
            taken = await asyncio.shield(running)
        except asyncio.CancelledError:
            # The thread goes on and may take the upload: let go of it then, or it stays held until the lease ends.
            taken = await running
            if taken is not None:
                await _release(ingest, Lease(upload_id, owner, taken.lease_generation))
            raise
    if taken is None:
        return None
    if _no_parts(ingest):
        set_committed_value(taken, "parts", [])
    return Lease(upload_id, owner, taken.lease_generation), taken


_NO_PARTS = raiseload(Upload.parts)
_UPLOADS: Table = Upload.__table__  # type: ignore[assignment]  # a declarative class's table is a Table


def length_changed(length: int, sent: int) -> Problem:
    return Problem(
        400,
        "upload-length-changed",
        f"Upload-Length {sent} differs from the length {length} this upload already has (tus: it cannot change); nothing was written.",
        length=length,
    )


def offset_mismatch(sent: int, actual: int) -> Problem:
    return Problem(
        409,
        "offset-mismatch",
        f"Upload-Offset {sent} does not match the upload's offset {actual}.",
        headers={"Upload-Offset": str(actual)},
        expected_offset=actual,
    )


@dataclass
class _Recording:
    """A deferred-length upload's media record in state recording (issue 29): made at the first checkpoint that
    acknowledges bytes, and kept up to date (bytes so far, last received) at every checkpoint after it."""

    upload: Upload
    media_id: str | None
    principal: Actor | Principal

    async def checkpointed(self, session: AsyncSession, lease: Lease, offset: int) -> None:
        now = utcnow()
        if self.media_id is not None:
            await session.execute(
                update(Media)
                .where(Media.id == self.media_id, Media.status == MediaStatus.recording)
                # when bytes last arrived: a PATCH that brought none (empty, or cut before its first byte) is no sign of life
                .values(size=offset, last_received_at=case((Media.size < offset, now), else_=Media.last_received_at))
                .execution_options(synchronize_session=False)
            )
            return
        upload = self.upload
        media = _media_from(upload, None, size=offset)
        media.status, media.recording_started_at, media.last_received_at = MediaStatus.recording, now, now
        session.add(media)
        await session.flush()  # the row the upload and the sighting refer to
        # The receipt, as for any upload (and what lets a dock token read its own recording); moves with a merge.
        session.add(
            MediaSighting(media_id=media.id, upload_id=upload.id, token_id=upload.created_by, upload_metadata=upload.upload_metadata)
        )
        # In the transaction whose fenced update of the upload just succeeded (which may have released the lease).
        await session.execute(
            update(Upload).where(Upload.id == lease.upload_id).values(media_id=media.id).execution_options(synchronize_session=False)
        )
        await record(
            session,
            self.principal,
            "media.recording_started",
            agency=upload.agency,
            media_id=media.id,
            upload_id=upload.id,
            payload={
                "bytes_received": offset,
                "device_id": media.device_id,
                "officer_ids": media.officer_ids,
                "recorded_started_at": media.recorded_started_at.isoformat() if media.recorded_started_at else None,
                "filename": media.filename,
            },
        )
        self.media_id = media.id


def _progress(
    ingest: Ingest, lease: Lease, offset: int, hasher: ResumableSha256, durable: Durable, *, release: bool, values: dict[str, Any]
) -> tuple[Update, dict[str, Any]]:
    """A checkpoint: the fenced update of the upload's record and its parameters. `values`: more columns to set, plain
    values (bound, never SQL); the lease's own columns are the fence's and the checkpoint's, not a caller's."""
    if values.keys() & _LEASE_COLUMNS or any(isinstance(value, ClauseElement) for value in values.values()):
        raise ValueError(f"a checkpoint sets plain values of other columns than the lease's: {sorted(values)}")
    values = {**values, "offset": offset, "hash_state": hasher.state(), "store_state": durable.state, "updated_at": utcnow()}
    parameters = {f"b_{name}": value for name, value in values.items()}
    parameters.update(b_upload_id=lease.upload_id, b_lease_owner=lease.owner, b_lease_generation=lease.generation)
    return _progress_statement(tuple(sorted(values)), release, ingest.settings.upload_lease_seconds), parameters


_LEASE_COLUMNS = frozenset({"lease_owner", "lease_generation", "lease_expires_at"})


@lru_cache(maxsize=64)
def _progress_statement(names: tuple[str, ...], release: bool, lease_seconds: float) -> Update:
    """The fenced update of a checkpoint writing the columns `names` (bound as b_<name>), built once per shape: every
    PATCH ends with one, and building it cost more than running it. Only while the lease named is still held."""
    # On the table, not the mapped class: SQLAlchemy annotates an ORM UPDATE anew at every execution, so its cache key
    # (a walk of the whole statement) was computed every time, ~0.4 ms a PATCH; a table's statement keeps its key. The
    # upload object the request holds is brought up to date by receive_chunk itself (set_committed_value).
    table, column = _UPLOADS, Upload.__mapper__.columns
    values: dict[Any, Any] = {column[name]: bindparam(f"b_{name}", type_=column[name].type) for name in names}
    if release:
        values.update({table.c.lease_owner: None, table.c.lease_expires_at: None})
    else:
        values[table.c.lease_expires_at] = db_clock(lease_seconds)
    held = and_(
        table.c.id == bindparam("b_upload_id"),
        table.c.lease_owner == bindparam("b_lease_owner"),
        table.c.lease_generation == bindparam("b_lease_generation"),
    )
    return update(table).where(held).values(values)


def _parts(lease: Lease, durable: Durable) -> list[UploadPart]:
    return [UploadPart(upload_id=lease.upload_id, number=p.number, size=p.size, etag=p.etag, checksum=p.checksum) for p in durable.parts]


async def _checkpoint(
    ingest: Ingest,
    lease: Lease,
    offset: int,
    hasher: ResumableSha256,
    durable: Durable,
    *,
    release: bool,
    recording: _Recording | None = None,
    **values: Any,
) -> list[UploadPart]:
    """Record progress, fenced: only while this request still holds the lease it was given. Returns the
    parts recorded (S3). A recording's media record moves with it, in the same transaction."""
    async with ingest.sessionmaker() as session:
        statement, parameters = _progress(ingest, lease, offset, hasher, durable, release=release, values=values)
        result = await session.execute(statement, parameters)
        if rowcount(result) != 1:
            await session.rollback()
            raise _lease_lost()
        parts = _parts(lease, durable)
        session.add_all(parts)
        if recording is not None and offset > 0:
            await recording.checkpointed(session, lease, offset)
        # ingest's own short transaction: a PATCH streams for minutes and holds no transaction meanwhile
        await session.commit()
    return parts


async def _commit_and_checkpoint(
    ingest: Ingest, writer: ChunkWriter, lease: Lease, offset: int, hasher: ResumableSha256, *, final: bool, release: bool, **values: Any
) -> tuple[Durable, list[UploadPart]] | None:
    """The end of a body in one thread hand-off, where the store writes by blocking calls and the database is
    SQLite: the store's commit (its fsync), then the fenced checkpoint and its commit (fsynced) — what
    `writer.commit()` and `_checkpoint` do in two steps and, through aiosqlite, half a dozen hand-offs, paid at
    every PATCH while its client waits. None where there is no such path (the caller takes the two steps)."""
    commit_now = writer.blocking_commit()
    blocking = _blocking(ingest, wait_for_disk=True)
    if commit_now is None or blocking is None:
        return None

    def record(durable: Durable, session: Session) -> list[UploadPart]:
        statement, parameters = _progress(ingest, lease, offset, hasher, durable, release=release, values=values)
        result = session.execute(statement, parameters)
        if rowcount(result) != 1:
            raise _lease_lost()  # the session rolls back
        parts = _parts(lease, durable)
        session.add_all(parts)
        return parts

    def work() -> tuple[Durable, list[UploadPart]]:
        durable = commit_now(final)
        return durable, in_blocking_session(blocking, partial(record, durable))

    return await in_transaction_thread(work)


async def _renew_lease(ingest: Ingest, lease: Lease) -> None:
    async with ingest.sessionmaker() as session:
        result = await session.execute(
            update(Upload)
            .where(_held(lease))
            .values(lease_expires_at=db_clock(ingest.settings.upload_lease_seconds))
            .execution_options(synchronize_session=False)
        )
        # ingest's own short transaction: a PATCH streams for minutes and holds no transaction meanwhile
        await session.commit()
    if rowcount(result) != 1:
        raise _lease_lost()


async def _until_idle(body: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """A body that stalls longer than `seconds` ends as if the client had gone: a stalled request
    must let go of the upload before its lease runs out and another request takes over."""
    iterator = aiter(body)
    while True:
        try:
            async with asyncio.timeout(seconds):
                chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise ClientDisconnected() from None
        yield chunk


async def _release(ingest: Ingest, lease: Lease) -> None:
    """Let go of the upload if this request still holds it (a no-op after a take-over)."""
    async with ingest.sessionmaker() as session:
        await session.execute(
            update(Upload).where(_held(lease)).values(lease_owner=None, lease_expires_at=None).execution_options(synchronize_session=False)
        )
        # ingest's own short transaction: a PATCH streams for minutes and holds no transaction meanwhile
        await session.commit()


async def receive_chunk(
    ingest: Ingest,
    upload: Upload,
    body: AsyncIterator[bytes],
    *,
    checksum: ChunkChecksum | None,
    principal: Actor | Principal,
    final_when_done: bool = False,
    late_metadata: Callable[[], UploadMetadata] | None = None,
    declare_length: int | None = None,
    closing: Closing | None = None,
    taken: tuple[Lease, Upload] | None = None,
) -> Upload:
    """Stream one request body into the upload at its current offset.

    Without a chunk checksum, progress is checkpointed as it arrives and kept if the client
    disconnects. With one, the chunk is all-or-nothing: a mismatch discards it (tus 460).
    `declare_length` sets a deferred length (tus creation-defer-length) as the lease is taken; `closing` is the
    recording job ending an idle recording with what it has (an empty body). `taken`: the lease `take_for_patch` took.
    """
    if taken is not None:
        lease, upload = taken
    else:
        if closing is None:
            require_receiving(upload)
        lease, upload = await _acquire_lease(ingest, upload.id, upload.offset, declare_length=declare_length, closing=closing)
    start = upload.offset
    # A deferred upload whose length was just declared at its offset may still hold its last bytes as the store's
    # pending tail (store_state): they are made the last part by the ordinary path below (an empty body).
    if upload.length is not None and start == upload.length and upload.length > 0 and not upload.store_state:
        # Every byte is recorded (a completion that stopped, or a retried final PATCH): nothing may be
        # written, only completed — the partial may already be in place as the evidence object.
        try:
            async for data in body:
                if data:
                    raise Problem(413, "upload-overflow", "The upload is complete in length; nothing more can be written.")
        except BaseException:
            await _release(ingest, lease)
            raise
        return await complete_upload(ingest, lease, principal)
    hasher = ResumableSha256(upload.hash_state)
    chunk_hasher = checksum.new_hasher() if checksum else None
    try:
        writer = await ingest.store.open_writer(upload_target(upload, lease), start)
    except (StoreUnavailable, WriterBusy, StoredObjectMismatch) as exc:
        if isinstance(exc, StoredObjectMismatch):
            async with ingest.sessionmaker() as session:
                raise await _reject(
                    ingest,
                    session,
                    lease,
                    upload,
                    principal,
                    "stored-bytes-mismatch",
                    f"The bytes stored so far are not the ones received ({exc}); upload the file again.",
                ) from None
        await _release(ingest, lease)
        if isinstance(exc, WriterBusy):
            raise _locked() from None
        raise store_unavailable(exc) from exc
    except BaseException:
        await _release(ingest, lease)
        raise
    recording = _Recording(upload, upload.media_id, principal) if upload.length_deferred else None
    last_checkpoint = time.monotonic()
    received = 0
    limit = upload.length if upload.length is not None else ingest.settings.max_upload_size
    idle_seconds = ingest.settings.upload_lease_seconds / 2  # a stalled body ends well inside the lease

    closed = False
    pipeline = Pipeline(writer, [hasher] + ([chunk_hasher] if chunk_hasher else []))

    async def abandon() -> None:
        """Every error path: close the writer if still open, and let go of the upload (if still held)."""
        nonlocal closed
        try:
            if not closed:
                closed = True
                await pipeline.cancel()
                await writer.rollback()
        finally:
            try:
                await _release(ingest, lease)
            except Exception as exc:  # the database is down too: the lease runs out by itself
                log.warning("could not release upload %s: %s", lease.upload_id, exc)

    try:
        try:
            async for data in _until_idle(body, idle_seconds):
                if not data:
                    continue
                if start + received + len(data) > limit:
                    await abandon()
                    if upload.length is not None:
                        raise Problem(413, "upload-overflow", "The body goes past the declared Upload-Length; the chunk was discarded.")
                    raise Problem(413, "upload-too-large", f"The file exceeds the maximum of {limit} bytes.")
                received += len(data)
                await pipeline.feed(data)
                fault_point("receive.fed")
                if time.monotonic() - last_checkpoint > min(CHECKPOINT_SECONDS, idle_seconds / 2):
                    # Progress becomes durable and resumable as it arrives; a chunk with a checksum
                    # is all-or-nothing, so it only renews its hold on the upload.
                    if checksum is None:
                        await pipeline.flush()
                        durable = await writer.checkpoint()
                        await _checkpoint(ingest, lease, start + pipeline.processed, hasher, durable, release=False, recording=recording)
                        await writer.cleanup()
                    else:
                        await _renew_lease(ingest, lease)
                    last_checkpoint = time.monotonic()
        except ClientDisconnected:
            # Without a chunk checksum every byte received is kept (tus); with one it cannot be verified.
            if checksum is not None or final_when_done:
                await abandon()
                raise Problem(400, "client-disconnected", "The connection closed before the chunk was complete.") from None
        await pipeline.flush()
        await pipeline.close()
        if checksum is not None and chunk_hasher is not None and chunk_hasher.digest() != checksum.expected:
            await abandon()
            raise Problem(460, "checksum-mismatch", f"The chunk's {checksum.algorithm} does not match Upload-Checksum; it was discarded.")
        offset = start + pipeline.processed
        final = final_when_done or (upload.length is not None and offset == upload.length)
        fault_point("receive.before_commit")
        values: dict[str, Any] = {}
        if final_when_done:
            values["length"] = offset
            if late_metadata is not None:
                meta = late_metadata()
                values.update(upload_metadata=meta.model_dump(mode="json"), declared_sha256=meta.sha256)
        # The last bytes keep the lease: completion runs under it. A recording all of whose bytes came in this one
        # request becomes media at completion, as an ordinary upload does.
        if recording is not None and final and recording.media_id is None:
            recording = None
        ended = None
        if recording is None:
            closed = True  # the writer is closed by its commit, whatever follows
            ended = await _commit_and_checkpoint(ingest, writer, lease, offset, hasher, final=final, release=not final, **values)
        if ended is not None:
            durable, parts = ended
        else:
            durable = await writer.commit(final=final)
            closed = True
            parts = await _checkpoint(ingest, lease, offset, hasher, durable, release=not final, recording=recording, **values)
        await writer.cleanup()
    except StoreUnavailable as exc:
        await abandon()
        raise store_unavailable(exc) from exc
    except BaseException:
        await abandon()
        raise

    if final:
        return await complete_upload(ingest, lease, principal)
    # The upload as this request's fenced checkpoint left it (no need to read it back).
    recorded = {"offset": offset, "hash_state": hasher.state(), "store_state": durable.state, "lease_owner": None, "lease_expires_at": None}
    if recording is not None:
        recorded["media_id"] = recording.media_id
    for name, value in {**recorded, "parts": [*upload.parts, *parts]}.items():
        set_committed_value(upload, name, value)
    return upload


async def finish_received(ingest: Ingest, upload: Upload, principal: Actor | Principal) -> Upload:
    """Complete an upload whose every byte is recorded but whose completion did not finish (its
    process died after placing the object, say): what a PATCH at the final offset does."""
    fault_point("finish.before_lease")
    if upload.store_state or upload.abandoned_at is not None:
        # A deferred upload whose last bytes are still the store's pending tail, or a recording the job began to close:
        # the ordinary path with an empty body makes them the last part and completes (as abandoned, for the latter).
        closing = Closing(upload.abandoned_at, upload.abandoned_at) if upload.abandoned_at is not None else None
        return await receive_chunk(ingest, upload, empty_body(), checksum=None, principal=principal, closing=closing)
    try:
        lease, upload = await _acquire_lease(ingest, upload.id, upload.offset)
    except Problem:
        async with ingest.sessionmaker() as session:
            current = await _fresh_upload(session, upload.id)
        if current.status == UploadStatus.completed and current.offset == current.length:
            return current  # a rival retry finished it between our read and our take: the answer a retried final PATCH gets
        raise
    if upload.length is None or upload.offset != upload.length:
        await _release(ingest, lease)
        raise Problem(409, "upload-incomplete", "Bytes are still missing from this upload.")
    return await complete_upload(ingest, lease, principal)


async def empty_body() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover  (makes this an async generator)


def _media_from(upload: Upload, sha256: str | None, *, size: int | None = None) -> Media:
    meta = UploadMetadata.model_validate(upload.upload_metadata)
    content_type = meta.content_type or (mimetypes.guess_type(meta.filename or "")[0] if meta.filename else None)
    return Media(
        id=new_id(),
        agency=upload.agency,
        sha256=sha256,
        size=upload.length if size is None else size,
        storage_key=upload.storage_key,
        status=MediaStatus.processing,
        content_type=content_type,
        filename=meta.filename,
        device_id=meta.device_id,
        officer_ids=meta.officer_ids,
        officer_index=officer_index(meta.officer_ids),
        officer_source="declared" if meta.officer_ids else None,
        dock_id=meta.dock_id,
        flag=meta.flag.value if meta.flag else None,
        case_number=meta.case_number,
        unit_code=meta.unit_code,
        recorded_started_at=meta.recorded_at,
        recorded_at_source="metadata" if meta.recorded_at else None,
        created_by=upload.created_by,
        upload_id=upload.id,
        uploaded_at=utcnow(),
    )


async def _existing_media(session: AsyncSession, agency: str, sha256: str) -> Media | None:
    return (
        await session.execute(select(Media).where(Media.agency == agency, Media.sha256 == sha256).execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def _mark_completed(session: AsyncSession, lease: Lease, media_id: str, sha256: str, *, owns_object: bool) -> None:
    """The fenced step that makes an upload complete: exactly one request can take it."""
    now = utcnow()
    result = await session.execute(
        update(Upload)
        .where(_held(lease), Upload.status == UploadStatus.receiving)
        .values(
            status=UploadStatus.completed,
            media_id=media_id,
            sha256=sha256,
            completed_at=now,
            lease_owner=None,
            lease_expires_at=None,
            store_settled_at=now if owns_object else None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise _lease_lost()


async def settle_upload(ingest: Ingest, upload: Upload) -> str | None:
    """Remove what the store still holds of an upload beyond what a media record owns (a duplicate's
    parts, a rejected or terminated upload's partial, an object placed by a completion that lost).
    Returns "removed" when an evidence-path object was deleted, "kept" when a media record owns it,
    None when there was none. On failure the upload stays unsettled for `uploads sweep`."""
    await ingest.store.abort(upload_target(upload))
    outcome = None
    stat = await ingest.store.stat(upload.storage_key)
    if stat is not None:
        sha256 = stat.metadata.get("sha256") or upload.sha256
        async with ingest.sessionmaker() as session:
            owned = await object_owner(session, upload.agency, sha256, upload.storage_key) is not None
        if owned:
            outcome = "kept"
        elif stat.metadata.get("upload-id") == upload.id:
            await ingest.store.delete(upload.storage_key)
            outcome = "removed"
        else:
            outcome = "foreign"  # not this upload's object: left for a person to look at
    async with ingest.sessionmaker() as session:
        await session.execute(update(Upload).where(Upload.id == upload.id).values(store_settled_at=utcnow()))
        # ingest's own short transaction: a PATCH streams for minutes and holds no transaction meanwhile
        await session.commit()
    return outcome


async def _settle(ingest: Ingest, upload: Upload) -> None:
    try:
        await settle_upload(ingest, upload)
    except Exception as exc:  # the upload's outcome is committed; what is left is the sweep's
        log.warning("could not clear the store of upload %s (uploads sweep will): %s", upload.id, exc)


async def _reject(
    ingest: Ingest, session: AsyncSession, lease: Lease, upload: Upload, principal: Actor | Principal, code: str, detail: str, **extra: Any
) -> Problem:
    error = {"code": code, "detail": detail, **extra}
    result = await session.execute(
        update(Upload)
        .where(_held(lease), Upload.status == UploadStatus.receiving)
        .values(status=UploadStatus.rejected, error=error, completed_at=utcnow(), lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        await session.rollback()
        return _lease_lost()
    await record(
        session,
        principal,
        "upload.rejected",
        agency=upload.agency,
        upload_id=upload.id,
        payload={"code": code, "size": upload.length, **extra},
    )
    # the fenced outcome commits before the stored object is settled (the settling reads what it says)
    await session.commit()
    await _settle(ingest, upload)
    return Problem(460 if code == "sha256-mismatch" else 409, code, detail, **extra)


async def complete_upload(ingest: Ingest, lease: Lease, principal: Actor | Principal) -> Upload:
    """Turn an upload whose every byte is recorded into evidence, under its lease; idempotent.

    The object is placed (or an earlier attempt's placement is checked and accepted) before the media
    row exists, and the row is committed with the fenced step that completes the upload, so a crash
    at any point leaves either a finished upload or one the client's retry (a PATCH at the final
    offset) or `uploads sweep` finishes, with exactly one media record.
    """
    try:
        for _attempt in range(3):
            try:
                return await _complete_once(ingest, lease, principal)
            except IntegrityError:
                continue  # the same bytes were completed concurrently by another upload: decide again
        raise Problem(503, "upload-contended", "This upload could not be completed now; retry.", headers={"Retry-After": "2"})
    finally:
        await _release(ingest, lease)


async def _complete_once(ingest: Ingest, lease: Lease, principal: Actor | Principal) -> Upload:
    async with ingest.sessionmaker() as session:
        upload = await _fresh_upload(session, lease.upload_id)
        if upload.status != UploadStatus.receiving or upload.lease_generation != lease.generation:
            raise _lease_lost()
        sha256 = ResumableSha256(upload.hash_state).hexdigest()
        recording = await _recording_of(session, upload)
        # An abandoned recording keeps what arrived whatever its client declared for the whole file (the audit says both).
        abandoned = upload.abandoned_at is not None
        if upload.declared_sha256 and upload.declared_sha256 != sha256 and not abandoned:
            if recording is not None:
                await _end_recording(session, recording, upload, MediaStatus.rejected, principal, received_sha256=sha256)
            raise await _reject(
                ingest,
                session,
                lease,
                upload,
                principal,
                "sha256-mismatch",
                f"Received bytes hash to {sha256}, not the declared {upload.declared_sha256}; nothing was stored.",
                declared_sha256=upload.declared_sha256,
                received_sha256=sha256,
            )
        existing = await _existing_media(session, upload.agency, sha256)
        needs_object = existing is None or existing.status in REPLACEABLE
        version = None
        if needs_object:
            meta = UploadMetadata.model_validate(upload.upload_metadata)
            assert upload.length is not None  # every byte is recorded, so the length is known
            try:
                version = await ingest.store.finish(
                    upload_target(upload, lease), upload.length, _object_metadata(upload.id, upload.agency, meta, sha256)
                )
            except StoreUnavailable as exc:
                raise store_unavailable(exc) from exc
            except StoredObjectMismatch as exc:
                raise await _reject(
                    ingest,
                    session,
                    lease,
                    upload,
                    principal,
                    "stored-object-mismatch",
                    f"The stored object is not the received bytes ({exc}); upload the file again.",
                ) from None
            fault_point("complete.object_placed")
        sighting = MediaSighting(media_id=None, upload_id=upload.id, token_id=upload.created_by, upload_metadata=upload.upload_metadata)
        if existing is None and recording is not None:
            # The record that appeared with the recording's first bytes becomes the evidence (issue 29).
            media, outcome = recording, Outcome.created
            media.sha256, media.size, media.storage_key, media.storage_version = sha256, upload.length or 0, upload.storage_key, version
            media.status, media.recording_outcome, media.uploaded_at = (
                MediaStatus.processing,
                ABANDONED if abandoned else COMPLETED,
                utcnow(),
            )
            media.probe_error = None
            await session.flush()  # the unique (agency, sha256) is checked here: the same bytes completed meanwhile → decide again
            await record(
                session,
                principal,
                "media.created",
                agency=upload.agency,
                media_id=media.id,
                upload_id=upload.id,
                payload={"sha256": sha256, "size": upload.length, "storage_key": upload.storage_key, "recording": True},
            )
            if abandoned:
                await record(
                    session,
                    principal,
                    "media.recording_abandoned",
                    agency=upload.agency,
                    media_id=media.id,
                    upload_id=upload.id,
                    payload={
                        "bytes_kept": upload.length,
                        "sha256": sha256,
                        "last_received_at": media.last_received_at.isoformat() if media.last_received_at else None,
                        "closed_at": upload.abandoned_at.isoformat() if upload.abandoned_at else None,
                        "declared_sha256": upload.declared_sha256,
                    },
                )
        elif existing is None:
            media, outcome = _media_from(upload, sha256), Outcome.created
            media.storage_version = version
            session.add(media)
            await session.flush()  # the media row first: the upload and sighting refer to it
            await record(
                session,
                principal,
                "media.created",
                agency=upload.agency,
                media_id=media.id,
                upload_id=upload.id,
                payload={"sha256": sha256, "size": upload.length, "storage_key": upload.storage_key},
            )
        elif needs_object:
            media, outcome = existing, Outcome.repaired
            if not await _repair(session, media, upload, version, principal):
                raise IntegrityError("repair", None, Exception("repaired concurrently"))
        else:
            media, outcome = existing, Outcome.duplicate
            await record(
                session,
                principal,
                "media.sighting",
                agency=upload.agency,
                media_id=media.id,
                upload_id=upload.id,
                payload={"sha256": sha256, "metadata": upload.upload_metadata},
            )
        added = {}
        if outcome is not Outcome.created:
            added = merge_sighting(media, UploadMetadata.model_validate(upload.upload_metadata))
            if added:
                await record(
                    session, principal, "media.metadata_added", agency=upload.agency, media_id=media.id, upload_id=upload.id, payload=added
                )
        if recording is not None and media is not recording:
            # The dock (say) stored the same camera file first: the recording points at it, its bindings move to it.
            await _end_recording(session, recording, upload, MediaStatus.merged, principal, into=media)
            if ingest.merge_handoff is not None:
                await ingest.merge_handoff(session, recording, media, principal)
        if media is not recording:
            # A recording's own sighting (made with its first bytes) stays with it, so whoever sent it can still read where
            # its bytes went; the media that holds them gets this receipt as any duplicate would.
            sighting.media_id = media.id
            session.add(sighting)
        await _mark_completed(session, lease, media.id, sha256, owns_object=needs_object)
        await record(
            session,
            principal,
            "upload.completed",
            agency=upload.agency,
            media_id=media.id,
            upload_id=upload.id,
            payload={
                "sha256": sha256,
                "size": upload.length,
                **({"duplicate": True} if outcome is Outcome.duplicate else {}),
                **({"repaired": True} if outcome is Outcome.repaired else {}),
                **({"recording_media_id": recording.id} if recording is not None else {}),
                **({"abandoned": True} if abandoned else {}),
            },
        )
        try:
            # completion is its own fenced transaction: the media row and the completed upload stand or fall together
            await session.commit()
        except IntegrityError:
            agency, storage_key = upload.agency, upload.storage_key
            await session.rollback()
            if needs_object:
                await _drop_unowned(ingest, agency, sha256, storage_key)
            raise
        fault_point("complete.committed")
        if outcome is Outcome.duplicate:
            await _settle(ingest, upload)
        if ingest.handoff is not None:
            await ingest.handoff(session, media, outcome, bool(added), principal)
        return await _fresh_upload(session, upload.id)


async def _recording_of(session: AsyncSession, upload: Upload) -> Media | None:
    """The media record in state recording that a deferred-length upload made with its first bytes, if any."""
    if not upload.length_deferred or upload.media_id is None:
        return None
    media = (await session.execute(select(Media).where(Media.id == upload.media_id).execution_options(populate_existing=True))).scalar_one()
    return media if media.status == MediaStatus.recording else None


async def _end_recording(
    session: AsyncSession,
    recording: Media,
    upload: Upload,
    status: MediaStatus,
    principal: Actor | Principal,
    *,
    into: Media | None = None,
    received_sha256: str | None = None,
) -> None:
    """A recording that did not become evidence of its own: merged into the media that had its bytes, or rejected (the
    bytes did not match the SHA-256 its client declared; nothing is stored). It keeps no SHA-256 (the unique key is the
    other media's) and stays as the record the audit trail names."""
    recording.status = status
    recording.size = upload.length or upload.offset
    recording.recording_outcome = MERGED if into is not None else "rejected"
    recording.merged_into = into.id if into is not None else None
    await session.flush()
    await record(
        session,
        principal,
        "media.recording_merged" if into is not None else "media.recording_rejected",
        agency=recording.agency,
        media_id=recording.id,
        upload_id=upload.id,
        payload={"merged_into": into.id, "sha256": into.sha256, "size": recording.size}
        if into is not None
        else {"declared_sha256": upload.declared_sha256, "received_sha256": received_sha256, "size": recording.size},
    )


async def _repair(session: AsyncSession, media: Media, upload: Upload, version: str | None, principal: Actor | Principal) -> bool:
    """Serve a corrupt, missing or deleted media from this upload's good copy; the old object stays as history."""
    previous = {
        "storage_key": media.storage_key,
        "storage_version": media.storage_version,
        "status": media.status,
        "replaced_at": utcnow().isoformat(),
        "replaced_by_upload": upload.id,
    }
    status = MediaStatus.processing  # described again from the good bytes (the old description may be of bad ones)
    result = await session.execute(
        update(Media)
        .where(Media.id == media.id, Media.storage_key == media.storage_key, Media.status.in_(list(REPLACEABLE)))
        .values(
            storage_key=upload.storage_key,
            storage_version=version,
            status=status,
            store_locked_until=None,
            store_legal_hold=False,
            superseded_objects=[*(media.superseded_objects or []), previous],
            fixity_checked_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    await session.refresh(media)
    await record(
        session,
        principal,
        "media.repaired",
        agency=media.agency,
        media_id=media.id,
        upload_id=upload.id,
        payload={
            "sha256": media.sha256,
            "previous_status": previous["status"],
            "previous_storage_key": previous["storage_key"],
            "storage_key": upload.storage_key,
            "status": status,
        },
    )
    return True


async def _drop_unowned(ingest: Ingest, agency: str, sha256: str, storage_key: str) -> None:
    """Remove this upload's placed object when no media record took it (lost a race for the same bytes)."""
    async with ingest.sessionmaker() as session:
        if await object_owner(session, agency, sha256, storage_key) is not None:
            return
    try:
        await ingest.store.delete(storage_key)
    except Exception as exc:
        log.warning("could not remove unowned object %s (uploads sweep will): %s", storage_key, exc)


async def close_unheld(session: AsyncSession, upload_id: str, status: UploadStatus) -> bool:
    """End a receiving upload (terminated, expired) only if no request holds it, fenced like a writer
    (the generation grows), so it cannot also complete. The caller commits."""
    result = await session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.status == UploadStatus.receiving, lease_free())
        .values(status=status, completed_at=utcnow(), lease_generation=Upload.lease_generation + 1, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def terminate_upload(ingest: Ingest, session: AsyncSession, upload: Upload, principal: Principal) -> None:
    """tus termination, fenced like a writer: it takes the upload only when no request holds it, so a
    final PATCH and a DELETE end with one outcome."""
    upload_id = upload.id
    if not await close_unheld(session, upload_id, UploadStatus.terminated):
        await session.rollback()
        upload = await _fresh_upload(session, upload_id)
        if upload.status == UploadStatus.completed:
            raise Problem(409, "upload-completed", "A completed upload is evidence and cannot be terminated.")
        if upload.status != UploadStatus.receiving:
            raise Problem(410, f"upload-{upload.status}", f"This upload is already {upload.status}.")
        raise Problem(423, "upload-locked", "A request is writing to this upload; retry shortly.", headers={"Retry-After": "2"})
    await record(session, principal, "upload.terminated", agency=upload.agency, upload_id=upload.id, payload={"offset": upload.offset})
    # the fenced termination commits before the stored object is settled (the settling reads what it says)
    await session.commit()
    await _settle(ingest, await _fresh_upload(session, upload_id))
