import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Row, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import Actor, record
from ..core.config import Settings
from ..core.principals import Principal, Role, scoped_to_agency
from ..core.problems import Problem
from ..core.values import sane_time
from ..devices.service import holder_at
from ..storage import ObjectStore
from .copies import plan_playback_copy
from .image_copies import plan_image_copies
from .models import ABANDONED, FLAG_STRENGTH, Media, MediaSighting, MediaStatus
from .probe import ProbeResult, probe, recording_window, scrub_locations, store_root
from .stills import CONTAINERS, DOCUMENT, IMAGE, MAX_IMAGE_BYTES, MAX_PDF_SCAN_BYTES, read_image, read_pdf, sniff, sniffed_image_format

# device_id, dock_id, officer_ids, duration_s, size, recorded_ended_at, uploaded_at
FootageRow = Row[str | None, str | None, list[str], float | None, int, datetime | None, datetime]


@dataclass(frozen=True)
class Described:
    """What a description planned in its transaction, for the caller to queue once it commits."""

    playback_copy: bool = False
    image_copies: bool = False


async def _first_bytes(store: ObjectStore, media: Media, count: int, *, from_end: bool = False) -> bytes:
    start = max(0, media.size - count) if from_end else 0
    end = media.size if from_end else min(media.size, count)
    return b"".join([chunk async for chunk in store.read(media.storage_key, start, end)])


async def probe_stored(store: ObjectStore, settings: Settings, media: Media) -> tuple[ProbeResult, str | None]:
    """Read what the stored object is: a photo (Pillow reads it whole), a PDF (its header and end), else
    ffprobe (which reads only what it needs). Returns the result and the location ffprobe was given, if any."""
    head = await _first_bytes(store, media, 64) if media.size else b""
    sniffed = sniff(head)
    if sniffed == IMAGE:
        if media.size > MAX_IMAGE_BYTES:
            fmt = sniffed_image_format(head)
            return ProbeResult(
                ok=False,
                error=f"picture larger than {MAX_IMAGE_BYTES} bytes: kept, not described",
                kind=IMAGE,
                container=CONTAINERS.get(fmt or ""),
                image={"format": fmt} if fmt else None,
            ), None
        data = await _first_bytes(store, media, media.size)
        return await asyncio.to_thread(read_image, data, settings.tz, sniffed_image_format(head)), None
    if sniffed == DOCUMENT:
        whole = await _first_bytes(store, media, media.size) if media.size <= MAX_PDF_SCAN_BYTES else None
        tail = whole[-2048:] if whole is not None else await _first_bytes(store, media, 2048, from_end=True)
        return await asyncio.to_thread(read_pdf, head, tail, whole), None
    location = await store.probe_location(media.storage_key)
    return await probe(location, settings.ffprobe_path, settings.probe_timeout_seconds, settings.tz), location


async def describe_media(session: AsyncSession, store: ObjectStore, settings: Settings, media: Media, who: Actor | Principal) -> Described:
    """Probe the stored object and record what it says. Says which derived copies were planned in the same
    transaction (a playback copy of footage browsers cannot play, a photo's thumbnail and viewing copy)."""
    result, location = await probe_stored(store, settings, media)
    media.status = MediaStatus.ready if result.ok else MediaStatus.probe_failed
    if media.recording_outcome == ABANDONED:
        # The kept bytes of an abandoned recording stay marked as not the whole recording (probe_error says what ffprobe found).
        media.status = MediaStatus.incomplete
    media.probe_error = scrub_locations(result.error, media.id, location, store_root(settings))
    media.container, media.duration_s, media.video, media.audio = result.container, result.duration_s, result.video, result.audio
    media.kind, media.image, media.document = result.kind, result.image, result.document
    declared = media.recorded_started_at if media.recorded_at_source == "metadata" else None
    start, end, source = recording_window(declared, result, media.filename, settings.tz)
    media.recorded_started_at, media.recorded_ended_at, media.recorded_at_source = start, end, source
    await infer_officer(session, media, who)
    copy = await plan_playback_copy(session, media)
    pictures = await plan_image_copies(session, media)
    await record(
        session,
        who,
        "media.described",
        agency=media.agency,
        media_id=media.id,
        payload={
            "status": media.status,
            "probe_error": media.probe_error,
            "recorded_at_source": source,
            **({"kind": media.kind} if media.kind else {}),
            **({"playback_copy": "planned"} if copy is not None else {}),
            **({"image_copies": "planned"} if pictures else {}),
        },
    )
    await session.flush()
    return Described(playback_copy=copy is not None, image_copies=pictures)


async def infer_officer(session: AsyncSession, media: Media, who: Actor | Principal) -> bool:
    """Footage that names no officer gets the officer who held its device when it was recorded, by the device register's
    checkouts (devices.service.holder_at), marked `officer_source` "register" and audited. Runs once the recording time
    is known (the probe's description); True when an officer was filled in."""
    if media.officer_ids or not media.device_id or media.recorded_started_at is None:
        return False
    holder = await holder_at(session, media.agency, media.device_id, media.recorded_started_at)
    if holder is None:
        return False
    media.officer_ids = [holder.officer_id]
    media.officer_index = officer_index(media.officer_ids)
    media.officer_source = "register"
    await record(
        session,
        who,
        "media.officer_inferred",
        agency=media.agency,
        media_id=media.id,
        payload={
            "officer_id": holder.officer_id,
            "serial": media.device_id,
            "checkout_id": holder.checkout_id,
            "recorded_started_at": media.recorded_started_at.isoformat(),
        },
    )
    return True


class SightingMetadata(Protocol):
    """What a receipt says of the bytes, as merge_sighting reads it (ingest.metadata.UploadMetadata)."""

    @property
    def flag(self) -> StrEnum | None: ...
    @property
    def officer_ids(self) -> list[str]: ...
    @property
    def case_number(self) -> str | None: ...
    @property
    def device_id(self) -> str | None: ...
    @property
    def dock_id(self) -> str | None: ...
    @property
    def unit_code(self) -> str | None: ...


def officer_index(officer_ids: list[str]) -> str | None:
    # ",A123,B456," so one LIKE finds an officer on any database.
    return "," + ",".join(officer_ids) + "," if officer_ids else None


def merge_sighting(media: Media, meta: SightingMetadata) -> dict[str, Any]:
    """What a later receipt of the same bytes says beyond the record: a stronger flag, more officers,
    a case number or device where none was known. Returns the additions (for the audit event)."""
    added: dict[str, Any] = {}
    flag = meta.flag.value if meta.flag else None
    if flag and FLAG_STRENGTH.get(flag, -1) > FLAG_STRENGTH.get(media.flag or "", -1):
        added["flag"] = {"from": media.flag, "to": flag}
        media.flag = flag
    if meta.officer_ids and media.officer_source == "register":
        # Officers inferred from the device register give way to those the upload names.
        added["officer_ids"] = list(meta.officer_ids)
        added["replaced_inferred"] = list(media.officer_ids or [])
        media.officer_ids = list(meta.officer_ids)
        media.officer_index = officer_index(media.officer_ids)
        media.officer_source = "declared"
    new_officers = [officer for officer in meta.officer_ids if officer not in (media.officer_ids or [])]
    if new_officers:
        added["officer_ids"] = new_officers
        media.officer_ids = [*(media.officer_ids or []), *new_officers]
        media.officer_index = officer_index(media.officer_ids)
        media.officer_source = "declared"
    for name in ("case_number", "device_id", "dock_id", "unit_code"):
        value = getattr(meta, name)
        if value and not getattr(media, name):
            added[name] = value
            setattr(media, name, value)
    return added


async def object_owner(session: AsyncSession, agency: str, sha256: str | None, storage_key: str) -> str | None:
    """The media whose bytes are (or were, before a repair) the object at this key, if any. Only the
    media with the object's own SHA-256 can own it, which makes this one indexed lookup."""
    if not sha256:
        return None  # an object that never got its hash recorded was never placed for a media record
    media = (await session.execute(select(Media).where(Media.agency == agency, Media.sha256 == sha256))).scalar_one_or_none()
    if media is None:
        return None
    keys = {media.storage_key, *(item["storage_key"] for item in media.superseded_objects or [])}
    return media.id if storage_key in keys else None


def footage_filters(
    query: Select[Media],
    *,
    device_id: str | None = None,
    officer_id: str | None = None,
    recorded_from: datetime | None = None,
    recorded_to: datetime | None = None,
) -> Select[Media]:
    """The footage list's filters by camera, officer and recording time (GET /api/v1/media and the lists made from it, such
    as footage bound to no case): times need a UTC offset and a year between 1970 and 2200."""
    for name, value in (("recorded_from", recorded_from), ("recorded_to", recorded_to)):
        if value is not None and value.tzinfo is None:
            raise Problem(400, "invalid-query", f"{name} needs a UTC offset, e.g. 2026-11-24T09:00:00+08:00.", field=name)
        if value is not None and not sane_time(value):
            raise Problem(400, "invalid-query", f"{name} must lie between 1970 and 2200.", field=name)
    if device_id:
        query = query.where(Media.device_id == device_id)
    if officer_id:
        query = query.where(Media.officer_index.contains(f",{officer_id},", autoescape=True))
    if recorded_from is not None:
        query = query.where(and_(Media.recorded_started_at.is_not(None), Media.recorded_ended_at >= recorded_from))
    if recorded_to is not None:
        query = query.where(Media.recorded_started_at <= recorded_to)
    return query


def visible_media(principal: Principal) -> Select[Media]:
    query = scoped_to_agency(select(Media), Media.agency, principal)
    if principal.role is Role.dock:
        query = query.where(Media.id.in_(select(MediaSighting.media_id).where(MediaSighting.token_id == principal.id)))
    return query


async def get_media(session: AsyncSession, principal: Principal, media_id: str) -> Media:
    media = (await session.execute(visible_media(principal).where(Media.id == media_id))).scalar_one_or_none()
    if media is None:
        raise Problem(404, "media-not-found", f"No media {media_id}.")
    return media


async def sightings_of(session: AsyncSession, media_id: str, limit: int = 200) -> list[MediaSighting]:
    return list(
        (
            await session.execute(
                select(MediaSighting)
                .where(MediaSighting.media_id == media_id)
                .order_by(MediaSighting.received_at, MediaSighting.id)
                .limit(limit)
            )
        ).scalars()
    )


async def sighting_counts(session: AsyncSession, media_ids: list[str]) -> dict[str, int]:
    if not media_ids:
        return {}
    rows = await session.execute(
        select(MediaSighting.media_id, func.count()).where(MediaSighting.media_id.in_(media_ids)).group_by(MediaSighting.media_id)
    )
    return dict(rows.all())


def footage_day(recorded_started_at: datetime | None, uploaded_at: datetime, tz: tzinfo) -> date:
    """The day footage counts on: the day it was recorded, or (without a recording time) the day it arrived."""
    return (recorded_started_at or uploaded_at).astimezone(tz).date()


async def footage_days_of(session: AsyncSession, media_ids: list[str], tz: tzinfo) -> list[tuple[str, str, date]]:
    rows = (
        await session.execute(select(Media.id, Media.agency, Media.recorded_started_at, Media.uploaded_at).where(Media.id.in_(media_ids)))
    ).all()
    return [(media_id, agency, footage_day(started, uploaded, tz)) for media_id, agency, started, uploaded in rows]


async def footage_of_day(session: AsyncSession, agency: str, day: date, tz: tzinfo) -> list[FootageRow]:
    """The agency's footage counted on `day`: (device_id, dock_id, officer_ids, duration_s, size, recorded_ended_at, uploaded_at)."""
    start = datetime.combine(day, time.min, tz)
    end = start + timedelta(days=1)
    columns = (Media.device_id, Media.dock_id, Media.officer_ids, Media.duration_s, Media.size, Media.recorded_ended_at, Media.uploaded_at)
    recorded = select(*columns).where(Media.agency == agency, Media.recorded_started_at >= start, Media.recorded_started_at < end)
    arrived = select(*columns).where(
        Media.agency == agency, Media.recorded_started_at.is_(None), Media.uploaded_at >= start, Media.uploaded_at < end
    )
    return [*(await session.execute(recorded)).all(), *(await session.execute(arrived)).all()]


async def uploads_of(session: AsyncSession, media_ids: list[str]) -> list[tuple[str, str, datetime]]:
    """(id, agency, uploaded_at) of these footage items: what the statistics count uploads by."""
    if not media_ids:
        return []
    rows = await session.execute(select(Media.id, Media.agency, Media.uploaded_at).where(Media.id.in_(media_ids)))
    return [(media_id, agency, uploaded_at) for media_id, agency, uploaded_at in rows]


async def media_ids_not_in(session: AsyncSession, known: Select[tuple[str]], limit: int) -> list[str]:
    """Up to `limit` footage ids that `known` (a query of ids another package keeps figures for) does not hold."""
    return list((await session.execute(select(Media.id).where(Media.id.not_in(known)).order_by(Media.id).limit(limit))).scalars())


async def media_ids_after(session: AsyncSession, after: str, limit: int) -> list[str]:
    """Every footage id in order, a batch at a time (a full recomputation of derived figures)."""
    return list((await session.execute(select(Media.id).where(Media.id > after).order_by(Media.id).limit(limit))).scalars())


async def media_of_agency(session: AsyncSession, agency: str, media_ids: list[str]) -> dict[str, Media]:
    """issue 27 (sharing outside the agency): the agency's media records among `media_ids`, by id — for a share, which
    has no principal of its own; the caller decides which ids it may name."""
    if not media_ids:
        return {}
    rows = (await session.execute(select(Media).where(Media.agency == agency, Media.id.in_(media_ids)))).scalars()
    return {media.id: media for media in rows}
