"""Media's background work: probing stored footage (ffprobe; Pillow for photos) as a durable job."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..core.config import Settings
from ..core.db import utcnow
from ..core.faults import fault_point
from ..jobs import JobQueue, Task, TaskContext
from ..jobs.service import Work
from ..storage import ObjectStore
from .copies import defer_playback_copy
from .image_copies import defer_image_copies
from .models import ABANDONED, Media, MediaStatus
from .probe import scrub_locations, store_root
from .service import describe_media

PROBE = "media.probe"


def probe_lock(media_id: str) -> str:
    return f"probe:{media_id}"


def probe_task(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings, queue: JobQueue) -> Task:
    async def run(context: TaskContext, media_id: str) -> None:
        fault_point("probe.start")
        async with sessionmaker() as session:
            media = await session.get(Media, media_id)
            if media is None or media.status != MediaStatus.processing:
                return  # described already (a job run twice, or one deferred again by the catch-up)
            try:
                planned = await describe_media(session, store, settings, media, SYSTEM)
                await session.commit()  # a job owns its transaction (the queue runs it outside any request)
            except Exception as exc:
                if not context.last_attempt:
                    raise
                await session.rollback()
                # Dead after every attempt: say so on the record, where people look.
                media = await session.get_one(Media, media_id)
                media.status = MediaStatus.incomplete if media.recording_outcome == ABANDONED else MediaStatus.probe_failed
                media.probe_error = scrub_locations(
                    f"probing failed {context.attempt} times; last error: {type(exc).__name__}: {exc}", media.id, None, store_root(settings)
                )[:2000]
                await record(
                    session,
                    SYSTEM,
                    "media.described",
                    agency=media.agency,
                    media_id=media.id,
                    payload={"status": media.status, "probe_error": media.probe_error, "recorded_at_source": None},
                )
                await session.commit()
                return
        # planned in the probe's transaction; the catch-ups defer them again if this is lost
        if planned.playback_copy:
            await defer_playback_copy(queue, media_id)
        if planned.image_copies:
            await defer_image_copies(queue, media_id)

    return Task(PROBE, run, max_attempts=5)


async def defer_probe(queue: JobQueue, media_id: str) -> None:
    await queue.defer(PROBE, lock=probe_lock(media_id), media_id=media_id)


def defer_unprobed(sessionmaker: async_sessionmaker[AsyncSession], after_seconds: float) -> Work:
    """Media still `processing` this long after upload may have lost their job (a crash between the
    commit and the deferral): queue one again (at most one waits per media; a probe of described
    media does nothing)."""

    async def catch_up(queue: JobQueue) -> None:
        async with sessionmaker() as session:
            ids = (
                (
                    await session.execute(
                        select(Media.id)
                        .where(Media.status == MediaStatus.processing, Media.uploaded_at < utcnow() - timedelta(seconds=after_seconds))
                        .order_by(Media.uploaded_at)
                        .limit(1000)
                    )
                )
                .scalars()
                .all()
            )
        for media_id in ids:
            await defer_probe(queue, media_id)

    return catch_up
