import base64
import secrets
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import and_, select

from ..audit.service import record
from ..auth.deps import Reader
from ..cases.models import MediaBinding
from ..db import DbSession
from ..deps import SettingsDep, StoreDep
from ..pagination import MAX_LIMIT, keyset, page_of
from ..problems import Problem
from ..values import sane_time
from ..storage import StoreUnavailable
from .models import Media
from .ranges import ByteRange, parse_range
from .schemas import MediaOut, MediaPage
from .service import get_media, media_out, sighting_counts, visible_media

router = APIRouter(prefix="/api/v1/media", tags=["media"])


@router.get("", response_model=MediaPage, summary="List media")
async def list_media(
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    sha256: str | None = None,
    device_id: str | None = None,
    officer_id: str | None = None,
    recorded_from: Annotated[datetime | None, Query(description="recordings that end at or after this time")] = None,
    recorded_to: Annotated[datetime | None, Query(description="recordings that start at or before this time")] = None,
    case_number: str | None = None,
    case_id: Annotated[str | None, Query(description="footage currently bound to this case")] = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> MediaPage:
    for name, value in (("recorded_from", recorded_from), ("recorded_to", recorded_to)):
        if value is not None and value.tzinfo is None:
            raise Problem(400, "invalid-query", f"{name} needs a UTC offset, e.g. 2026-11-24T09:00:00+08:00.")
        if value is not None and not sane_time(value):
            raise Problem(400, "invalid-query", f"{name} must lie between 1970 and 2200.")
    query = visible_media(principal)
    if sha256:
        query = query.where(Media.sha256 == sha256.lower())
    if device_id:
        query = query.where(Media.device_id == device_id)
    if officer_id:
        query = query.where(Media.officer_index.contains(f",{officer_id},", autoescape=True))
    if case_number:
        query = query.where(Media.case_number == case_number)
    if case_id:
        bound = select(MediaBinding.media_id).where(MediaBinding.case_id == case_id, MediaBinding.unbound_at.is_(None))
        query = query.where(Media.id.in_(bound))
    if status:
        query = query.where(Media.status == status)
    if recorded_from is not None:
        query = query.where(and_(Media.recorded_started_at.is_not(None), Media.recorded_ended_at >= recorded_from))
    if recorded_to is not None:
        query = query.where(Media.recorded_started_at <= recorded_to)
    rows = (await session.execute(keyset(query, [Media.uploaded_at, Media.id], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["uploaded_at", "id"], limit)
    counts = await sighting_counts(session, [m.id for m in rows])
    return MediaPage(items=[media_out(m, settings, counts.get(m.id, 1)) for m in rows], next_cursor=next_cursor)


@router.get("/{media_id}", response_model=MediaOut, summary="One media record")
async def read_media(media_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> MediaOut:
    media = await get_media(session, principal, media_id)
    counts = await sighting_counts(session, [media.id])
    return media_out(media, settings, counts.get(media.id, 1))


def _digest_headers(media: Media) -> dict[str, str]:
    digest = base64.b64encode(bytes.fromhex(media.sha256)).decode()
    disposition = "inline"
    if media.filename:
        name = media.filename.replace("\\", "/").rsplit("/", 1)[-1]
        disposition = f"inline; filename*=UTF-8''{quote(name, safe='')}"
    return {
        "ETag": f'"{media.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-transform",
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
    }


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return header.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in header.split(",")]


_CONTENT_RESPONSES = {
    # Served with the media's own Content-Type (video/mp4, audio/wav, image/jpeg …), octet-stream when unknown.
    200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}, "description": "The whole object"},
    206: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
          "description": "Partial content (one range, or multipart/byteranges)"},
    304: {"description": "Not modified (If-None-Match)"},
    307: {"description": "Redirect to a short-lived presigned URL (S3, when configured)"},
    416: {"description": "Range not satisfiable"},
}


@router.head("/{media_id}/content", operation_id="head_media_content", summary="Headers of the stored bytes", responses=_CONTENT_RESPONSES)
@router.get(
    "/{media_id}/content",
    operation_id="get_media_content",
    summary="The stored bytes (Range, ETag = quoted sha256, Repr-Digest)",
    responses=_CONTENT_RESPONSES,
)
async def content(media_id: str, request: Request, principal: Reader, session: DbSession, settings: SettingsDep, store: StoreDep) -> Response:
    media = await get_media(session, principal, media_id)
    if media.status == "deleted":
        raise Problem(410, "media-deleted", "The retention policy deleted these bytes; the record and its tombstone remain.")
    if request.method == "GET":  # every read of evidence bytes is part of the chain of custody
        await record(session, principal, "media.content.read", agency=media.agency, media_id=media.id,
                     payload={"range": request.headers.get("range"), "redirect": settings.s3_presigned_redirect})
    await session.commit()
    headers = _digest_headers(media)
    if _etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    if settings.s3_presigned_redirect:
        url = await store.presigned_url(media.storage_key, media.filename)
        if url:
            return RedirectResponse(url, status_code=307, headers={"ETag": headers["ETag"], "Repr-Digest": headers["Repr-Digest"]})
    size = media.size
    content_type = media.content_type or "application/octet-stream"
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    ranges = parse_range(range_header, size) if not if_range or if_range.strip() == headers["ETag"] else None
    is_head = request.method == "HEAD"

    async def body(pieces: list[tuple[bytes, ByteRange | None]]):
        try:
            for prefix, byte_range in pieces:
                if prefix:
                    yield prefix
                if byte_range is not None and byte_range.length:
                    async for chunk in store.read(media.storage_key, byte_range.start, byte_range.end):
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
