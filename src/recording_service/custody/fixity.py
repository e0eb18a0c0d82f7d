"""Fixity: re-read stored evidence, recompute SHA-256, record the result; a mismatch or a missing
object marks the media and goes into the chain of custody (and so into case timelines)."""

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as clock_time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..core.db import utcnow
from ..media.models import ABANDONED, WITHOUT_OBJECT, Media, MediaStatus
from ..storage import ObjectStore
from .models import FixityCheck


@dataclass
class FixitySummary:
    checked: int = 0
    ok: int = 0
    mismatch: int = 0
    missing: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)


async def _rehash(store: ObjectStore, media: Media) -> tuple[str | None, int, str | None]:
    stat = await store.stat(media.storage_key)
    if stat is None:
        return None, 0, "object not found in the store"
    digest, read = hashlib.sha256(), 0
    async for chunk in store.read(media.storage_key, 0, stat.size):
        await asyncio.to_thread(digest.update, chunk)
        read += len(chunk)
    return digest.hexdigest(), read, None


async def run_fixity(
    sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, *, limit: int | None, older_than_days: float | None
) -> FixitySummary:
    summary = FixitySummary()
    async with sessionmaker() as session:
        query = select(Media.id).where(Media.status.not_in([MediaStatus.processing, MediaStatus.deleted, *WITHOUT_OBJECT]))
        if older_than_days is not None:
            cutoff = utcnow() - timedelta(days=older_than_days)
            query = query.where(or_(Media.fixity_checked_at.is_(None), Media.fixity_checked_at < cutoff))
        query = query.order_by(Media.fixity_checked_at.is_not(None), Media.fixity_checked_at, Media.id)
        media_ids = list((await session.execute(query.limit(limit) if limit else query)).scalars())
    for media_id in media_ids:
        async with sessionmaker() as session:
            media = await session.get_one(Media, media_id)
            started = time.monotonic()
            actual, read, error = await _rehash(store, media)
            result = "missing" if actual is None else ("ok" if actual == media.sha256 and read == media.size else "mismatch")
            now = utcnow()
            session.add(
                FixityCheck(
                    media_id=media.id,
                    checked_at=now,
                    result=result,
                    expected_sha256=media.sha256,
                    actual_sha256=actual,
                    bytes_read=read,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    error=error,
                )
            )
            media.fixity_checked_at = now
            previous = media.status
            if result == "ok":
                if previous in (MediaStatus.corrupt, MediaStatus.missing):
                    media.status = (
                        MediaStatus.incomplete
                        if media.recording_outcome == ABANDONED
                        else MediaStatus.ready
                        if media.duration_s is not None or media.video or media.audio
                        else MediaStatus.probe_failed
                    )
            else:
                media.status = MediaStatus.corrupt if result == "mismatch" else MediaStatus.missing
                summary.failures.append({"media_id": media.id, "result": result, "expected_sha256": media.sha256, "actual_sha256": actual})
            await record(
                session,
                SYSTEM,
                f"fixity.{result}",
                agency=media.agency,
                media_id=media.id,
                payload={
                    "expected_sha256": media.sha256,
                    "actual_sha256": actual,
                    "bytes_read": read,
                    "status_before": previous,
                    "status_after": media.status,
                    "error": error,
                },
            )
            # the sweep's own transaction, one object at a time: a long run keeps what it has found
            await session.commit()
        summary.checked += 1
        setattr(summary, result, getattr(summary, result) + 1)
    return summary


async def fixity_history(session: AsyncSession, media_id: str, limit: int = 100) -> list[FixityCheck]:
    """A media item's re-hashings, newest first."""
    return list(
        (
            await session.execute(
                select(FixityCheck)
                .where(FixityCheck.media_id == media_id)
                .order_by(FixityCheck.checked_at.desc(), FixityCheck.id)
                .limit(limit)
            )
        ).scalars()
    )


async def fixity_results_of_day(session: AsyncSession, agency: str, day: date, tz: tzinfo) -> dict[str, int]:
    """How the agency's fixity checks on `day` came out: {result: checks}."""
    start = datetime.combine(day, clock_time.min, tz)
    rows = (
        await session.execute(
            select(FixityCheck.result, func.count())
            .join(Media, Media.id == FixityCheck.media_id)
            .where(Media.agency == agency, FixityCheck.checked_at >= start, FixityCheck.checked_at < start + timedelta(days=1))
            .group_by(FixityCheck.result)
        )
    ).all()
    return dict(rows)


async def failing_media(session: AsyncSession) -> dict[str, int]:
    """Media whose last fixity check failed, by status (corrupt: other bytes; missing: no object) (metrics)."""
    rows = (
        await session.execute(
            select(Media.status, func.count()).where(Media.status.in_([MediaStatus.corrupt, MediaStatus.missing])).group_by(Media.status)
        )
    ).all()
    return {str(status): count for status, count in rows}
