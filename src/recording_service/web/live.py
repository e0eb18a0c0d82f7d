"""实时查看 (issue 29): a recording watched while it arrives, in the pages.

The page opens one audited view (media.live_viewed) and hands the player (hls.js, served from our own static
files) the view's signed playlist link; the player's requests for the playlist, the init segment and each
fragment are checked against that link and this browser's person, without an audit event each. The page's CSP
lets media come from blob: (MSE) on this page only; hls.js runs without a worker, so no worker-src is needed."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from ..core.db import DbSession
from ..core.deps import SecretsDep, SettingsDep, StoreDep
from ..core.query import only
from ..ingest.models import Upload
from ..live.schemas import LiveOut
from ..live.service import (
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
    upload_of_media,
    visible_upload,
)
from ..officers.service import names_of
from .render import PAGE_HEADERS, page
from .session import MaybePerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Watcher = Annotated[object, require_page_roles(*WATCHERS)]
Id = Annotated[str, Path(max_length=32)]
Link = Annotated[str, Path(max_length=128)]
LIVE_CSP = PAGE_HEADERS["Content-Security-Policy"].replace("media-src 'self'", "media-src 'self' blob:")


async def _live_page(
    request: Request, person: Person, session: DbSession, settings: SettingsDep, secrets: SecretsDep, store: StoreDep, upload: Upload
) -> Response:
    state = await refresh_for(session, request.app.state.sessionmaker, store, upload.id)
    playlist_url = None
    if state.problem_code is None and (state.receiving or state.fragments):
        grant = await grant_view(
            session, person.principal, upload, timedelta(minutes=settings.playback_grant_minutes), secrets.play_links, via="page"
        )
        playlist_url = f"/live/{grant.path}/index.m3u8"
    meta = upload.upload_metadata or {}
    officers = [o for o in meta.get("officer_ids") or [] if isinstance(o, str)]
    registered = await names_of(session, [(upload.agency, o) for o in officers])
    response = page(
        request,
        "live.html",
        {
            "upload": upload,
            "meta": meta,
            "state": LiveOut.of(state),
            "officers": [registered.label(upload.agency, o) for o in officers],
            "started": meta.get("recorded_at") or upload.created_at,
            "playlist_url": playlist_url,
            "tz": settings.tz,
        },
        person=person,
    )
    response.headers["Content-Security-Policy"] = LIVE_CSP
    return response


@router.get("/uploads/{upload_id}/live", dependencies=[only()])
async def live_page(
    upload_id: Id,
    request: Request,
    person: Person,
    _role: Watcher,
    session: DbSession,
    settings: SettingsDep,
    secrets: SecretsDep,
    store: StoreDep,
) -> Response:
    upload = visible_upload(await session.get(Upload, upload_id), person.principal, upload_id)
    return await _live_page(request, person, session, settings, secrets, store, upload)


@router.get("/media/{media_id}/live", dependencies=[only()])
async def live_page_of_media(
    media_id: Id,
    request: Request,
    person: Person,
    _role: Watcher,
    session: DbSession,
    settings: SettingsDep,
    secrets: SecretsDep,
    store: StoreDep,
) -> Response:
    upload = await upload_of_media(session, person.principal, media_id)
    return await _live_page(request, person, session, settings, secrets, store, upload)


@router.get("/uploads/{upload_id}/live/state", dependencies=[only()])
async def live_state(upload_id: Id, request: Request, person: Person, _role: Watcher, session: DbSession, store: StoreDep) -> JSONResponse:
    """What the page refreshes while it is open: bytes received, fragments, still recording or not."""
    visible_upload(await session.get(Upload, upload_id), person.principal, upload_id)
    state = await refresh_for(session, request.app.state.sessionmaker, store, upload_id)
    return JSONResponse(LiveOut.of(state).model_dump(mode="json"), headers={"Cache-Control": "no-store"})


# The player's requests, under the view's signed link (the playlist's entries are relative to it).
@router.get("/live/{grant}/{upload_id}/{viewer}/{exp}/{sig}/index.m3u8", dependencies=[only()])
async def live_playlist(
    grant: Id,
    upload_id: Id,
    viewer: Id,
    exp: Link,
    sig: Link,
    request: Request,
    person: MaybePerson,
    session: DbSession,
    secrets: SecretsDep,
    store: StoreDep,
) -> Response:
    check_link(secrets.play_links, person.principal if person else None, grant, upload_id, viewer, exp, sig)
    state = await refresh_for(session, request.app.state.sessionmaker, store, upload_id)
    return Response(playlist(state), media_type=PLAYLIST_TYPE, headers=NO_STORE)


@router.get("/live/{grant}/{upload_id}/{viewer}/{exp}/{sig}/init.mp4", dependencies=[only()])
async def live_init(
    grant: Id, upload_id: Id, viewer: Id, exp: Link, sig: Link, person: MaybePerson, session: DbSession, secrets: SecretsDep
) -> Response:
    check_link(secrets.play_links, person.principal if person else None, grant, upload_id, viewer, exp, sig)
    return Response(await init_segment(session, upload_id), media_type=SEGMENT_TYPE, headers=NO_STORE)


@router.get("/live/{grant}/{upload_id}/{viewer}/{exp}/{sig}/{seq}.m4s", dependencies=[only()])
async def live_fragment(
    grant: Id,
    upload_id: Id,
    viewer: Id,
    exp: Link,
    sig: Link,
    seq: Annotated[int, Path(ge=0, le=10_000_000)],
    person: MaybePerson,
    session: DbSession,
    secrets: SecretsDep,
    store: StoreDep,
) -> Response:
    check_link(secrets.play_links, person.principal if person else None, grant, upload_id, viewer, exp, sig)
    return Response(await fragment_bytes(session, store, upload_id, seq), media_type=SEGMENT_TYPE, headers=NO_STORE)
