"""The case timeline: the complete written and audio-visual record in one document, assembled in a
fixed number of queries whatever the size of the case (and however large the database).

Rows are read as plain column tuples rather than ORM objects: a case can hold thousands of items
and the timeline is read often.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import RowMapping, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..cases.adjustments import adjustments_of
from ..cases.models import Case, CaseStage, Document, DocumentVersion, InterruptionExplanation, MediaBinding
from ..cases.schemas import CaseOut, InterruptionOut
from ..cases.segments import ReadSegment, read_segment
from ..catalog.schemas import Catalog
from ..core.config import Settings
from ..core.principals import Principal
from ..core.problems import Problem
from ..core.times import local, local_notes, today
from ..media.models import Media
from ..media.schemas import upload_lag_s
from ..officers.service import STANDING_ZH, Register, register_for
from ..workdays.service import working_calendar
from .completeness import (
    COUNTED_DOCUMENT_STATUSES,
    RECORDING,
    USABLE_MEDIA_STATUSES,
    Clip,
    Explained,
    StageFacts,
    photo_count,
    photo_expectation,
    stage_findings,
    stage_in_progress,
    stage_recommendations,
)
from .limits import CaseRecord, evaluate
from .model import (
    Completeness,
    ContinuityGap,
    DocumentEntry,
    DocumentVersionView,
    Entry,
    Finding,
    InterruptionEntry,
    ProcedureRef,
    RecordingEntry,
    RecordingProgress,
    Segment,
    Timeline,
    TimelineDocument,
    TimelineMedia,
    TimelineStage,
    UnboundEntry,
    UnboundMedia,
    widened,
)
from .review import ReviewRecord, review_findings

_VERSION_COLUMNS = (
    DocumentVersion.version,
    DocumentVersion.doc_number,
    DocumentVersion.title,
    DocumentVersion.status,
    DocumentVersion.issued_at,
    DocumentVersion.signed_at,
    DocumentVersion.served_at,
    DocumentVersion.signers,
    DocumentVersion.party_name,
    DocumentVersion.refusal_note,
    DocumentVersion.attachment_media_id,
    DocumentVersion.change_note,
    DocumentVersion.created_at,
    DocumentVersion.created_by,
)


async def assemble_timeline(session: AsyncSession, catalog: Catalog, settings: Settings, principal: Principal, case: Case) -> Timeline:
    procedure = catalog.procedure(case.procedure) if case.procedure is not None else None
    if procedure is None:
        raise Problem(409, "procedure-retired", f"Procedure '{case.procedure}' is no longer in the catalog.")
    tz = settings.tz
    stages = {s.stage: s for s in (await session.execute(select(CaseStage).where(CaseStage.case_id == case.id))).scalars()}
    # The large reads go through Core: rows as mappings, without the ORM's per-row loading (a third of the time).
    core = await session.connection()
    documents = (
        (
            await core.execute(
                select(Document.id, Document.case_id, Document.stage_id, Document.doc_type, *_VERSION_COLUMNS)
                .join(
                    DocumentVersion, and_(DocumentVersion.document_id == Document.id, DocumentVersion.version == Document.current_version)
                )
                .where(Document.case_id == case.id, DocumentVersion.case_id == case.id)
                .order_by(Document.created_at, Document.id)
            )
        )
        .mappings()
        .all()
    )
    counts = dict(
        (
            await core.execute(
                select(DocumentVersion.document_id, func.count())
                .where(DocumentVersion.case_id == case.id)
                .group_by(DocumentVersion.document_id)
            )
        ).all()
    )
    bindings = (
        (
            await core.execute(
                select(
                    MediaBinding.id.label("binding_id"),
                    MediaBinding.stage_id,
                    MediaBinding.start_offset_s,
                    MediaBinding.end_offset_s,
                    MediaBinding.note,
                    MediaBinding.created_at.label("bound_at"),
                    MediaBinding.unbound_at,
                    MediaBinding.unbind_reason,
                    Media.id.label("media_id"),
                    Media.sha256,
                    Media.size,
                    Media.filename,
                    Media.status,
                    Media.device_id,
                    Media.officer_ids,
                    Media.duration_s,
                    Media.recorded_started_at,
                    Media.recorded_ended_at,
                    Media.fixity_checked_at,
                    Media.uploaded_at,
                    Media.kind,
                    Media.image,
                    Media.upload_id,
                    Media.recording_started_at,
                    Media.last_received_at,
                )
                .join(Media, Media.id == MediaBinding.media_id)
                .where(MediaBinding.case_id == case.id)
                .order_by(MediaBinding.created_at, MediaBinding.id)
            )
        )
        .mappings()
        .all()
    )

    explanations = (
        (
            await session.execute(
                select(InterruptionExplanation)
                .where(InterruptionExplanation.case_id == case.id)
                .order_by(InterruptionExplanation.gap_start, InterruptionExplanation.id)
            )
        )
        .scalars()
        .all()
    )
    explanations_by_stage: defaultdict[str, list[InterruptionExplanation]] = defaultdict(list)
    for explanation in explanations:
        explanations_by_stage[explanation.stage_id].append(explanation)

    documents_by_stage: defaultdict[str, list[RowMapping]] = defaultdict(list)
    bindings_by_stage: defaultdict[str, list[tuple[RowMapping, ReadSegment]]] = defaultdict(list)
    for document in documents:
        documents_by_stage[document["stage_id"]].append(document)
    for binding in bindings:
        # Offsets as they can be used (a legacy row may hold 1e300, infinity or an inverted pair).
        usable = read_segment(binding["start_offset_s"], binding["end_offset_s"], binding["duration_s"])
        bindings_by_stage[binding["stage_id"]].append((binding, usable))

    document_names = {d.code: d.name_zh for d in catalog.document_types}
    present = {officer for row in stages.values() for officer in row.officers or []}
    register = await register_for(session, case.agency, present)
    typed_in = {o["officer_id"] for o in case.officers if o.get("certificate_number")}
    typed_names = {o["officer_id"]: str(o.get("name") or "") for o in case.officers}
    gap_tolerance = timedelta(seconds=settings.continuity_tolerance_seconds)
    window_tolerance = timedelta(seconds=settings.stage_window_tolerance_seconds)
    entries: list[tuple[datetime, Entry]] = []
    out_stages: list[TimelineStage] = []
    all_findings: list[Finding] = []
    recommendations: list[Finding] = []
    in_progress: list[Finding] = []
    stage_footage: defaultdict[str, int] = defaultdict(int)
    for definition in procedure.stages:
        row = stages.get(definition.code)
        code = definition.code
        media_out: list[TimelineMedia] = []
        unbound_out: list[UnboundMedia] = []
        clips: list[Clip] = []
        for binding, usable in bindings_by_stage[row.id] if row else ():
            start, end = _clip_window(binding, usable)
            segment = (
                None
                if usable.start_offset_s is None and usable.end_offset_s is None and not usable.adjusted
                else Segment(usable.start_offset_s, usable.end_offset_s, usable.adjusted, usable.problem, usable.problem_zh)
            )
            item = TimelineMedia(
                binding_id=binding["binding_id"],
                media_id=binding["media_id"],
                sha256=binding["sha256"],
                size=binding["size"],
                filename=binding["filename"],
                status=binding["status"],
                device_id=binding["device_id"],
                officer_ids=binding["officer_ids"] or [],
                duration_s=binding["duration_s"],
                recorded_started_at=local(start, tz),
                recorded_ended_at=local(end, tz),
                segment=segment,
                note=binding["note"],
                content_url=f"/api/v1/media/{binding['media_id']}/content",
                fixity_checked_at=local(binding["fixity_checked_at"], tz),
                bound_at=local(binding["bound_at"], tz),
                upload_lag_s=upload_lag_s(binding["recorded_ended_at"], binding["uploaded_at"]),
                kind=binding["kind"],
                image=binding["image"],
                recording=RecordingProgress(
                    bytes_received=binding["size"],
                    started_at=local(binding["recording_started_at"], tz),
                    last_received_at=local(binding["last_received_at"], tz),
                    upload_id=binding["upload_id"],
                )
                if binding["status"] == RECORDING
                else None,
            )
            if binding["unbound_at"] is not None:
                unbound_out.append(
                    widened(item, UnboundMedia, unbound_at=local(binding["unbound_at"], tz), unbind_reason=binding["unbind_reason"])
                )
                entries.append(
                    (
                        binding["unbound_at"],
                        UnboundEntry(
                            at=local(binding["unbound_at"], tz),
                            stage=code,
                            media_id=binding["media_id"],
                            reason=binding["unbind_reason"],
                        ),
                    )
                )
                continue
            media_out.append(item)
            stage_footage[code] += binding["status"] in USABLE_MEDIA_STATUSES
            clips.append(
                Clip(
                    binding["binding_id"],
                    binding["media_id"],
                    binding["device_id"],
                    start,
                    end,
                    binding["note"],
                    binding["status"],
                    binding["kind"],
                )
            )
            if start is not None:
                entries.append(
                    (
                        start,
                        RecordingEntry(
                            at=local(start, tz),
                            stage=code,
                            media_id=binding["media_id"],
                            device_id=binding["device_id"],
                            ended_at=local(end, tz),
                        ),
                    )
                )
        stage_documents = documents_by_stage[row.id] if row else []
        docs_out: list[TimelineDocument] = []
        for document in stage_documents:
            docs_out.append(_document(document, counts.get(document["id"], 1), catalog, tz))
            for moment, kind in (
                (document["issued_at"], "document_issued"),
                (document["signed_at"], "document_signed"),
                (document["served_at"], "document_served"),
            ):
                if moment is not None:
                    entries.append(
                        (
                            moment,
                            DocumentEntry(
                                at=local(moment, tz),
                                kind=kind,
                                stage=code,
                                document_id=document["id"],
                                doc_type=document["doc_type"],
                                doc_number=document["doc_number"],
                            ),
                        )
                    )
        if row is not None:
            if row.status == "skipped":
                entries.append((row.created_at, Entry(at=local(row.created_at, tz), kind="stage_skipped", stage=code)))
            if row.started_at is not None:
                entries.append((row.started_at, Entry(at=local(row.started_at, tz), kind="stage_opened", stage=code)))
            if row.ended_at is not None:
                entries.append((row.ended_at, Entry(at=local(row.ended_at, tz), kind="stage_closed", stage=code)))
        certified, uncertified = _officers_at(row, register, typed_in, typed_names, case.category, tz)
        facts = StageFacts(
            definition=definition,
            status=row.status if row else "not_started",
            started_at=row.started_at if row else None,
            ended_at=row.ended_at if row else None,
            attributes=row.attributes if row else {},
            certified_officers=len(certified) if row else 0,
            uncertified=uncertified,
            document_types={d["doc_type"] for d in stage_documents if d["status"] in COUNTED_DOCUMENT_STATUSES},
            clips=clips,
            explanations=[Explained(e.device_id, e.gap_start, e.gap_end) for e in explanations_by_stage[row.id]] if row else [],
        )
        stage_interruptions = [InterruptionOut.of(e, catalog, tz) for e in (explanations_by_stage[row.id] if row else ())]
        for explanation, shown in zip(explanations_by_stage[row.id] if row else (), stage_interruptions):
            entries.append(
                (
                    explanation.gap_start,
                    InterruptionEntry(
                        at=local(explanation.gap_start, tz),
                        stage=code,
                        device_id=explanation.device_id,
                        ended_at=shown.gap_end,
                        reason=explanation.reason,
                        reason_name=shown.reason_name,
                        text=explanation.text,
                    ),
                )
            )
        findings: list[Finding] = [
            replace(finding, gap_start=local(finding.gap_start, tz), gap_end=local(finding.gap_end, tz))
            if isinstance(finding, ContinuityGap)
            else finding
            for finding in stage_findings(
                facts, gap_tolerance=gap_tolerance, window_tolerance=window_tolerance, document_names=document_names
            )
        ]
        all_findings += findings
        recommendations += stage_recommendations(facts)
        arriving: list[Finding] = list(stage_in_progress(facts))
        in_progress += arriving
        expected = photo_expectation(facts)
        out_stages.append(
            TimelineStage(
                id=row.id if row else None,
                stage=code,
                name=definition.name_zh,
                name_en=definition.name_en,
                order=definition.order,
                optional=definition.optional,
                status=facts.status,
                started_at=local(facts.started_at, tz),
                ended_at=local(facts.ended_at, tz),
                officers=row.officers if row else [],
                attributes=facts.attributes,
                notes=local_notes(row.notes, tz) if row else [],
                documents=docs_out,
                media=media_out,
                unbound_media=unbound_out,
                interruptions=stage_interruptions,
                findings=findings,
                photos=photo_count(facts),
                photo_rule={"expect": expected[0], "min": expected[1]} if expected else None,
                in_progress=arriving,
            )
        )
    calendar = await working_calendar(session, catalog, case.agency)
    case_facts = case.facts or {}
    record = CaseRecord(procedure.code, stages, list(documents), case_facts, case.parties or [], await adjustments_of(session, case.id))
    deadlines, limit_findings = evaluate(
        catalog.time_limits, record, calendar, today(tz), tz, {s.code: s.name_zh for s in procedure.stages}, catalog.amount_limits
    )
    checked: list[Finding] = []
    if catalog.review_sheet is not None:
        checked += review_findings(
            ReviewRecord(
                agency=case.agency,
                procedure=procedure,
                stages=stages,
                documents=list(documents),
                parties=case.parties or [],
                facts=case_facts,
                party_signs={d.code for d in catalog.document_types if d.party_signs},
                document_names=document_names,
                stage_footage=stage_footage,
                numbers_elsewhere=await _numbers_elsewhere(session, case) if any(d["doc_number"] for d in documents) else {},
            ),
            catalog.review_sheet,
            tz,
        )
    by_code = {stage.stage: stage for stage in out_stages}
    for finding in limit_findings + checked:
        by_code[finding.stage].findings.append(finding)
    all_findings += limit_findings + checked
    entries.sort(key=lambda pair: pair[0])
    return Timeline(
        case=CaseOut.of(case, principal, settings.tz),
        procedure=ProcedureRef(procedure.code, procedure.name_zh, procedure.name_en),
        stages=out_stages,
        entries=[entry for _, entry in entries],
        completeness=Completeness.of(all_findings, recommendations, in_progress),
        deadlines=deadlines,
    )


def _document(row: RowMapping, version_count: int, catalog: Catalog, tz: tzinfo) -> TimelineDocument:
    """A document as the timeline shows it (DocumentOut without its history or text) from one joined row."""
    doc_type = catalog.document_type(row["doc_type"])
    return TimelineDocument(
        id=row["id"],
        case_id=row["case_id"],
        stage_id=row["stage_id"],
        doc_type=row["doc_type"],
        doc_type_name=doc_type.name_zh if doc_type else row["doc_type"],
        current=DocumentVersionView(
            version=row["version"],
            doc_number=row["doc_number"],
            title=row["title"],
            status=row["status"],
            issued_at=local(row["issued_at"], tz),
            signed_at=local(row["signed_at"], tz),
            served_at=local(row["served_at"], tz),
            signers=row["signers"],
            party_name=row["party_name"],
            refusal_note=row["refusal_note"],
            attachment_media_id=row["attachment_media_id"],
            change_note=row["change_note"],
            created_at=local(row["created_at"], tz),
            created_by=row["created_by"],
        ),
        version_count=version_count,
    )


async def record_timeline_read(session: AsyncSession, principal: Principal, case: Case, body: Timeline, via: str = "api") -> None:
    await record(
        session,
        principal,
        "timeline.read",
        agency=case.agency,
        case_id=case.id,
        payload={
            "complete": body.completeness.complete,
            "findings": len(body.completeness.findings),
            **({"via": via} if via != "api" else {}),
        },
    )


async def _numbers_elsewhere(session: AsyncSession, case: Case) -> dict[str, int]:
    """How many counted documents of the agency's other cases carry each of this case's 文号 (a sub-select
    rather than a list of hundreds of bound numbers, which costs more to send than to answer)."""
    own = select(DocumentVersion.doc_number).where(DocumentVersion.case_id == case.id, DocumentVersion.doc_number.is_not(None))
    rows = await session.execute(
        select(DocumentVersion.doc_number, func.count())
        .join(Document, and_(Document.id == DocumentVersion.document_id, Document.current_version == DocumentVersion.version))
        .join(Case, Case.id == Document.case_id)
        .where(
            DocumentVersion.doc_number.in_(own),
            Case.agency == case.agency,
            Case.id != case.id,
            DocumentVersion.status.in_(sorted(COUNTED_DOCUMENT_STATUSES)),
        )
        .group_by(DocumentVersion.doc_number)
    )
    return {number: count for number, count in rows if number is not None}  # none is: `own` has none


def _officers_at(
    row: CaseStage | None, register: Register, typed_in: set[str], typed_names: dict[str, str], category: str | None, tz: tzinfo
) -> tuple[set[str], list[tuple[str, str, date, str, str]]]:
    """Who counts as certified at a stage: by the register on the stage's day where the agency keeps one,
    else (until it does) whoever has a certificate number typed into the case."""
    if row is None:
        return set(), []
    present = list(dict.fromkeys(row.officers or []))
    if not register.adopted:
        return typed_in.intersection(present), []
    if row.started_at is None:
        return set(), []
    day = row.started_at.astimezone(tz).date()
    certified: set[str] = set()
    uncertified: list[tuple[str, str, date, str, str]] = []
    for officer_id in present:
        problem = register.problem(officer_id, day, category)
        if problem is None:
            certified.add(officer_id)
        else:
            uncertified.append((officer_id, problem, day, STANDING_ZH[problem], register.label(officer_id, typed_names.get(officer_id))))
    return certified, uncertified


def _clip_window(binding: RowMapping, usable: ReadSegment) -> tuple[datetime | None, datetime | None]:
    """The recorded time a binding covers: the whole clip, or its bound segment (`usable`: its offsets as read)."""
    start, end = binding["recorded_started_at"], binding["recorded_ended_at"]
    if start is None:
        return None, None
    if usable.start_offset_s is not None:
        start = binding["recorded_started_at"] + timedelta(seconds=usable.start_offset_s)
    if usable.end_offset_s is not None:
        end = binding["recorded_started_at"] + timedelta(seconds=usable.end_offset_s)
    return start, end
