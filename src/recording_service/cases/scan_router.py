"""The scan of a paper 执法文书 (PDF) attached to its document record, for machines (issue 27); the pages'
equivalent is web/uploads.py."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.principals import Principal, Role, require_roles
from ..core.query import only
from .events import media_bound
from .scans import attach_scan, document_of, scans_of_documents
from .schemas import DocumentScanList, DocumentScanOut, ScanAttach

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])
CaseWriter = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
CaseReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.post(
    "/{document_id}/scan",
    status_code=201,
    response_model=DocumentScanOut,
    summary="Attach the scanned paper document (an uploaded PDF) to its record; it is bound to the document's stage too",
)
async def attach_document_scan(
    document_id: str,
    body: ScanAttach,
    catalog: CatalogDep,
    principal: CaseWriter,
    session: DbSession,
    settings: SettingsDep,
    store: StoreDep,
) -> JSONResponse:
    case, document = await document_of(session, principal, document_id)
    kind = catalog.document_type(document.doc_type)
    scan = await attach_scan(session, store, principal, case, document, body.media_id, label=kind.name_zh if kind else None)
    media_bound.emit_after_commit(session, session=session, store=store, who=principal, media_ids=[scan.media_id])
    return JSONResponse(DocumentScanOut.of(scan, settings.tz).model_dump(mode="json"), status_code=201)


@router.get(
    "/{document_id}/scans",
    response_model=DocumentScanList,
    summary="The document's scans, oldest first (the last is its scan)",
    dependencies=[only()],
)
async def list_document_scans(document_id: str, principal: CaseReader, session: DbSession, settings: SettingsDep) -> DocumentScanList:
    _case, document = await document_of(session, principal, document_id)
    scans = (await scans_of_documents(session, [document.id])).get(document.id, [])
    return DocumentScanList(items=[DocumentScanOut.of(s, settings.tz) for s in scans])
