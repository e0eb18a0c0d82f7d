from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Select, Subquery, func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ..audit.service import record
from ..catalog.schemas import Catalog
from ..core.db import utcnow
from ..core.messages import problem_text
from ..core.principals import ALL_AGENCIES, Principal, scoped_to_agency
from ..core.problems import Problem
from ..core.times import require_offset
from ..core.values import normalised_identifier
from ..media.models import Media
from .listing import EXPORT_MAX_ROWS
from .models import Case, CaseStage, DocumentVersion, MediaBinding
from .schemas import CaseCreate, CaseFacts, CaseUpdate
from .search import index_case, matches, query_terms
from .segments import ReadSegment, read_segment


def visible_cases(principal: Principal) -> Select[Case]:
    return scoped_to_agency(select(Case), Case.agency, principal)


# How the list may be ordered: (keys, newest first). `created_at` is the API's order since its first version (what
# its cursors walk); the pages list by 立案日期, newest first.
SORTS: dict[str, tuple[list[InstrumentedAttribute[Any]], bool]] = {
    "created_at": ([Case.created_at, Case.id], False),
    "-opened_at": ([Case.opened_at, Case.id], True),
    "opened_at": ([Case.opened_at, Case.id], False),
}


def search_cases(
    principal: Principal,
    *,
    case_number: str | None = None,
    text: str | None = None,
    procedure: str | None = None,
    status: str | None = None,
    opened_from: datetime | None = None,
    opened_before: datetime | None = None,
    problems: Select[str] | None = None,
) -> Select[Case]:
    """Cases the principal may see that match every filter given. `case_number` is the whole 案号 (NFKC); `text`
    is partial and folded (cases.search): every word of it in the 案号, 案由, a party's name, an officer's name,
    number or 执法证号, or — for the roles that may read them — a party's ID number. `problems` is a query of the
    case ids to keep (the statistics' cases with or without findings)."""
    query = visible_cases(principal)
    if case_number:
        query = query.where(Case.case_number == case_number_of(case_number))
    condition = matches(principal, query_terms(text))
    if condition is not None:
        query = query.where(condition)
    if procedure:
        query = query.where(Case.procedure == procedure)
    if status:
        query = query.where(Case.status == status)
    if opened_from is not None:
        query = query.where(Case.opened_at >= opened_from)
    if opened_before is not None:
        query = query.where(Case.opened_at < opened_before)
    if problems is not None:
        query = query.where(Case.id.in_(problems))
    return query


def year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants a year of 立案日期 spans in the agency's time zone."""
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


async def count_cases(session: AsyncSession, query: Select[Case]) -> int:
    """How many cases a search finds (every page of it)."""
    return int((await session.execute(select(func.count()).select_from(query.order_by(None).limit(None).subquery()))).scalar_one())


async def export_rows(session: AsyncSession, query: Select[Case], sort: str) -> list[Case]:
    """Every case of a search, for a file; refused when there are more than a file should hold."""
    keys, newest_first = SORTS[sort]
    rows = list(
        (await session.execute(query.order_by(*(k.desc() for k in keys) if newest_first else keys).limit(EXPORT_MAX_ROWS + 1))).scalars()
    )
    if len(rows) > EXPORT_MAX_ROWS:
        raise Problem(
            400,
            "export-too-large",
            f"More than {EXPORT_MAX_ROWS} cases match; narrow the filters (year, procedure, status) to export them.",
            max_rows=EXPORT_MAX_ROWS,
        )
    return rows


async def record_list_export(session: AsyncSession, principal: Principal, fmt: str, rows: int, filters: Mapping[str, object]) -> None:
    """A list of cases (names, and ID numbers for some roles) left the service: who took it, with which filters."""
    agency = None if principal.agency == ALL_AGENCIES else principal.agency
    payload = {"format": fmt, "rows": rows, "filters": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items()}}
    await record(session, principal, "case.list_exported", agency=agency, payload=payload)


def case_number_of(value: str) -> str:
    """案号 as stored and looked up: NFKC (full-width digits and brackets fold to their usual forms),
    trimmed; invisible characters refused, so a look-alike cannot open a parallel case."""
    normalised = normalised_identifier(value)
    if not normalised:
        raise Problem(400, "invalid-case-number", "case_number holds invisible or control characters, or nothing.", field="case_number")
    return normalised


def media_bound_to(case_id: str) -> Select[str]:
    """The ids of footage currently bound to the case: the media list's `?case_id=` filter (media itself
    knows nothing of cases; the composition root hands it this query)."""
    return select(MediaBinding.media_id).where(MediaBinding.case_id == case_id, MediaBinding.unbound_at.is_(None))


def media_ever_in_cases() -> Subquery:
    """(case_id, media_id) of every media item a case ever held: bound to one of its stages (unbound since included:
    their history is the case's) or attached to a version of one of its documents (a scanned 执法文书). What a case's
    legal hold covers and what its audit trail names."""
    bound = select(MediaBinding.case_id.label("case_id"), MediaBinding.media_id.label("media_id"))
    attached = select(DocumentVersion.case_id.label("case_id"), DocumentVersion.attachment_media_id.label("media_id")).where(
        DocumentVersion.attachment_media_id.is_not(None)
    )
    return union(bound, attached).subquery("media_ever_in_cases")


async def media_of_case(session: AsyncSession, case_id: str) -> list[str]:
    """Every media item the case ever held (see `media_ever_in_cases`)."""
    held = media_ever_in_cases()
    return list((await session.execute(select(held.c.media_id).where(held.c.case_id == case_id).distinct())).scalars())


async def numbered_subjects(session: AsyncSession, principal: Principal, text: str) -> tuple[list[str], list[str]]:
    """The cases the principal may see whose 案号 is `text` (as stored: NFKC, trimmed) and every media item ever
    bound to them: what the audit filters take a case number to mean (the composition root hands it to `audit`)."""
    try:
        number = case_number_of(text)
    except Problem:
        return [], []
    case_ids = list(
        (await session.execute(visible_cases(principal).where(Case.case_number == number).with_only_columns(Case.id))).scalars()
    )
    if not case_ids:
        return [], []
    held = media_ever_in_cases()
    media_ids = (await session.execute(select(held.c.media_id).where(held.c.case_id.in_(case_ids)).distinct())).scalars()
    return case_ids, list(media_ids)


class BoundPlace(TypedDict):
    """Where a media item is (or was) bound: the binding, its case and stage, and the segment as it may be read."""

    binding: MediaBinding
    case_number: str
    title: str
    procedure: str
    stage: str
    segment: ReadSegment
    stage_name: NotRequired[str]  # the stage's name in the procedure, which the footage page adds


async def bindings_of_media(session: AsyncSession, principal: Principal, media_id: str) -> list[BoundPlace]:
    """Where a media item is (or was) bound: case, stage and segment, for the cases the principal may see."""
    rows = (
        await session.execute(
            select(MediaBinding, Case.case_number, Case.title, Case.procedure, CaseStage.stage, Media.duration_s)
            .join(Case, Case.id == MediaBinding.case_id)
            .join(CaseStage, CaseStage.id == MediaBinding.stage_id)
            .join(Media, Media.id == MediaBinding.media_id)
            .where(MediaBinding.media_id == media_id, Case.id.in_(visible_cases(principal).with_only_columns(Case.id)))
            .order_by(MediaBinding.created_at, MediaBinding.id)
        )
    ).all()
    return [
        {
            "binding": binding,
            "case_number": number,
            "title": title,
            "procedure": procedure,
            "stage": stage,
            "segment": read_segment(binding.start_offset_s, binding.end_offset_s, duration),
        }
        for binding, number, title, procedure, stage, duration in rows
    ]


async def get_case(session: AsyncSession, principal: Principal, case_id: str, *, for_update: bool = False) -> Case:
    """The case, if the principal may see it; `for_update` locks its row (re-read, not the session's copy) until commit."""
    query = visible_cases(principal).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    case = (await session.execute(query)).scalar_one_or_none()
    if case is None:
        raise Problem(404, "case-not-found", f"No case {case_id}.", detail_zh=problem_text("case-not-found"))
    return case


async def create_case(session: AsyncSession, catalog: Catalog, principal: Principal, body: CaseCreate, day: date) -> Case:
    if principal.agency == ALL_AGENCIES:
        raise Problem(403, "agency-required", "A case belongs to one agency: create it with a token of that agency.")
    if catalog.procedure(body.procedure) is None:
        raise Problem(400, "unknown-procedure", f"'{body.procedure}' is not a procedure in the catalog (GET /api/v1/procedures).")
    if body.retention_class not in {c.code for c in catalog.retention_classes}:
        raise Problem(
            400,
            "unknown-retention-class",
            f"'{body.retention_class}' is not a retention class in the catalog (GET /api/v1/retention-classes).",
        )
    if body.retention_class == "standard":
        # The class of footage bound to no case: a case's evidence would be deleted months after it closed.
        raise Problem(
            400,
            "retention-class-not-for-cases",
            "'standard' is the class of footage bound to no case; a case keeps its evidence with the case file: "
            "use 'case' (permanent, the default), 'important', or a class the catalog adds for cases.",
        )
    require_offset(body.opened_at, "opened_at")
    check_facts(catalog, body.facts, day)
    case = Case(
        agency=principal.agency,
        case_number=case_number_of(body.case_number),
        procedure=body.procedure,
        title=body.title,
        status="open",
        parties=[party.model_dump(mode="json") for party in body.parties],
        officers=[officer.model_dump(mode="json") for officer in body.officers],
        opened_at=body.opened_at or utcnow(),
        retention_class=body.retention_class,
        category=body.category.strip() if body.category else None,
        facts=facts_stored(body.facts, {}),
        created_by=principal.id,
        created_at=utcnow(),
    )
    index_case(case)
    session.add(case)
    try:
        await session.flush()
        await record(
            session,
            principal,
            "case.created",
            agency=case.agency,
            case_id=case.id,
            payload={"case_number": case.case_number, "procedure": case.procedure, "retention_class": case.retention_class},
        )
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Problem(409, "case-number-taken", f"Case number {body.case_number} already exists in agency {principal.agency}.") from None
    return case


def facts_stored(sent: CaseFacts, current: Mapping[str, Any]) -> dict[str, Any]:
    """The case's facts after a change: the facts sent replace the current ones; null clears."""
    merged = dict(current)
    for name in sent.model_fields_set:
        value = getattr(sent, name)
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = str(value) if name.endswith("_yuan") else value.isoformat() if isinstance(value, date) else value
    return merged


def check_facts(catalog: Catalog, facts: CaseFacts | None, day: date) -> None:
    """Facts that name catalog codes must name known ones; a decision is not revoked after the agency's `day`."""
    if facts is not None and facts.decision_revoked_on is not None and facts.decision_revoked_on > day:
        raise Problem(
            422,
            "revocation-date",
            "A decision is revoked after it was made and not in the future.",
            field="facts.decision_revoked_on",
            detail_zh=problem_text("revocation-date"),
        )
    unknown = sorted(set((facts.penalties or []) if facts else []) - {k.code for k in catalog.statistics.penalty_kinds})
    if unknown:
        raise Problem(
            422,
            "unknown-penalty-kind",
            f"Unknown penalty kinds {unknown}; the catalog's are " + ", ".join(k.code for k in catalog.statistics.penalty_kinds) + ".",
        )


async def update_case(session: AsyncSession, principal: Principal, case: Case, body: CaseUpdate) -> Case:
    """Set the case's category or facts, audited with what changed (the caller's request commits)."""
    changes: dict[str, dict[str, Any]] = {}
    if "category" in body.model_fields_set:
        category = body.category.strip() if body.category else None
        if category != case.category:
            changes["category"] = {"from": case.category, "to": category}
            case.category = category
    if body.facts is not None:
        facts = facts_stored(body.facts, case.facts or {})
        if facts != (case.facts or {}):
            changes["facts"] = {"from": case.facts or {}, "to": facts}
            case.facts = facts
    if changes:
        index_case(case)  # what a search finds follows every change of the case
        await session.flush()
        await record(session, principal, "case.updated", agency=case.agency, case_id=case.id, payload=changes)
    await session.flush()
    return case


async def record_decision_revoked(session: AsyncSession, principal: Principal, case: Case, revoked_on: date, source: str) -> None:
    """The case's decision was revoked (行政复议, 行政诉讼), as another record says (`source`): the fact the statistics
    count, audited. Services add and flush; the caller's request commits."""
    if (case.facts or {}).get("decision_revoked_on") == revoked_on.isoformat():
        return
    facts = {**(case.facts or {}), "decision_revoked_on": revoked_on.isoformat()}
    changes: dict[str, object] = {"facts": {"from": case.facts or {}, "to": facts}, "source": source}
    case.facts = facts
    await session.flush()
    await record(session, principal, "case.updated", agency=case.agency, case_id=case.id, payload=changes)


async def cases_of_media(session: AsyncSession, media_ids: set[str]) -> set[str]:
    """Every case the footage is or was bound to (its timeline shows it either way)."""
    if not media_ids:
        return set()
    return set((await session.execute(select(MediaBinding.case_id).where(MediaBinding.media_id.in_(list(media_ids))).distinct())).scalars())


async def cases_by_id(session: AsyncSession, case_ids: list[str]) -> list[Case]:
    """Cases regardless of agency: for the service's own derived figures, never for a caller."""
    return list((await session.execute(select(Case).where(Case.id.in_(case_ids)))).scalars())


async def case_ids_after(session: AsyncSession, after: str, limit: int) -> list[str]:
    """Every case's id in order, a page at a time (for recomputing derived figures)."""
    return list((await session.execute(select(Case.id).where(Case.id > after).order_by(Case.id).limit(limit))).scalars())


# issue 27: sharing outside the agency — what a share may carry of a case (shares/ reads it through this).
class ShareableStage(TypedDict):
    id: str
    stage: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None


class ShareableDocument(TypedDict):
    id: str
    stage_id: str
    doc_type: str
    doc_number: str | None
    title: str
    status: str
    issued_at: datetime | None
    attachment_media_id: str | None


class ShareableMaterial(TypedDict):
    stages: list[ShareableStage]
    documents: list[ShareableDocument]
    media: list[tuple[str, str]]  # (media id, stage id) of the footage bound now, in binding order


async def shareable_material(session: AsyncSession, case_id: str) -> ShareableMaterial:
    """The case's stages, its documents' current versions and the footage bound to it now: what a share outside the
    agency may hold (no parties, no notes, no document bodies). The caller has checked the case is the principal's."""
    from .models import Document, DocumentVersion

    stages = (await session.execute(select(CaseStage).where(CaseStage.case_id == case_id).order_by(CaseStage.order))).scalars().all()
    documents = (
        await session.execute(
            select(Document, DocumentVersion)
            .join(DocumentVersion, (DocumentVersion.document_id == Document.id) & (DocumentVersion.version == Document.current_version))
            .where(Document.case_id == case_id)
            .order_by(Document.created_at, Document.id)
        )
    ).all()
    bound = (
        await session.execute(
            select(MediaBinding.media_id, MediaBinding.stage_id)
            .where(MediaBinding.case_id == case_id, MediaBinding.unbound_at.is_(None))
            .order_by(MediaBinding.created_at, MediaBinding.id)
        )
    ).all()
    return {
        "stages": [{"id": s.id, "stage": s.stage, "status": s.status, "started_at": s.started_at, "ended_at": s.ended_at} for s in stages],
        "documents": [
            {
                "id": d.id,
                "stage_id": d.stage_id,
                "doc_type": d.doc_type,
                "doc_number": v.doc_number,
                "title": v.title,
                "status": v.status,
                "issued_at": v.issued_at or v.signed_at,
                "attachment_media_id": v.attachment_media_id,
            }
            for d, v in documents
        ],
        "media": [(media_id, stage_id) for media_id, stage_id in bound],
    }
