"""行政执法公示: publications drafted from a case's decision, redacted, approved by a second person,
published once the party has been told, annotated when the decision changes and withdrawn when it is
revoked; they leave the public list at the end of their period by themselves.

Services add and flush and record their audit event; the request commits.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..agencies.models import AgencyProfile
from ..agencies.service import agency_codes_under, get_agency, missing_for_publication
from ..audit.service import Actor, record
from ..cases.events import decision_revoked
from ..cases.models import Case, DocumentVersion
from ..cases.record import current_document, signers_of_case
from ..cases.service import get_case, record_decision_revoked
from ..catalog.schemas import Catalog, PublicationRules
from ..core.db import utcnow
from ..core.messages import problem_text
from ..core.pagination import keyset, page_of
from ..core.principals import Principal, scoped_to_agency
from ..core.problems import Problem
from ..core.times import require_offset, today
from ..core.values import plausible_day
from ..officers.service import names_in_register
from ..webhooks.service import enqueue
from ..workdays.counting import add_months
from ..workdays.service import working_calendar
from .exchange import ExchangeRecord, RecordProblem, problems_of, record_of, text_of
from .extract import basis_in, facts_in, legal_representative_in, penalty_category, penalty_content
from .models import Publication, PublicationVersion
from .redaction import Subjects, redact
from .schemas import (
    KIND_FIELDS,
    UNREDACTED_FIELDS,
    AnnotationCreate,
    NoticeCreate,
    PerformanceCreate,
    PublicationCreate,
    PublicationOut,
    PublicationUpdate,
    PublicItem,
    RevocationCreate,
    WithdrawalCreate,
)
from .stored import AnnotationEntry, CorrectionEntry, FieldValue, PerformanceEntry, PrivateFields, RedactedSpan, Severity

COUNTED = {"signed", "issued", "served"}
PUBLIC_STATUSES = ("published", "annotated")
OPEN_STATUSES = ("draft", "approved")
ACTIVE_STATUSES = ("draft", "approved", "published", "annotated")


def publication_rules(catalog: Catalog) -> PublicationRules:
    """The catalog's publication rules: load_catalog always reads a publication.yaml (the agency's or the packaged one)."""
    assert catalog.publication is not None
    return catalog.publication


def visible_publications(principal: Principal) -> Select[Publication]:
    return scoped_to_agency(select(Publication), Publication.agency, principal)


async def get_publication(session: AsyncSession, principal: Principal, publication_id: str) -> Publication:
    publication = (await session.execute(visible_publications(principal).where(Publication.id == publication_id))).scalar_one_or_none()
    if publication is None:
        raise Problem(404, "publication-not-found", f"No publication {publication_id}.")
    return publication


def _party(parties: list[dict[str, Any]]) -> dict[str, Any] | None:
    return parties[0] if parties else None


def _category(party: Mapping[str, Any] | None) -> str | None:
    if party is None:
        return None
    if party.get("kind") == "person":
        return "natural_person"
    return "individual_business" if (party.get("id_number") or "").upper().startswith("92") else "legal_person"


def _wan(yuan: str | None) -> float | int | None:
    """Yuan as 万元, as the platforms take it: 20000 → 2, 5000 → 0.5."""
    if not yuan:
        return None
    amount = float((Decimal(yuan) / 10000).quantize(Decimal("0.000001")))
    return int(amount) if amount.is_integer() else amount


def _draft_fields(
    catalog: Catalog, kind: str, case: Case, version: DocumentVersion, decided_on: date, agency: AgencyProfile | None
) -> tuple[dict[str, FieldValue], PrivateFields]:
    """The record's fields from the case, its facts, the decision and the agency's profile (public), and what only
    the platform gets. Each is editable in the draft; the facts win over what is read from the decision's text."""
    party = _party(case.parties or [])
    category = _category(party)
    natural = category == "natural_person"
    facts = case.facts or {}
    text = version.text or ""
    fields: dict[str, FieldValue] = {
        "party_name": party["name"] if party else None,
        "party_category": category,
        "party_code": None if natural or party is None else party.get("id_number"),
        "legal_representative": None if natural or party is None else (party.get("legal_representative") or legal_representative_in(text)),
        "doc_number": version.doc_number,
        "decided_on": decided_on.isoformat(),
        **agency_fields(agency),
        "note": None,
    }
    if kind == "penalty":
        fields.update(
            violation_type=case.category,
            violation_facts=facts.get("violation_facts") or facts_in(text),
            basis=facts.get("legal_basis") or basis_in(text),
            penalty_category=penalty_category(catalog, facts),
            penalty_content=penalty_content(catalog, facts),
            fine_wan=_wan(facts.get("fine_yuan")),
            confiscated_wan=_wan(facts.get("confiscated_yuan")),
            license_affected=None,
        )
    elif kind == "license":
        fields.update(
            doc_name=version.title,
            license_category=case.category,
            certificate_name=None,
            certificate_number=None,
            license_content=None,
            valid_from=None,
            valid_to=None,
        )
    else:
        fields.update(inspection_matter=case.title, inspection_result=version.title)
    private: PrivateFields = {"id_type": "身份证", "id_number": party["id_number"]} if natural and party and party.get("id_number") else {}
    return fields, private


def agency_fields(agency: AgencyProfile | None) -> dict[str, str | None]:
    """处罚（许可）机关 and 数据来源单位 with their codes: the agency's own profile, never its bare code."""
    name, code = (agency.name_zh, agency.uscc) if agency is not None else (None, None)
    return {"authority": name, "authority_code": code, "data_source": name, "data_source_code": code}


async def _subjects(
    session: AsyncSession, case: Case, other_names: set[str], agency: AgencyProfile | None, legal_representative: FieldValue = None
) -> Subjects:
    """Who the text is about: the party and the people the case knows. Officers (of the case and the register), an
    organisation's legal representative and the agency's own contacts stay; other named people go."""
    party = _party(case.parties or [])
    names = {p["name"] for p in (case.parties or [])}
    natural = party is not None and _category(party) in ("natural_person", "individual_business")
    keep = {o.get("name", "").strip() for o in (case.officers or [])} | await names_in_register(session, case.agency)
    keep |= {
        p["legal_representative"].strip() for p in (case.parties or []) if p.get("kind") == "organization" and p.get("legal_representative")
    }
    if legal_representative:
        keep.add(text_of(legal_representative).strip())  # as the draft names it (published with an organisation's decisions)
    phrases = [value for value in ((agency.address, agency.phone) if agency is not None else ()) if value]
    keep.discard("")
    return Subjects(
        party_name=party["name"] if party else None,
        party_is_natural_person=natural,
        other_names=sorted(n for n in other_names if n not in names and n not in keep),
        keep_names=sorted(keep),
        keep_phrases=phrases,
    )


async def _subjects_of(
    session: AsyncSession, principal: Principal, publication: Publication, fields: Mapping[str, FieldValue] | None = None
) -> Subjects:
    case = await get_case(session, principal, publication.case_id)
    names = set(publication.private_fields.get("other_names", [])) | await signers_of_case(session, case.id)
    representative = (fields if fields is not None else publication.fields).get("legal_representative")
    return await _subjects(session, case, names, await get_agency(session, publication.agency), representative)


def _redact_values(values: dict[str, str], subjects: Subjects) -> tuple[dict[str, str], list[RedactedSpan]]:
    """Every value that reaches the public goes through the same redaction; the report's spans name their field."""
    out: dict[str, str] = {}
    report: list[RedactedSpan] = []
    for name, value in values.items():
        result = redact(value, subjects)
        out[name] = result.text
        report += [{**span, "field": name} for span in result.report(value)]
    return out, report


Value = TypeVar("Value", str, str | None, FieldValue)  # what is redacted: texts, and texts among other values


async def _redacted(values: Mapping[str, Value], subjects: Subjects) -> tuple[dict[str, Value], list[RedactedSpan]]:
    """`_redact_values` off the event loop (a decision may run to 200,000 characters); empty values pass as they are."""
    texts = {name: value for name, value in values.items() if isinstance(value, str) and value}
    out, report = await asyncio.to_thread(_redact_values, texts, subjects)
    return {**values, **out}, report


def _public_field_values(fields: Mapping[str, FieldValue]) -> dict[str, str]:
    return {name: value for name, value in fields.items() if isinstance(value, str) and name not in UNREDACTED_FIELDS}


def _not_publishable(catalog: Catalog, case: Case, severity: Severity, period_months: int | None) -> str | None:
    facts = case.facts or {}
    if facts.get("party_is_minor"):
        return "当事人为未成年人，依法不予公示。"
    if facts.get("state_secret"):
        return "案件涉及国家秘密，依法不予公示。"
    if facts.get("personal_privacy"):
        return "案件涉及个人隐私，依法不予公示。"
    if not publication_rules(catalog).periods[severity].publish and period_months is None:
        return "轻微违法行为，依信用修复管理办法一般不予公示。"
    return None


def _period(catalog: Catalog, severity: Severity, period_months: int | None) -> int:
    rule = publication_rules(catalog).periods[severity]
    months = period_months if period_months is not None else rule.max_months
    if not max(rule.min_months, 1) <= months <= rule.max_months:
        raise Problem(
            400,
            "period-out-of-range",
            f"A {severity} publication stays public {max(rule.min_months, 1)} to {rule.max_months} months.",
            field="period_months",
        )
    return months


async def create_publication(
    session: AsyncSession, catalog: Catalog, principal: Principal, body: PublicationCreate, tz: tzinfo
) -> Publication:
    case = await get_case(session, principal, body.case_id)
    document, version = await current_document(session, case, body.document_id)
    if document.doc_type not in publication_rules(catalog).decision_documents[body.kind]:
        allowed = ", ".join(publication_rules(catalog).decision_documents[body.kind])
        raise Problem(400, "not-a-decision", f"A {body.kind} publication is made from one of: {allowed}.", field="document_id")
    if version.status not in COUNTED:
        raise Problem(409, "decision-not-final", "The decision is not signed, issued or served yet (or it was voided).")
    decided = version.issued_at or version.signed_at
    if decided is None:
        raise Problem(409, "decision-undated", "The decision has no issue or signature date to count the deadline from.")
    existing = (
        await session.execute(select(Publication.id).where(Publication.document_id == document.id, Publication.status.in_(ACTIVE_STATUSES)))
    ).scalar()
    if existing is not None:
        raise Problem(409, "already-published", f"This decision already has publication {existing}.", publication_id=existing)
    decided_on = decided.astimezone(tz).date()
    reason = _not_publishable(catalog, case, body.severity, body.period_months)
    months = None if reason else _period(catalog, body.severity, body.period_months)
    calendar = await working_calendar(session, catalog, case.agency)
    due = calendar.add_working_days(decided_on, publication_rules(catalog).due_working_days[body.kind])
    agency = await get_agency(session, case.agency)
    fields, private = _draft_fields(catalog, body.kind, case, version, decided_on, agency)
    named = sorted({n.strip() for n in body.other_names if n.strip()})
    if named:
        private["other_names"] = named  # remembered: an edited text is redacted against them again
    subjects = await _subjects(
        session, case, set(named) | await signers_of_case(session, case.id), agency, fields.get("legal_representative")
    )
    public_values: dict[str, str | None] = {**_public_field_values(fields), "public_text": version.text}
    values, report = await _redacted(public_values, subjects)
    public_text = values.pop("public_text")
    now = utcnow()
    publication = Publication(
        agency=case.agency,
        case_id=case.id,
        document_id=document.id,
        kind=body.kind,
        severity=body.severity,
        status="not_publishable" if reason else "draft",
        version=1,
        fields={**fields, **values},
        private_fields=private,
        public_text=public_text,
        redaction=report,
        decided_on=decided_on,
        due_on=due.due_on,
        due_provisional=due.provisional,
        period_months=months,
        period_ends_on=add_months(decided_on, months) if months else None,
        not_publishable_reason=reason,
        annotations=[],
        corrections=[],
        performance=[],
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    session.add(publication)
    await session.flush()
    _keep_version(session, publication, principal, "drafted from the decision")
    await record(
        session,
        principal,
        "publication.created",
        agency=case.agency,
        case_id=case.id,
        payload={
            "publication_id": publication.id,
            "document_id": document.id,
            "kind": body.kind,
            "severity": body.severity,
            "status": publication.status,
            "due_on": publication.due_on.isoformat(),
            **({"reason": reason} if reason else {}),
            "removed": sum(1 for span in publication.redaction if span["removed"]),
        },
    )
    return publication


async def publications_of_documents(session: AsyncSession, principal: Principal, document_ids: list[str]) -> dict[str, Publication]:
    """The active publication (draft to published) of each decision document that has one."""
    if not document_ids:
        return {}
    rows = (
        await session.execute(
            visible_publications(principal).where(
                Publication.document_id.in_(document_ids), Publication.status.in_((*ACTIVE_STATUSES, "not_publishable"))
            )
        )
    ).scalars()
    return {p.document_id: p for p in rows}


async def versions_of(session: AsyncSession, publication: Publication) -> list[PublicationVersion]:
    return list(
        (
            await session.execute(
                select(PublicationVersion).where(PublicationVersion.publication_id == publication.id).order_by(PublicationVersion.version)
            )
        ).scalars()
    )


def _keep_version(session: AsyncSession, publication: Publication, principal: Principal, note: str | None) -> None:
    session.add(
        PublicationVersion(
            publication_id=publication.id,
            version=publication.version,
            fields=dict(publication.fields),
            public_text=publication.public_text,
            note=note,
            changed_by=principal.id,
            changed_at=utcnow(),
        )
    )


def _require(publication: Publication, *statuses: str) -> None:
    if publication.status not in statuses:
        raise Problem(
            409,
            "publication-status",
            f"This publication is {publication.status}; the step needs it {' or '.join(statuses)}.",
            status_now=publication.status,
        )


async def update_publication(
    session: AsyncSession, catalog: Catalog, principal: Principal, publication: Publication, body: PublicationUpdate, tz: tzinfo
) -> Publication:
    """Edit a draft, or correct a published item: a new version either way, every changed value redacted again. A
    correction carries its 变更说明 and date, shown publicly with the item's history."""
    correcting = publication.status in PUBLIC_STATUSES
    _require(publication, "draft", *PUBLIC_STATUSES)
    if correcting and not (body.note or "").strip():
        raise Problem(
            422,
            "correction-note-required",
            "A published item is corrected with a 变更说明 (note) the public reads beside it.",
            field="note",
        )
    if correcting and ("severity" in body.model_fields_set or "period_months" in body.model_fields_set):
        raise Problem(
            409, "period-fixed", "A published item's period is fixed; withdraw it if the decision changed that much.", field="period_months"
        )
    changed_on = (body.changed_on or today(tz)) if correcting else None
    if changed_on is not None and (changed_on > today(tz) or changed_on < publication.decided_on):
        raise Problem(422, "correction-date", "A correction's date lies between the decision and today.", field="changed_on")
    changes: dict[str, object] = {}
    changed: dict[str, FieldValue] = {}
    fields = dict(publication.fields)
    if body.fields is not None:
        unknown = sorted(set(body.fields) - set(KIND_FIELDS[publication.kind]))
        if unknown:
            raise Problem(
                400,
                "unknown-field",
                f"{', '.join(unknown)}: not a field of a {publication.kind} publication ({', '.join(KIND_FIELDS[publication.kind])}).",
                field=unknown[0],
            )
        for name, value in body.fields.items():
            value = value.strip() or None if isinstance(value, str) else value
            _check_field(name, value, today(tz))
            if name in ("fine_wan", "confiscated_wan") and value is not None:
                amount = float(Decimal(str(value)))  # 3 and "3.0" are the same 3 万元, shown as 3
                value = int(amount) if amount.is_integer() else amount
            if value != fields.get(name):
                fields[name] = changed[name] = value
    if body.public_text is not None and body.public_text != publication.public_text:
        changed["public_text"] = body.public_text
    if changed:
        # Agency fields left empty (a profile registered after the draft was made) are filled with this version.
        for name, value in agency_fields(await get_agency(session, publication.agency)).items():
            if value and not fields.get(name):
                fields[name] = changed[name] = value
        redactable: dict[str, FieldValue] = {
            name: value for name, value in changed.items() if name == "public_text" or name not in UNREDACTED_FIELDS
        }
        values, report = await _redacted(redactable, await _subjects_of(session, principal, publication, fields))
        if "public_text" in values:
            publication.public_text = text_of(values.pop("public_text"))  # body.public_text, redacted
        publication.fields = {**fields, **values}
        publication.redaction = [span for span in publication.redaction if span.get("field", "public_text") not in changed] + report
        changes["fields"] = sorted(name for name in changed if name != "public_text")
        if "public_text" in changed:
            changes["public_text"] = {"removed_again": sum(1 for span in report if span["removed"] and span["field"] == "public_text")}
    if not correcting and (body.severity is not None or "period_months" in body.model_fields_set):
        severity = body.severity or publication.severity
        months = _period(catalog, severity, body.period_months if "period_months" in body.model_fields_set else publication.period_months)
        if (severity, months) != (publication.severity, publication.period_months):
            publication.severity, publication.period_months = severity, months
            publication.period_ends_on = add_months(publication.decided_on, months)
            changes["period"] = {"severity": severity, "months": months}
    if not changes:
        return publication
    publication.version += 1
    publication.updated_at = utcnow()
    note = None
    if body.note:
        note = await _redacted_note(body.note.strip(), publication, session, principal)
    if correcting:
        assert changed_on is not None and note is not None  # a correction's date is set, its note required (above)
        correction: CorrectionEntry = {
            "version": publication.version,
            "changed_on": changed_on.isoformat(),
            "note": note,
            "fields": sorted(changed),
            "at": utcnow().astimezone(tz).isoformat(),
        }
        publication.corrections = [*publication.corrections, correction]
    await session.flush()
    _keep_version(session, publication, principal, note)
    action = "publication.corrected" if correcting else "publication.updated"
    await record(
        session,
        principal,
        action,
        agency=publication.agency,
        case_id=publication.case_id,
        payload={"publication_id": publication.id, "version": publication.version, **changes, **({"note": note} if note else {})},
    )
    if correcting:
        await enqueue(session, publication.agency, "publication.corrected", PublicItem.of(publication, tz).model_dump())
    return publication


# How far ahead of today a date field may lie: a decision or a licence's start at most a year (a typo
# beyond), a licence's end within its term (长期 when it has none).
YEARS_AHEAD = {"decided_on": 1, "valid_from": 1, "valid_to": 50}


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_field(name: str, value: FieldValue, today_: date) -> None:
    """Dates are ISO dates within reason, amounts non-negative numbers, the party's category one of three: nothing that
    changes meaning silently (a typo refused, not stored)."""
    if value is None:
        return
    if name in ("decided_on", "valid_from", "valid_to"):
        if name == "valid_to" and value in ("长期", "long_term"):
            return
        # Only the ISO text: a number (20260101) or a compact form is refused rather than stored and misread later.
        if not isinstance(value, str) or not ISO_DAY.match(value):
            raise Problem(422, "invalid-field", f"{name} is a date (YYYY-MM-DD).", field=name)
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise Problem(422, "invalid-field", f"{name} is a date (YYYY-MM-DD).", field=name) from None
        if not plausible_day(day, today_, YEARS_AHEAD[name]):
            raise Problem(
                422,
                "invalid-field",
                f"{name} {day.isoformat()} is not a plausible date: not before 2000 and at most "
                f"{YEARS_AHEAD[name]} year{'s' if YEARS_AHEAD[name] > 1 else ''} after today.",
                field=name,
            )
    elif name in ("fine_wan", "confiscated_wan"):
        if isinstance(value, bool):
            raise Problem(422, "invalid-field", f"{name} is an amount in 万元.", field=name)
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            raise Problem(422, "invalid-field", f"{name} is an amount in 万元.", field=name) from None
        if not amount.is_finite() or amount < 0 or amount >= 10**8:
            raise Problem(422, "invalid-field", f"{name} is a non-negative amount in 万元.", field=name)
    elif not isinstance(value, str):
        raise Problem(422, "invalid-field", f"{name} is text, not a number.", field=name)
    elif name == "party_category" and value not in ("natural_person", "legal_person", "individual_business"):
        raise Problem(422, "invalid-field", "party_category is natural_person, legal_person or individual_business.", field=name)
    elif len(value) > 4000:
        raise Problem(422, "invalid-field", f"{name} is at most 4,000 characters.", field=name)


async def _redacted_note(text: str, publication: Publication, session: AsyncSession, principal: Principal) -> str:
    """Notes the public reads (变更说明, withdrawal reasons, 履行情况, annotations) go through the same redaction as the record."""
    values, _ = await _redacted({"note": text}, await _subjects_of(session, principal, publication))
    return values["note"]


async def record_notice(
    session: AsyncSession, principal: Principal, publication: Publication, body: NoticeCreate, tz: tzinfo
) -> Publication:
    _require(publication, "draft", "approved")
    require_offset(body.notified_at, "notified_at")
    told_on = body.notified_at.astimezone(tz).date()
    if body.notified_at > utcnow():
        raise Problem(
            422, "notice-in-future", "The party cannot have been told in the future: notified_at is later than now.", field="notified_at"
        )
    if told_on < publication.decided_on:
        raise Problem(
            422,
            "notice-before-decision",
            f"The party is told of a decision's publication once it is made "
            f"({publication.decided_on.isoformat()}); notified_at is earlier.",
            field="notified_at",
        )
    publication.notice = {
        "method": body.method,
        "notified_at": body.notified_at.astimezone(tz).isoformat(),
        "note": body.note,
        "recorded_by": principal.name,
    }
    publication.updated_at = utcnow()
    await session.flush()
    await record(
        session,
        principal,
        "publication.notice_recorded",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={"publication_id": publication.id, "method": body.method, "notified_at": publication.notice["notified_at"]},
    )
    return publication


async def editors_of(session: AsyncSession, publication_ids: list[str]) -> dict[str, set[str]]:
    """Who drafted or edited each publication (every version names who made it)."""
    rows = (
        (
            await session.execute(
                select(PublicationVersion.publication_id, PublicationVersion.changed_by).where(
                    PublicationVersion.publication_id.in_(publication_ids)
                )
            )
        ).all()
        if publication_ids
        else []
    )
    out: dict[str, set[str]] = {pid: set() for pid in publication_ids}
    for publication_id, changed_by in rows:
        out[publication_id].add(changed_by)
    return out


INSPECTION_REQUIRED = {"party_name": "行政相对人名称", "doc_number": "文书编号", "inspection_result": "检查结果", "authority": "检查机关"}


def record_problems(publication: Publication, agency: AgencyProfile | None) -> list[RecordProblem]:
    """What keeps a record from the 双公示 platforms (and so from approval): the field rules per kind, and an agency
    without a profile to name it."""
    if publication.status == "not_publishable":
        return []
    problems: list[RecordProblem] = [
        {"field": "authority", "code": None, "message": message} for message in missing_for_publication(agency)
    ]
    if publication.kind in ("penalty", "license"):
        problems += problems_of(publication.kind, record_of(publication))
    else:
        problems += [
            {"field": name, "code": None, "message": f"{label}必填"}
            for name, label in INSPECTION_REQUIRED.items()
            if not publication.fields.get(name)
        ]
    return problems


async def approve(session: AsyncSession, principal: Principal, publication: Publication) -> Publication:
    _require(publication, "draft")
    editors = (await editors_of(session, [publication.id]))[publication.id] | {publication.created_by}
    if principal.id == publication.created_by:
        raise Problem(
            409,
            "approver-is-drafter",
            "The person or system that drafted a publication cannot approve it: a second person reviews the redaction.",
        )
    if principal.id in editors:
        raise Problem(409, "approver-edited", "Whoever edited a draft cannot approve it: a second person reviews what was changed.")
    problems = record_problems(publication, await get_agency(session, publication.agency))
    if problems:
        raise Problem(
            422, "publication-incomplete", "公示信息不完整，不能审核通过：" + "；".join(p["message"] for p in problems), problems=problems
        )
    publication.status, publication.approved_by, publication.approved_at = "approved", principal.id, utcnow()
    publication.updated_at = publication.approved_at
    await session.flush()
    await record(
        session,
        principal,
        "publication.approved",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={
            "publication_id": publication.id,
            "version": publication.version,
            "flagged": sum(1 for span in publication.redaction if span["needs_review"]),
        },
    )
    return publication


async def publish(session: AsyncSession, principal: Principal, publication: Publication, tz: tzinfo) -> Publication:
    _require(publication, "approved")
    if not publication.notice:
        raise Problem(
            409,
            "notice-missing",
            "Record that the party was told the decision will be published (POST …/notice) before publishing it.",
            detail_zh=problem_text("notice-missing"),
        )
    # The case row is locked: a revocation recorded on the case at the same moment waits, then finds the item public.
    case = await get_case(session, principal, publication.case_id, for_update=True)
    revoked_on = (case.facts or {}).get("decision_revoked_on")
    if revoked_on and date.fromisoformat(revoked_on) >= publication.decided_on:  # not a decision made again after it
        raise Problem(
            409,
            "decision-revoked",
            f"The case records this decision as revoked on {revoked_on}: a revoked decision is not published.",
            detail_zh=problem_text("decision-revoked"),
        )
    publication.status, publication.published_at = "published", utcnow()
    publication.updated_at = publication.published_at
    await session.flush()
    await record(
        session,
        principal,
        "publication.published",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={
            "publication_id": publication.id,
            "version": publication.version,
            "period_ends_on": publication.period_ends_on.isoformat() if publication.period_ends_on else None,
        },
    )
    await enqueue(session, publication.agency, "publication.published", PublicItem.of(publication, tz).model_dump())
    return publication


async def annotate(
    session: AsyncSession, principal: Principal, publication: Publication, body: AnnotationCreate, tz: tzinfo
) -> Publication:
    _require(publication, *PUBLIC_STATUSES)
    if body.changed_on is not None and (body.changed_on > today(tz) or body.changed_on < publication.decided_on):
        raise Problem(422, "annotation-date", "The day the decision was changed lies between the decision and today.", field="changed_on")
    text = await _redacted_note(body.note.strip(), publication, session, principal)
    note: AnnotationEntry = {
        "at": utcnow().astimezone(tz).isoformat(),
        "note": text,
        "changed_on": body.changed_on.isoformat() if body.changed_on else None,
    }
    publication.annotations = [*publication.annotations, note]
    publication.status, publication.updated_at = "annotated", utcnow()
    await session.flush()
    await record(
        session,
        principal,
        "publication.annotated",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={"publication_id": publication.id, **note},
    )
    await enqueue(session, publication.agency, "publication.annotated", PublicItem.of(publication, tz).model_dump())
    return publication


async def record_revocation(
    session: AsyncSession, catalog: Catalog, principal: Principal, publication: Publication, body: RevocationCreate, tz: tzinfo
) -> Publication:
    """The decision was revoked: the item stays public until withdrawn, which is now due within 3 working days."""
    _require(publication, *PUBLIC_STATUSES)
    await _revocation_recorded(session, catalog, principal, publication, body.revoked_on, tz, **({"note": body.note} if body.note else {}))
    await record_decision_revoked(
        session, principal, await get_case(session, principal, publication.case_id), body.revoked_on, f"publication {publication.id}"
    )
    return publication


@decision_revoked.listen
async def withdrawal_falls_due(
    session: AsyncSession,
    catalog: Catalog,
    principal: Principal,
    case: Case,
    revoked_on: date | None,
    before: date | None,
    tz: tzinfo,
) -> None:
    """The case system set, corrected or cleared the day the case's decision was revoked (PATCH /api/v1/cases/{id}).
    Set or corrected: each public item of a decision made on or before that day, carrying no revocation or the one the
    case had before, is due to be withdrawn within 3 working days of it, as if the revocation had been recorded on the
    item, so the overdue list sees it. Cleared (a mistake undone): the items carrying the case's revocation, not yet
    withdrawn, are due no longer — whether that revocation came from the case or was recorded on the item (which
    records it on the case too). An item of a later decision in the same case (a decision made again after 复议) and an
    item carrying a revocation of another day keep what they have."""
    carried = (
        Publication.revoked_on.is_(None) if before is None else or_(Publication.revoked_on.is_(None), Publication.revoked_on == before)
    )
    publications = (
        await session.execute(
            select(Publication)
            .where(Publication.case_id == case.id, Publication.status.in_(PUBLIC_STATUSES), carried)
            .order_by(Publication.id)
        )
    ).scalars()
    source = f"case {case.id}"
    for publication in publications:
        if revoked_on is None:
            if publication.revoked_on is None:
                continue
            publication.revoked_on, publication.withdraw_due_on, publication.updated_at = None, None, utcnow()
            await session.flush()
            await record(
                session,
                principal,
                "publication.revocation_cleared",
                agency=publication.agency,
                case_id=publication.case_id,
                payload={"publication_id": publication.id, "revoked_on": before.isoformat() if before else None, "source": source},
            )
        elif publication.decided_on <= revoked_on:
            await _revocation_recorded(
                session, catalog, principal, publication, revoked_on, tz, field="facts.decision_revoked_on", source=source
            )


async def _revocation_recorded(
    session: AsyncSession,
    catalog: Catalog,
    principal: Principal,
    publication: Publication,
    revoked_on: date,
    tz: tzinfo,
    *,
    field: str = "revoked_on",
    **said: str,
) -> None:
    """The revocation set on the item and audited with what else was said of it (a note, where it came from)."""
    revocation = await _set_revoked(session, catalog, publication, revoked_on, tz, field=field)
    await record(
        session,
        principal,
        "publication.revocation_recorded",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={**revocation, **said},
    )


async def _set_revoked(
    session: AsyncSession, catalog: Catalog, publication: Publication, revoked_on: date, tz: tzinfo, *, field: str = "revoked_on"
) -> dict[str, str]:
    """The revocation and the withdrawal it makes due, set on the item; what its audit event says of them."""
    _check_revoked_on(publication, revoked_on, tz, field)
    calendar = await working_calendar(session, catalog, publication.agency)
    due = calendar.add_working_days(revoked_on, publication_rules(catalog).withdraw_within_working_days)
    publication.revoked_on, publication.withdraw_due_on, publication.updated_at = revoked_on, due.due_on, utcnow()
    await session.flush()
    return {"publication_id": publication.id, "revoked_on": revoked_on.isoformat(), "withdraw_due_on": due.due_on.isoformat()}


async def withdraw(
    session: AsyncSession, catalog: Catalog, principal: Principal, publication: Publication, body: WithdrawalCreate, tz: tzinfo
) -> Publication:
    _require(publication, *PUBLIC_STATUSES)
    if body.revoked_on is not None:
        _check_revoked_on(publication, body.revoked_on, tz)
    reason = await _redacted_note(body.reason.strip(), publication, session, principal)
    publication.status, publication.withdrawn_at = "withdrawn", utcnow()
    publication.withdrawal_reason = reason
    if body.revoked_on is not None:
        await record_decision_revoked(
            session, principal, await get_case(session, principal, publication.case_id), body.revoked_on, f"publication {publication.id}"
        )
        await _set_revoked(session, catalog, publication, body.revoked_on, tz)
    publication.updated_at = publication.withdrawn_at
    await session.flush()
    late = publication.withdraw_due_on is not None and publication.withdrawn_at.astimezone(tz).date() > publication.withdraw_due_on
    revocation: dict[str, object] = {}
    if publication.revoked_on:
        assert publication.withdraw_due_on is not None  # due from the day a revocation is recorded (record_revocation, above)
        revocation = {"revoked_on": publication.revoked_on.isoformat(), "due_on": publication.withdraw_due_on.isoformat(), "late": late}
    await record(
        session,
        principal,
        "publication.withdrawn",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={"publication_id": publication.id, "reason": reason, **revocation},
    )
    await enqueue(session, publication.agency, "publication.withdrawn", PublicItem.of(publication, tz).model_dump())
    return publication


def _check_revoked_on(publication: Publication, revoked_on: date, tz: tzinfo, field: str = "revoked_on") -> None:
    if revoked_on < publication.decided_on or revoked_on > today(tz):  # the agency's day, not UTC's
        raise Problem(422, "revocation-date", "A decision is revoked after it was made and not in the future.", field=field)


PERFORMANCE_NAMES = {
    "performed": "已履行",
    "partly_performed": "部分履行",
    "not_performed": "未履行",
    "enforced": "已强制执行",
    "instalments": "分期（延期）缴纳",
}


async def record_performance(
    session: AsyncSession, principal: Principal, publication: Publication, body: PerformanceCreate, tz: tzinfo
) -> Publication:
    """履行情况 of a published decision (or one about to be): shown publicly with it, every change kept."""
    _require(publication, "draft", "approved", *PUBLIC_STATUSES)
    if publication.kind != "penalty":
        raise Problem(409, "not-a-penalty", "履行情况 is recorded for penalty decisions.")
    if body.on > today(tz) or body.on < publication.decided_on:
        raise Problem(422, "performance-date", "The day of a decision's performance lies between the decision and today.", field="on")
    note = None
    if body.note and body.note.strip():
        note = await _redacted_note(body.note.strip(), publication, session, principal)
    entry: PerformanceEntry = {
        "status": body.status,
        "status_zh": PERFORMANCE_NAMES[body.status],
        "on": body.on.isoformat(),
        "note": note,
        "at": utcnow().astimezone(tz).isoformat(),
    }
    publication.performance = [*publication.performance, entry]
    publication.updated_at = utcnow()
    await session.flush()
    await record(
        session,
        principal,
        "publication.performance_recorded",
        agency=publication.agency,
        case_id=publication.case_id,
        payload={"publication_id": publication.id, **entry},
    )
    if publication.status in PUBLIC_STATUSES:
        await enqueue(session, publication.agency, "publication.performance_recorded", PublicItem.of(publication, tz).model_dump())
    return publication


async def expire_due(session: AsyncSession, principal: Actor | Principal, today: date, tz: tzinfo) -> int:
    """End the publications whose period is over (each recorded). Public reads already hide them."""
    due = (
        (
            await session.execute(
                select(Publication)
                .where(Publication.status.in_(PUBLIC_STATUSES), Publication.period_ends_on < today)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for publication in due:
        ends_on = publication.period_ends_on
        assert ends_on is not None  # chosen by period_ends_on < today
        publication.status, publication.expired_at = "expired", utcnow()
        publication.updated_at = publication.expired_at
        await record(
            session,
            principal,
            "publication.expired",
            agency=publication.agency,
            case_id=publication.case_id,
            payload={"publication_id": publication.id, "period_ends_on": ends_on.isoformat()},
        )
        await enqueue(
            session,
            publication.agency,
            "publication.expired",
            {
                "id": publication.id,
                "kind": publication.kind,
                "doc_number": publication.fields.get("doc_number"),
                "period_ends_on": publication.period_ends_on,
            },
        )
    await session.flush()
    return len(due)


def public_query(today: date) -> Select[Publication]:
    """Everything anyone may read: published or annotated within their period, and withdrawal notices."""
    return select(Publication).where(
        or_(
            and_(Publication.status.in_(PUBLIC_STATUSES), or_(Publication.period_ends_on.is_(None), Publication.period_ends_on >= today)),
            Publication.status == "withdrawn",
        ),
        Publication.published_at.is_not(None),
    )


async def public_penalties_of_cases(session: AsyncSession, case_ids: Iterable[str], today: date) -> dict[str, str]:
    """The publication id of each case's penalty decision the public may read now (查处结果 a 双随机 result links to)."""
    wanted = sorted({case_id for case_id in case_ids if case_id})
    if not wanted:
        return {}
    rows = await session.execute(
        public_query(today)
        .where(Publication.case_id.in_(wanted), Publication.kind == "penalty")
        .order_by(Publication.published_at, Publication.id)
    )
    return {p.case_id: p.id for p in rows.scalars()}


def overdue(publication: Publication, today: date) -> bool:
    """Not published by its due date, or still public past the day its withdrawal was due."""
    if publication.status in OPEN_STATUSES:
        return publication.due_on < today
    return publication.status in PUBLIC_STATUSES and publication.withdraw_due_on is not None and publication.withdraw_due_on < today


def overdue_condition(today: date) -> ColumnElement[bool]:
    return or_(
        and_(Publication.status.in_(OPEN_STATUSES), Publication.due_on < today),
        and_(Publication.status.in_(PUBLIC_STATUSES), Publication.withdraw_due_on < today),
    )


EXPORT_LIMIT = 50_000


async def exchange_rows(
    session: AsyncSession, principal: Principal, kind: str, *, include_withdrawn: bool = False, date_format: str = "slash"
) -> list[tuple[Publication, ExchangeRecord, list[RecordProblem]]]:
    """Every published item of a kind as its 双公示 record with the problems the field rules find (empty: valid)."""
    statuses = ("published", "annotated", "withdrawn") if include_withdrawn else ("published", "annotated")
    rows = (
        (
            await session.execute(
                visible_publications(principal)
                .where(Publication.kind == kind, Publication.status.in_(statuses))
                .order_by(Publication.published_at, Publication.id)
                .limit(EXPORT_LIMIT)
            )
        )
        .scalars()
        .all()
    )
    agencies = {code: await get_agency(session, code) for code in {p.agency for p in rows}}
    return [(p, record_of(p, date_format), record_problems(p, agencies[p.agency])) for p in rows]


async def staff_views(session: AsyncSession, publications: list[Publication], tz: tzinfo) -> list[PublicationOut]:
    """Staff views of publications, each with what the field rules refuse and who edited it (one query each for all)."""
    day = today(tz)
    agencies = {code: await get_agency(session, code) for code in {p.agency for p in publications}}
    editors = await editors_of(session, [p.id for p in publications])
    return [
        PublicationOut.of(
            p, tz, overdue=overdue(p, day), problems=record_problems(p, agencies[p.agency]), editors=editors[p.id] | {p.created_by}
        )
        for p in publications
    ]


async def staff_view(session: AsyncSession, publication: Publication, tz: tzinfo) -> PublicationOut:
    (out,) = await staff_views(session, [publication], tz)
    return out


def _public_filtered(tz: tzinfo, q: str | None, kind: str | None, agencies: list[str] | None, year: int | None) -> Select[Publication]:
    """What anyone may read, narrowed: kind, the agencies (the one asked and those under it), the year decided, `q` in
    the public fields only (removed data is not in them)."""
    query = public_query(today(tz))
    if kind:
        query = query.where(Publication.kind == kind)
    if agencies is not None:
        query = query.where(Publication.agency.in_(agencies))
    if year:
        query = query.where(Publication.decided_on >= date(year, 1, 1), Publication.decided_on <= date(year, 12, 31))
    if q and q.strip():
        # Only what the public reads matches: a withdrawal notice shows its 文号 alone, so its party is not searchable.
        needle = q.strip()
        doc_number = Publication.fields["doc_number"].as_string().contains(needle, autoescape=True)
        party = Publication.fields["party_name"].as_string().contains(needle, autoescape=True)
        query = query.where(or_(doc_number, and_(Publication.status != "withdrawn", party)))
    return query


async def public_page(
    session: AsyncSession,
    tz: tzinfo,
    *,
    q: str | None,
    kind: str | None,
    agency: str | None,
    cursor: str | None,
    limit: int,
    year: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of what anyone may read, newest first (a cursor for the next)."""
    agencies = await agency_codes_under(session, agency) if agency else None
    query = _public_filtered(tz, q, kind, agencies, year)
    rows = (
        (await session.execute(keyset(query, [Publication.published_at, Publication.id], cursor, limit, descending=True))).scalars().all()
    )
    rows, next_cursor = page_of(list(rows), ["published_at", "id"], limit)
    return [PublicItem.of(p, tz).model_dump() for p in rows], next_cursor


async def public_numbered_page(
    session: AsyncSession,
    tz: tzinfo,
    *,
    q: str | None,
    kind: str | None,
    agency: str | None,
    year: int | None,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """A numbered page of what anyone may read, newest first, with how many there are in all (the public page's 共N条)."""
    agencies = await agency_codes_under(session, agency) if agency else None
    query = _public_filtered(tz, q, kind, agencies, year)
    total: int = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    ordered = query.order_by(Publication.published_at.desc(), Publication.id.desc()).offset(offset).limit(limit)
    rows = (await session.execute(ordered)).scalars().all()
    return [PublicItem.of(p, tz).model_dump() for p in rows], total


async def public_years(session: AsyncSession, tz: tzinfo) -> list[int]:
    """The years of the decisions anyone may read, newest first (the public list's 年份 choices)."""
    public = public_query(today(tz)).subquery()
    first, last = (await session.execute(select(func.min(public.c.decided_on), func.max(public.c.decided_on)))).one()
    return list(range(last.year, first.year - 1, -1)) if first and last else []


async def public_item(session: AsyncSession, tz: tzinfo, publication_id: str) -> dict[str, Any] | None:
    found = (await session.execute(public_query(today(tz)).where(Publication.id == publication_id))).scalar_one_or_none()
    return PublicItem.of(found, tz).model_dump() if found is not None else None


def expire_publications(sessionmaker: async_sessionmaker[AsyncSession], tz: tzinfo) -> Callable[[object], Awaitable[None]]:
    """Periodic work for the job queue (its Work; the queue itself is not used): end the publications whose period is over."""
    from ..audit.service import SYSTEM

    async def run(_queue: object) -> None:
        async with sessionmaker.begin() as session:  # periodic work owns its transaction (no request around it)
            await expire_due(session, SYSTEM, today(tz), tz)

    return run


async def timeliness(
    session: AsyncSession, agency: str | None, start: date, end: date, today: date, tz: tzinfo
) -> dict[str, dict[str, int]]:
    """Per kind, for decisions of the period: how many were to be published, published by the due date, published
    late, still unpublished past it; revoked ones to withdraw, withdrawn within the working days allowed, late or
    still public past it. Drafts not yet due and the not-publishable count apart."""
    query = select(
        Publication.kind,
        Publication.status,
        Publication.due_on,
        Publication.published_at,
        Publication.withdraw_due_on,
        Publication.withdrawn_at,
    ).where(Publication.decided_on >= start, Publication.decided_on <= end)
    if agency is not None:
        query = query.where(Publication.agency == agency)
    out: dict[str, dict[str, int]] = {}
    for kind, status, due_on, published_at, withdraw_due_on, withdrawn_at in (await session.execute(query)).all():
        row = out.setdefault(
            kind,
            dict.fromkeys(
                (
                    "publications",
                    "not_publishable",
                    "published_on_time",
                    "published_late",
                    "unpublished_overdue",
                    "pending",
                    "withdrawals_due",
                    "withdrawn_on_time",
                    "withdrawn_late",
                    "withdrawal_overdue",
                ),
                0,
            ),
        )
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
