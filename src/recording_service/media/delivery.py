"""Serving stored bytes over HTTP: conditional requests, single and multiple ranges, digests.

One implementation for every way bytes leave the service: the API's content endpoint (a token) and
the pages' signed play links (a person's grant), whether the bytes are the original or a playback copy.
"""

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from ..storage import ObjectStore, StoreUnavailable
from .models import Media
from .ranges import ByteRange, parse_range


@dataclass(frozen=True)
class StoredBytes:
    storage_key: str
    sha256: str
    size: int
    content_type: str | None
    filename: str | None

    @classmethod
    def of_media(cls, media: Media) -> "StoredBytes":
        return cls(media.storage_key, media.sha256, media.size, media.content_type, media.filename)


def digest_headers(stored: StoredBytes) -> dict[str, str]:
    digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    disposition = "inline"
    if stored.filename:
        name = stored.filename.replace("\\", "/").rsplit("/", 1)[-1]
        disposition = f"inline; filename*=UTF-8''{quote(name, safe='')}"
    return {
        "ETag": f'"{stored.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-transform",
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
    }


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return header.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in header.split(",")]


def serve_bytes(request: Request, store: ObjectStore, stored: StoredBytes) -> Response:
    headers = digest_headers(stored)
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    size = stored.size
    content_type = stored.content_type or "application/octet-stream"
    if_range = request.headers.get("if-range")
    ranges = parse_range(request.headers.get("range"), size) if not if_range or if_range.strip() == headers["ETag"] else None
    is_head = request.method == "HEAD"

    async def body(pieces: list[tuple[bytes, ByteRange | None]]):
        try:
            for prefix, byte_range in pieces:
                if prefix:
                    yield prefix
                if byte_range is not None and byte_range.length:
                    async for chunk in store.read(stored.storage_key, byte_range.start, byte_range.end):
                        yield chunk
        except StoreUnavailable:
            return  # the status line is already sent; a short body tells the client to retry

    if ranges is None:
        headers["Content-Length"] = str(size)
        return _send(is_head, 200, content_type, headers, body([(b"", ByteRange(0, size))]))
    if len(ranges) == 1:
        (only,) = ranges
        headers.update({"Content-Length": str(only.length), "Content-Range": only.content_range(size)})
        return _send(is_head, 206, content_type, headers, body([(b"", only)]))
    boundary = secrets.token_hex(16)
    pieces: list[tuple[bytes, ByteRange | None]] = []
    for i, byte_range in enumerate(ranges):
        head = f"{'' if i == 0 else chr(13) + chr(10)}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: {byte_range.content_range(size)}\r\n\r\n"
        pieces.append((head.encode(), byte_range))
    pieces.append((f"\r\n--{boundary}--\r\n".encode(), None))
    headers["Content-Length"] = str(sum(len(p) + (r.length if r else 0) for p, r in pieces))
    return _send(is_head, 206, f"multipart/byteranges; boundary={boundary}", headers, body(pieces))


def _send(is_head: bool, status: int, media_type: str, headers: dict[str, str], stream) -> Response:
    if is_head:
        return Response(status_code=status, headers=headers, media_type=media_type)
    return StreamingResponse(stream, status_code=status, headers=headers, media_type=media_type)
