"""Playback copies: browser-playable H.264/AAC MP4 (faststart) made in the background for footage a
browser cannot play as recorded (H.265 from newer body cameras, for one).

A copy is derived, never evidence: it has its own SHA-256 and a link to the original's, it is stored
beside the original and never replaces it, and export, fixity and verification keep using the original.
While transcoding, the original's bytes are hashed as they are read from the store: a copy is only kept
when the original still matches its SHA-256, so every copy provably derives from the evidence.
"""

import asyncio
import hashlib
import logging
import tempfile
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..core.config import Settings
from ..core.db import rowcount, utcnow
from ..jobs import JobQueue, Task
from ..jobs.service import Work
from ..storage import ObjectStore
from .derived import OriginalChanged, catch_up_pending, copy_job
from .models import Media, MediaStatus, PlaybackCopy

logger = logging.getLogger("recording_service")
PLAYBACK_COPY = "media.playback_copy"
COPY_CONTENT_TYPE = "video/mp4"
# Described footage whose stored bytes can be played (an abandoned recording's kept bytes included, issue 29).
PLAYABLE = frozenset({MediaStatus.ready, MediaStatus.incomplete})
# What Debian's Chromium (and every current browser) plays without a platform decoder.
MP4_VIDEO = {"h264", "av1", "vp9"}
WEBM_VIDEO = {"vp8", "vp9", "av1"}
BROWSER_AUDIO = {"aac", "mp3", "opus", "vorbis", "flac"}


def needs_playback_copy(media: Media) -> bool:
    """Footage with a picture a browser cannot decode (or in a container it cannot read)."""
    if media.status not in PLAYABLE or not media.video:
        return False
    container = media.container or ""
    video = (media.video or {}).get("codec")
    audio = (media.audio or {}).get("codec") if media.audio else None
    if container.startswith("mov,mp4"):
        playable = video in MP4_VIDEO
    elif container.startswith("matroska,webm"):
        playable = video in WEBM_VIDEO
    else:
        playable = False
    return not playable or (audio is not None and audio not in BROWSER_AUDIO)


def copy_key(media: Media, sha256: str) -> str:
    """Named by the copy's own digest: two runs that raced never overwrite the copy that was recorded."""
    return f"playback/{media.agency}/{media.id}-{sha256[:16]}.mp4"


async def plan_playback_copy(session: AsyncSession, media: Media) -> PlaybackCopy | None:
    """Add a pending copy for footage that needs one (in the caller's transaction: the probe's)."""
    if not needs_playback_copy(media) or media.sha256 is None:
        return None
    existing = (await session.execute(select(PlaybackCopy).where(PlaybackCopy.media_id == media.id))).scalar_one_or_none()
    if existing is not None:
        if existing.original_sha256 != media.sha256 or existing.status == "failed":
            existing.status, existing.error, existing.original_sha256 = "pending", None, media.sha256
        return existing if existing.status == "pending" else None
    copy = PlaybackCopy(media_id=media.id, original_sha256=media.sha256, status="pending", created_at=utcnow())
    session.add(copy)
    return copy


async def copies_of(session: AsyncSession, media_ids: list[str]) -> dict[str, PlaybackCopy]:
    if not media_ids:
        return {}
    rows = (await session.execute(select(PlaybackCopy).where(PlaybackCopy.media_id.in_(media_ids)))).scalars()
    return {copy.media_id: copy for copy in rows}


async def remove_playback_copy(session: AsyncSession, store: ObjectStore, media: Media) -> None:
    """The retention sweep deletes footage: its copy goes first (a copy outliving its original would
    keep footage past its retention)."""
    copy = (await session.execute(select(PlaybackCopy).where(PlaybackCopy.media_id == media.id))).scalar_one_or_none()
    if copy is None:
        return
    if copy.storage_key:
        await store.delete(copy.storage_key)
    copy.status, copy.storage_key = "deleted", None


async def _hash_original(store: ObjectStore, media: Media) -> str:
    digest = hashlib.sha256()
    async for chunk in store.read(media.storage_key, 0, media.size):
        await asyncio.to_thread(digest.update, chunk)
    return digest.hexdigest()


async def _transcode(location: str, output: Path, timeout: float, ffmpeg: str) -> None:
    process = await asyncio.create_subprocess_exec(
        ffmpeg,
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-i",
        location,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, errors = await asyncio.wait_for(process.communicate(), timeout)
    except (TimeoutError, asyncio.CancelledError):
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"ffmpeg exited {process.returncode}: {errors.decode(errors='replace')[-500:]}")


def _file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


async def make_playback_copy(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings, media_id: str) -> str:
    """Transcode, check the original, store the copy and record it. Safe to run again: a ready copy is kept."""
    async with sessionmaker() as session:
        media = await session.get(Media, media_id)
        copy = (await session.execute(select(PlaybackCopy).where(PlaybackCopy.media_id == media_id))).scalar_one_or_none()
        if media is None or copy is None or copy.status in ("ready", "deleted") or media.status not in PLAYABLE:
            return "nothing to do"
        location = await store.probe_location(media.storage_key)
    timeout = max(300.0, 6 * (media.duration_s or 0))
    with tempfile.TemporaryDirectory(prefix="rs-playback-") as scratch:
        output = Path(scratch) / "copy.mp4"
        original, _ = await asyncio.gather(_hash_original(store, media), _transcode(location, output, timeout, settings.ffmpeg_path))
        if original != media.sha256:
            raise OriginalChanged(f"the original's stored bytes hash to {original}, not its SHA-256 {media.sha256}")
        sha256, size = await asyncio.to_thread(_file_sha256, output)
        key = copy_key(media, sha256)
        await store.put_file(key, output, COPY_CONTENT_TYPE)
    async with sessionmaker() as session:
        done = await session.execute(
            update(PlaybackCopy)
            .where(PlaybackCopy.media_id == media_id, PlaybackCopy.status.in_(("pending", "failed")))
            .values(
                status="ready", storage_key=key, sha256=sha256, size=size, content_type=COPY_CONTENT_TYPE, error=None, finished_at=utcnow()
            )
        )
        if rowcount(done):
            await record(
                session,
                SYSTEM,
                "media.playback_copy_made",
                agency=media.agency,
                media_id=media_id,
                payload={
                    "original_sha256": media.sha256,
                    "copy_sha256": sha256,
                    "copy_size": size,
                    "storage_key": key,
                    "video": "h264",
                    "audio": "aac",
                },
            )
            # the job's own transaction (no request around it)
            await session.commit()
            return "made"
        recorded = (await session.execute(select(PlaybackCopy.storage_key).where(PlaybackCopy.media_id == media_id))).scalar_one_or_none()
    if recorded != key:
        # Another run recorded its copy first, or the retention sweep deleted the footage meanwhile (a copy
        # must not outlive its original): this run's object is nobody's.
        await store.delete(key)
    return "made already"


def playback_copy_task(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings) -> Task:
    return copy_job(
        PLAYBACK_COPY,
        "playback copy",
        PlaybackCopy,
        lambda media_id: make_playback_copy(sessionmaker, store, settings, media_id),
        sessionmaker,
    )


async def defer_playback_copy(queue: JobQueue, media_id: str) -> None:
    await queue.defer(PLAYBACK_COPY, lock=f"playback-copy:{media_id}", media_id=media_id)


def defer_pending_copies(sessionmaker: async_sessionmaker[AsyncSession], after_seconds: float) -> Work:
    """Playback copies still pending this long after they were planned may have lost their job: queue them again."""
    return catch_up_pending(PlaybackCopy, defer_playback_copy, sessionmaker, after_seconds)
