"""Derived pictures of photos: a thumbnail for lists, and a viewing copy of a photo too large (or in a format
browsers do not show) to open as it is — made in the background through the job queue, as playback copies are.

A copy is derived, never evidence: it has its own SHA-256 and a link to the original's, it is stored beside the
original and never replaces it; export, fixity and verification keep using the original. The original's bytes are
hashed as they are read: a copy is only kept when the original still matches its SHA-256. Copies are JPEGs turned
upright (EXIF orientation applied) and carry no EXIF of their own: the facts stay in the original.
"""

import asyncio
import hashlib
import io
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..core.db import rowcount, utcnow
from ..jobs import JobQueue, Task
from ..jobs.service import Work
from ..storage import ObjectStore
from .derived import OriginalChanged, catch_up_pending, copy_job
from .models import ImageCopy, Media, MediaStatus
from .stills import BROWSER_FORMATS, IMAGE

logger = logging.getLogger("recording_service")
IMAGE_COPIES = "media.image_copies"
COPY_CONTENT_TYPE = "image/jpeg"
THUMBNAIL, VIEWING = "thumbnail", "viewing"
PURPOSES = (THUMBNAIL, VIEWING)
# Longest side in pixels, and the JPEG quality.
SIDES = {THUMBNAIL: 320, VIEWING: 2048}
QUALITY = {THUMBNAIL: 80, VIEWING: 85}
# A photo larger than this (bytes) is viewed through its copy: a phone on a slow link need not fetch 20 MB to look.
VIEW_ORIGINAL_UP_TO = 8 * 1024 * 1024


def wanted_copies(media: Media) -> list[str]:
    """The copies a described photo needs: always a thumbnail; a viewing copy when the photo is larger than a
    screen, heavy, or in a format browsers do not show."""
    image = media.image or {}
    if media.kind != IMAGE or media.status != MediaStatus.ready or not image.get("width"):
        return []
    wanted = [THUMBNAIL]
    if (
        image.get("format") not in BROWSER_FORMATS
        or max(image.get("width") or 0, image.get("height") or 0) > SIDES[VIEWING]
        or media.size > VIEW_ORIGINAL_UP_TO
    ):
        wanted.append(VIEWING)
    return wanted


def shown_as_is(media: Media) -> bool:
    """Whether a browser shows the original itself (else only its viewing copy can be viewed)."""
    return (media.image or {}).get("format") in BROWSER_FORMATS


def copy_key(media: Media, purpose: str, sha256: str) -> str:
    """Named by the copy's own digest: two runs that raced never overwrite the copy that was recorded."""
    return f"derived/{media.agency}/{media.id}-{purpose}-{sha256[:16]}.jpg"


async def image_copies_of(session: AsyncSession, media_ids: list[str]) -> dict[str, dict[str, ImageCopy]]:
    """media id → purpose → copy."""
    if not media_ids:
        return {}
    found: dict[str, dict[str, ImageCopy]] = {}
    for copy in (await session.execute(select(ImageCopy).where(ImageCopy.media_id.in_(media_ids)))).scalars():
        found.setdefault(copy.media_id, {})[copy.purpose] = copy
    return found


async def plan_image_copies(session: AsyncSession, media: Media) -> bool:
    """Add the pending copies a photo needs (in the caller's transaction: the probe's). True when any waits."""
    wanted = wanted_copies(media)
    if not wanted or media.sha256 is None:  # described photos are stored ones; a recording is never described
        return False
    existing = (await image_copies_of(session, [media.id])).get(media.id, {})
    waiting = False
    for purpose in wanted:
        copy = existing.get(purpose)
        if copy is None:
            session.add(ImageCopy(media_id=media.id, purpose=purpose, original_sha256=media.sha256, status="pending", created_at=utcnow()))
            waiting = True
        elif copy.original_sha256 != media.sha256 or copy.status == "failed":
            copy.status, copy.error, copy.original_sha256 = "pending", None, media.sha256
            waiting = True
        else:
            waiting = waiting or copy.status == "pending"
    return waiting


async def remove_image_copies(session: AsyncSession, store: ObjectStore, media: Media) -> None:
    """The retention sweep deletes a photo: its copies go first (a copy outliving its original would keep the
    picture past its retention)."""
    for copy in (await image_copies_of(session, [media.id])).get(media.id, {}).values():
        if copy.storage_key:
            await store.delete(copy.storage_key)
        copy.status, copy.storage_key = "deleted", None


@dataclass(frozen=True)
class MadeCopy:
    purpose: str
    data: bytes
    width: int
    height: int


def render_copies(original: bytes, purposes: list[str]) -> list[MadeCopy]:
    """The copies as JPEG bytes: upright, RGB (transparency on white), each fitted into its side."""
    from PIL import Image, ImageOps  # at first use: Pillow stays out of a server that sees no photo

    made = []
    with Image.open(io.BytesIO(original)) as picture:
        picture.load()
        upright = ImageOps.exif_transpose(picture)
        if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            upright = flat
        elif upright.mode != "RGB":
            upright = upright.convert("RGB")
        for purpose in purposes:
            scaled = upright.copy()
            scaled.thumbnail((SIDES[purpose], SIDES[purpose]), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            scaled.save(out, "JPEG", quality=QUALITY[purpose], optimize=True, progressive=purpose == VIEWING)
            made.append(MadeCopy(purpose, out.getvalue(), scaled.width, scaled.height))
    return made


async def read_whole(store: ObjectStore, media: Media) -> bytes:
    pieces = [chunk async for chunk in store.read(media.storage_key, 0, media.size)]
    return b"".join(pieces)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def make_image_copies(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, media_id: str) -> str:
    """Render, check the original, store the copies and record them. Safe to run again: ready copies are kept."""
    async with sessionmaker() as session:
        media = await session.get(Media, media_id)
        if media is None or media.status != MediaStatus.ready:
            return "nothing to do"
        pending = [c.purpose for c in (await image_copies_of(session, [media_id])).get(media_id, {}).values() if c.status == "pending"]
    if not pending:
        return "nothing to do"
    original = await read_whole(store, media)
    sha256 = await asyncio.to_thread(_sha256, original)
    if sha256 != media.sha256:
        raise OriginalChanged(f"the original's stored bytes hash to {sha256}, not its SHA-256 {media.sha256}")
    made = await asyncio.to_thread(render_copies, original, sorted(pending, key=PURPOSES.index))
    stored: list[tuple[MadeCopy, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="rs-image-") as scratch:
        for copy in made:
            digest = hashlib.sha256(copy.data).hexdigest()
            path = Path(scratch) / f"{copy.purpose}.jpg"
            path.write_bytes(copy.data)
            key = copy_key(media, copy.purpose, digest)
            await store.put_file(key, path, COPY_CONTENT_TYPE)
            stored.append((copy, key, digest))
    outcome = "made already"
    async with sessionmaker() as session:
        for copy, key, digest in stored:
            done = await session.execute(
                update(ImageCopy)
                .where(ImageCopy.media_id == media_id, ImageCopy.purpose == copy.purpose, ImageCopy.status.in_(("pending", "failed")))
                .values(
                    status="ready",
                    storage_key=key,
                    sha256=digest,
                    size=len(copy.data),
                    content_type=COPY_CONTENT_TYPE,
                    width=copy.width,
                    height=copy.height,
                    error=None,
                    finished_at=utcnow(),
                )
            )
            if rowcount(done):
                outcome = "made"
                await record(
                    session,
                    SYSTEM,
                    "media.image_copy_made",
                    agency=media.agency,
                    media_id=media_id,
                    payload={
                        "purpose": copy.purpose,
                        "original_sha256": media.sha256,
                        "copy_sha256": digest,
                        "copy_size": len(copy.data),
                        "storage_key": key,
                        "width": copy.width,
                        "height": copy.height,
                    },
                )
        # the job's own transaction (no request around it)
        await session.commit()
        recorded = {
            purpose: key
            for purpose, key in (
                await session.execute(select(ImageCopy.purpose, ImageCopy.storage_key).where(ImageCopy.media_id == media_id))
            ).tuples()
        }
    for copy, key, _ in stored:
        if recorded.get(copy.purpose) != key:
            # Another run recorded its copy first, or the retention sweep deleted the photo meanwhile (a copy
            # must not outlive its original): this run's object is nobody's.
            await store.delete(key)
    return outcome


def image_copies_task(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore) -> Task:
    return copy_job(
        IMAGE_COPIES, "image copies", ImageCopy, lambda media_id: make_image_copies(sessionmaker, store, media_id), sessionmaker
    )


async def defer_image_copies(queue: JobQueue, media_id: str) -> None:
    await queue.defer(IMAGE_COPIES, lock=f"image-copies:{media_id}", media_id=media_id)


def defer_pending_image_copies(sessionmaker: async_sessionmaker[AsyncSession], after_seconds: float) -> Work:
    """Photo copies still pending this long after they were planned may have lost their job: queue them again."""
    return catch_up_pending(ImageCopy, defer_image_copies, sessionmaker, after_seconds)
