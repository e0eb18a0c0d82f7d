"""Uploads from the pages (issue 27): what the case page's upload forms call once a file is in.

The bytes go over the API's tus endpoint (/api/v1/uploads) from the browser (static/upload.js with tus-js-client),
authenticated by the session cookie and the session's CSRF token in a header; ingest knows nothing of cases. When an
upload completes, the page learns its media id (GET /api/v1/uploads/{id}) and asks here to bind it to the chosen
stage, or to attach it as a document's scan — the same case services as the API's binding and scan endpoints.
Answers are JSON for the page's script (the refusal's words in `detail`)."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field

from ..cases.events import media_bound
from ..cases.models import Document
from ..cases.record import bind_media, get_stage
from ..cases.scans import attach_scan
from ..cases.schemas import BindingCreate
from ..cases.service import get_case
from ..catalog.service import CatalogDep
from ..core.db import DbSession, discard
from ..core.deps import StoreDep
from ..core.messages import problem_zh
from ..core.principals import Role
from ..core.problems import Problem
from ..core.values import RequestModel
from .session import FormPerson, require_page_roles

router = APIRouter(include_in_schema=False)
# Who files footage to a case in the pages: the roles that write cases (a reviewer or an auditor only reads).
Filer = Annotated[object, require_page_roles(Role.admin, Role.case_system)]
FILERS = (Role.admin, Role.case_system)


class Uploaded(RequestModel):
    media_id: str = Field(min_length=1, max_length=32)


def _refused(exc: Problem) -> JSONResponse:
    return JSONResponse({"code": exc.code, "detail": problem_zh(exc)}, status_code=exc.status, headers={"Cache-Control": "no-store"})


@router.post("/cases/{case_id}/stages/{stage_id}/media")
async def bind_uploaded(
    case_id: str, stage_id: str, body: Uploaded, person: FormPerson, _role: Filer, session: DbSession, store: StoreDep
) -> JSONResponse:
    """Bind an upload that just completed to the stage its form sits in. Binding the same file again (uploaded twice,
    or the answer lost and the page asking again) answers with the binding it already has."""
    try:
        case = await get_case(session, person.principal, case_id)
        stage = await get_stage(session, case, stage_id)
        binding = await bind_media(session, person.principal, case, stage, BindingCreate(media_id=body.media_id))
    except Problem as exc:
        await discard(session)
        if exc.code == "already-bound":
            return JSONResponse({"binding_id": exc.extra.get("binding_id"), "media_id": body.media_id, "already_bound": True})
        return _refused(exc)
    media_bound.emit_after_commit(session, session=session, store=store, who=person.principal, media_ids=[binding.media_id])
    return JSONResponse({"binding_id": binding.id, "media_id": binding.media_id, "already_bound": False}, status_code=201)


@router.post("/cases/{case_id}/documents/{document_id}/scan")
async def attach_uploaded_scan(
    case_id: str,
    document_id: str,
    body: Uploaded,
    catalog: CatalogDep,
    person: FormPerson,
    _role: Filer,
    session: DbSession,
    store: StoreDep,
) -> JSONResponse:
    """Attach an uploaded PDF as the scan of the paper document (上传纸质文书扫描件)."""
    try:
        case = await get_case(session, person.principal, case_id)
        document = await session.get(Document, document_id)
        if document is None or document.case_id != case.id:
            raise Problem(404, "document-not-found", f"No document {document_id} in this case.")
        kind = catalog.document_type(document.doc_type)
        scan = await attach_scan(session, store, person.principal, case, document, body.media_id, label=kind.name_zh if kind else None)
    except Problem as exc:
        await discard(session)
        return _refused(exc)
    media_bound.emit_after_commit(session, session=session, store=store, who=person.principal, media_ids=[scan.media_id])
    return JSONResponse({"scan_id": scan.id, "media_id": scan.media_id, "sha256": scan.sha256}, status_code=201)
