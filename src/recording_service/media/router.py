from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from ..audit.service import record
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import Principal, Reader, Role, require_roles
from ..core.problems import Problem
from ..core.values import sane_time
from .copies import copies_of
from .delivery import StoredBytes, digest_headers, serve_bytes
from .delivery import etag_matches as _etag_matches
from .image_copies import PURPOSES, image_copies_of
from .lag import GROUPINGS, upload_lag_report
from .models import Media
from .schemas import ImageCopyOut, MediaOut, MediaPage, PlaybackCopyOut, UploadLagReport
from .service import footage_filters, get_media, sighting_counts, visible_media

router = APIRouter(prefix="/api/v1/media", tags=["media"])


@router.get("", response_model=MediaPage, summary="List media")
async def list_media(
    request: Request,
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
    kind: Annotated[str | None, Query(description="video, audio, image (photos) or document (PDFs)")] = None,
) -> MediaPage:
    query = footage_filters(
        visible_media(principal), device_id=device_id, officer_id=officer_id, recorded_from=recorded_from, recorded_to=recorded_to
    )
    if sha256:
        query = query.where(Media.sha256 == sha256.lower())
    if case_number:
        query = query.where(Media.case_number == case_number)
    if case_id:
        # footage bound to the case: the query comes from cases, handed over by the composition root
        query = query.where(Media.id.in_(request.app.state.media_bound_to(case_id)))
    if status:
        query = query.where(Media.status == status)
    if kind:
        query = query.where(Media.kind == kind)
    rows = (await session.execute(keyset(query, [Media.uploaded_at, Media.id], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["uploaded_at", "id"], limit)
    counts = await sighting_counts(session, [m.id for m in rows])
    return MediaPage(items=[MediaOut.of(m, settings, counts.get(m.id, 1)) for m in rows], next_cursor=next_cursor)


MAX_REPORT_DAYS = 366


@router.get(
    "/upload-lag",
    response_model=UploadLagReport,
    summary="Upload lag and the 24-hour upload rule per dock, device or officer, for recordings ending in a period",
)
async def upload_lag(
    catalog: CatalogDep,
    principal: Annotated[Principal, require_roles(Role.admin, Role.auditor)],
    session: DbSession,
    recorded_from: Annotated[datetime, Query(description="recordings ending at or after this time (with a UTC offset)")],
    recorded_to: Annotated[datetime, Query(description="recordings ending before this time (with a UTC offset)")],
    group_by: Annotated[str, Query(description="dock, device or officer")] = "dock",
) -> UploadLagReport:
    if group_by not in GROUPINGS:
        raise Problem(400, "invalid-query", f"group_by is one of {', '.join(GROUPINGS)}.", field="group_by")
    for name, value in (("recorded_from", recorded_from), ("recorded_to", recorded_to)):
        if value.tzinfo is None or not sane_time(value):
            raise Problem(400, "invalid-query", f"{name} needs a UTC offset and a year between 1970 and 2200.", field=name)
    if not 0 < (recorded_to - recorded_from).total_seconds() <= MAX_REPORT_DAYS * 86400:
        raise Problem(400, "invalid-query", f"The period runs forward and is at most {MAX_REPORT_DAYS} days.", field="recorded_to")
    sheet = catalog.review_sheet
    return UploadLagReport(
        **await upload_lag_report(
            session,
            principal,
            group_by=group_by,
            recorded_from=recorded_from,
            recorded_to=recorded_to,
            within_hours=sheet.upload_within_hours if sheet else 24,
        )
    )


@router.get("/{media_id}", response_model=MediaOut, summary="One media record")
async def read_media(media_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> MediaOut:
    media = await get_media(session, principal, media_id)
    counts = await sighting_counts(session, [media.id])
    out = MediaOut.of(media, settings, counts.get(media.id, 1))
    copy = (await copies_of(session, [media.id])).get(media.id)
    if copy is not None:
        out.playback_copy = PlaybackCopyOut(
            status=copy.status, sha256=copy.sha256, size=copy.size, original_sha256=copy.original_sha256, error=copy.error
        )
    pictures = (await image_copies_of(session, [media.id])).get(media.id)
    if pictures:
        out.image_copies = [ImageCopyOut.of(pictures[purpose], media.id) for purpose in PURPOSES if purpose in pictures]
    return out


_CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    # Served as the media type the probe found (video/mp4, audio/wav, image/jpeg …, inline); anything else
    # (HTML, SVG, a probe failure) as an application/octet-stream attachment. Always nosniff and a sandbox CSP.
    200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}, "description": "The whole object"},
    206: {
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        "description": "Partial content (one range, or multipart/byteranges)",
    },
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
async def content(
    media_id: str, request: Request, principal: Reader, session: DbSession, settings: SettingsDep, store: StoreDep
) -> Response:
    media = await get_media(session, principal, media_id)
    if media.status == "deleted":
        raise Problem(410, "media-deleted", "The retention policy deleted these bytes; the record and its tombstone remain.")
    if request.method == "GET":  # every read of evidence bytes is part of the chain of custody
        await record(
            session,
            principal,
            "media.content.read",
            agency=media.agency,
            media_id=media.id,
            payload={"range": request.headers.get("range"), "redirect": settings.s3_presigned_redirect},
        )
    if settings.s3_presigned_redirect and not _etag_matches(request.headers.get("if-none-match"), f'"{media.sha256}"'):
        stored = StoredBytes.of_media(media)
        url = await store.presigned_url(media.storage_key, media.filename, stored.media_type)
        if url:
            headers = digest_headers(stored)
            return RedirectResponse(url, status_code=307, headers={"ETag": headers["ETag"], "Repr-Digest": headers["Repr-Digest"]})
    return await serve_bytes(request, store, StoredBytes.of_media(media))


_COPY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}, "description": "The copy (a JPEG)"},
    206: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}, "description": "Part of the copy"},
    304: {"description": "Not modified (If-None-Match)"},
    416: {"description": "Range not satisfiable"},
}


@router.get(
    "/{media_id}/image-copies/{purpose}",
    operation_id="get_media_image_copy",
    summary="A photo's thumbnail or viewing copy (derived JPEG; ETag = quoted sha256 of the copy)",
    responses=_COPY_RESPONSES,
)
async def image_copy(
    media_id: str,
    purpose: Annotated[str, Path(pattern="^(thumbnail|viewing)$", description="thumbnail or viewing")],
    request: Request,
    principal: Reader,
    session: DbSession,
    store: StoreDep,
) -> Response:
    media = await get_media(session, principal, media_id)
    if media.status == "deleted":
        raise Problem(410, "media-deleted", "The retention policy deleted these bytes; the record and its tombstone remain.")
    copy = (await image_copies_of(session, [media.id])).get(media.id, {}).get(purpose)
    if copy is None or copy.status != "ready" or copy.storage_key is None or copy.sha256 is None or copy.size is None:
        state = copy.status if copy is not None else "none"
        raise Problem(404, "image-copy-not-found", f"No ready {purpose} copy of media {media_id} (copy: {state}).")
    await record(
        session,
        principal,
        "media.copy.read",
        agency=media.agency,
        media_id=media.id,
        payload={"purpose": purpose, "copy_sha256": copy.sha256, "range": request.headers.get("range")},
    )
    return await serve_bytes(request, store, StoredBytes(copy.storage_key, copy.sha256, copy.size, copy.content_type, None))
