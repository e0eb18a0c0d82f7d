"""Scans of the signed paper 执法文书 (PDF) attached to their document records (issue 27).

A scan is a media record like any other — uploaded through the same ingest (tus), its SHA-256 proven, locked and
audited. Attaching it binds it to the document's stage as well (note 纸质文书扫描件), which is what keeps it with
the case: its retention class, legal holds, store locks and the case file (BagIt) all follow stage bindings. The
document's scans are appended, never edited; the newest one is the document's scan.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..core.db import utcnow
from ..core.principals import Principal
from ..core.problems import Problem
from ..media.models import Media, MediaStatus
from ..media.service import visible_media
from ..storage import ObjectStore
from .models import Case, Document, DocumentScan
from .record import active_binding, bind_media, get_stage
from .schemas import BindingCreate
from .service import get_case

PDF_TYPE = "application/pdf"
PDF_MAGIC = b"%PDF-"
UNUSABLE = {MediaStatus.deleted, MediaStatus.missing, MediaStatus.corrupt, MediaStatus.recording, MediaStatus.merged}


@dataclass(frozen=True)
class ScanView:
    """One scan of a document, as the case page, the API and the case file show it."""

    id: str
    document_id: str
    version: int
    media_id: str
    binding_id: str
    sha256: str | None  # None only for a scan whose media was never stored whole (not attachable: UNUSABLE)
    size: int
    filename: str | None
    attached_by: str
    attached_at: datetime


async def document_of(session: AsyncSession, principal: Principal, document_id: str) -> tuple[Case, Document]:
    """A document and its case, when the principal sees the case (else 404, whichever does not exist)."""
    document = await session.get(Document, document_id)
    if document is None:
        raise Problem(404, "document-not-found", f"No document {document_id}.")
    try:
        case = await get_case(session, principal, document.case_id)
    except Problem as exc:
        if exc.status == 404:
            raise Problem(404, "document-not-found", f"No document {document_id}.") from None
        raise
    return case, document


async def _starts_as_pdf(store: ObjectStore, media: Media) -> bool:
    if media.size < len(PDF_MAGIC):
        return False
    head = b"".join([chunk async for chunk in store.read(media.storage_key, 0, len(PDF_MAGIC))])
    return head[: len(PDF_MAGIC)] == PDF_MAGIC


async def attach_scan(
    session: AsyncSession,
    store: ObjectStore,
    principal: Principal,
    case: Case,
    document: Document,
    media_id: str,
    *,
    label: str | None = None,
) -> ScanView:
    """Attach an uploaded PDF as the scan of `document` (of `case`) and bind it to the document's stage."""
    if document.case_id != case.id:
        raise Problem(404, "document-not-found", f"No document {document.id} in this case.")
    media = (await session.execute(visible_media(principal).where(Media.id == media_id))).scalar_one_or_none()
    if media is None or media.agency != case.agency:
        raise Problem(404, "media-not-found", f"No media {media_id}.")
    if media.status in UNUSABLE:
        raise Problem(409, "scan-unusable", f"Media {media_id} is {media.status}: it cannot be a document's scan.")
    if (media.content_type or "").split(";")[0].strip().lower() != PDF_TYPE or not await _starts_as_pdf(store, media):
        raise Problem(
            415,
            "scan-not-pdf",
            f"A document's scan must be a PDF (content_type {PDF_TYPE} and bytes starting with %PDF-).",
            field="media_id",
        )
    earlier = (
        await session.execute(select(DocumentScan.document_id, DocumentScan.media_id).where(DocumentScan.media_id == media.id).limit(1))
    ).first()
    if earlier is not None:
        code = "scan-already-attached" if earlier.document_id == document.id else "scan-of-another-document"
        raise Problem(
            409, code, f"Media {media.id} is already the scan of document {earlier.document_id}.", document_id=earlier.document_id
        )
    stage = await get_stage(session, case, document.stage_id)
    # the media's whole-recording binding to this stage, if it has one already (uploaded there first)
    binding_id = await active_binding(session, stage.id, media.id, None, None)
    if binding_id is None:
        note = f"纸质文书扫描件（{label or document.doc_type}）"
        binding = await bind_media(session, principal, case, stage, BindingCreate(media_id=media.id, note=note))
        binding_id = binding.id
    previous = await scans_of_documents(session, [document.id])
    scan = DocumentScan(
        case_id=case.id,
        document_id=document.id,
        version=document.current_version,
        media_id=media.id,
        binding_id=binding_id,
        attached_by=principal.id,
        attached_at=utcnow(),
    )
    session.add(scan)
    await session.flush()
    replaced = previous.get(document.id)
    await record(
        session,
        principal,
        "document.scan_attached",
        agency=case.agency,
        case_id=case.id,
        media_id=media.id,
        payload={
            "document_id": document.id,
            "doc_type": document.doc_type,
            "version": document.current_version,
            "sha256": media.sha256,
            "size": media.size,
            "binding_id": binding_id,
            **({"replaces_media_id": replaced[-1].media_id} if replaced else {}),
        },
    )
    await session.flush()
    return _view(scan, media)


def _view(scan: DocumentScan, media: Media) -> ScanView:
    return ScanView(
        id=scan.id,
        document_id=scan.document_id,
        version=scan.version,
        media_id=scan.media_id,
        binding_id=scan.binding_id,
        sha256=media.sha256,
        size=media.size,
        filename=media.filename,
        attached_by=scan.attached_by,
        attached_at=scan.attached_at,
    )


async def scans_of_documents(session: AsyncSession, document_ids: list[str]) -> dict[str, list[ScanView]]:
    """Every scan of these documents, oldest first (the last is the document's scan)."""
    if not document_ids:
        return {}
    rows = await session.execute(
        select(DocumentScan, Media)
        .join(Media, Media.id == DocumentScan.media_id)
        .where(DocumentScan.document_id.in_(document_ids))
        .order_by(DocumentScan.attached_at, DocumentScan.id)
    )
    found: dict[str, list[ScanView]] = {}
    for scan, media in rows:
        found.setdefault(scan.document_id, []).append(_view(scan, media))
    return found
