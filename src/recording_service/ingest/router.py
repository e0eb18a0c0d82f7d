"""tus 1.0.0 at /api/v1/uploads (core, creation, creation-with-upload, termination, checksum,
expiration), the JSON status of an upload, and the single-request multipart upload."""

from collections.abc import AsyncIterator
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from ..core.db import DbSession
from ..core.deps import SettingsDep, on_the_loop
from ..core.principals import BrowserOrUploader, CurrentPrincipal, TokenOrBrowser, Uploader
from ..core.problems import Problem
from ..core.times import local
from ..core.values import plain_digits
from ..media.schemas import MediaOut
from ..media.service import get_media, sighting_counts
from .checksum import ALGORITHMS, parse_upload_checksum
from .metadata import decode_tus_metadata, validate_fields
from .models import Upload
from .schemas import UploadOut
from .service import (
    Ingest,
    create_upload,
    finish_received,
    get_upload,
    length_changed,
    offset_mismatch,
    receive_chunk,
    recording_abandoned,
    require_receiving,
    take_for_patch,
    terminate_upload,
)
from .streams import MultipartUpload, request_body

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration"
OFFSET_STREAM = "application/offset+octet-stream"


def get_ingest(request: Request) -> Ingest:
    # Built once by the composition root (app.py), with custody's hand-off of a stored upload.
    ingest: Ingest = request.app.state.ingest
    return ingest


IngestDep = Annotated[Ingest, Depends(on_the_loop(get_ingest))]
# The tus routes take a bearer token (docks, scripts) or a signed-in person's browser: the session cookie with
# the session's X-CSRF-Token header (the pages' upload form; core.principals.token_or_browser).
router = APIRouter(prefix="/api/v1/uploads", tags=["uploads (tus)"])
media_upload_router = APIRouter(prefix="/api/v1/media", tags=["media"])


# Documented, not validated by FastAPI: a missing or other version is tus's 412, after authentication.
TUS_RESUMABLE = {
    "parameters": [
        {
            "name": "Tus-Resumable",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "enum": ["1.0.0"]},
            "description": "the tus protocol version (412 Precondition Failed without it)",
        }
    ]
}


# Documented only: tus answers a malformed number with its own 400, not FastAPI's 422.
DIGITS = {"pattern": "^[0-9]{1,19}$"}


def _require_tus_version(tus_resumable: str | None) -> None:
    if tus_resumable != TUS_VERSION:
        raise Problem(412, "tus-version", f"Tus-Resumable: {TUS_VERSION} is required.", headers={"Tus-Version": TUS_VERSION})


def _non_negative_int(value: str | None, header: str) -> int:
    if plain_digits(value):
        return int(value)
    raise Problem(400, "invalid-header", f"{header} must be a non-negative integer.")


def _location(upload: Upload) -> str:
    return f"/api/v1/uploads/{upload.id}"


def _progress_headers(upload: Upload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.offset), "Cache-Control": "no-store"}
    if upload.status == "receiving":
        headers["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    if upload.media_id:
        headers["Upload-Media-Id"] = upload.media_id
        headers["Upload-Sha256"] = upload.sha256 or ""
    return headers


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _check_patch_body(request: Request, upload: Upload, length: int | None) -> None:
    if _content_type(request) != OFFSET_STREAM:
        raise Problem(415, "unsupported-media-type", f"PATCH bodies must be Content-Type: {OFFSET_STREAM}.")
    content_length = request.headers.get("content-length")
    if plain_digits(content_length) and length is not None and upload.offset + int(content_length) > length:
        raise Problem(413, "upload-overflow", "The body would go past the declared Upload-Length; nothing was written.")


def _declared_length(value: str | None, upload: Upload, max_size: int) -> int | None:
    """An Upload-Length sent with a PATCH (tus creation-defer-length): checked before anything is written."""
    if value is None:
        return None
    declared = _non_negative_int(value, "Upload-Length")
    if upload.length is not None:
        if declared != upload.length:
            raise length_changed(upload.length, declared)
        return declared
    if not upload.length_deferred:
        raise Problem(400, "upload-length-not-deferred", "This upload was not created with Upload-Defer-Length; its length is fixed.")
    if declared < upload.offset:
        raise Problem(
            400,
            "upload-length-below-offset",
            f"Upload-Length {declared} is below the {upload.offset} bytes already received; nothing was written.",
            expected_offset=upload.offset,
        )
    if declared > max_size:
        raise Problem(413, "upload-too-large", f"Upload-Length exceeds the maximum of {max_size} bytes; nothing was written.")
    return declared


@router.options("", status_code=204, summary="tus discovery")
async def discover(principal: CurrentPrincipal, settings: SettingsDep) -> Response:
    return Response(
        status_code=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(settings.max_upload_size),
            "Tus-Checksum-Algorithm": ",".join(ALGORITHMS),
        },
    )


@router.post(
    "",
    status_code=201,
    summary="tus creation (and creation-with-upload)",
    openapi_extra=TUS_RESUMABLE,
    response_class=Response,
    responses={201: {"description": "created: its URL in Location, what was received in Upload-Offset (no body)"}},
)
async def create(
    request: Request,
    principal: BrowserOrUploader,
    ingest: IngestDep,
    upload_length: Annotated[str | None, Header(json_schema_extra=DIGITS)] = None,
    upload_metadata: Annotated[str | None, Header()] = None,
    upload_defer_length: Annotated[str | None, Header(json_schema_extra={"enum": ["1"]})] = None,
) -> Response:
    _require_tus_version(request.headers.get("tus-resumable"))
    deferred = upload_defer_length is not None
    if deferred and (upload_defer_length != "1" or upload_length is not None):
        raise Problem(400, "invalid-header", "Upload-Defer-Length must be 1, and comes instead of Upload-Length, not with it.")
    length = None if deferred else _non_negative_int(upload_length, "Upload-Length")
    meta = validate_fields(decode_tus_metadata(upload_metadata))
    has_body = request.headers.get("content-type", "").split(";")[0].strip().lower() == OFFSET_STREAM
    checksum = parse_upload_checksum(request.headers.get("upload-checksum")) if has_body else None
    upload = await create_upload(
        ingest, principal, channel="tus", length=length, meta=meta, raw_metadata=upload_metadata, length_deferred=deferred
    )
    location = {"Location": _location(upload)}
    try:
        if has_body:
            _check_patch_body(request, upload, length)
            upload = await receive_chunk(ingest, upload, request_body(request), checksum=checksum, principal=principal)
        elif length == 0:
            upload = await receive_chunk(ingest, upload, _nothing(), checksum=None, principal=principal)
    except Problem as problem:
        problem.headers.update(location)  # the upload exists: the client can resume or inspect it
        raise
    return Response(status_code=201, headers={**location, **_progress_headers(upload)})


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover  (makes this an async generator)


@router.head(
    "/{upload_id}",
    summary="tus offset",
    openapi_extra=TUS_RESUMABLE,
    response_class=Response,
    responses={200: {"description": "the offset in Upload-Offset, the length in Upload-Length (no body)"}},
)
async def head(upload_id: str, request: Request, principal: BrowserOrUploader, session: DbSession) -> Response:
    _require_tus_version(request.headers.get("tus-resumable"))
    upload = await get_upload(session, principal, upload_id)
    if upload.status not in ("receiving", "completed") or upload.abandoned_at is not None:
        require_receiving(upload)
    headers = _progress_headers(upload)
    if upload.length is None and upload.length_deferred:
        headers["Upload-Defer-Length"] = "1"  # tus creation-defer-length: not known yet
    else:
        headers["Upload-Length"] = str(upload.length) if upload.length is not None else "0"
    if upload.raw_metadata:
        headers["Upload-Metadata"] = upload.raw_metadata
    return Response(status_code=200, headers=headers)


@router.patch("/{upload_id}", status_code=204, summary="tus append", openapi_extra=TUS_RESUMABLE)
async def patch(
    upload_id: str,
    request: Request,
    principal: BrowserOrUploader,
    session: DbSession,
    ingest: IngestDep,
    settings: SettingsDep,
    upload_offset: Annotated[str | None, Header(json_schema_extra=DIGITS)] = None,
    upload_checksum: Annotated[str | None, Header()] = None,
    upload_length: Annotated[
        str | None,
        Header(
            json_schema_extra=DIGITS,
            description="tus creation-defer-length: the length of an upload created with Upload-Defer-Length, declared once "
            "(the same value again is accepted, another is 400); equal to the offset in an empty PATCH, it ends the upload",
        ),
    ] = None,
) -> Response:
    _require_tus_version(request.headers.get("tus-resumable"))
    await session.commit()  # hold no connection while the body streams
    body_length = request.headers.get("content-length")
    if (
        upload_length is None
        and upload_checksum is None
        and plain_digits(upload_offset)
        and plain_digits(body_length)
        and 0 < int(body_length) <= settings.max_upload_size - int(upload_offset)  # never a number the database cannot hold
        and _content_type(request) == OFFSET_STREAM
    ):
        # The usual PATCH: one statement checks the upload and takes it. Where it cannot, nothing was taken and the
        # path below reads the upload and answers as it always has.
        taken = await take_for_patch(ingest, principal, upload_id, int(upload_offset), int(body_length))
        if taken is not None:
            upload = await receive_chunk(ingest, taken[1], request_body(request), checksum=None, principal=principal, taken=taken)
            return Response(status_code=204, headers=_progress_headers(upload))
    upload = await get_upload(session, principal, upload_id)
    await session.commit()
    if upload.abandoned_at is not None:
        raise recording_abandoned(upload)  # closed by the recording job: say so before anything else
    offset = _non_negative_int(upload_offset, "Upload-Offset")
    declared = _declared_length(upload_length, upload, settings.max_upload_size)
    length = upload.length if upload.length is not None else declared
    at_end = length is not None and offset == upload.offset == length and request.headers.get("content-length") == "0"
    if at_end and upload.status == "completed":
        # A retried final PATCH whose answer was lost: the upload is complete, say so again.
        return Response(status_code=204, headers=_progress_headers(upload))
    require_receiving(upload)
    if offset != upload.offset:
        raise offset_mismatch(offset, upload.offset)
    _check_patch_body(request, upload, length)
    if at_end and upload.length is not None:
        # Every byte is recorded but completion did not finish (its process stopped): finish it now.
        upload = await finish_received(ingest, upload, principal)
        return Response(status_code=204, headers=_progress_headers(upload))
    checksum = parse_upload_checksum(upload_checksum)
    upload = await receive_chunk(
        ingest,
        upload,
        request_body(request),
        checksum=checksum,
        principal=principal,
        declare_length=declared if upload.length is None else None,
    )
    return Response(status_code=204, headers=_progress_headers(upload))


@router.delete("/{upload_id}", status_code=204, summary="tus termination (unfinished uploads only)", openapi_extra=TUS_RESUMABLE)
async def terminate(upload_id: str, request: Request, principal: BrowserOrUploader, session: DbSession, ingest: IngestDep) -> Response:
    _require_tus_version(request.headers.get("tus-resumable"))
    upload = await get_upload(session, principal, upload_id)
    await terminate_upload(ingest, session, upload, principal)
    return Response(status_code=204)


@router.get("/{upload_id}", response_model=UploadOut, summary="JSON status of an upload")
async def status(upload_id: str, principal: TokenOrBrowser, session: DbSession, settings: SettingsDep) -> UploadOut:
    upload = await get_upload(session, principal, upload_id)
    tz = settings.tz
    return UploadOut(
        id=upload.id,
        channel=upload.channel,
        offset=upload.offset,
        length=upload.length,
        length_deferred=upload.length_deferred,
        abandoned_at=local(upload.abandoned_at, tz),
        status=upload.status,
        media_id=upload.media_id,
        sha256=upload.sha256,
        declared_sha256=upload.declared_sha256,
        error=upload.error,
        metadata={k: v for k, v in (upload.upload_metadata or {}).items() if v not in (None, [], {})},
        created_at=local(upload.created_at, tz),
        expires_at=local(upload.expires_at, tz),
        completed_at=local(upload.completed_at, tz),
    )


@media_upload_router.post(
    "",
    status_code=201,
    response_model=MediaOut,
    summary="Single-request upload (multipart/form-data: part 'file' plus metadata fields)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            **{
                                name: {"type": "string"}
                                for name in (
                                    "filename",
                                    "sha256",
                                    "content_type",
                                    "device_id",
                                    "officer_ids",
                                    "recorded_at",
                                    "dock_id",
                                    "flag",
                                    "case_number",
                                    "device_serial",
                                    "unit_code",
                                )
                            },
                        },
                    }
                }
            },
        }
    },
)
async def upload_multipart(
    request: Request, principal: Uploader, ingest: IngestDep, settings: SettingsDep, session: DbSession
) -> JSONResponse:
    form = MultipartUpload(request)
    await form.read_until_file()
    meta = validate_fields(form.fields)
    upload = await create_upload(ingest, principal, channel="multipart", length=None, meta=meta, raw_metadata=None)
    try:
        upload = await receive_chunk(
            ingest,
            upload,
            form.file_bytes(),
            checksum=None,
            principal=principal,
            final_when_done=True,
            late_metadata=lambda: validate_fields(form.fields),
        )
    except Problem:
        # A single-request upload cannot be resumed: drop the partial bytes now rather than at expiry.
        fresh = await session.get(Upload, upload.id)
        if fresh is not None and fresh.status == "receiving":
            await terminate_upload(ingest, session, fresh, principal)
        raise
    assert upload.media_id is not None  # the upload completed: its media record exists
    media = await get_media(session, principal, upload.media_id)
    counts = await sighting_counts(session, [media.id])
    body = MediaOut.of(media, settings, counts.get(media.id, 1)).model_dump(mode="json")
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/media/{media.id}", "Upload-Id": upload.id})
