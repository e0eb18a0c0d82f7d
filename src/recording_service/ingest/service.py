"""Upload lifecycle, independent of the wire protocol and of the object store.

tus and the multipart endpoint both: create an upload, stream chunks into it and complete it.
Each chunk goes to the store and through the running SHA-256 in the same pass; the hash state,
offset and S3 parts are checkpointed to the database, so any instance can resume the upload.
"""

import asyncio
import mimetypes
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import record
from ..auth.service import ALL_AGENCIES, Principal, Role
from ..catalog.service import load_catalog
from ..config import Settings
from ..custody.locks import lock_new_evidence
from ..db import utcnow
from ..hashing import ResumableSha256
from ..ids import new_id
from ..media.models import Media, MediaSighting, MediaStatus
from ..media.service import describe_media
from ..problems import Problem
from ..storage import ChunkWriter, ObjectStore, Part, StoreUnavailable, UploadTarget
from .checksum import ChunkChecksum
from .metadata import UploadMetadata
from .models import Upload, UploadPart, UploadStatus

BATCH_BYTES = 2 * 1024 * 1024  # bytes gathered before one hand-off to the hashing and writing threads
CHECKPOINT_SECONDS = 10.0
LEASE_SECONDS = 60
IDLE_SECONDS = 30  # well inside the lease, which checkpoints renew every CHECKPOINT_SECONDS


class ClientDisconnected(Exception):
    pass


@dataclass
class Ingest:
    """What every upload operation needs; built per request from injected dependencies."""

    sessionmaker: async_sessionmaker[AsyncSession]
    store: ObjectStore
    settings: Settings


def upload_target(upload: Upload) -> UploadTarget:
    return UploadTarget(
        upload_id=upload.id,
        key=upload.storage_key,
        backend_ref=upload.backend_ref,
        parts=tuple(Part(p.number, p.size, p.etag, p.checksum) for p in upload.parts),
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
    ingest: Ingest, principal: Principal, *, channel: str, length: int | None, meta: UploadMetadata, raw_metadata: str | None
) -> Upload:
    if principal.agency == ALL_AGENCIES:
        raise Problem(403, "agency-required", "Evidence belongs to one agency: upload with a token of that agency.")
    if length is not None and length > ingest.settings.max_upload_size:
        raise Problem(413, "upload-too-large", f"Upload-Length exceeds the maximum of {ingest.settings.max_upload_size} bytes.")
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
        created_by=principal.token_id,
        channel=channel,
        length=length,
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
        await record(session, principal, "upload.created", agency=upload.agency, upload_id=upload.id,
                     payload={"channel": channel, "length": length, "declared_sha256": meta.sha256, "filename": meta.filename,
                              "device_id": meta.device_id, "storage_key": key})
        await session.commit()
    return upload


def may_access_upload(principal: Principal, upload: Upload) -> bool:
    if not principal.sees_agency(upload.agency):
        return False
    return principal.role is not Role.dock or upload.created_by == principal.token_id


async def get_upload(session: AsyncSession, principal: Principal, upload_id: str) -> Upload:
    upload = await session.get(Upload, upload_id)
    if upload is None or not may_access_upload(principal, upload):
        raise Problem(404, "upload-not-found", f"No upload {upload_id}.")
    return upload


def require_receiving(upload: Upload) -> None:
    if upload.status == UploadStatus.receiving and upload.expires_at <= utcnow():
        raise Problem(410, "upload-expired", "This upload expired before it was finished; start a new one.")
    if upload.status != UploadStatus.receiving:
        messages = {
            UploadStatus.completed: "This upload is complete.",
            UploadStatus.rejected: "This upload was rejected: " + str((upload.error or {}).get("detail", "")),
            UploadStatus.terminated: "This upload was terminated.",
            UploadStatus.expired: "This upload expired before it was finished; start a new one.",
        }
        raise Problem(410, f"upload-{upload.status}", messages.get(UploadStatus(upload.status), "Upload closed."), upload_status=upload.status)


async def _acquire_lease(ingest: Ingest, upload_id: str, offset: int) -> str:
    owner = new_id()
    now = utcnow()
    async with ingest.sessionmaker() as session:
        result = await session.execute(
            update(Upload)
            .where(
                Upload.id == upload_id,
                Upload.status == UploadStatus.receiving,
                Upload.offset == offset,
                (Upload.lease_owner.is_(None)) | (Upload.lease_expires_at < now),
            )
            .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
        )
        await session.commit()
    if result.rowcount != 1:
        raise Problem(423, "upload-locked", "Another request is writing to this upload; retry shortly.", headers={"Retry-After": "2"})
    return owner


class _Pipeline:
    """Batches incoming bytes and hands each batch to the hashers and the store off the event loop,
    overlapping the previous batch's work with receiving the next."""

    def __init__(self, writer: ChunkWriter, hashers: list) -> None:
        self.writer = writer
        self.hashers = hashers
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.task: asyncio.Task | None = None
        self.processed = 0

    def _hash(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            for hasher in self.hashers:
                hasher.update(chunk)

    async def _process(self, chunks: list[bytes], size: int) -> None:
        await asyncio.gather(asyncio.to_thread(self._hash, chunks), self.writer.write(chunks))
        self.processed += size

    async def feed(self, data: bytes) -> None:
        self.pending.append(data)
        self.pending_size += len(data)
        if self.pending_size >= BATCH_BYTES:
            await self._dispatch()

    async def _dispatch(self) -> None:
        chunks, size = self.pending, self.pending_size
        self.pending, self.pending_size = [], 0
        if self.task is not None:
            await self.task
        self.task = asyncio.create_task(self._process(chunks, size))

    async def flush(self) -> None:
        if self.pending:
            await self._dispatch()
        if self.task is not None:
            task, self.task = self.task, None
            await task

    async def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None


async def _checkpoint(ingest: Ingest, upload_id: str, owner: str, offset: int, hasher: ResumableSha256, parts: list[Part], *, release: bool) -> None:
    async with ingest.sessionmaker() as session:
        values = {"offset": offset, "hash_state": hasher.state(), "updated_at": utcnow()}
        if release:
            values.update(lease_owner=None, lease_expires_at=None)
        else:
            values["lease_expires_at"] = utcnow() + timedelta(seconds=LEASE_SECONDS)
        result = await session.execute(
            update(Upload).where(Upload.id == upload_id, Upload.lease_owner == owner).values(**values)
        )
        if result.rowcount != 1:
            await session.rollback()
            raise Problem(409, "upload-lease-lost", "This request lost its hold on the upload; check the offset and resume.")
        session.add_all(UploadPart(upload_id=upload_id, number=p.number, size=p.size, etag=p.etag, checksum=p.checksum) for p in parts)
        await session.commit()


async def _renew_lease(ingest: Ingest, upload_id: str, owner: str) -> None:
    async with ingest.sessionmaker() as session:
        result = await session.execute(
            update(Upload)
            .where(Upload.id == upload_id, Upload.lease_owner == owner)
            .values(lease_expires_at=utcnow() + timedelta(seconds=LEASE_SECONDS))
        )
        await session.commit()
    if result.rowcount != 1:
        raise Problem(409, "upload-lease-lost", "This request lost its hold on the upload; check the offset and resume.")


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


async def _release(ingest: Ingest, upload_id: str, owner: str) -> None:
    async with ingest.sessionmaker() as session:
        await session.execute(
            update(Upload).where(Upload.id == upload_id, Upload.lease_owner == owner).values(lease_owner=None, lease_expires_at=None)
        )
        await session.commit()


async def receive_chunk(
    ingest: Ingest,
    upload: Upload,
    body: AsyncIterator[bytes],
    *,
    checksum: ChunkChecksum | None,
    principal: Principal,
    final_when_done: bool = False,
    late_metadata=None,
) -> Upload:
    """Stream one request body into the upload at its current offset.

    Without a chunk checksum, progress is checkpointed as it arrives and kept if the client
    disconnects. With one, the chunk is all-or-nothing: a mismatch discards it (tus 460).
    """
    require_receiving(upload)
    start = upload.offset
    owner = await _acquire_lease(ingest, upload.id, start)
    hasher = ResumableSha256(upload.hash_state)
    chunk_hasher = checksum.new_hasher() if checksum else None
    try:
        writer = await ingest.store.open_writer(upload_target(upload), start)
    except StoreUnavailable as exc:
        await _release(ingest, upload.id, owner)
        raise store_unavailable(exc) from exc
    pipeline = _Pipeline(writer, [hasher] + ([chunk_hasher] if chunk_hasher else []))
    last_checkpoint = time.monotonic()
    received = 0
    limit = upload.length if upload.length is not None else ingest.settings.max_upload_size

    closed = False

    async def abandon() -> None:
        nonlocal closed
        if closed:
            return
        closed = True
        await pipeline.cancel()
        try:
            await writer.rollback()
        finally:
            await _release(ingest, upload.id, owner)

    try:
        try:
            async for data in _until_idle(body, IDLE_SECONDS):
                if not data:
                    continue
                if start + received + len(data) > limit:
                    await abandon()
                    if upload.length is not None:
                        raise Problem(413, "upload-overflow", "The body goes past the declared Upload-Length; the chunk was discarded.")
                    raise Problem(413, "upload-too-large", f"The file exceeds the maximum of {limit} bytes.")
                received += len(data)
                await pipeline.feed(data)
                if time.monotonic() - last_checkpoint > CHECKPOINT_SECONDS:
                    # Progress becomes durable and resumable as it arrives; a chunk with a checksum
                    # is all-or-nothing, so it only renews its hold on the upload.
                    if checksum is None:
                        await pipeline.flush()
                        parts = await writer.checkpoint()
                        await _checkpoint(ingest, upload.id, owner, start + pipeline.processed, hasher, parts, release=False)
                    else:
                        await _renew_lease(ingest, upload.id, owner)
                    last_checkpoint = time.monotonic()
        except ClientDisconnected:
            # Without a chunk checksum every byte received is kept (tus); with one it cannot be verified.
            if checksum is not None or final_when_done:
                await abandon()
                raise Problem(400, "client-disconnected", "The connection closed before the chunk was complete.") from None
        await pipeline.flush()
        if chunk_hasher is not None and chunk_hasher.digest() != checksum.expected:
            await abandon()
            raise Problem(460, "checksum-mismatch", f"The chunk's {checksum.algorithm} does not match Upload-Checksum; it was discarded.")
        offset = start + pipeline.processed
        final = final_when_done or (upload.length is not None and offset == upload.length)
        parts = await writer.commit(final=final)
        closed = True
        await _checkpoint(ingest, upload.id, owner, offset, hasher, parts, release=True)
    except StoreUnavailable as exc:
        await abandon()
        raise store_unavailable(exc) from exc
    except BaseException:
        await abandon()
        raise

    async with ingest.sessionmaker() as session:
        fresh = await session.get(Upload, upload.id)
        if final_when_done:
            fresh.length = fresh.offset
            if late_metadata is not None:
                meta = late_metadata()
                fresh.upload_metadata, fresh.declared_sha256 = meta.model_dump(mode="json"), meta.sha256
            await session.commit()
        if fresh.length is not None and fresh.offset == fresh.length:
            return await complete_upload(ingest, session, fresh, hasher, principal)
        return fresh


def _media_from(upload: Upload, sha256: str) -> Media:
    meta = UploadMetadata.model_validate(upload.upload_metadata)
    content_type = meta.content_type or (mimetypes.guess_type(meta.filename or "")[0] if meta.filename else None)
    return Media(
        id=new_id(),
        agency=upload.agency,
        sha256=sha256,
        size=upload.length,
        storage_key=upload.storage_key,
        status=MediaStatus.processing,
        content_type=content_type,
        filename=meta.filename,
        device_id=meta.device_id,
        officer_ids=meta.officer_ids,
        officer_index="," + ",".join(meta.officer_ids) + "," if meta.officer_ids else None,
        dock_id=meta.dock_id,
        flag=meta.flag.value if meta.flag else None,
        case_number=meta.case_number,
        recorded_started_at=meta.recorded_at,
        recorded_at_source="metadata" if meta.recorded_at else None,
        created_by=upload.created_by,
        upload_id=upload.id,
        uploaded_at=utcnow(),
    )


async def _existing_media(session: AsyncSession, agency: str, sha256: str) -> Media | None:
    return (await session.execute(select(Media).where(Media.agency == agency, Media.sha256 == sha256))).scalar_one_or_none()


async def complete_upload(ingest: Ingest, session: AsyncSession, upload: Upload, hasher: ResumableSha256, principal: Principal) -> Upload:
    sha256 = hasher.hexdigest()
    upload.sha256 = sha256
    target = upload_target(upload)
    if upload.declared_sha256 and upload.declared_sha256 != sha256:
        await ingest.store.abort(target)
        upload.status = UploadStatus.rejected
        upload.error = {
            "code": "sha256-mismatch",
            "detail": f"Received bytes hash to {sha256}, not the declared {upload.declared_sha256}; nothing was stored.",
            "declared_sha256": upload.declared_sha256,
            "received_sha256": sha256,
        }
        upload.completed_at = utcnow()
        await record(session, principal, "upload.rejected", agency=upload.agency, upload_id=upload.id,
                     payload={"declared_sha256": upload.declared_sha256, "received_sha256": sha256, "size": upload.length})
        await session.commit()
        raise Problem(460, "sha256-mismatch", upload.error["detail"], declared_sha256=upload.declared_sha256, received_sha256=sha256)

    sighting = dict(upload_id=upload.id, token_id=upload.created_by, upload_metadata=upload.upload_metadata)
    upload_agency = upload.agency
    existing = await _existing_media(session, upload.agency, sha256)
    if existing is None:
        meta = UploadMetadata.model_validate(upload.upload_metadata)
        try:
            version = await ingest.store.finish(target, upload.length, _object_metadata(upload.id, upload.agency, meta, sha256))
        except StoreUnavailable as exc:
            raise store_unavailable(exc) from exc
        media = _media_from(upload, sha256)
        media.storage_version = version
        try:
            session.add(media)
            await session.flush()  # the media row first: the upload and sighting refer to it
            session.add(MediaSighting(media_id=media.id, **sighting))
            upload.status, upload.media_id, upload.completed_at = UploadStatus.completed, media.id, utcnow()
            custody = {"sha256": sha256, "size": upload.length, "storage_key": upload.storage_key}
            await record(session, principal, "media.created", agency=upload.agency, media_id=media.id, upload_id=upload.id, payload=custody)
            await record(session, principal, "upload.completed", agency=upload.agency, media_id=media.id, upload_id=upload.id,
                         payload={"sha256": sha256, "size": upload.length})
            await session.commit()
        except IntegrityError:
            await session.rollback()
            existing = await _existing_media(session, upload_agency, sha256)
            if existing is None:
                raise
            # The same bytes completed concurrently in another upload: keep theirs, drop our copy.
            await ingest.store.delete(target.key)
            upload = await session.get(Upload, target.upload_id)
        else:
            await lock_new_evidence(session, ingest.store, ingest.settings, load_catalog(ingest.settings.catalog_dir), principal, media)
            await describe_media(session, ingest.store, ingest.settings, media, principal)
            return upload
    # Duplicate bytes: no second stored copy; this upload's metadata survives as a sighting.
    await ingest.store.abort(target)
    session.add(MediaSighting(media_id=existing.id, **sighting))
    upload.sha256 = sha256
    upload.status, upload.media_id, upload.completed_at = UploadStatus.completed, existing.id, utcnow()
    await record(session, principal, "media.sighting", agency=upload.agency, media_id=existing.id, upload_id=upload.id,
                 payload={"sha256": sha256, "metadata": upload.upload_metadata})
    await record(session, principal, "upload.completed", agency=upload.agency, media_id=existing.id, upload_id=upload.id,
                 payload={"sha256": sha256, "size": upload.length, "duplicate": True})
    await session.commit()
    return upload


async def terminate_upload(ingest: Ingest, session: AsyncSession, upload: Upload, principal: Principal) -> None:
    if upload.status == UploadStatus.completed:
        raise Problem(409, "upload-completed", "A completed upload is evidence and cannot be terminated.")
    if upload.status != UploadStatus.receiving:
        raise Problem(410, f"upload-{upload.status}", f"This upload is already {upload.status}.")
    if upload.lease_owner and upload.lease_expires_at and upload.lease_expires_at > utcnow():
        raise Problem(423, "upload-locked", "A request is writing to this upload; retry shortly.", headers={"Retry-After": "2"})
    try:
        await ingest.store.abort(upload_target(upload))
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    upload.status = UploadStatus.terminated
    upload.completed_at = utcnow()
    await record(session, principal, "upload.terminated", agency=upload.agency, upload_id=upload.id, payload={"offset": upload.offset})
    await session.commit()
