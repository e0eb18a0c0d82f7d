"""投诉 in the pages: the public form (no sign-in; its token signed like the sign-in form's and good for one post),
the page a complainant looks the reply up on by the reference number, and the staff queue with each complaint's
page, where admins assign and answer it."""

import hmac
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from ..agencies.service import list_agencies
from ..catalog.service import CatalogDep
from ..complaints.reference import shown
from ..complaints.schemas import AssignBody, ComplaintCreate, ComplaintOut, PublicComplaint, ReplyBody
from ..complaints.service import assign, count_of, file_complaint, find_by_reference, get_complaint, queue, queue_page, reply, sees_contact
from ..core.db import DbSession, discard
from ..core.deps import EngineDep, SettingsDep, get_secrets
from ..core.messages import errors_zh, messages, names, problem_zh
from ..core.principals import Role
from ..core.problems import Problem
from ..core.public_side import ITEM, LIST, public_budget, spend_public_budget
from ..core.throttle import claim_once
from ..core.times import today
from .flash import redirect_with_flash
from .render import page
from .session import CSRF_FIELD, LOGIN_FORM_SECONDS, FormPerson, Person, login_form_nonce, new_login_csrf, require_page_roles, set_cookie

router = APIRouter(include_in_schema=False)
Handler = Annotated[object, require_page_roles(Role.admin)]
Reader = Annotated[object, require_page_roles(Role.admin, Role.auditor)]
PUBLIC_FORM_COOKIE = "rs_public_form"
QUEUE_PAGE = 50
ABOUT = names("complaint_about")
STATUS = names("complaint_status")
FIELD_LABELS = messages().fields["complaint"]


# --- the public side ----------------------------------------------------------------------------


async def _form_page(
    request: Request,
    session: DbSession,
    *,
    form: dict[str, str],
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    """The complaint form with a fresh one-post token (in the form and in a same-site cookie)."""
    token = new_login_csrf(get_secrets(request).public_forms)
    agencies = [(profile.code, profile.name_zh) for profile in await list_agencies(session)]
    response = page(
        request,
        "public_complaints.html",
        {"csrf_token": token, "form": form, "errors": errors or [], "agencies": agencies, "abouts": ABOUT},
        status_code=status_code,
    )
    set_cookie(response, request, request.app.state.settings.cookie_secure, PUBLIC_FORM_COOKIE, token, max_age=LOGIN_FORM_SECONDS)
    return response


@router.get("/public/complaints", dependencies=[public_budget(ITEM)])
async def complaint_form(
    request: Request,
    session: DbSession,
    agency: Annotated[str, Query(max_length=64)] = "",
    about: Annotated[str, Query(pattern="^(|officer|publication|other)$")] = "",
    target: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The form (a publication's or the certificate check's page may fill in what the complaint is about)."""
    return await _form_page(request, session, form={"agency": agency, "about": about, "target": target, "text": "", "contact": ""})


@router.post("/public/complaints")
async def file_from_form(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    engine: EngineDep,
    catalog: CatalogDep,
    agency: Annotated[str, Form(max_length=200)] = "",
    about: Annotated[str, Form(max_length=50)] = "",
    target: Annotated[str, Form(max_length=1000)] = "",
    text: Annotated[str, Form(max_length=20000)] = "",
    contact: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    """In this order: the public budget, the form's token (this service's, from this browser, at most an hour old),
    the complaint's fields, the token claimed once (a post sent twice files one complaint), then the filing."""
    await spend_public_budget(request, LIST)
    form = {"agency": agency, "about": about, "target": target, "text": text, "contact": contact}
    nonce = login_form_nonce(get_secrets(request).public_forms, csrf_token)
    expected = request.cookies.get(PUBLIC_FORM_COOKIE, "")
    if nonce is None or not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return await _form_page(request, session, form=form, errors=[problem_zh(Problem(403, "public-form-expired", ""))], status_code=403)
    try:
        body = ComplaintCreate(
            about=about,  # type: ignore[arg-type]  # checked by the model
            target=target,
            text=text,
            contact=contact.strip() or None,
            agency=agency.strip() or None,
        )
    except ValidationError as exc:
        return await _form_page(request, session, form=form, errors=errors_zh(exc.errors(), "complaint"), status_code=422)
    if not await claim_once(engine, f"public:complaint:{nonce}", LOGIN_FORM_SECONDS + 120):
        return await _form_page(request, session, form=form, errors=[problem_zh(Problem(403, "public-form-expired", ""))], status_code=403)
    try:
        complaint, reference = await file_complaint(session, catalog, body, settings.tz)
    except Problem as problem:
        await discard(session)
        return await _form_page(request, session, form=form, errors=[problem_zh(problem)], status_code=problem.status)
    response = page(
        request,
        "public_complaint_filed.html",
        {"complaint": PublicComplaint.of(complaint, reference), "reference": shown(reference)},
        status_code=201,
    )
    response.delete_cookie(PUBLIC_FORM_COOKIE, path="/")
    return response


def _status_page(request: Request, complaint: PublicComplaint | None, typed: str, status_code: int = 200) -> Response:
    return page(request, "public_complaint.html", {"complaint": complaint, "typed": typed}, status_code=status_code)


@router.get("/public/complaints/lookup", dependencies=[public_budget(ITEM)])
async def lookup_form(request: Request, session: DbSession, reference: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The lookup form's target: the status page of the number typed, or the form again saying it is unknown."""
    if not reference.strip():
        return _status_page(request, None, "")
    return await _looked_up(request, session, reference)


@router.get("/public/complaints/{reference}", dependencies=[public_budget(ITEM)])
async def complaint_status(reference: str, request: Request, session: DbSession) -> Response:
    return await _looked_up(request, session, reference)


async def _looked_up(request: Request, session: DbSession, reference: str) -> Response:
    try:
        complaint, canonical = await find_by_reference(session, reference)
    except Problem:
        return _status_page(request, None, reference[:64], status_code=404)
    return _status_page(request, PublicComplaint.of(complaint, canonical), reference[:64])


# --- the staff's queue --------------------------------------------------------------------------


@router.get("/complaints")
async def complaints_page(
    request: Request,
    person: Person,
    _role: Reader,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str, Query(pattern="^(|received|assigned|replied|open)$")] = "",
    overdue: Annotated[str, Query(pattern="^(|true)$")] = "",
    about: Annotated[str, Query(pattern="^(|officer|publication|other)$")] = "",
    reference: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response:
    day = today(settings.tz)
    principal = person.principal
    query = queue(
        principal,
        day,
        status=status or None,
        overdue=True if overdue else None,
        about=about or None,
        reference=reference.strip() or None,
    )
    rows, next_cursor = await queue_page(session, query, cursor, QUEUE_PAGE)
    asked = {key: value for key, value in (("status", status), ("overdue", overdue), ("about", about), ("reference", reference)) if value}
    overdue_count = await count_of(session, queue(principal, day, overdue=True))
    return page(
        request,
        "complaints.html",
        {
            "complaints": [ComplaintOut.of(c, today=day, sees_contact=False) for c in rows],
            "filters": asked,
            "statuses": STATUS,
            "abouts": ABOUT,
            "overdue_count": overdue_count,
            "first_page": not cursor,
            "next_url": "/complaints?" + urlencode({**asked, "cursor": next_cursor}) if next_cursor else None,
            "first_url": "/complaints" + ("?" + urlencode(asked) if asked else ""),
        },
        person=person,
    )


async def _complaint_page(
    request: Request,
    person: Person,
    session: DbSession,
    settings: SettingsDep,
    complaint_id: str,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    complaint = await get_complaint(session, person.principal, complaint_id)
    return page(
        request,
        "complaint.html",
        {
            "c": ComplaintOut.of(complaint, today=today(settings.tz), sees_contact=sees_contact(person.principal)),
            "may_handle": person.principal.role is Role.admin,
            "errors": errors or [],
            "form": form or {},
            "labels": FIELD_LABELS,
        },
        status_code=status_code,
        person=person,
    )


@router.get("/complaints/{complaint_id}")
async def complaint_page(
    complaint_id: str, request: Request, person: Person, _role: Reader, session: DbSession, settings: SettingsDep
) -> Response:
    return await _complaint_page(request, person, session, settings, complaint_id)


@router.post("/complaints/{complaint_id}/assign")
async def assign_from_form(
    complaint_id: str,
    request: Request,
    person: FormPerson,
    _role: Handler,
    session: DbSession,
    settings: SettingsDep,
    assignee: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    complaint = await get_complaint(session, person.principal, complaint_id)
    try:
        body = AssignBody(assignee=assignee)
    except ValidationError as exc:
        return await _complaint_page(
            request,
            person,
            session,
            settings,
            complaint_id,
            errors=errors_zh(exc.errors(), "complaint"),
            form={"assignee": assignee},
            status_code=422,
        )
    try:
        await assign(session, person.principal, complaint, body)
    except Problem as problem:
        await discard(session)
        return await _complaint_page(
            request, person, session, settings, complaint_id, errors=[problem_zh(problem)], status_code=problem.status
        )
    return redirect_with_flash(request, person, f"/complaints/{complaint_id}", notice=f"已分派给 {body.assignee}。")


@router.post("/complaints/{complaint_id}/reply")
async def reply_from_form(
    complaint_id: str,
    request: Request,
    person: FormPerson,
    _role: Handler,
    session: DbSession,
    settings: SettingsDep,
    text: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    complaint = await get_complaint(session, person.principal, complaint_id)
    try:
        body = ReplyBody(text=text)
    except ValidationError as exc:
        errors = [line.replace(FIELD_LABELS["text"], FIELD_LABELS["reply"]) for line in errors_zh(exc.errors(), "complaint")]
        return await _complaint_page(request, person, session, settings, complaint_id, errors=errors, form={"reply": text}, status_code=422)
    try:
        await reply(session, person.principal, complaint, body, settings.tz)
    except Problem as problem:
        await discard(session)
        return await _complaint_page(
            request, person, session, settings, complaint_id, errors=[problem_zh(problem)], status_code=problem.status
        )
    return redirect_with_flash(request, person, f"/complaints/{complaint_id}", notice="已答复：投诉人可凭投诉编号查看答复。")
