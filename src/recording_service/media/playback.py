"""Playing footage in the pages: one audited grant per play, then short-lived signed links.

A browser's video element asks for many ranges while a person watches and seeks. Writing an audit
event per range would bury the trail; serving bytes on a bare id would not be custody. A play is
therefore one grant (who, which footage, when, until when — an audit event), and the player gets a
link signed for that grant, that footage and that person. The link is checked without the database's
grant row: the signature, its expiry, and that the browser presenting it is signed in as the person
it names. Another person, or the same link after its expiry, gets 403.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import Entry, record, record_many
from ..core.db import utcnow
from ..core.principals import Principal
from ..core.problems import Problem
from .copies import copies_of, needs_playback_copy
from .delivery import StoredBytes, not_stored
from .image_copies import THUMBNAIL, VIEWING, image_copies_of, shown_as_is
from .models import Media, PlaybackGrant
from .stills import IMAGE

# Which bytes a link serves: the original, its playback copy (footage), a photo's viewing copy or its thumbnail.
SOURCES = ("original", "playback_copy", "viewing_copy", "thumbnail")
IMAGE_SOURCES = {"viewing_copy": VIEWING, "thumbnail": THUMBNAIL}


@dataclass(frozen=True)
class PlayLink:
    grant_id: str
    media_id: str
    user_id: str
    expires: int  # Unix seconds
    source: str  # which bytes the link serves: the original or its playback copy

    def _message(self) -> bytes:
        return f"play:v1:{self.grant_id}:{self.media_id}:{self.user_id}:{self.expires}:{self.source}".encode()

    def signature(self, key: bytes) -> str:
        return hmac.new(key, self._message(), hashlib.sha256).hexdigest()

    def url(self, key: bytes) -> str:
        return f"/play/{self.grant_id}/{self.media_id}?u={self.user_id}&exp={self.expires}&src={self.source}&sig={self.signature(key)}"


@dataclass(frozen=True)
class Play:
    grant: PlaybackGrant
    url: str
    source: str
    warning: str | None = None
    kind: str | None = None  # what the player shows: video or audio (the video element), image, document


async def grant_play(session: AsyncSession, principal: Principal, media: Media, lifetime: timedelta, key: bytes) -> Play:
    """Record the play (the caller commits) and return the signed link for the player: to the original
    when a browser plays it, else to its playback copy once made."""
    if media.status == "deleted":
        raise Problem(410, "media-deleted", "The retention policy deleted these bytes; the record and its tombstone remain.")
    if media.sha256 is None:  # still being recorded, or merged (issue 29): no grant, no audited play of bytes not stored
        raise not_stored(media)
    source, warning = "original", None
    if media.kind == IMAGE:
        source, warning = await _picture_source(session, media)
    elif needs_playback_copy(media):
        copy = (await copies_of(session, [media.id])).get(media.id)
        if copy is not None and copy.status == "ready":
            source = "playback_copy"
        elif copy is not None and copy.status == "failed":
            warning = f"播放副本未能生成（{copy.error or '原因不明'}），将尝试直接播放原件，浏览器可能无法解码。"
        else:
            raise Problem(
                409, "playback-copy-pending", "这段音像的编码浏览器无法直接播放，可播放的副本正在生成，请稍后再试（原件不受影响）。"
            )
    now = utcnow()
    grant = PlaybackGrant(
        media_id=media.id, user_id=principal.id, agency=media.agency, source=source, granted_at=now, expires_at=now + lifetime
    )
    session.add(grant)
    await session.flush()
    await record(
        session,
        principal,
        "media.playback.granted",
        agency=media.agency,
        media_id=media.id,
        payload={"grant_id": grant.id, "source": source, "expires_at": grant.expires_at.isoformat()},
    )
    link = PlayLink(grant.id, media.id, principal.id, int(grant.expires_at.timestamp()), source)
    return Play(grant, link.url(key), source, warning, media.kind)


async def _picture_source(session: AsyncSession, media: Media) -> tuple[str, str | None]:
    """A photo is viewed through its viewing copy once made (a large photo, a format browsers do not show), else as
    it is; a photo only its copy can show waits for the copy."""
    viewing = (await image_copies_of(session, [media.id])).get(media.id, {}).get(VIEWING)
    if viewing is not None and viewing.status == "ready":
        return "viewing_copy", None
    if shown_as_is(media):
        return "original", None
    if viewing is not None and viewing.status == "failed":
        return "original", f"查看副本未能生成（{viewing.error or '原因不明'}），浏览器可能无法显示原件。"
    if viewing is None and media.status != "ready":
        return "original", None  # a picture that was not described: offered as it is (a download)
    raise Problem(409, "image-copy-pending", "这张照片的格式浏览器无法直接显示，查看副本正在生成，请稍后再试（原件不受影响）。")


async def grant_thumbnails(
    session: AsyncSession, principal: Principal, photos: list[tuple[str, str]], lifetime: timedelta, key: bytes, via: str = "page"
) -> dict[str, str]:
    """Signed links to the thumbnails of the photos a page lists, `photos` as (media id, agency) the person may see;
    those whose thumbnail is made get one grant and one audit event each, as a play does. Returns media id → link."""
    made = await image_copies_of(session, [media_id for media_id, _ in photos])
    shown = [(media_id, agency) for media_id, agency in photos if (c := made.get(media_id, {}).get(THUMBNAIL)) and c.status == "ready"]
    if not shown:
        return {}
    now = utcnow()
    grants = [
        PlaybackGrant(media_id=media_id, user_id=principal.id, agency=agency, source="thumbnail", granted_at=now, expires_at=now + lifetime)
        for media_id, agency in shown
    ]
    session.add_all(grants)
    await session.flush()
    await record_many(
        session,
        principal,
        [
            Entry(
                "media.thumbnail.granted",
                agency=grant.agency,
                media_id=grant.media_id,
                payload={"grant_id": grant.id, "source": "thumbnail", "expires_at": grant.expires_at.isoformat(), "via": via},
            )
            for grant in grants
        ],
    )
    return {
        grant.media_id: PlayLink(grant.id, grant.media_id, principal.id, int(grant.expires_at.timestamp()), "thumbnail").url(key)
        for grant in grants
    }


def check_link(
    key: bytes, principal: Principal | None, grant_id: str, media_id: str, user_id: str, expires: str, source: str, signature: str
) -> None:
    """Refuse (403) a link not signed by us, past its expiry, or presented by anyone but its person."""
    try:
        link = PlayLink(grant_id, media_id, user_id, int(expires), source)
    except ValueError:
        raise Problem(403, "play-link-invalid", "This play link is not valid; open the footage again.") from None
    if not hmac.compare_digest(link.signature(key), signature):
        raise Problem(403, "play-link-invalid", "This play link is not valid; open the footage again.")
    if link.expires <= time.time():
        raise Problem(403, "play-link-expired", "This play link has expired; press play again.")
    if principal is None or principal.kind != "user" or principal.id != link.user_id:
        raise Problem(403, "play-link-not-yours", "This play link was granted to another person.")


async def played_bytes(session: AsyncSession, media_id: str, source: str) -> StoredBytes:
    """What a checked link serves: the original's bytes, or its playback copy's (with the copy's own digest)."""
    media = await session.get(Media, media_id)
    if media is None or media.status == "deleted":
        raise Problem(410, "media-gone", "这段音像已不可用。")
    if source in IMAGE_SOURCES:
        picture = (await image_copies_of(session, [media_id])).get(media_id, {}).get(IMAGE_SOURCES[source])
        if picture is None or picture.status != "ready" or picture.storage_key is None or picture.sha256 is None or picture.size is None:
            raise Problem(410, "image-copy-gone", "照片的缩略图或查看副本已不可用，请刷新页面。")
        return StoredBytes(picture.storage_key, picture.sha256, picture.size, picture.content_type, _picture_name(media, picture.purpose))
    if source != "playback_copy":
        return StoredBytes.of_media(media)
    copy = (await copies_of(session, [media_id])).get(media_id)
    if copy is None or copy.status != "ready" or copy.storage_key is None or copy.sha256 is None or copy.size is None:
        raise Problem(410, "playback-copy-gone", "播放副本已不可用，请重新点击播放。")
    return StoredBytes(copy.storage_key, copy.sha256, copy.size, copy.content_type, _copy_name(media))


def _copy_name(media: Media) -> str | None:
    if not media.filename:
        return None
    stem = media.filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"{stem}.playback.mp4"


def _picture_name(media: Media, purpose: str) -> str | None:
    if not media.filename:
        return None
    stem = media.filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"{stem}.{purpose}.jpg"
