from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.pagination import MAX_LIMIT
from ..core.principals import Principal, Role, require_roles
from ..core.public_side import ITEM, LIST, public_budget
from ..core.times import today
from .reference import shown
from .schemas import AssignBody, ComplaintCreate, ComplaintFiled, ComplaintOut, ComplaintPage, PublicComplaint, ReplyBody
from .service import assign, file_complaint, find_by_reference, get_complaint, queue, queue_page, reply, sees_contact

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
Handler = Annotated[Principal, require_roles(Role.admin)]
Reader = Annotated[Principal, require_roles(Role.admin, Role.auditor)]
NO_STORE = {"Cache-Control": "no-store"}


@public_router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintFiled,
    dependencies=[public_budget(LIST)],
    summary="Anyone files a complaint about an officer, a publication or another matter (no token)",
    description="Answers the reference number (投诉编号) the complainant looks the status and the reply up by "
    "(`GET /api/v1/public/complaints/{reference}`), and the day the reply is due (working days from the catalog, "
    "15 unless it says otherwise). The contact is read only by the staff who handle complaints. Spends the public "
    "budget as a search does; a text past 5,000 characters, an unknown `about` or an unknown field is 422.",
)
async def file(body: ComplaintCreate, session: DbSession, settings: SettingsDep, catalog: CatalogDep) -> JSONResponse:
    complaint, reference = await file_complaint(session, catalog, body, settings.tz)
    filed = ComplaintFiled(
        reference=shown(reference), status="received", filed_on=complaint.filed_on, due_on=complaint.due_on, agency=complaint.agency
    )
    return JSONResponse(
        filed.model_dump(mode="json"),
        status_code=201,
        headers={**NO_STORE, "Location": f"/api/v1/public/complaints/{filed.reference}"},
    )


@public_router.get(
    "/complaints/{reference}",
    response_model=PublicComplaint,
    dependencies=[public_budget(ITEM)],
    summary="A complaint's status and reply by its reference number (no token)",
    description="The reference as printed (TS-XXXX-XXXX-XXXXX) or without prefix and hyphens, in any case. Never the "
    "contact, nor who handles it. An unknown or mistyped reference is 404.",
)
async def look_up(reference: str, session: DbSession) -> JSONResponse:
    complaint, canonical = await find_by_reference(session, reference)
    return JSONResponse(PublicComplaint.of(complaint, canonical).model_dump(mode="json"), headers=NO_STORE)


@router.get(
    "",
    response_model=ComplaintPage,
    summary="The agency's complaints, oldest due first (admin, auditor)",
    description="`overdue=true`: not replied and past the due date. `reference`: the number a complainant reads out. "
    "`contact` is shown to admins only (others see `contact_withheld`).",
)
async def list_complaints(
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str | None, Query(pattern="^(received|assigned|replied|open)$", description="`open`: not answered yet")] = None,
    overdue: bool | None = None,
    about: Annotated[str | None, Query(pattern="^(officer|publication|other)$")] = None,
    reference: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> ComplaintPage:
    day = today(settings.tz)
    rows, next_cursor = await queue_page(
        session, queue(principal, day, status=status, overdue=overdue, about=about, reference=reference), cursor, limit
    )
    seen = sees_contact(principal)
    return ComplaintPage(items=[ComplaintOut.of(c, today=day, sees_contact=seen) for c in rows], next_cursor=next_cursor)


@router.get("/{complaint_id}", response_model=ComplaintOut, summary="One complaint (admin, auditor)")
async def read_complaint(complaint_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> ComplaintOut:
    complaint = await get_complaint(session, principal, complaint_id)
    return ComplaintOut.of(complaint, today=today(settings.tz), sees_contact=sees_contact(principal))


@router.post("/{complaint_id}/assign", response_model=ComplaintOut, summary="Hand a complaint to the person who handles it (admin)")
async def assign_complaint(
    complaint_id: str, body: AssignBody, principal: Handler, session: DbSession, settings: SettingsDep
) -> ComplaintOut:
    complaint = await assign(session, principal, await get_complaint(session, principal, complaint_id), body)
    return ComplaintOut.of(complaint, today=today(settings.tz), sees_contact=True)


@router.post(
    "/{complaint_id}/reply",
    response_model=ComplaintOut,
    summary="Answer a complaint (admin): the complainant reads the reply by the reference number",
    description="Once: a complaint answered is 409 `complaint-replied`. A reply after the due date is marked late.",
)
async def reply_to_complaint(
    complaint_id: str, body: ReplyBody, principal: Handler, session: DbSession, settings: SettingsDep
) -> ComplaintOut:
    complaint = await reply(session, principal, await get_complaint(session, principal, complaint_id), body, settings.tz)
    return ComplaintOut.of(complaint, today=today(settings.tz), sees_contact=True)
