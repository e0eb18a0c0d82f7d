"""窗口办事人员 in the pages: the public 公示 by unit with photos, the printable 胸牌 (a badge per person) and 公示牌
(a sheet per unit) on A4, and the staff's pages where an admin keeps the list (fields, photo, on duty or not) and
auditors read it with every version."""

from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ..agencies.service import list_agencies
from ..catalog.schemas import ENFORCEMENT_KINDS
from ..core.db import DbSession, discard
from ..core.deps import StoreDep
from ..core.messages import errors_zh, messages, problem_zh
from ..core.principals import Role
from ..core.problems import Problem
from ..core.public_side import LIST, PUBLIC_CACHE, public_budget
from ..core.query import refuse_unknown
from ..officers.service import split_list
from ..window_staff.models import WindowStaff
from ..window_staff.photos import MAX_PHOTO_BYTES, check_photo, too_large
from ..window_staff.schemas import PublicWindowStaff, VersionOut, WindowStaffCreate, WindowStaffOut, WindowStaffUpdate
from ..window_staff.service import (
    ORDER,
    all_published,
    create_staff,
    get_staff,
    history_of,
    photo_of,
    remove_photo,
    set_photo,
    update_staff,
    visible_staff,
)
from .flash import redirect_with_flash
from .render import page
from .session import FormPerson, Person, require_page_roles

router = APIRouter(include_in_schema=False)
Keeper = Annotated[object, require_page_roles(Role.admin)]
Reader = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
FIELD_LABELS = messages().fields["window_staff"]
PUBLIC_FILTERS = frozenset({"agency", "unit"})
LAYOUTS = {"badge": "胸牌", "board": "公示牌"}


async def _published(request: Request, session: DbSession, agency: str, unit: str) -> tuple[list[PublicWindowStaff], dict[str, str]]:
    staff = [PublicWindowStaff.of(s) for s in await all_published(session, agency.strip() or None, unit.strip() or None)]
    names = {profile.code: profile.name_zh for profile in await list_agencies(session)}
    return staff, names


def _by_unit(staff: list[PublicWindowStaff]) -> list[tuple[str, str, list[PublicWindowStaff]]]:
    """(agency, unit, people) in the list's order."""
    return [(agency, unit, list(people)) for (agency, unit), people in groupby(staff, key=lambda s: (s.agency, s.unit))]


# --- the public side ----------------------------------------------------------------------------


@router.get("/public/window-staff", dependencies=[public_budget(LIST)])
async def public_list(
    request: Request,
    session: DbSession,
    agency: Annotated[str, Query(max_length=64)] = "",
    unit: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    refuse_unknown(request, PUBLIC_FILTERS)
    staff, names = await _published(request, session, agency, unit)
    asked = {key: value for key, value in (("agency", agency.strip()), ("unit", unit.strip())) if value}
    response = page(
        request,
        "public_window_staff.html",
        {
            "groups": _by_unit(staff),
            "total": len(staff),
            "agency_names": names,
            "agency": asked.get("agency", ""),
            "unit": asked.get("unit", ""),
            "asked": asked,
        },
    )
    response.headers.update(PUBLIC_CACHE)
    return response


@router.get("/public/window-staff/badges", dependencies=[public_budget(LIST)])
async def public_badges(
    request: Request,
    session: DbSession,
    agency: Annotated[str, Query(max_length=64)] = "",
    unit: Annotated[str, Query(max_length=200)] = "",
    layout: Annotated[str, Query(pattern="^(badge|board)$")] = "badge",
) -> Response:
    """The printable view: 胸牌 (eight badges to an A4 sheet) or 公示牌 (a sheet per unit)."""
    refuse_unknown(request, PUBLIC_FILTERS | {"layout"})
    staff, names = await _published(request, session, agency, unit)
    asked = {key: value for key, value in (("agency", agency.strip()), ("unit", unit.strip())) if value}
    response = page(
        request,
        "public_window_staff_print.html",
        {"staff": staff, "groups": _by_unit(staff), "agency_names": names, "layout": layout, "layouts": LAYOUTS, "asked": asked},
    )
    response.headers.update(PUBLIC_CACHE)
    return response


# --- the staff's pages --------------------------------------------------------------------------


def _form_of(staff: WindowStaff | None) -> dict[str, object]:
    if staff is None:
        return {"name": "", "unit": "", "post": "", "window": "", "enforcement_kinds": [], "services": ""}
    return {
        "name": staff.name,
        "unit": staff.unit,
        "post": staff.post,
        "window": staff.window,
        "enforcement_kinds": list(staff.enforcement_kinds or []),
        "services": "、".join(staff.services or []),
    }


async def _list_page(
    request: Request,
    person: Person,
    session: DbSession,
    active: str,
    *,
    errors: list[str] | None = None,
    form: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    query = visible_staff(person.principal)
    if active:
        query = query.where(WindowStaff.active.is_(active == "true"))
    rows = (await session.execute(query.order_by(*ORDER).limit(2000))).scalars().all()
    return page(
        request,
        "window_staff.html",
        {
            "staff": [WindowStaffOut.of(s) for s in rows],
            "active": active,
            "may_edit": person.principal.role is Role.admin,
            "errors": errors or [],
            "form": form or _form_of(None),
            "kinds": ENFORCEMENT_KINDS,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/window-staff")
async def staff_list(
    request: Request, person: Person, _role: Reader, session: DbSession, active: Annotated[str, Query(pattern="^(|true|false)$")] = ""
) -> Response:
    return await _list_page(request, person, session, active)


def _typed(name: str, unit: str, post: str, window: str, kinds: list[str], services: str) -> dict[str, object]:
    return {"name": name, "unit": unit, "post": post, "window": window, "enforcement_kinds": kinds, "services": services}


@router.post("/window-staff")
async def add_staff(
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    name: Annotated[str, Form(max_length=1000)] = "",
    unit: Annotated[str, Form(max_length=1000)] = "",
    post: Annotated[str, Form(max_length=1000)] = "",
    window: Annotated[str, Form(max_length=1000)] = "",
    enforcement_kinds: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 (FastAPI's form default)
    services: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    form = _typed(name, unit, post, window, enforcement_kinds, services)
    try:
        body = WindowStaffCreate.model_validate({**form, "services": split_list(services)})
    except ValidationError as exc:
        return await _list_page(request, person, session, "", errors=errors_zh(exc.errors(), "window_staff"), form=form, status_code=422)
    try:
        staff = await create_staff(session, person.principal, body)
    except Problem as problem:
        await discard(session)
        return await _list_page(request, person, session, "", errors=[problem_zh(problem)], form=form, status_code=problem.status)
    return RedirectResponse(f"/window-staff/{staff.id}", status_code=303)


async def _staff_page(
    request: Request,
    person: Person,
    session: DbSession,
    staff_id: str,
    *,
    errors: list[str] | None = None,
    form: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    staff = await get_staff(session, person.principal, staff_id)
    return page(
        request,
        "window_staff_one.html",
        {
            "s": WindowStaffOut.of(staff),
            "history": [VersionOut.of(v) for v in await history_of(session, staff)],
            "may_edit": person.principal.role is Role.admin,
            "errors": errors or [],
            "form": form or _form_of(staff),
            "kinds": ENFORCEMENT_KINDS,
            "labels": FIELD_LABELS,
            "max_photo_kib": MAX_PHOTO_BYTES // 1024,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/window-staff/{staff_id}")
async def staff_page(staff_id: str, request: Request, person: Person, _role: Reader, session: DbSession) -> Response:
    return await _staff_page(request, person, session, staff_id)


@router.post("/window-staff/{staff_id}")
async def edit_staff(
    staff_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    name: Annotated[str, Form(max_length=1000)] = "",
    unit: Annotated[str, Form(max_length=1000)] = "",
    post: Annotated[str, Form(max_length=1000)] = "",
    window: Annotated[str, Form(max_length=1000)] = "",
    enforcement_kinds: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006
    services: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    staff = await get_staff(session, person.principal, staff_id)
    form = _typed(name, unit, post, window, enforcement_kinds, services)
    try:
        body = WindowStaffUpdate.model_validate({**form, "services": split_list(services)})
    except ValidationError as exc:
        return await _staff_page(
            request, person, session, staff_id, errors=errors_zh(exc.errors(), "window_staff"), form=form, status_code=422
        )
    changed = await update_staff(session, person.principal, staff, body)
    return redirect_with_flash(request, person, f"/window-staff/{staff.id}", notice="已保存。" if changed else "没有变化。")


@router.post("/window-staff/{staff_id}/active")
async def set_active(
    staff_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    active: Annotated[str, Form(pattern="^(true|false)$")],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    staff = await get_staff(session, person.principal, staff_id)
    await update_staff(session, person.principal, staff, WindowStaffUpdate(active=active == "true", reason=reason.strip() or None))
    notice = "已恢复在岗，重新公示。" if staff.active else "已设为不在岗，不再公示。"
    return redirect_with_flash(request, person, f"/window-staff/{staff.id}", notice=notice)


@router.post("/window-staff/{staff_id}/photo")
async def upload_photo(
    staff_id: str,
    request: Request,
    person: FormPerson,
    _role: Keeper,
    session: DbSession,
    store: StoreDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    staff = await get_staff(session, person.principal, staff_id)
    data = await file.read(MAX_PHOTO_BYTES + 1)
    try:
        if len(data) > MAX_PHOTO_BYTES:
            raise too_large()
        await set_photo(session, store, person.principal, staff, await check_photo(data))
    except Problem as problem:
        await discard(session)
        return await _staff_page(request, person, session, staff_id, errors=[problem_zh(problem)], status_code=problem.status)
    return redirect_with_flash(request, person, f"/window-staff/{staff.id}", notice="照片已更换。")


@router.post("/window-staff/{staff_id}/photo/remove")
async def drop_photo(staff_id: str, request: Request, person: FormPerson, _role: Keeper, session: DbSession) -> Response:
    staff = await get_staff(session, person.principal, staff_id)
    await remove_photo(session, person.principal, staff)
    return redirect_with_flash(request, person, f"/window-staff/{staff.id}", notice="照片已删除，不再公示。")


@router.get("/window-staff/{staff_id}/photo")
async def staff_photo(staff_id: str, person: Person, _role: Reader, session: DbSession, store: StoreDep) -> Response:
    photo = await photo_of(store, await get_staff(session, person.principal, staff_id))
    return Response(
        photo.body, media_type=photo.content_type, headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    )
