"""The case timeline: the complete written and audio-visual record in one document, assembled in a
fixed number of queries whatever the size of the case."""

from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.service import Principal
from ..catalog.schemas import Catalog
from ..cases.models import Case, CaseStage, Document, DocumentVersion, MediaBinding
from ..cases.record import document_out
from ..cases.service import case_out
from ..config import Settings
from ..media.models import Media
from .completeness import COUNTED_DOCUMENT_STATUSES, Clip, StageFacts, stage_findings


def _iso(value, settings: Settings):
    return value.astimezone(settings.tz).isoformat() if value is not None else None


async def assemble_timeline(session: AsyncSession, catalog: Catalog, settings: Settings, principal: Principal, case: Case) -> dict:
    procedure = catalog.procedure(case.procedure)
    stages = {s.stage: s for s in (await session.execute(select(CaseStage).where(CaseStage.case_id == case.id))).scalars()}
    documents = (await session.execute(
        select(Document, DocumentVersion)
        .join(DocumentVersion, and_(DocumentVersion.document_id == Document.id, DocumentVersion.version == Document.current_version))
        .where(Document.case_id == case.id)
        .order_by(Document.created_at, Document.id)
    )).all()
    counts = dict((await session.execute(
        select(DocumentVersion.document_id, func.count()).where(DocumentVersion.case_id == case.id).group_by(DocumentVersion.document_id)
    )).all())
    bindings = (await session.execute(
        select(MediaBinding, Media).join(Media, Media.id == MediaBinding.media_id)
        .where(MediaBinding.case_id == case.id).order_by(MediaBinding.created_at, MediaBinding.id)
    )).all()

    certified = {o["officer_id"] for o in case.officers if o.get("certificate_number")}
    gap_tolerance = timedelta(seconds=settings.continuity_tolerance_seconds)
    window_tolerance = timedelta(seconds=settings.stage_window_tolerance_seconds)
    entries: list[tuple] = []
    out_stages, all_findings = [], []
    for definition in procedure.stages:
        row = stages.get(definition.code)
        status = row.status if row else "not_started"
        stage_docs = [(d, v) for d, v in documents if row is not None and d.stage_id == row.id]
        stage_bindings = [(b, m) for b, m in bindings if row is not None and b.stage_id == row.id]
        media_out, unbound_out, clips = [], [], []
        for binding, media in stage_bindings:
            start, end = _clip_window(binding, media)
            item = {
                "binding_id": binding.id, "media_id": media.id, "sha256": media.sha256, "size": media.size,
                "filename": media.filename, "status": media.status, "device_id": media.device_id,
                "officer_ids": media.officer_ids or [], "duration_s": media.duration_s,
                "recorded_started_at": _iso(start, settings), "recorded_ended_at": _iso(end, settings),
                "segment": None if binding.start_offset_s is None and binding.end_offset_s is None
                else {"start_offset_s": binding.start_offset_s, "end_offset_s": binding.end_offset_s},
                "note": binding.note, "content_url": f"/api/v1/media/{media.id}/content",
                "bound_at": _iso(binding.created_at, settings),
            }
            if binding.unbound_at is not None:
                unbound_out.append({**item, "unbound_at": _iso(binding.unbound_at, settings), "unbind_reason": binding.unbind_reason})
                entries.append((binding.unbound_at, {"kind": "footage_unbound", "stage": definition.code, "media_id": media.id,
                                                     "reason": binding.unbind_reason}))
                continue
            media_out.append(item)
            clips.append(Clip(binding.id, media.id, media.device_id, start, end, binding.note, media.status))
            if start is not None:
                entries.append((start, {"kind": "recording", "stage": definition.code, "media_id": media.id,
                                        "device_id": media.device_id, "ended_at": _iso(end, settings)}))
        docs_out = []
        for document, version in stage_docs:
            docs_out.append(document_out(document, version, counts.get(document.id, 1), catalog, settings).model_dump(mode="json", exclude={"versions"}))
            for moment, kind in ((version.issued_at, "document_issued"), (version.signed_at, "document_signed"), (version.served_at, "document_served")):
                if moment is not None:
                    entries.append((moment, {"kind": kind, "stage": definition.code, "document_id": document.id,
                                             "doc_type": document.doc_type, "doc_number": version.doc_number}))
        if row is not None:
            if row.status == "skipped":
                entries.append((row.created_at, {"kind": "stage_skipped", "stage": definition.code}))
            if row.started_at is not None:
                entries.append((row.started_at, {"kind": "stage_opened", "stage": definition.code}))
            if row.ended_at is not None:
                entries.append((row.ended_at, {"kind": "stage_closed", "stage": definition.code}))
        facts = StageFacts(
            definition=definition,
            status=status,
            started_at=row.started_at if row else None,
            ended_at=row.ended_at if row else None,
            attributes=row.attributes if row else {},
            certified_officers=len(certified.intersection(row.officers)) if row else 0,
            document_types={d.doc_type for d, v in stage_docs if v.status in COUNTED_DOCUMENT_STATUSES},
            clips=clips,
        )
        findings = stage_findings(facts, gap_tolerance=gap_tolerance, window_tolerance=window_tolerance)
        findings = [{k: (_iso(v, settings) if k in ("gap_start", "gap_end") else v) for k, v in f.items()} for f in findings]
        all_findings += findings
        out_stages.append({
            "id": row.id if row else None, "stage": definition.code, "name": definition.name_zh, "name_en": definition.name_en,
            "order": definition.order, "optional": definition.optional, "status": status,
            "started_at": _iso(row.started_at, settings) if row else None,
            "ended_at": _iso(row.ended_at, settings) if row else None,
            "officers": row.officers if row else [], "attributes": row.attributes if row else {},
            "notes": row.notes if row else [],
            "documents": docs_out, "media": media_out, "unbound_media": unbound_out, "findings": findings,
        })
    entries.sort(key=lambda pair: pair[0])
    return {
        "case": case_out(case, principal, settings).model_dump(mode="json"),
        "procedure": {"code": procedure.code, "name_zh": procedure.name_zh, "name_en": procedure.name_en},
        "stages": out_stages,
        "entries": [{"at": _iso(at, settings), **entry} for at, entry in entries],
        "completeness": {"complete": not all_findings, "findings": all_findings},
    }


def _clip_window(binding: MediaBinding, media: Media):
    """The recorded time the binding covers: the whole clip, or its bound segment."""
    start, end = media.recorded_started_at, media.recorded_ended_at
    if start is None:
        return None, None
    if binding.start_offset_s is not None:
        start = media.recorded_started_at + timedelta(seconds=binding.start_offset_s)
    if binding.end_offset_s is not None:
        end = media.recorded_started_at + timedelta(seconds=binding.end_offset_s)
    return start, end
