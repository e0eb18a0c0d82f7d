"""`uploads sweep`: expire unfinished uploads, finish those whose every byte arrived but whose
completion stopped, and leave no object in the store that neither a media record nor a live upload owns."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..core.config import Settings
from ..core.db import utcnow
from ..core.problems import Problem
from ..ingest.models import Upload, UploadStatus
from ..ingest.service import close_unheld, finish_received, lease_free, settle_upload
from ..jobs import JobQueue
from ..storage import ObjectStore
from .intake import ingest_for

SETTLE_BATCH = 10_000  # per sweep; a backlog is worked off over several nights
SETTLED_STATUSES = (UploadStatus.completed, UploadStatus.rejected, UploadStatus.terminated, UploadStatus.expired)


@dataclass
class SweepSummary:
    expired: int = 0
    bytes_released: int = 0
    completed: int = 0  # uploads whose completion had stopped, finished now
    orphans_removed: int = 0  # objects no media record owned, removed
    unsettled: list[dict[str, Any]] = field(default_factory=list)  # what could not be resolved, and why


async def sweep_uploads(
    sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings, queue: JobQueue | None = None
) -> SweepSummary:
    summary = SweepSummary()
    ingest = ingest_for(sessionmaker, store, settings, queue)
    now = utcnow()
    async with sessionmaker() as session:
        stuck = list(
            (
                await session.execute(
                    select(Upload.id).where(
                        Upload.status == UploadStatus.receiving, Upload.length.is_not(None), Upload.offset == Upload.length, lease_free()
                    )
                )
            ).scalars()
        )
    for upload_id in stuck:
        async with sessionmaker() as session:
            upload = await session.get_one(Upload, upload_id)
        try:
            await finish_received(ingest, upload, SYSTEM)
            summary.completed += 1
        except Problem as problem:
            summary.unsettled.append({"upload_id": upload_id, "problem": problem.code, "detail": problem.detail})

    async with sessionmaker() as session:
        expired = list(
            (
                await session.execute(
                    select(Upload.id).where(
                        Upload.status == UploadStatus.receiving,
                        Upload.expires_at < now,
                        lease_free(),
                        # a recording with acknowledged bytes is never expired (its partial deleted): the recording job
                        # keeps it as incomplete evidence (issue 29)
                        ~(Upload.length_deferred.is_(True) & Upload.media_id.is_not(None)),
                    )
                )
            ).scalars()
        )
    for upload_id in expired:
        async with sessionmaker() as session:
            # Fenced like a writer: a request that takes the upload meanwhile keeps it.
            if not await close_unheld(session, upload_id, UploadStatus.expired):
                await session.rollback()
                continue
            upload = await session.get_one(Upload, upload_id)
            await record(
                session,
                SYSTEM,
                "upload.expired",
                agency=upload.agency,
                upload_id=upload.id,
                payload={"offset": upload.offset, "length": upload.length, "expired_at": upload.expires_at.isoformat()},
            )
            # the sweep's own transaction, one upload at a time: a crash loses at most the one in hand
            await session.commit()
        summary.expired += 1
        summary.bytes_released += upload.offset

    async with sessionmaker() as session:
        unsettled = list(
            (
                await session.execute(
                    select(Upload)
                    .where(Upload.status.in_(SETTLED_STATUSES), Upload.store_settled_at.is_(None))
                    .order_by(Upload.completed_at)
                    .limit(SETTLE_BATCH)
                )
            ).scalars()
        )
    for upload in unsettled:
        try:
            outcome = await settle_upload(ingest, upload)
        except Exception as exc:
            summary.unsettled.append({"upload_id": upload.id, "problem": type(exc).__name__, "detail": str(exc)[:500]})
            continue
        if outcome == "removed":
            summary.orphans_removed += 1
            async with sessionmaker() as session:
                await record(
                    session,
                    SYSTEM,
                    "upload.orphan_removed",
                    agency=upload.agency,
                    upload_id=upload.id,
                    payload={"storage_key": upload.storage_key, "status": upload.status},
                )
                # the sweep's own transaction, one upload at a time: a crash loses at most the one in hand
                await session.commit()
        elif outcome == "foreign":
            summary.unsettled.append(
                {
                    "upload_id": upload.id,
                    "problem": "foreign-object",
                    "detail": f"{upload.storage_key} holds an object of another upload; left in place",
                }
            )
    return summary
