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

from ..audit.service import record
from ..core.db import utcnow
from ..core.principals import Principal
from ..core.problems import Problem
from .copies import copies_of, needs_playback_copy
from .delivery import StoredBytes
from .models import Media, PlaybackGrant

SOURCES = ("original", "playback_copy")


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


async def grant_play(session: AsyncSession, principal: Principal, media: Media, lifetime: timedelta, key: bytes) -> Play:
    """Record the play (the caller commits) and return the signed link for the player: to the original
    when a browser plays it, else to its playback copy once made."""
    if media.status == "deleted":
        raise Problem(410, "media-deleted", "The retention policy deleted these bytes; the record and its tombstone remain.")
    source, warning = "original", None
    if needs_playback_copy(media):
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
    return Play(grant, link.url(key), source, warning)


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
