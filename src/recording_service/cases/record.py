"""Stages, documents and footage bindings of a case: the written and audio-visual record."""

import hashlib
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import Actor, record
from ..catalog.schemas import Catalog, Procedure
from ..core.db import utcnow
from ..core.principals import Principal
from ..core.problems import Problem
from ..core.times import require_offset
from ..media.models import Media, MediaStatus
from ..media.service import visible_media
from .models import Case, CaseStage, Document, DocumentVersion, InterruptionExplanation, MediaBinding
from .schemas import (
    STATUS_ORDER,
    BindingCreate,
    DocumentCreate,
    DocumentFields,
    DocumentStatus,
    DocumentVersionCreate,
    InterruptionCreate,
    StageOpen,
    StageUpdate,
)
from .segments import check_segment
from .service import visible_cases


def _procedure(catalog: Catalog, case: Case) -> Procedure:
    procedure = catalog.procedure(case.procedure)
    if procedure is None:  # the catalog lost a procedure that cases still use
        raise Problem(409, "procedure-retired", f"Procedure '{case.procedure}' is no longer in the catalog.")
    return procedure


def _note(principal: Principal, text: str) -> dict[str, str]:
    return {"at": utcnow().isoformat(), "by": principal.id, "text": text}


async def open_stage(session: AsyncSession, catalog: Catalog, principal: Principal, case: Case, body: StageOpen) -> CaseStage:
    if case.status != "open":
        raise Problem(409, "case-closed", "The case is closed; no stage can be opened.")
    definition = _procedure(catalog, case).stage(body.stage)
    if definition is None:
        codes = ", ".join(s.code for s in _procedure(catalog, case).stages)
        raise Problem(400, "unknown-stage", f"'{body.stage}' is not a stage of {case.procedure} ({codes}).")
    existing = {s.stage: s for s in (await session.execute(select(CaseStage).where(CaseStage.case_id == case.id))).scalars()}
    if body.stage in existing:
        raise Problem(
            409, "stage-exists", f"Stage '{body.stage}' was already {existing[body.stage].status}.", stage_id=existing[body.stage].id
        )
    for earlier in _procedure(catalog, case).stages[: definition.order - 1]:
        recorded = existing.get(earlier.code)
        if recorded is None:
            raise Problem(409, "stage-out-of-order", f"Stage '{earlier.code}' comes first: open (or skip) it before '{body.stage}'.")
        if recorded.status == "open":
            raise Problem(409, "stage-out-of-order", f"Close stage '{earlier.code}' before opening '{body.stage}'.")
    if body.skipped:
        if not definition.optional:
            raise Problem(409, "stage-required", f"Stage '{body.stage}' is required by {case.procedure} and cannot be skipped.")
        if not (body.note or "").strip():
            raise Problem(400, "skip-needs-note", "A skipped stage needs a note saying why.")
    elif body.started_at is None:
        raise Problem(400, "invalid-time", "started_at is required when opening a stage.")
    require_offset(body.started_at, "started_at")
    known = {o["officer_id"] for o in case.officers}
    unknown = sorted(set(body.officers) - known)
    if unknown:
        raise Problem(400, "unknown-officer", f"Officers {unknown} are not among the case's officers.", officers=unknown)
    stage = CaseStage(
        case_id=case.id,
        stage=body.stage,
        order=definition.order,
        status="skipped" if body.skipped else "open",
        started_at=body.started_at,
        officers=list(dict.fromkeys(body.officers)),
        attributes=body.attributes,
        notes=[_note(principal, body.note)] if body.note else [],
        created_by=principal.id,
        created_at=utcnow(),
    )
    session.add(stage)
    try:
        await session.flush()
        await record(
            session,
            principal,
            "stage.skipped" if body.skipped else "stage.opened",
            agency=case.agency,
            case_id=case.id,
            payload={
                "stage_id": stage.id,
                "stage": stage.stage,
                "officers": stage.officers,
                "attributes": stage.attributes,
                "note": body.note,
            },
        )
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Problem(409, "stage-exists", f"Stage '{body.stage}' was opened concurrently.") from None
    return stage


async def get_stage(session: AsyncSession, case: Case, stage_id: str) -> CaseStage:
    stage = await session.get(CaseStage, stage_id)
    if stage is None or stage.case_id != case.id:
        raise Problem(404, "stage-not-found", f"No stage {stage_id} in case {case.id}.")
    return stage


async def update_stage(
    session: AsyncSession, catalog: Catalog, principal: Principal, case: Case, stage: CaseStage, body: StageUpdate
) -> CaseStage:
    if body.ended_at is None and not body.note:
        raise Problem(400, "nothing-to-change", "Send ended_at to close the stage, or a note.")
    if body.ended_at is not None:
        require_offset(body.ended_at, "ended_at")
        if stage.status != "open":
            raise Problem(409, "stage-not-open", f"Stage '{stage.stage}' is {stage.status}; only an open stage can be closed.")
        if stage.started_at and body.ended_at < stage.started_at:
            raise Problem(400, "invalid-time", "ended_at is before the stage started.")
        stage.status, stage.ended_at, stage.closed_by = "closed", body.ended_at, principal.id
        if stage.order == len(_procedure(catalog, case).stages):
            case.status, case.closed_at = "closed", body.ended_at  # the last stage closes the case
    if body.note:
        stage.notes = [*stage.notes, _note(principal, body.note)]
    await record(
        session,
        principal,
        "stage.closed" if body.ended_at is not None else "stage.noted",
        agency=case.agency,
        case_id=case.id,
        payload={
            "stage_id": stage.id,
            "stage": stage.stage,
            "ended_at": body.ended_at and body.ended_at.isoformat(),
            "note": body.note,
            "case_closed": case.status == "closed",
        },
    )
    await session.flush()
    return stage


async def _attachment(session: AsyncSession, principal: Principal, case: Case, media_id: str | None) -> str | None:
    if media_id is None:
        return None
    media = (await session.execute(visible_media(principal).where(Media.id == media_id))).scalar_one_or_none()
    if media is None or media.agency != case.agency:
        raise Problem(404, "media-not-found", f"No media {media_id}.")
    return media.id


def _version_payload(version: DocumentVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "doc_number": version.doc_number,
        "title": version.title,
        "status": version.status,
        **({"party_name": version.party_name} if version.party_name else {}),
        **({"refusal_note": version.refusal_note} if version.refusal_note else {}),
        # the body is personal data: the chain holds its digest, which proves it unchanged
        **({"text_sha256": hashlib.sha256(version.text.encode()).hexdigest()} if version.text else {}),
    }


def _version(
    document: Document, number: int, fields: DocumentFields, principal: Principal, attachment: str | None, change_note: str | None = None
) -> DocumentVersion:
    for name in ("issued_at", "signed_at", "served_at"):
        require_offset(getattr(fields, name), name)
    return DocumentVersion(
        document_id=document.id,
        case_id=document.case_id,
        version=number,
        doc_number=fields.doc_number,
        title=fields.title,
        status=fields.status.value,
        issued_at=fields.issued_at,
        signed_at=fields.signed_at,
        served_at=fields.served_at,
        signers=fields.signers,
        party_name=fields.party_name.strip() if fields.party_name else None,
        refusal_note=fields.refusal_note,
        text=fields.text,
        attachment_media_id=attachment,
        change_note=change_note,
        created_by=principal.id,
        created_at=utcnow(),
    )


async def create_document(
    session: AsyncSession, catalog: Catalog, principal: Principal, case: Case, body: DocumentCreate
) -> tuple[Document, DocumentVersion]:
    if catalog.document_type(body.doc_type) is None:
        raise Problem(400, "unknown-document-type", f"'{body.doc_type}' is not a document type (GET /api/v1/document-types).")
    stage = await get_stage(session, case, body.stage_id)
    if stage.status == "skipped":
        raise Problem(409, "stage-skipped", f"Stage '{stage.stage}' was skipped; documents belong to stages that took place.")
    if body.status == DocumentStatus.void:
        raise Problem(400, "void-on-create", "A new document cannot start void.")
    _check_served(body)
    attachment = await _attachment(session, principal, case, body.attachment_media_id)
    document = Document(
        case_id=case.id, stage_id=stage.id, doc_type=body.doc_type, current_version=1, created_by=principal.id, created_at=utcnow()
    )
    session.add(document)
    await session.flush()
    version = _version(document, 1, body, principal, attachment)
    session.add(version)
    await record(
        session,
        principal,
        "document.created",
        agency=case.agency,
        case_id=case.id,
        media_id=attachment,
        payload={"document_id": document.id, "doc_type": document.doc_type, "stage_id": stage.id, **_version_payload(version)},
    )
    await session.flush()
    return document, version


def _check_served(fields: DocumentFields) -> None:
    if fields.status == DocumentStatus.served and fields.served_at is None:
        raise Problem(400, "served-needs-served-at", "A served document needs served_at (when it was served).", field="served_at")


async def add_version(
    session: AsyncSession, principal: Principal, case: Case, document: Document, body: DocumentVersionCreate
) -> DocumentVersion:
    current = (
        await session.execute(
            select(DocumentVersion).where(DocumentVersion.document_id == document.id, DocumentVersion.version == document.current_version)
        )
    ).scalar_one()
    if current.status == DocumentStatus.void:
        raise Problem(409, "document-void", "This document was voided; register a new document instead.")
    sent = body.model_fields_set
    carried = {
        name: getattr(current, name)
        for name in (
            "doc_number",
            "title",
            "status",
            "issued_at",
            "signed_at",
            "served_at",
            "signers",
            "attachment_media_id",
            "party_name",
            "refusal_note",
            "text",
        )
    }
    carried.update({name: getattr(body, name) for name in sent if name in carried and name != "change_note"})
    if carried["title"] is None:
        raise Problem(400, "title-required", "A document keeps a title.", field="title")
    carried["status"] = DocumentStatus(carried["status"])
    if carried["status"] == DocumentStatus.void:
        if not (body.change_note or "").strip():
            raise Problem(400, "void-needs-reason", "Say why the document is void (change_note).", field="change_note")
    elif STATUS_ORDER[carried["status"]] < STATUS_ORDER[DocumentStatus(current.status)]:
        raise Problem(
            409,
            "status-backwards",
            f"A document's status only moves forward ({current.status} → {carried['status'].value} "
            "is backwards); void it with a reason if it was registered by mistake.",
        )
    fields = DocumentFields.model_construct(**{**carried, "signers": carried["signers"] or []})
    _check_served(fields)
    attachment = (
        await _attachment(session, principal, case, fields.attachment_media_id)
        if "attachment_media_id" in sent
        else current.attachment_media_id
    )
    version = _version(document, document.current_version + 1, fields, principal, attachment, body.change_note)
    document.current_version = version.version
    session.add(version)
    try:
        await session.flush()
        await record(
            session,
            principal,
            "document.version_added",
            agency=case.agency,
            case_id=case.id,
            media_id=attachment,
            payload={"document_id": document.id, **_version_payload(version), "change_note": version.change_note},
        )
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Problem(409, "version-conflict", "Another version was added at the same time; read the document and retry.") from None
    return version


async def document_versions(session: AsyncSession, document_id: str) -> list[DocumentVersion]:
    return list(
        (
            await session.execute(
                select(DocumentVersion).where(DocumentVersion.document_id == document_id).order_by(DocumentVersion.version)
            )
        ).scalars()
    )


async def bind_media(session: AsyncSession, principal: Principal, case: Case, stage: CaseStage, body: BindingCreate) -> MediaBinding:
    if stage.status == "skipped":
        raise Problem(409, "stage-skipped", f"Stage '{stage.stage}' was skipped; footage belongs to stages that took place.")
    media = (await session.execute(visible_media(principal).where(Media.id == body.media_id))).scalar_one_or_none()
    if media is None or media.agency != case.agency:
        raise Problem(404, "media-not-found", f"No media {body.media_id}.")
    if media.status == MediaStatus.merged:  # a recording whose bytes proved to be other media: bind that one
        raise Problem(
            409,
            "media-merged",
            f"Media {media.id} was a recording whose bytes were already stored as media {media.merged_into}; bind that media.",
            merged_into=media.merged_into,
        )
    start, end = body.start_offset_s, body.end_offset_s
    check_segment(start, end, media.duration_s)
    same = await active_binding(session, stage.id, media.id, start, end)
    if same is not None:
        raise Problem(409, "already-bound", "This footage (this segment of it) is already bound to this stage.", binding_id=same)
    binding = MediaBinding(
        case_id=case.id,
        stage_id=stage.id,
        media_id=media.id,
        start_offset_s=start,
        end_offset_s=end,
        note=body.note,
        created_by=principal.id,
        created_at=utcnow(),
    )
    session.add(binding)
    await session.flush()
    await record(
        session,
        principal,
        "binding.created",
        agency=case.agency,
        case_id=case.id,
        media_id=media.id,
        payload={
            "binding_id": binding.id,
            "stage_id": stage.id,
            "stage": stage.stage,
            "start_offset_s": start,
            "end_offset_s": end,
            "note": body.note,
            "sha256": media.sha256,
        },
    )
    await session.flush()
    return binding


async def active_binding(session: AsyncSession, stage_id: str, media_id: str, start: float | None, end: float | None) -> str | None:
    """The binding of this media (this segment of it; both None: the whole recording) to this stage that is in force, if any."""
    return (
        await session.execute(
            select(MediaBinding.id)
            .where(
                MediaBinding.stage_id == stage_id,
                MediaBinding.media_id == media_id,
                MediaBinding.unbound_at.is_(None),
                MediaBinding.start_offset_s.is_not_distinct_from(start),
                MediaBinding.end_offset_s.is_not_distinct_from(end),
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def move_bindings_of_merged(session: AsyncSession, recording: Media, into: Media, who: Actor | Principal) -> None:
    """A recording bound while it was recorded whose completed bytes proved to be other media (issue 29; ingest calls
    this through the composition root, in its completion's transaction): its bindings now name that media, each moved
    binding audited; one the media already has on the same stage and segment is ended instead, as a duplicate."""
    bindings = (
        (await session.execute(select(MediaBinding).where(MediaBinding.media_id == recording.id, MediaBinding.unbound_at.is_(None))))
        .scalars()
        .all()
    )
    for binding in bindings:
        duplicate = await active_binding(session, binding.stage_id, into.id, binding.start_offset_s, binding.end_offset_s)
        if duplicate is not None:
            binding.unbound_at, binding.unbind_reason = utcnow(), f"recording merged into media {into.id}, already bound here ({duplicate})"
        else:
            binding.media_id = into.id
        await record(
            session,
            who,
            "binding.moved_to_merged",
            agency=into.agency,
            case_id=binding.case_id,
            media_id=into.id,
            payload={
                "binding_id": binding.id,
                "stage_id": binding.stage_id,
                "from_media_id": recording.id,
                "to_media_id": into.id,
                "sha256": into.sha256,
                **({"ended_as_duplicate_of": duplicate} if duplicate is not None else {}),
            },
        )
    await session.flush()


async def unbind_media(
    session: AsyncSession, principal: Principal, case: Case, stage: CaseStage, binding_id: str, reason: str
) -> MediaBinding:
    binding = await session.get(MediaBinding, binding_id)
    if binding is None or binding.stage_id != stage.id or binding.case_id != case.id:
        raise Problem(404, "binding-not-found", f"No binding {binding_id} on this stage.")
    if binding.unbound_at is not None:
        raise Problem(409, "already-unbound", "This footage was already unbound.")
    if not reason.strip():
        raise Problem(400, "unbind-needs-reason", "Say why the footage is unbound (reason).")
    binding.unbound_at, binding.unbound_by, binding.unbind_reason = utcnow(), principal.id, reason.strip()
    await record(
        session,
        principal,
        "binding.removed",
        agency=case.agency,
        case_id=case.id,
        media_id=binding.media_id,
        payload={"binding_id": binding.id, "stage_id": stage.id, "reason": binding.unbind_reason},
    )
    await session.flush()
    return binding


async def explain_interruption(
    session: AsyncSession, catalog: Catalog, principal: Principal, case: Case, stage: CaseStage, body: InterruptionCreate
) -> InterruptionExplanation:
    """Record why recording on one device stopped between two times; only such a record explains an
    interruption found in whole-process recording."""
    if stage.status == "skipped":
        raise Problem(409, "stage-skipped", f"Stage '{stage.stage}' was skipped; nothing was recorded in it.")
    reason = catalog.interruption_reason(body.reason)
    if reason is None:
        codes = ", ".join(r.code for r in catalog.interruption_reasons)
        raise Problem(400, "unknown-interruption-reason", f"'{body.reason}' is not a reason ({codes}).", field="reason")
    text = (body.text or "").strip() or None
    if reason.needs_text and not text:
        raise Problem(
            400, "interruption-needs-text", f"Reason '{reason.code}' ({reason.name_zh}) needs text saying what happened.", field="text"
        )
    require_offset(body.gap_start, "gap_start")
    require_offset(body.gap_end, "gap_end")
    if body.gap_end <= body.gap_start:
        raise Problem(400, "invalid-interruption", "gap_end must be after gap_start.")
    explanation = InterruptionExplanation(
        case_id=case.id,
        stage_id=stage.id,
        device_id=body.device_id.strip(),
        gap_start=body.gap_start,
        gap_end=body.gap_end,
        reason=reason.code,
        text=text,
        created_by=principal.id,
        created_at=utcnow(),
    )
    session.add(explanation)
    await session.flush()
    await record(
        session,
        principal,
        "interruption.explained",
        agency=case.agency,
        case_id=case.id,
        payload={
            "interruption_id": explanation.id,
            "stage_id": stage.id,
            "stage": stage.stage,
            "device_id": explanation.device_id,
            "gap_start": body.gap_start.isoformat(),
            "gap_end": body.gap_end.isoformat(),
            "reason": reason.code,
            "text": text,
        },
    )
    await session.flush()
    return explanation


async def current_document(session: AsyncSession, case: Case, document_id: str) -> tuple[Document, DocumentVersion]:
    """A document of this case with its current version (404 for another case's)."""
    document = await session.get(Document, document_id)
    if document is None or document.case_id != case.id:
        raise Problem(404, "document-not-found", f"No document {document_id} in this case.", field="document_id")
    version = (
        await session.execute(
            select(DocumentVersion).where(DocumentVersion.document_id == document.id, DocumentVersion.version == document.current_version)
        )
    ).scalar_one()
    return document, version


async def signers_of_case(session: AsyncSession, case_id: str) -> set[str]:
    """Everyone who signed a document of the case (parties, witnesses, patients…), as written."""
    rows = (await session.execute(select(DocumentVersion.signers).where(DocumentVersion.case_id == case_id))).scalars()
    return {name.strip() for signers in rows for name in (signers or []) if isinstance(name, str) and name.strip()}


class DecisionDocument(TypedDict):
    """A final decision a publication may be drafted from, with its case."""

    document_id: str
    case_id: str
    doc_type: str
    doc_number: str | None
    title: str
    issued_at: datetime | None  # issued, else signed
    case_number: str
    case_title: str


async def decision_documents(session: AsyncSession, principal: Principal, doc_types: list[str], limit: int = 50) -> list[DecisionDocument]:
    """The agency's latest final decisions of the given types (signed, issued or served, not void), newest first: what
    a publisher may draft a publication from."""
    cases = visible_cases(principal).subquery()
    rows = (
        await session.execute(
            select(
                Document.id,
                Document.case_id,
                Document.doc_type,
                DocumentVersion.doc_number,
                DocumentVersion.title,
                DocumentVersion.issued_at,
                DocumentVersion.signed_at,
                cases.c.case_number,
                cases.c.title,
            )
            .join(DocumentVersion, (DocumentVersion.document_id == Document.id) & (DocumentVersion.version == Document.current_version))
            .join(cases, cases.c.id == Document.case_id)
            .where(Document.doc_type.in_(doc_types), DocumentVersion.status.in_(("signed", "issued", "served")))
            .order_by(Document.created_at.desc(), Document.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "document_id": r[0],
            "case_id": r[1],
            "doc_type": r[2],
            "doc_number": r[3],
            "title": r[4],
            "issued_at": r[5] or r[6],
            "case_number": r[7],
            "case_title": r[8],
        }
        for r in rows
    ]
