"""Filing, finding, assigning and answering complaints: every change in the request's transaction with its audit
event. The complainant's contact and the complaint's text stay out of the audit trail (it keeps them for ever); the
events say which complaint, what kind, and when it was due."""

import hashlib
from datetime import date, tzinfo
from typing import NamedTuple

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..agencies.service import get_agency, list_agencies
from ..audit.service import REQUEST_CONTEXT, Actor, record
from ..catalog.schemas import Catalog
from ..core.db import utcnow
from ..core.ids import new_id
from ..core.messages import problem_text
from ..core.pagination import keyset, page_of
from ..core.principals import Principal, Role, scoped_to_agency
from ..core.problems import Problem
from ..core.times import today
from ..publication.service import public_item
from ..workdays.service import working_calendar
from .models import Complaint
from .reference import canonical, new_reference, reference_hash
from .schemas import AssignBody, ComplaintCreate, ComplaintStatus, ReplyBody

QUEUE_KEYS = [Complaint.due_on, Complaint.filed_at, Complaint.id]


def sees_contact(principal: Principal) -> bool:
    """Who reads a complainant's contact: those who handle complaints (admin), never the public or other readers."""
    return principal.role is Role.admin


def _public_actor(agency: str) -> Actor:
    """Whoever filed a complaint: anyone, without an account (the request's id and address are recorded)."""
    context = REQUEST_CONTEXT.get()
    return Actor(token_id=None, role="anonymous", agency=agency, request_id=context.request_id, client_address=context.client_address)


async def receiving_agency(session: AsyncSession, body: ComplaintCreate, tz: tzinfo) -> str:
    """The agency a complaint goes to: the one named (it must have a profile the public can see), else the agency of
    the published decision complained about, else the only agency the service keeps."""
    if body.agency:
        if await get_agency(session, body.agency) is None:
            raise Problem(
                422,
                "complaint-agency-unknown",
                f"No agency {body.agency} receives complaints.",
                detail_zh=problem_text("complaint-agency-unknown"),
            )
        return body.agency
    if body.about == "publication" and len(body.target) <= 64:
        item = await public_item(session, tz, body.target)
        if item is not None:
            return str(item["agency"])
    agencies = await list_agencies(session)
    if len(agencies) == 1:
        return agencies[0].code
    raise Problem(
        422,
        "complaint-agency-required",
        "Name the agency that receives the complaint (agency).",
        detail_zh=problem_text("complaint-agency-required"),
    )


async def file_complaint(session: AsyncSession, catalog: Catalog, body: ComplaintCreate, tz: tzinfo) -> tuple[Complaint, str]:
    """A complaint filed, due in the catalog's working days; returns it with its reference number (canonical form)."""
    agency = await receiving_agency(session, body, tz)
    day = today(tz)
    calendar = await working_calendar(session, catalog, agency)
    due = calendar.add_working_days(day, catalog.complaints.reply_working_days)
    reference = new_reference()
    while (await session.execute(select(Complaint.id).where(Complaint.reference_hash == reference_hash(reference)))).first():
        reference = new_reference()  # 60 random bits: never in practice
    complaint = Complaint(
        id=new_id(),
        agency=agency,
        reference_hash=reference_hash(reference),
        about=body.about,
        target=body.target,
        text=body.text,
        contact=body.contact or None,
        status=ComplaintStatus.received.value,
        filed_at=utcnow(),
        filed_on=day,
        due_on=due.due_on,
        due_provisional=due.provisional,
    )
    session.add(complaint)
    await session.flush()
    await record(
        session,
        _public_actor(agency),
        "complaint.filed",
        agency=agency,
        payload={
            "complaint_id": complaint.id,
            "about": complaint.about,
            "due_on": due.due_on.isoformat(),
            "has_contact": bool(complaint.contact),
        },
    )
    return complaint, reference


async def find_by_reference(session: AsyncSession, typed: str) -> tuple[Complaint, str]:
    """The complaint of a reference number as typed, with the reference's canonical form; 404 otherwise (a mistyped
    check character is refused before the database is asked)."""
    reference = canonical(typed[:64])
    found = None
    if reference is not None:
        found = (await session.execute(select(Complaint).where(Complaint.reference_hash == reference_hash(reference)))).scalar_one_or_none()
    if found is None or reference is None:
        raise Problem(
            404,
            "complaint-reference-unknown",
            "No complaint has this reference number.",
            detail_zh=problem_text("complaint-reference-unknown"),
        )
    return found, reference


def visible_complaints(principal: Principal) -> Select[Complaint]:
    return scoped_to_agency(select(Complaint), Complaint.agency, principal)


def queue(
    principal: Principal,
    day: date,
    *,
    status: str | None = None,
    overdue: bool | None = None,
    about: str | None = None,
    reference: str | None = None,
) -> Select[Complaint]:
    """The agency's complaints as the queue narrows them: by status (`open`: not answered), overdue (not replied, past the due date) or
    not, kind, or the reference number a complainant reads out."""
    query = visible_complaints(principal)
    if status == "open":  # not answered yet, assigned or not
        query = query.where(Complaint.status != ComplaintStatus.replied.value)
    elif status:
        query = query.where(Complaint.status == status)
    if overdue is True:
        query = query.where(Complaint.status != ComplaintStatus.replied.value, Complaint.due_on < day)
    elif overdue is False:
        query = query.where(~and_(Complaint.status != ComplaintStatus.replied.value, Complaint.due_on < day))
    if about:
        query = query.where(Complaint.about == about)
    if reference is not None:
        known = canonical(reference[:64])
        query = query.where(Complaint.reference_hash == (reference_hash(known) if known else "-"))
    return query


async def queue_page(session: AsyncSession, query: Select[Complaint], cursor: str | None, limit: int) -> tuple[list[Complaint], str | None]:
    """Oldest due first."""
    rows = (await session.execute(keyset(query, QUEUE_KEYS, cursor, limit))).scalars().all()
    return page_of(list(rows), [key.key for key in QUEUE_KEYS], limit)


async def count_of(session: AsyncSession, query: Select[Complaint]) -> int:
    return int((await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one())


async def get_complaint(session: AsyncSession, principal: Principal, complaint_id: str) -> Complaint:
    found = (await session.execute(visible_complaints(principal).where(Complaint.id == complaint_id[:64]))).scalar_one_or_none()
    if found is None:
        raise Problem(404, "complaint-not-found", f"No complaint {complaint_id[:64]}.", detail_zh=problem_text("complaint-not-found"))
    return found


def _open(complaint: Complaint) -> None:
    if complaint.status == ComplaintStatus.replied:
        raise Problem(409, "complaint-replied", "The complaint has been answered already.", detail_zh=problem_text("complaint-replied"))


async def assign(session: AsyncSession, principal: Principal, complaint: Complaint, body: AssignBody) -> Complaint:
    _open(complaint)
    complaint.assignee = body.assignee
    complaint.assigned_at = utcnow()
    complaint.assigned_by = principal.name
    complaint.status = ComplaintStatus.assigned.value
    await session.flush()
    await record(
        session, principal, "complaint.assigned", agency=complaint.agency, payload={"complaint_id": complaint.id, "assignee": body.assignee}
    )
    return complaint


async def reply(session: AsyncSession, principal: Principal, complaint: Complaint, body: ReplyBody, tz: tzinfo) -> Complaint:
    """The answer, once: the complainant reads it by the reference number from now on."""
    _open(complaint)
    complaint.reply = body.text
    complaint.replied_at = utcnow()
    complaint.replied_on = today(tz)
    complaint.replied_by = principal.name
    complaint.status = ComplaintStatus.replied.value
    await session.flush()
    late = complaint.replied_on > complaint.due_on
    await record(
        session,
        principal,
        "complaint.replied",
        agency=complaint.agency,
        payload={"complaint_id": complaint.id, "late": late, "reply_sha256": hashlib.sha256(body.text.encode()).hexdigest()},
    )
    return complaint


class DayCount(NamedTuple):
    """Complaints filed on a day about one kind of thing with one due date, and how many of them were answered,
    late or not — what the statistics keep (stats_complaint_days)."""

    filed_on: date
    about: str
    due_on: date
    filed: int
    replied: int
    replied_late: int


async def day_counts(session: AsyncSession, agency: str) -> list[DayCount]:
    """The agency's complaints counted by the day filed, kind and due date (one statement)."""
    replied = Complaint.status == ComplaintStatus.replied.value
    rows = await session.execute(
        select(
            Complaint.filed_on,
            Complaint.about,
            Complaint.due_on,
            func.count(),
            func.sum(case((replied, 1), else_=0)),
            func.sum(case((and_(replied, Complaint.replied_on > Complaint.due_on), 1), else_=0)),
        )
        .where(Complaint.agency == agency)
        .group_by(Complaint.filed_on, Complaint.about, Complaint.due_on)
    )
    return [
        DayCount(filed_on, about, due_on, int(filed), int(done or 0), int(late or 0))
        for filed_on, about, due_on, filed, done, late in rows.all()
    ]
