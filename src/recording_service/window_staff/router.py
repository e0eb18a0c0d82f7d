from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from ..core.db import DbSession
from ..core.deps import StoreDep
from ..core.pagination import MAX_LIMIT
from ..core.principals import Principal, Role, require_roles
from ..core.public_side import ITEM, LIST, PUBLIC_CACHE, public_budget
from .models import WindowStaff
from .photos import MAX_PHOTO_BYTES, check_photo, too_large
from .schemas import PublicWindowStaff, PublicWindowStaffPage, WindowStaffCreate, WindowStaffOut, WindowStaffPage, WindowStaffUpdate
from .service import (
    create_staff,
    get_staff,
    history_of,
    photo_of,
    published_one,
    published_staff,
    remove_photo,
    set_photo,
    staff_page,
    update_staff,
    visible_staff,
)

router = APIRouter(prefix="/api/v1/window-staff", tags=["window-staff"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
Keeper = Annotated[Principal, require_roles(Role.admin)]
Reader = Annotated[Principal, require_roles(Role.admin, Role.auditor)]
PHOTO_TYPES: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "the photo"}}


@router.post("", status_code=201, response_model=WindowStaffOut, summary="Add a person at a service window (admin)")
async def add(body: WindowStaffCreate, principal: Keeper, session: DbSession) -> JSONResponse:
    staff = await create_staff(session, principal, body)
    out = WindowStaffOut.of(staff, await history_of(session, staff))
    return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"/api/v1/window-staff/{staff.id}"})


@router.get(
    "",
    response_model=WindowStaffPage,
    summary="The agency's window staff, on duty or not (admin, auditor)",
    description="By unit, then name, in 汉语拼音 order; `active=true|false` narrows it.",
)
async def list_staff(
    principal: Reader,
    session: DbSession,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> WindowStaffPage:
    query = visible_staff(principal)
    if active is not None:
        query = query.where(WindowStaff.active.is_(active))
    rows, next_cursor = await staff_page(session, query, cursor, limit)
    return WindowStaffPage(items=[WindowStaffOut.of(s) for s in rows], next_cursor=next_cursor)


@router.get("/{staff_id}", response_model=WindowStaffOut, summary="One person, with every version of the entry (admin, auditor)")
async def read_staff(staff_id: str, principal: Reader, session: DbSession) -> WindowStaffOut:
    staff = await get_staff(session, principal, staff_id)
    return WindowStaffOut.of(staff, await history_of(session, staff))


@router.patch(
    "/{staff_id}",
    response_model=WindowStaffOut,
    summary="Change a person's entry (admin): the fields given, or `active` false (off duty, off the public list) or true",
)
async def change_staff(staff_id: str, body: WindowStaffUpdate, principal: Keeper, session: DbSession) -> WindowStaffOut:
    staff = await get_staff(session, principal, staff_id)
    await update_staff(session, principal, staff, body)
    return WindowStaffOut.of(staff, await history_of(session, staff))


@router.put(
    "/{staff_id}/photo",
    response_model=WindowStaffOut,
    summary="Set a person's photo (admin): a JPEG or PNG of at most 768 KiB",
    description="Checked by what the bytes are (not the file's name or declared type); stored again without its "
    "metadata (EXIF: camera, time, position), turned upright. Not an image: 422 `photo-invalid`; too large: 413 "
    "`photo-too-large`.",
)
async def put_photo(
    staff_id: str,
    principal: Keeper,
    session: DbSession,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="a .jpg or .png image")],
) -> WindowStaffOut:
    staff = await get_staff(session, principal, staff_id)
    data = await file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise too_large()
    await set_photo(session, store, principal, staff, await check_photo(data))
    return WindowStaffOut.of(staff, await history_of(session, staff))


@router.delete("/{staff_id}/photo", response_model=WindowStaffOut, summary="Stop showing a person's photo (admin)")
async def delete_photo(staff_id: str, principal: Keeper, session: DbSession) -> WindowStaffOut:
    staff = await get_staff(session, principal, staff_id)
    await remove_photo(session, principal, staff)
    return WindowStaffOut.of(staff, await history_of(session, staff))


@router.get("/{staff_id}/photo", responses=PHOTO_TYPES, response_class=Response, summary="A person's photo (admin, auditor)")
async def read_photo(staff_id: str, principal: Reader, session: DbSession, store: StoreDep) -> Response:
    photo = await photo_of(store, await get_staff(session, principal, staff_id))
    return Response(
        photo.body, media_type=photo.content_type, headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    )


@public_router.get(
    "/window-staff",
    response_model=PublicWindowStaffPage,
    dependencies=[public_budget(LIST)],
    summary="窗口办事人员 公示: the staff on duty at service windows (no token)",
    description="By agency, then unit and name in 汉语拼音 order; `agency` one agency's, `unit` any part of the unit's "
    "name. Name, unit, post, window, 执法种类, services and the photo's address: nothing else.",
)
async def public_staff(
    session: DbSession,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    unit: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 200,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> JSONResponse:
    rows, next_cursor = await staff_page(
        session, published_staff((agency or "").strip() or None, (unit or "").strip() or None), cursor, limit
    )
    body = PublicWindowStaffPage(items=[PublicWindowStaff.of(s) for s in rows], next_cursor=next_cursor)
    return JSONResponse(body.model_dump(mode="json"), headers=PUBLIC_CACHE)


@public_router.get(
    "/window-staff/{staff_id}/photo",
    responses={**PHOTO_TYPES, 304: {"description": "Not Modified: If-None-Match named the photo's ETag"}},
    response_class=Response,
    dependencies=[public_budget(ITEM)],
    summary="The photo of a person on the public list (no token); none for those off duty",
)
async def public_photo(staff_id: str, request: Request, session: DbSession, store: StoreDep) -> Response:
    photo = await photo_of(store, await published_one(session, staff_id))
    etag = f'"{photo.sha256[:32]}"'
    headers = {**PUBLIC_CACHE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(photo.body, media_type=photo.content_type, headers=headers)
