"""Recordings streamed over tus with a deferred length (issue 29) that stopped arriving: the job workers close each one
that received nothing for RECORDING_RECORDING_IDLE_MINUTES. Every acknowledged byte becomes the evidence object (the
SHA-256 is the hash state's digest of exactly those bytes) and the media record ends as `incomplete`, audited as
`media.recording_abandoned`.

Safe with any number of workers and against a kill mid-way: the close takes the upload's lease in one conditional
statement that also marks it abandoned (only while it is still idle at the same offset and no request holds it), then
runs the ordinary completion under that lease (ingest.service.receive_chunk with an empty body). A run that dies
leaves the mark; once its lease runs out, the next run (or `uploads sweep`) finishes the same upload."""

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select

from ..audit.service import SYSTEM
from ..core.db import utcnow
from ..core.problems import Problem
from .models import Upload, UploadStatus
from .service import Closing, Ingest, empty_body, lease_free, receive_chunk, recording_last_heard

log = logging.getLogger(__name__)
BATCH = 100


async def close_idle_recordings(ingest: Ingest, idle_minutes: float | None = None, only: Sequence[str] = ()) -> list[str]:
    """Close recordings idle for `idle_minutes` (default: the setting) and any a crashed run began to close; with
    `only`, just those uploads (a camera known to be lost). Returns the ids of the uploads closed now."""
    minutes = ingest.settings.recording_idle_minutes if idle_minutes is None else idle_minutes
    now = utcnow()
    idle_before = now - timedelta(minutes=minutes)
    async with ingest.sessionmaker() as session:
        candidates = list(
            (
                await session.execute(
                    select(Upload)
                    .where(
                        Upload.status == UploadStatus.receiving,
                        Upload.length_deferred.is_(True),
                        Upload.media_id.is_not(None),  # a recording record exists: bytes were acknowledged
                        or_(Upload.abandoned_at.is_not(None), recording_last_heard() < idle_before),
                        lease_free(),
                        *([Upload.id.in_(list(only))] if only else []),
                    )
                    .order_by(recording_last_heard())
                    .limit(BATCH)
                )
            ).scalars()
        )
    closed = []
    for upload in candidates:
        try:
            await receive_chunk(ingest, upload, empty_body(), checksum=None, principal=SYSTEM, closing=Closing(idle_before, now))
        except Problem as problem:
            # Written to or taken meanwhile (not idle), or a store that cannot be reached: the next turn decides again.
            log.info("recording upload %s not closed now: %s %s", upload.id, problem.code, problem.detail)
            continue
        closed.append(upload.id)
    return closed
