"""行政执法公示: publications drafted from a case's decision, redacted, approved by a second person,
published once the party has been told, annotated when the decision changes and withdrawn when it is
revoked; they leave the public list at the end of their period by themselves.

Services add and flush and record their audit event; the request commits.
"""

import asyncio
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..auth.service import Principal, scoped_to_agency
from ..catalog.schemas import Catalog
from ..cases.record import current_document, signers_of_case
from ..cases.service import get_case
from ..db import utcnow
from ..pagination import keyset, page_of
from ..problems import Problem
from ..times import local, require_offset, today
from ..workdays.counting import add_months
from ..workdays.service import working_calendar
from .models import Publication, PublicationVersion
from ..webhooks.service import enqueue
from .redaction import Subjects, redact
from .schemas import (
    KIND_FIELDS,
    AnnotationCreate,
    NoticeCreate,
    PublicationCreate,
    PublicationUpdate,
    RevocationCreate,
    WithdrawalCreate,
)

COUNTED = {"signed", "issued", "served"}
PUBLIC_STATUSES = ("published", "annotated")
OPEN_STATUSES = ("draft", "approved")
ACTIVE_STATUSES = ("draft", "approved", "published", "annotated")


def visible_publications(principal: Principal) -> Select:
    return scoped_to_agency(select(Publication), Publication.agency, principal)


async def get_publication(session: AsyncSession, principal: Principal, publication_id: str) -> Publication:
    publication = (await session.execute(visible_publications(principal).where(Publication.id == publication_id))).scalar_one_or_none()
    if publication is None:
        raise Problem(404, "publication-not-found", f"No publication {publication_id}.")
    return publication


def _party(parties: list[dict]) -> dict | None:
    return parties[0] if parties else None


def _category(party: dict | None) -> str | None:
    if party is None:
        return None
    if party.get("kind") == "person":
        return "natural_person"
    return "individual_business" if (party.get("id_number") or "").upper().startswith("92") else "legal_person"


def _wan(yuan: str | None) -> float | None:
    return float((Decimal(yuan) / 10000).quantize(Decimal("0.000001"))) if yuan else None


def _draft_fields(kind: str, case, version, decided_on: date) -> tuple[dict, dict]:
    """The record's fields from the case, its facts and the decision (public), and what only the platform gets."""
    party = _party(case.parties or [])
    category = _category(party)
    natural = category == "natural_person"
    facts = case.facts or {}
    fields = {
        "party_name": party["name"] if party else None, "party_category": category,
        "party_code": None if natural or party is None else party.get("id_number"),
        "legal_representative": None, "doc_number": version.doc_number, "decided_on": decided_on.isoformat(),
        "authority": case.agency, "authority_code": None, "data_source": case.agency, "data_source_code": None, "note": None,
    }
    if kind == "penalty":
        fields.update(violation_type=case.category, violation_facts=None, basis=None, penalty_category=None,
                      penalty_content=version.title, fine_wan=_wan(facts.get("fine_yuan")),
                      confiscated_wan=_wan(facts.get("confiscated_yuan")), license_affected=None)
    elif kind == "license":
        fields.update(doc_name=version.title, license_category=case.category, certificate_name=None, certificate_number=None,
                      license_content=None, valid_from=None, valid_to=None)
    else:
        fields.update(inspection_matter=case.title, inspection_result=version.title)
    private = {"id_type": "身份证", "id_number": party.get("id_number")} if natural and party and party.get("id_number") else {}
    return fields, private


def _subjects(case, other_names: set[str]) -> Subjects:
    party = _party(case.parties or [])
    names = {p["name"] for p in (case.parties or [])}
    natural = party is not None and _category(party) in ("natural_person", "individual_business")
    return Subjects(party_name=party["name"] if party else None, party_is_natural_person=natural,
                    other_names=sorted(n for n in other_names if n not in names))


def _not_publishable(catalog: Catalog, case, severity: str, period_months: int | None) -> str | None:
    facts = case.facts or {}
    if facts.get("party_is_minor"):
        return "当事人为未成年人，依法不予公示。"
    if facts.get("state_secret"):
        return "案件涉及国家秘密，依法不予公示。"
    if facts.get("personal_privacy"):
        return "案件涉及个人隐私，依法不予公示。"
    if not catalog.publication.periods[severity].publish and period_months is None:
        return "轻微违法行为，依信用修复管理办法一般不予公示。"
    return None


def _period(catalog: Catalog, severity: str, period_months: int | None) -> int:
    rule = catalog.publication.periods[severity]
    months = period_months if period_months is not None else rule.max_months
    if not max(rule.min_months, 1) <= months <= rule.max_months:
        raise Problem(400, "period-out-of-range", f"A {severity} publication stays public {max(rule.min_months, 1)} to "
                      f"{rule.max_months} months.", field="period_months")
    return months


async def create_publication(session: AsyncSession, catalog: Catalog, principal: Principal, body: PublicationCreate, tz) -> Publication:
    case = await get_case(session, principal, body.case_id)
    document, version = await current_document(session, case, body.document_id)
    if document.doc_type not in catalog.publication.decision_documents[body.kind]:
        allowed = ", ".join(catalog.publication.decision_documents[body.kind])
        raise Problem(400, "not-a-decision", f"A {body.kind} publication is made from one of: {allowed}.", field="document_id")
    if version.status not in COUNTED:
        raise Problem(409, "decision-not-final", "The decision is not signed, issued or served yet (or it was voided).")
    decided = version.issued_at or version.signed_at
    if decided is None:
        raise Problem(409, "decision-undated", "The decision has no issue or signature date to count the deadline from.")
    existing = (await session.execute(select(Publication.id).where(
        Publication.document_id == document.id, Publication.status.in_(ACTIVE_STATUSES)))).scalar()
    if existing is not None:
        raise Problem(409, "already-published", f"This decision already has publication {existing}.", publication_id=existing)
    decided_on = decided.astimezone(tz).date()
    reason = _not_publishable(catalog, case, body.severity, body.period_months)
    months = None if reason else _period(catalog, body.severity, body.period_months)
    calendar = await working_calendar(session, catalog)
    due = calendar.add_working_days(decided_on, catalog.publication.due_working_days[body.kind])
    fields, private = _draft_fields(body.kind, case, version, decided_on)
    named = sorted({n.strip() for n in body.other_names if n.strip()})
    if named:
        private["other_names"] = named  # remembered: an edited text is redacted against them again
    others = set(named) | await signers_of_case(session, case.id)
    # A decision may run to 200,000 characters: its patterns are matched in a thread, off the event loop.
    redaction = await asyncio.to_thread(redact, version.text, _subjects(case, others)) if version.text else None
    now = utcnow()
    publication = Publication(
        agency=case.agency, case_id=case.id, document_id=document.id, kind=body.kind, severity=body.severity,
        status="not_publishable" if reason else "draft", version=1, fields=fields, private_fields=private,
        public_text=redaction.text if redaction else None,
        redaction=redaction.report(version.text) if redaction else [], decided_on=decided_on, due_on=due.due_on,
        due_provisional=due.provisional, period_months=months,
        period_ends_on=add_months(decided_on, months) if months else None, not_publishable_reason=reason,
        annotations=[], created_by=principal.id, created_at=now, updated_at=now,
    )
    session.add(publication)
    await session.flush()
    _keep_version(session, publication, principal, "drafted from the decision")
    await record(session, principal, "publication.created", agency=case.agency, case_id=case.id,
                 payload={"publication_id": publication.id, "document_id": document.id, "kind": body.kind,
                          "severity": body.severity, "status": publication.status, "due_on": publication.due_on.isoformat(),
                          **({"reason": reason} if reason else {}),
                          "removed": sum(1 for span in publication.redaction if span["removed"])})
    return publication


async def versions_of(session: AsyncSession, publication: Publication) -> list[PublicationVersion]:
    return list((await session.execute(select(PublicationVersion).where(PublicationVersion.publication_id == publication.id)
                                       .order_by(PublicationVersion.version))).scalars())


def _keep_version(session: AsyncSession, publication: Publication, principal: Principal, note: str | None) -> None:
    session.add(PublicationVersion(publication_id=publication.id, version=publication.version, fields=dict(publication.fields),
                                   public_text=publication.public_text, note=note, changed_by=principal.id, changed_at=utcnow()))


def _require(publication: Publication, *statuses: str) -> None:
    if publication.status not in statuses:
        raise Problem(409, "publication-status", f"This publication is {publication.status}; the step needs it "
                      f"{' or '.join(statuses)}.", status_now=publication.status)


async def update_publication(session: AsyncSession, catalog: Catalog, principal: Principal, publication: Publication,
                             body: PublicationUpdate) -> Publication:
    _require(publication, "draft")
    changes: dict = {}
    if body.fields is not None:
        unknown = sorted(set(body.fields) - set(KIND_FIELDS[publication.kind]))
        if unknown:
            raise Problem(400, "unknown-field", f"{', '.join(unknown)}: not a field of a {publication.kind} publication "
                          f"({', '.join(KIND_FIELDS[publication.kind])}).", field=unknown[0])
        fields = dict(publication.fields)
        for name, value in body.fields.items():
            fields[name] = value.strip() if isinstance(value, str) else value
        changes["fields"] = sorted(body.fields)
        publication.fields = fields
    if body.public_text is not None:
        case = await get_case(session, principal, publication.case_id)
        names = set(publication.private_fields.get("other_names", [])) | await signers_of_case(session, case.id)
        again = await asyncio.to_thread(redact, body.public_text, _subjects(case, names))
        publication.public_text = again.text
        publication.redaction = again.report(body.public_text)
        changes["public_text"] = {"removed_again": sum(1 for s in again.spans if s.removed)}
    if body.severity is not None or "period_months" in body.model_fields_set:
        severity = body.severity or publication.severity
        months = _period(catalog, severity, body.period_months if "period_months" in body.model_fields_set else publication.period_months)
        publication.severity, publication.period_months = severity, months
        publication.period_ends_on = add_months(publication.decided_on, months)
        changes["period"] = {"severity": severity, "months": months}
    if not changes:
        return publication
    publication.version += 1
    publication.updated_at = utcnow()
    await session.flush()
    _keep_version(session, publication, principal, body.note)
    await record(session, principal, "publication.updated", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, "version": publication.version, **changes,
                          **({"note": body.note} if body.note else {})})
    return publication


async def record_notice(session: AsyncSession, principal: Principal, publication: Publication, body: NoticeCreate, tz) -> Publication:
    _require(publication, "draft", "approved")
    require_offset(body.notified_at, "notified_at")
    publication.notice = {"method": body.method, "notified_at": body.notified_at.astimezone(tz).isoformat(),
                          "note": body.note, "recorded_by": principal.name}
    publication.updated_at = utcnow()
    await session.flush()
    await record(session, principal, "publication.notice_recorded", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, "method": body.method, "notified_at": publication.notice["notified_at"]})
    return publication


async def approve(session: AsyncSession, principal: Principal, publication: Publication) -> Publication:
    _require(publication, "draft")
    if principal.id == publication.created_by:
        raise Problem(409, "approver-is-drafter", "The person or system that drafted a publication cannot approve it: a second "
                      "person reviews the redaction.")
    publication.status, publication.approved_by, publication.approved_at = "approved", principal.id, utcnow()
    publication.updated_at = publication.approved_at
    await session.flush()
    await record(session, principal, "publication.approved", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, "version": publication.version,
                          "flagged": sum(1 for span in publication.redaction if span["needs_review"])})
    return publication


async def publish(session: AsyncSession, principal: Principal, publication: Publication, tz) -> Publication:
    _require(publication, "approved")
    if not publication.notice:
        raise Problem(409, "notice-missing", "Record that the party was told the decision will be published "
                      "(POST …/notice) before publishing it.")
    publication.status, publication.published_at = "published", utcnow()
    publication.updated_at = publication.published_at
    await session.flush()
    await record(session, principal, "publication.published", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, "version": publication.version,
                          "period_ends_on": publication.period_ends_on.isoformat() if publication.period_ends_on else None})
    await enqueue(session, publication.agency, "publication.published", public_out(publication, tz))
    return publication


async def annotate(session: AsyncSession, principal: Principal, publication: Publication, body: AnnotationCreate, tz) -> Publication:
    _require(publication, *PUBLIC_STATUSES)
    note = {"at": utcnow().astimezone(tz).isoformat(), "note": body.note,
            "changed_on": body.changed_on.isoformat() if body.changed_on else None}
    publication.annotations = [*publication.annotations, note]
    publication.status, publication.updated_at = "annotated", utcnow()
    await session.flush()
    await record(session, principal, "publication.annotated", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, **note})
    await enqueue(session, publication.agency, "publication.annotated", public_out(publication, tz))
    return publication


async def record_revocation(session: AsyncSession, catalog: Catalog, principal: Principal, publication: Publication,
                            body: RevocationCreate) -> Publication:
    """The decision was revoked: the item stays public until withdrawn, which is now due within 3 working days."""
    _require(publication, *PUBLIC_STATUSES)
    calendar = await working_calendar(session, catalog)
    due = calendar.add_working_days(body.revoked_on, catalog.publication.withdraw_within_working_days)
    publication.revoked_on, publication.withdraw_due_on, publication.updated_at = body.revoked_on, due.due_on, utcnow()
    await session.flush()
    await record(session, principal, "publication.revocation_recorded", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, "revoked_on": body.revoked_on.isoformat(), "withdraw_due_on": due.due_on.isoformat(),
                          **({"note": body.note} if body.note else {})})
    return publication


async def withdraw(session: AsyncSession, catalog: Catalog, principal: Principal, publication: Publication, body: WithdrawalCreate,
                   tz) -> Publication:
    _require(publication, *PUBLIC_STATUSES)
    publication.status, publication.withdrawn_at = "withdrawn", utcnow()
    publication.withdrawal_reason = body.reason
    if body.revoked_on is not None:
        publication.revoked_on = body.revoked_on
        calendar = await working_calendar(session, catalog)
        publication.withdraw_due_on = calendar.add_working_days(body.revoked_on, catalog.publication.withdraw_within_working_days).due_on
    publication.updated_at = publication.withdrawn_at
    await session.flush()
    late = publication.withdraw_due_on is not None and publication.withdrawn_at.astimezone(tz).date() > publication.withdraw_due_on
    await record(session, principal, "publication.withdrawn", agency=publication.agency, case_id=publication.case_id,
                 payload={"publication_id": publication.id, "reason": body.reason,
                          **({"revoked_on": publication.revoked_on.isoformat(), "due_on": publication.withdraw_due_on.isoformat(),
                              "late": late} if publication.revoked_on else {})})
    await enqueue(session, publication.agency, "publication.withdrawn", public_out(publication, tz))
    return publication


async def expire_due(session: AsyncSession, principal: Principal, today: date, tz) -> int:
    """End the publications whose period is over (each recorded). Public reads already hide them."""
    due = (await session.execute(select(Publication).where(
        Publication.status.in_(PUBLIC_STATUSES), Publication.period_ends_on < today).with_for_update(skip_locked=True))).scalars().all()
    for publication in due:
        publication.status, publication.expired_at = "expired", utcnow()
        publication.updated_at = publication.expired_at
        await record(session, principal, "publication.expired", agency=publication.agency, case_id=publication.case_id,
                     payload={"publication_id": publication.id, "period_ends_on": publication.period_ends_on.isoformat()})
        await enqueue(session, publication.agency, "publication.expired", {"id": publication.id, "kind": publication.kind,
                                                                          "doc_number": publication.fields.get("doc_number"),
                                                                          "period_ends_on": publication.period_ends_on})
    await session.flush()
    return len(due)


def public_query(today: date) -> Select:
    """Everything anyone may read: published or annotated within their period, and withdrawal notices."""
    return select(Publication).where(or_(
        and_(Publication.status.in_(PUBLIC_STATUSES), or_(Publication.period_ends_on.is_(None), Publication.period_ends_on >= today)),
        Publication.status == "withdrawn",
    ), Publication.published_at.is_not(None))


def overdue(publication: Publication, today: date) -> bool:
    """Not published by its due date, or still public past the day its withdrawal was due."""
    if publication.status in OPEN_STATUSES:
        return publication.due_on < today
    return publication.status in PUBLIC_STATUSES and publication.withdraw_due_on is not None and publication.withdraw_due_on < today


def overdue_condition(today: date):
    return or_(and_(Publication.status.in_(OPEN_STATUSES), Publication.due_on < today),
               and_(Publication.status.in_(PUBLIC_STATUSES), Publication.withdraw_due_on < today))


def publication_out(publication: Publication, tz, today: date) -> dict:
    return {
        "id": publication.id, "agency": publication.agency, "case_id": publication.case_id, "document_id": publication.document_id,
        "kind": publication.kind, "severity": publication.severity, "status": publication.status, "version": publication.version,
        "fields": publication.fields, "public_text": publication.public_text, "redaction": publication.redaction,
        "needs_review": any(span["needs_review"] for span in publication.redaction), "decided_on": publication.decided_on,
        "due_on": publication.due_on, "due_provisional": publication.due_provisional, "overdue": overdue(publication, today),
        "period_months": publication.period_months, "period_ends_on": publication.period_ends_on,
        "not_publishable_reason": publication.not_publishable_reason, "notice": publication.notice,
        "approved_by": publication.approved_by, "approved_at": local(publication.approved_at, tz),
        "published_at": local(publication.published_at, tz), "annotations": publication.annotations,
        "withdrawn_at": local(publication.withdrawn_at, tz), "withdrawal_reason": publication.withdrawal_reason,
        "revoked_on": publication.revoked_on, "withdraw_due_on": publication.withdraw_due_on,
        "expired_at": local(publication.expired_at, tz), "created_at": local(publication.created_at, tz),
        "updated_at": local(publication.updated_at, tz),
    }


def public_out(publication: Publication, tz) -> dict:
    withdrawn = publication.status == "withdrawn"
    return {
        "id": publication.id, "kind": publication.kind, "status": publication.status, "agency": publication.agency,
        # a withdrawal notice names the decision, not the party
        "fields": {"doc_number": publication.fields.get("doc_number")} if withdrawn else publication.fields,
        "public_text": None if withdrawn else publication.public_text,
        "decided_on": publication.decided_on, "published_at": local(publication.published_at, tz),
        "period_ends_on": publication.period_ends_on, "annotations": [] if withdrawn else publication.annotations,
        "withdrawn_at": local(publication.withdrawn_at, tz), "withdrawal_reason": publication.withdrawal_reason,
    }


async def public_page(session: AsyncSession, tz, *, q: str | None, kind: str | None, agency: str | None, cursor: str | None,
                      limit: int) -> tuple[list[dict], str | None]:
    """A page of what anyone may read, newest first; `q` searches the public fields only (removed data is not in them)."""
    query = public_query(today(tz))
    if kind:
        query = query.where(Publication.kind == kind)
    if agency:
        query = query.where(Publication.agency == agency)
    if q and q.strip():
        query = query.where(cast(Publication.fields, String).contains(q.strip(), autoescape=True))
    rows = (await session.execute(keyset(query, [Publication.published_at, Publication.id], cursor, limit, descending=True))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["published_at", "id"], limit)
    return [public_out(p, tz) for p in rows], next_cursor


async def public_item(session: AsyncSession, tz, publication_id: str) -> dict | None:
    found = (await session.execute(public_query(today(tz)).where(Publication.id == publication_id))).scalar_one_or_none()
    return public_out(found, tz) if found is not None else None


def expire_publications(sessionmaker, tz):
    """Periodic work for the job queue: end the publications whose period is over."""
    from ..audit.service import SYSTEM

    async def run(_queue) -> None:
        async with sessionmaker() as session:
            if await expire_due(session, SYSTEM, today(tz), tz):
                await session.commit()

    return run


async def timeliness(session: AsyncSession, agency: str | None, start: date, end: date, today: date, tz) -> dict[str, dict]:
    """Per kind, for decisions of the period: how many were to be published, published by the due date, published
    late, still unpublished past it; revoked ones to withdraw, withdrawn within the working days allowed, late or
    still public past it. Drafts not yet due and the not-publishable count apart."""
    query = select(Publication.kind, Publication.status, Publication.due_on, Publication.published_at, Publication.withdraw_due_on,
                   Publication.withdrawn_at).where(Publication.decided_on >= start, Publication.decided_on <= end)
    if agency is not None:
        query = query.where(Publication.agency == agency)
    out: dict[str, dict] = {}
    for kind, status, due_on, published_at, withdraw_due_on, withdrawn_at in (await session.execute(query)).all():
        row = out.setdefault(kind, dict.fromkeys(("publications", "not_publishable", "published_on_time", "published_late",
                                                  "unpublished_overdue", "pending", "withdrawals_due", "withdrawn_on_time",
                                                  "withdrawn_late", "withdrawal_overdue"), 0))
        row["publications"] += 1
        if status == "not_publishable":
            row["not_publishable"] += 1
            continue
        if published_at is not None:
            row["published_on_time" if published_at.astimezone(tz).date() <= due_on else "published_late"] += 1
        elif due_on < today:
            row["unpublished_overdue"] += 1
        else:
            row["pending"] += 1
        if withdraw_due_on is not None:
            row["withdrawals_due"] += 1
            if withdrawn_at is not None:
                row["withdrawn_on_time" if withdrawn_at.astimezone(tz).date() <= withdraw_due_on else "withdrawn_late"] += 1
            elif withdraw_due_on < today:
                row["withdrawal_overdue"] += 1
    return out
