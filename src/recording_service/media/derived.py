"""What every copy derived from an original shares (a playback copy of footage, a photo's thumbnail and viewing
copy): the job that makes it and marks it failed on its last attempt, and the catch-up that queues again copies
whose job was lost. The copies' own making stays with them (copies.py, image_copies.py)."""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..core.db import utcnow
from ..jobs import JobQueue, Task, TaskContext
from ..jobs.service import Work
from .models import ImageCopy, PlaybackCopy

logger = logging.getLogger("recording_service")

CopyRow = type[PlaybackCopy] | type[ImageCopy]


class OriginalChanged(Exception):
    """The original no longer matches its SHA-256: no copy is made from it (fixity will report it)."""


def copy_job(
    name: str, what: str, rows: CopyRow, make: Callable[[str], Awaitable[object]], sessionmaker: async_sessionmaker[AsyncSession]
) -> Task:
    """The job making `what` of a media item: retried, and on its last attempt (or at once when the original has
    changed) its pending copies are marked failed with the error."""

    async def run(context: TaskContext, media_id: str) -> None:
        try:
            await make(media_id)
        except Exception as exc:
            final = context.last_attempt or isinstance(exc, OriginalChanged)
            logger.warning("%s of %s failed (attempt %s): %s", what, media_id, context.attempt, exc)
            if not final:
                raise
            async with sessionmaker() as session:
                await session.execute(
                    update(rows)
                    .where(rows.media_id == media_id, rows.status == "pending")
                    .values(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow())
                )
                # the job's own transaction (no request around it)
                await session.commit()

    return Task(name, run, max_attempts=3)


def catch_up_pending(
    rows: CopyRow,
    defer: Callable[[JobQueue, str], Awaitable[None]],
    sessionmaker: async_sessionmaker[AsyncSession],
    after_seconds: float,
) -> Work:
    """Copies still pending this long after they were planned may have lost their job: queue them again, oldest first."""

    async def catch_up(queue: JobQueue) -> None:
        async with sessionmaker() as session:
            ids = (
                (
                    await session.execute(
                        select(rows.media_id)
                        .where(rows.status == "pending", rows.created_at < utcnow() - timedelta(seconds=after_seconds))
                        .group_by(rows.media_id)
                        .order_by(func.min(rows.created_at))
                        .limit(1000)
                    )
                )
                .scalars()
                .all()
            )
        for media_id in ids:
            await defer(queue, media_id)

    return catch_up
