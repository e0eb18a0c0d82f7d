"""Serving stored bytes over HTTP: conditional requests, single and multiple ranges, digests.

One implementation for every way bytes leave the service: the API's content endpoint (a token) and
the pages' signed play links (a person's grant), whether the bytes are the original or a playback copy.

Evidence is whatever a dock uploaded, so it is never trusted to be what it says: it is served as the
media type the probe found (a video, audio or picture container from a fixed table), shown inline
only then, and as an `application/octet-stream` attachment otherwise (an HTML page or an SVG with
script stays a download, never a page of the service's origin). Every response with evidence bytes
also carries `nosniff` and a sandboxing CSP (EVIDENCE_HEADERS), which still lets a browser play a
video opened on its own.
"""

import base64
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from ..core.problems import Problem
from ..storage import ObjectStore, StoreUnavailable
from .models import Media, MediaStatus
from .ranges import ByteRange, parse_range

# Headers on every response carrying evidence bytes (footage, playback copies, case files): no
# sniffing, and a sandbox without script or any other origin, should a browser ever render one.
# `allow-same-origin` without `allow-scripts` grants nothing to run, but Chromium's own media document
# (a video opened in a tab) does not load its video in an opaque origin: without it, nothing plays.
EVIDENCE_CSP = "sandbox allow-same-origin; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
EVIDENCE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": EVIDENCE_CSP}

# ffprobe's container name → the media types served for it, for footage with a picture ("video": a
# still image counts), for sound alone ("audio") and for a document ("document": a PDF the probe read). The first is the default; another of the same
# row is kept when the uploader declared it. Nothing outside this table is ever served inline.
CONTAINER_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "mov,mp4,m4a,3gp,3g2,mj2": {"video": ("video/mp4", "video/quicktime", "video/3gpp"), "audio": ("audio/mp4", "audio/3gpp")},
    "matroska,webm": {"video": ("video/webm", "video/x-matroska"), "audio": ("audio/webm",)},
    "mpegts": {"video": ("video/mp2t",), "audio": ("video/mp2t",)},
    "avi": {"video": ("video/x-msvideo",), "audio": ("video/x-msvideo",)},
    "ogg": {"video": ("video/ogg",), "audio": ("audio/ogg",)},
    "wav": {"audio": ("audio/wav", "audio/x-wav", "audio/wave")},
    "mp3": {"audio": ("audio/mpeg",)},
    "aac": {"audio": ("audio/aac",)},
    "flac": {"audio": ("audio/flac",)},
    "amr": {"audio": ("audio/amr",)},
    "png_pipe": {"video": ("image/png",)},
    "jpeg_pipe": {"video": ("image/jpeg",)},
    "gif": {"video": ("image/gif",)},
    "webp_pipe": {"video": ("image/webp",)},
    "avif": {"video": ("image/avif",)},
    # A PDF whose header and end the probe found (a scanned document): Chromium's PDF viewer shows it inline,
    # under the same sandbox (the viewer is the browser's own, no script of the document runs in our origin).
    "pdf": {"document": ("application/pdf",)},
}
INLINE_TYPES = frozenset(t for kinds in CONTAINER_TYPES.values() for types in kinds.values() for t in types)
DOWNLOAD_TYPE = "application/octet-stream"


def served_type(media: Media) -> str | None:
    """The media type the service serves these bytes as, from what the probe found (never from the
    upload's declaration alone); None when the probe found nothing from the table (a download)."""
    kinds = CONTAINER_TYPES.get(media.container or "")
    if kinds is None:
        return None
    kind = "document" if media.kind == "document" else "audio" if media.audio and not media.video else "video"
    types = kinds.get(kind)
    if not types:
        return None
    declared = (media.content_type or "").split(";")[0].strip().lower()
    return declared if declared in types else types[0]


def not_stored(media: Media) -> Problem:
    """Footage whose record has no stored object of its own: still being recorded, or merged into other media."""
    if media.status == MediaStatus.merged:
        return Problem(
            409,
            "media-merged",
            f"This recording's bytes were already stored as media {media.merged_into}; read that media instead.",
            merged_into=media.merged_into,
        )
    return Problem(
        409,
        "media-recording",
        "This footage is still being recorded: its bytes are not stored as evidence yet (no SHA-256). "
        "It can be read once the recording ends.",
    )


@dataclass(frozen=True)
class StoredBytes:
    storage_key: str
    sha256: str
    size: int
    content_type: str | None  # as served: from INLINE_TYPES, or None for a download
    filename: str | None

    @classmethod
    def of_media(cls, media: Media) -> "StoredBytes":
        if media.sha256 is None:  # no object of its own (issue 29): every path that serves an original stops here
            raise not_stored(media)
        return cls(media.storage_key, media.sha256, media.size, served_type(media), media.filename)

    @property
    def inline(self) -> bool:
        return self.content_type in INLINE_TYPES

    @property
    def media_type(self) -> str:
        return self.content_type if self.content_type in INLINE_TYPES else DOWNLOAD_TYPE  # self.inline, narrowed


def digest_headers(stored: StoredBytes) -> dict[str, str]:
    digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    disposition = "inline" if stored.inline else "attachment"
    if stored.filename:
        name = stored.filename.replace("\\", "/").rsplit("/", 1)[-1]
        disposition = f"{disposition}; filename*=UTF-8''{quote(name, safe='')}"
    return {
        "ETag": f'"{stored.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-transform",
        "Content-Disposition": disposition,
        **EVIDENCE_HEADERS,
    }


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return header.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in header.split(",")]


async def serve_bytes(request: Request, store: ObjectStore, stored: StoredBytes) -> Response:
    headers = digest_headers(stored)
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    size = stored.size
    content_type = stored.media_type
    if_range = request.headers.get("if-range")
    ranges = parse_range(request.headers.get("range"), size) if not if_range or if_range.strip() == headers["ETag"] else None
    is_head = request.method == "HEAD"

    async def body(pieces: list[tuple[bytes, ByteRange | None]]) -> AsyncIterator[bytes]:
        sent = False
        try:
            for prefix, byte_range in pieces:
                if prefix:
                    yield prefix
                    sent = True
                if byte_range is not None and byte_range.length:
                    async for chunk in store.read(stored.storage_key, byte_range.start, byte_range.end):
                        yield chunk
                        sent = True
        except StoreUnavailable:
            if not sent:
                raise  # read before the status line (see _send): answered 503
            return  # the status line is already sent; a short body tells the client to retry

    if ranges is None:
        headers["Content-Length"] = str(size)
        return await _send(is_head, 200, content_type, headers, body([(b"", ByteRange(0, size))]))
    if len(ranges) == 1:
        (only,) = ranges
        headers.update({"Content-Length": str(only.length), "Content-Range": only.content_range(size)})
        return await _send(is_head, 206, content_type, headers, body([(b"", only)]))
    boundary = secrets.token_hex(16)
    pieces: list[tuple[bytes, ByteRange | None]] = []
    for i, byte_range in enumerate(ranges):
        head = f"{'' if i == 0 else chr(13) + chr(10)}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: {byte_range.content_range(size)}\r\n\r\n"
        pieces.append((head.encode(), byte_range))
    pieces.append((f"\r\n--{boundary}--\r\n".encode(), None))
    headers["Content-Length"] = str(sum(len(p) + (r.length if r else 0) for p, r in pieces))
    return await _send(is_head, 206, f"multipart/byteranges; boundary={boundary}", headers, body(pieces))


async def _send(is_head: bool, status: int, media_type: str, headers: dict[str, str], stream: AsyncIterator[bytes]) -> Response:
    if is_head:
        return Response(status_code=status, headers=headers, media_type=media_type)
    # The first piece is read before the status line goes out: a store that cannot be reached is then a 503 problem
    # with Retry-After, not a 200 whose body breaks off.
    first = await anext(stream, b"")

    async def started() -> AsyncIterator[bytes]:
        yield first
        async for chunk in stream:
            yield chunk

    return StreamingResponse(started(), status_code=status, headers=headers, media_type=media_type)
