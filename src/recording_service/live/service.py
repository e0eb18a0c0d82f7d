"""Watching a recording while it arrives (issue 29): its fragments indexed as the bytes come in, an HLS
playlist of them, and one audited grant per view whose signed links the player's requests carry.

The index is a cache of what the bytes say (live/fmp4.py): it is advanced, in a short transaction of its
own, by whichever request finds new bytes (a playlist poll), from where the last complete fragment ended.
Two requests advancing it at once: the second one's compare-and-set finds the position moved and keeps
what the first one wrote. The bytes come from the store: while receiving, `read_received` (never past
the database's offset); once complete, the evidence object itself.
"""

import asyncio
import hashlib
import hmac
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import record
from ..core.db import commit, rowcount, utcnow
from ..core.principals import Principal, Role
from ..core.problems import Problem
from ..ingest.models import Upload, UploadStatus
from ..ingest.service import upload_target
from ..media.delivery import EVIDENCE_HEADERS
from ..media.models import Media
from ..storage import ObjectStore, ReceivedBytesGone, StoreUnavailable
from .fmp4 import Init, NotLive, walk
from .models import LiveFragment, LiveIndex, LiveView

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp4"
# Headers on the playlist and the segments: evidence bytes (see media/delivery.py), never kept by a cache.
# Who watches a recording live, in the API and the pages: whoever plays footage (a dock or a case system only sends
# and files it).
WATCHERS = (Role.admin, Role.auditor, Role.reviewer)
NO_STORE = {**EVIDENCE_HEADERS, "Cache-Control": "private, no-store"}


@dataclass(frozen=True)
class FragmentInfo:
    seq: int
    start: int
    end: int
    seconds: float


@dataclass(frozen=True)
class LiveState:
    upload_id: str
    status: str  # the upload's
    received: int
    media_id: str | None
    init_end: int | None
    fragments: list[FragmentInfo]
    problem_code: str | None
    problem: str | None

    @property
    def receiving(self) -> bool:
        return self.status == UploadStatus.receiving

    @property
    def seconds(self) -> float:
        return sum(f.seconds for f in self.fragments)


Read = Callable[[int, int], Awaitable[bytes]]


async def _source(session: AsyncSession, store: ObjectStore, upload: Upload) -> tuple[int, Read] | None:
    """How many bytes there are to read, and how: the partial upload while receiving, the evidence object once
    complete; None when the bytes are gone (a terminated or expired upload, footage deleted)."""
    if upload.status == UploadStatus.receiving:
        target = upload_target(upload)

        async def received(start: int, end: int) -> bytes:
            return await store.read_received(target, start, min(end, upload.offset))

        return upload.offset, received
    if upload.status == UploadStatus.completed and upload.media_id:
        media = await session.get(Media, upload.media_id)
        if media is None or media.status == "deleted":
            return None
        key = media.storage_key

        async def stored(start: int, end: int) -> bytes:
            return b"".join([chunk async for chunk in store.read(key, start, end)])

        return media.size, stored
    return None


async def _upload(session: AsyncSession, upload_id: str) -> Upload | None:
    return (
        await session.execute(select(Upload).where(Upload.id == upload_id).execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def refresh(maker: async_sessionmaker[AsyncSession], store: ObjectStore, upload_id: str) -> LiveState:
    """Index the fragments that arrived since the last walk (in a transaction of its own) and return the state."""
    async with maker() as session:
        upload = await _upload(session, upload_id)
        if upload is None:
            raise Problem(404, "upload-not-found", f"No upload {upload_id}.")
        status, received, media_id = upload.status, upload.offset, upload.media_id  # the walk may roll back (expiring it)
        await _advance(session, store, upload, await session.get(LiveIndex, upload_id))
        index = (
            await session.execute(select(LiveIndex).where(LiveIndex.upload_id == upload_id).execution_options(populate_existing=True))
        ).scalar_one_or_none()
        rows = (await session.execute(select(LiveFragment).where(LiveFragment.upload_id == upload_id).order_by(LiveFragment.seq))).scalars()
        timescale = (index.timescale if index else None) or 1
        return LiveState(
            upload_id=upload_id,
            status=status,
            received=received,
            media_id=media_id,
            init_end=index.init_end if index else None,
            fragments=[FragmentInfo(f.seq, f.start, f.end, f.duration / timescale) for f in rows],
            problem_code=index.problem_code if index else None,
            problem=index.problem if index else None,
        )


async def refresh_for(session: AsyncSession, maker: async_sessionmaker[AsyncSession], store: ObjectStore, upload_id: str) -> LiveState:
    """`refresh` from a request: what the request's session did so far (a sign-in's or a token's touch) is committed
    first, so the index's own transaction never waits on a lock the request holds (SQLite has one writer)."""
    await commit(session)
    return await refresh(maker, store, upload_id)


async def _advance(session: AsyncSession, store: ObjectStore, upload: Upload, index: LiveIndex | None) -> None:
    if index is not None and index.problem_code is not None:
        return
    source = await _source(session, store, upload)
    position = index.position if index else 0
    if source is None or source[0] <= position:
        return
    received, read = source
    init = None
    if index is not None and index.init_end is not None and index.track_id is not None and index.timescale is not None:
        init = Init(index.init_end, index.track_id, index.timescale, index.default_duration or 0)
    values: dict[str, object] = {}
    fragments: list[LiveFragment] = []
    try:
        walked = await walk(read, received, init, position)
    except NotLive as exc:
        values = {"problem_code": exc.code, "problem": exc.reason}
    except (ReceivedBytesGone, StoreUnavailable):
        return  # the upload ended meanwhile, or the store did not answer: the next poll walks again
    else:
        if walked.init is not None and init is None:
            try:
                init_data = await read(0, walked.init.end)
            except (ReceivedBytesGone, StoreUnavailable):
                return
            values.update(
                init_end=walked.init.end,
                init_data=init_data,
                track_id=walked.init.track_id,
                timescale=walked.init.timescale,
                default_duration=walked.init.default_duration,
            )
        if walked.position != position or values:
            count = index.fragment_count if index else 0
            fragments = [
                LiveFragment(upload_id=upload.id, seq=count + i, start=f.start, end=f.end, decode_time=f.decode_time, duration=f.duration)
                for i, f in enumerate(walked.fragments)
            ]
            values.update(position=walked.position, fragment_count=count + len(fragments))
    if not values:
        return
    try:
        if index is None:
            session.add(LiveIndex(upload_id=upload.id, **{"position": 0, "fragment_count": 0, **values}))
        else:
            moved = await session.execute(
                update(LiveIndex)
                .where(
                    LiveIndex.upload_id == upload.id, LiveIndex.position == index.position, LiveIndex.fragment_count == index.fragment_count
                )
                .values(**values, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if rowcount(moved) != 1:
                await session.rollback()  # another request advanced it first: keep what it wrote
                return
        session.add_all(fragments)
        await session.commit()
    except IntegrityError:
        await session.rollback()


# --- the playlist -----------------------------------------------------------------------------------


def playlist(state: LiveState) -> str:
    """An HLS media playlist (RFC 8216, version 7 for fMP4): the init segment as EXT-X-MAP, one entry per
    complete fragment; EXT-X-ENDLIST once the upload is no longer receiving."""
    if state.problem_code is not None:
        raise Problem(422, "live-not-possible", state.problem or "This recording cannot be shown live.", detail_zh=state.problem)
    if state.init_end is None:
        if not state.receiving:
            raise Problem(422, "live-not-possible", "这段录像没有可实时查看的内容。")
        raise Problem(
            409, "live-not-started", "The recording's first fragment has not arrived yet.", detail_zh="录像的第一段尚未到达，请稍候。"
        )
    target = max([1, *[math.ceil(f.seconds) for f in state.fragments]])
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0"]
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    lines.append('#EXT-X-MAP:URI="init.mp4"')
    for fragment in state.fragments:
        lines += [f"#EXTINF:{fragment.seconds:.3f},", f"{fragment.seq}.m4s"]
    if not state.receiving:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


async def init_segment(session: AsyncSession, upload_id: str) -> bytes:
    index = await session.get(LiveIndex, upload_id)
    if index is None or index.init_data is None:
        raise Problem(404, "live-init-not-found", "The recording's init segment has not arrived yet.")
    return index.init_data


COMPLETION_WAITS = 25  # × COMPLETION_WAIT_SECONDS: how long a fragment read waits for an upload completing to say so
COMPLETION_WAIT_SECONDS = 0.2


async def fragment_bytes(session: AsyncSession, store: ObjectStore, upload_id: str, seq: int) -> bytes:
    """The bytes of one indexed fragment: from the upload while it receives, else from the evidence object."""
    fragment = await session.get(LiveFragment, (upload_id, seq))
    upload = await _upload(session, upload_id)
    if fragment is None or upload is None:
        raise Problem(404, "live-fragment-not-found", f"No fragment {seq} of this recording.")
    for attempt in range(COMPLETION_WAITS + 1):
        source = await _source(session, store, upload)
        if source is None:
            break
        try:
            return await source[1](fragment.start, fragment.end)
        except ReceivedBytesGone:
            # Completed meanwhile: the evidence object holds the bytes. Between the store placing the object and the
            # database saying so (a moment, while the upload completes), neither is readable yet: wait for it.
            if attempt:
                await asyncio.sleep(COMPLETION_WAIT_SECONDS)
            await commit(session)  # a fresh snapshot of the upload (PostgreSQL keeps the transaction's first)
            upload = await _upload(session, upload_id) or upload
        except StoreUnavailable as exc:
            raise Problem(503, "store-unavailable", f"The object store did not answer: {exc}", headers={"Retry-After": "2"}) from exc
    raise Problem(410, "live-fragment-gone", "这一段录像已不可读取。")


# --- who may watch: one grant per view, then signed links -------------------------------------------


@dataclass(frozen=True)
class LiveLink:
    grant_id: str
    upload_id: str
    viewer_id: str
    expires: int  # Unix seconds

    def _message(self) -> bytes:
        return f"live:v1:{self.grant_id}:{self.upload_id}:{self.viewer_id}:{self.expires}".encode()

    def signature(self, key: bytes) -> str:
        return hmac.new(key, self._message(), hashlib.sha256).hexdigest()

    def path(self, key: bytes) -> str:
        """The link's path under a base (the pages' /live/ or the API's /api/v1/live/views/): the playlist's
        entries are relative to it, so every segment request carries the same signature."""
        return f"{self.grant_id}/{self.upload_id}/{self.viewer_id}/{self.expires}/{self.signature(key)}"


def check_link(
    key: bytes, principal: Principal | None, grant_id: str, upload_id: str, viewer_id: str, expires: str, signature: str
) -> None:
    """Refuse (403) a link not signed by us, past its expiry, or presented by anyone but its viewer."""
    try:
        link = LiveLink(grant_id, upload_id, viewer_id, int(expires))
    except ValueError:
        raise Problem(403, "live-link-invalid", "This live link is not valid; open the live view again.") from None
    if not hmac.compare_digest(link.signature(key), signature):
        raise Problem(403, "live-link-invalid", "This live link is not valid; open the live view again.")
    if link.expires <= time.time():
        raise Problem(403, "live-link-expired", "This live link has expired; open the live view again.")
    if principal is None or principal.id != link.viewer_id:
        raise Problem(403, "live-link-not-yours", "This live link was granted to another viewer.")


def visible_upload(upload: Upload | None, principal: Principal, upload_id: str) -> Upload:
    """The upload if the principal's agency sees it; other agencies' ids answer as unknown ones."""
    if upload is None or not principal.sees_agency(upload.agency):
        raise Problem(404, "upload-not-found", f"No upload {upload_id}.")
    return upload


async def upload_of_media(session: AsyncSession, principal: Principal, media_id: str) -> Upload:
    """The upload a media record came from: a recording's record names its upload from the first bytes; older records
    may only be named by the upload that completed them."""
    media = await session.get(Media, media_id)
    if media is None or not principal.sees_agency(media.agency):
        raise Problem(404, "media-not-found", f"No media {media_id}.")
    if media.upload_id is not None:
        return visible_upload(await session.get(Upload, media.upload_id), principal, media.upload_id)
    upload = (
        await session.execute(select(Upload).where(Upload.media_id == media_id).order_by(Upload.created_at.desc()).limit(1))
    ).scalar_one_or_none()
    if upload is None:
        raise Problem(404, "live-no-upload", "这段音像不是经上传接口传入的，没有可实时查看的上传。")
    return visible_upload(upload, principal, upload.id)


@dataclass(frozen=True)
class Grant:
    view: LiveView
    path: str

    @property
    def expires_at(self) -> datetime:
        return self.view.expires_at


async def grant_view(session: AsyncSession, principal: Principal, upload: Upload, lifetime: timedelta, key: bytes, via: str) -> Grant:
    """Record one view (the caller commits) and sign the player's link for it."""
    now = utcnow()
    view = LiveView(
        upload_id=upload.id,
        media_id=upload.media_id,
        viewer_id=principal.id,
        agency=upload.agency,
        granted_at=now,
        expires_at=now + lifetime,
    )
    session.add(view)
    await session.flush()
    await record(
        session,
        principal,
        "media.live_viewed",
        agency=upload.agency,
        media_id=upload.media_id,
        upload_id=upload.id,
        payload={"grant_id": view.id, "expires_at": view.expires_at.isoformat(), "via": via, "received_bytes": upload.offset},
    )
    link = LiveLink(view.id, upload.id, principal.id, int(view.expires_at.timestamp()))
    return Grant(view, link.path(key))
