"""The API of the live view (issue 29): a recording's state, one audited view grant, and the HLS resources
under the grant's signed link (a token's requests; the pages serve the same under /live/, web/live.py)."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from ..core.db import DbSession
from ..core.deps import SecretsDep, SettingsDep, StoreDep
from ..core.principals import CurrentPrincipal, Principal, require_roles
from ..core.query import only
from ..ingest.models import Upload
from .schemas import LiveOut, LiveViewOut
from .service import (
    NO_STORE,
    PLAYLIST_TYPE,
    SEGMENT_TYPE,
    WATCHERS,
    check_link,
    fragment_bytes,
    grant_view,
    init_segment,
    playlist,
    refresh_for,
    visible_upload,
)

router = APIRouter(prefix="/api/v1/live", tags=["live"])
Watcher = Annotated[Principal, require_roles(*WATCHERS)]
VIEWS = "/api/v1/live/views/"
Id = Annotated[str, Path(max_length=32)]
Link = Annotated[str, Path(max_length=128)]


@router.get("/{upload_id}", response_model=LiveOut, summary="A recording's live state", dependencies=[only()])
async def live_state(upload_id: Id, request: Request, principal: Watcher, session: DbSession, store: StoreDep) -> LiveOut:
    visible_upload(await session.get(Upload, upload_id), principal, upload_id)
    return LiveOut.of(await refresh_for(session, request.app.state.sessionmaker, store, upload_id))


@router.post(
    "/{upload_id}/views", response_model=LiveViewOut, status_code=201, summary="Watch a recording live (audited)", dependencies=[only()]
)
async def open_view(upload_id: Id, principal: Watcher, session: DbSession, settings: SettingsDep, secrets: SecretsDep) -> LiveViewOut:
    upload = visible_upload(await session.get(Upload, upload_id), principal, upload_id)
    grant = await grant_view(session, principal, upload, timedelta(minutes=settings.playback_grant_minutes), secrets.play_links, via="api")
    return LiveViewOut.of(grant, VIEWS)


def _checked(secrets: SecretsDep, principal: Principal, grant: str, upload: str, viewer: str, exp: str, sig: str) -> None:
    check_link(secrets.play_links, principal, grant, upload, viewer, exp, sig)


@router.get(
    "/views/{grant}/{upload_id}/{viewer}/{exp}/{sig}/index.m3u8",
    summary="The live HLS media playlist (under a view's signed link)",
    dependencies=[only()],
    responses={200: {"content": {PLAYLIST_TYPE: {"schema": {"type": "string"}}}}},
)
async def api_playlist(
    grant: Id,
    upload_id: Id,
    viewer: Id,
    exp: Link,
    sig: Link,
    request: Request,
    principal: CurrentPrincipal,
    secrets: SecretsDep,
    session: DbSession,
    store: StoreDep,
) -> Response:
    _checked(secrets, principal, grant, upload_id, viewer, exp, sig)
    state = await refresh_for(session, request.app.state.sessionmaker, store, upload_id)
    return Response(playlist(state), media_type=PLAYLIST_TYPE, headers=NO_STORE)


@router.get(
    "/views/{grant}/{upload_id}/{viewer}/{exp}/{sig}/init.mp4",
    summary="The recording's init segment (ftyp and moov)",
    dependencies=[only()],
    responses={200: {"content": {SEGMENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def api_init(
    grant: Id, upload_id: Id, viewer: Id, exp: Link, sig: Link, principal: CurrentPrincipal, secrets: SecretsDep, session: DbSession
) -> Response:
    _checked(secrets, principal, grant, upload_id, viewer, exp, sig)
    return Response(await init_segment(session, upload_id), media_type=SEGMENT_TYPE, headers=NO_STORE)


@router.get(
    "/views/{grant}/{upload_id}/{viewer}/{exp}/{sig}/{seq}.m4s",
    summary="One fragment of the recording (moof and mdat)",
    dependencies=[only()],
    responses={200: {"content": {SEGMENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def api_fragment(
    grant: Id,
    upload_id: Id,
    viewer: Id,
    exp: Link,
    sig: Link,
    seq: Annotated[int, Path(ge=0, le=10_000_000)],
    principal: CurrentPrincipal,
    secrets: SecretsDep,
    session: DbSession,
    store: StoreDep,
) -> Response:
    _checked(secrets, principal, grant, upload_id, viewer, exp, sig)
    return Response(await fragment_bytes(session, store, upload_id, seq), media_type=SEGMENT_TYPE, headers=NO_STORE)
