import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ..catalog.service import CatalogDep
from ..core.config import Settings
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from ..core.public_side import ITEM, LIST, PUBLIC_CACHE, public_budget
from ..core.query import refuse_unknown
from ..core.times import local, today
from .exchange import CODES, export_file
from .models import Publication
from .schemas import (
    AnnotationCreate,
    NoticeCreate,
    PerformanceCreate,
    PublicationCreate,
    PublicationOut,
    PublicationPage,
    PublicationUpdate,
    PublicItem,
    PublicPage,
    RevocationCreate,
    WithdrawalCreate,
)
from .service import (
    annotate,
    approve,
    create_publication,
    exchange_rows,
    get_publication,
    overdue_condition,
    public_item,
    public_page,
    publish,
    record_notice,
    record_performance,
    record_revocation,
    staff_view,
    staff_views,
    update_publication,
    versions_of,
    visible_publications,
    withdraw,
)

router = APIRouter(prefix="/api/v1/publications", tags=["publications"])
public_router = APIRouter(prefix="/api/v1/public/publications", tags=["public"])
Publisher = Annotated[Principal, require_roles(Role.admin, Role.case_system)]
Approver = Annotated[Principal, require_roles(Role.admin, Role.auditor)]
Reader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor)]
STATUSES = ("draft", "approved", "published", "annotated", "withdrawn", "expired", "not_publishable")


async def _answer(session: AsyncSession, publication: Publication, settings: Settings, status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        (await staff_view(session, publication, settings.tz)).model_dump(mode="json"),
        status_code=status_code,
        headers={"Location": f"/api/v1/publications/{publication.id}"} if status_code == 201 else None,
    )


@router.post("", status_code=201, response_model=PublicationOut, summary="Draft a publication from a case's decision document")
async def draft(
    body: PublicationCreate, catalog: CatalogDep, principal: Publisher, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    publication = await create_publication(session, catalog, principal, body, settings.tz)
    return await _answer(session, publication, settings, 201)


@router.get("", response_model=PublicationPage, summary="The agency's publications: the queue (status), overdue ones, by case")
async def list_publications(
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str | None, Query(description=", ".join(STATUSES), json_schema_extra={"enum": list(STATUSES)})] = None,
    overdue: Annotated[
        bool, Query(description="drafts and approved items past their due date, and public items past the day their withdrawal was due")
    ] = False,
    case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> PublicationPage:
    query = visible_publications(principal)
    if status is not None:
        if status not in STATUSES:
            raise Problem(400, "invalid-query", f"status is one of {', '.join(STATUSES)}.", field="status")
        query = query.where(Publication.status == status)
    if overdue:
        query = query.where(overdue_condition(today(settings.tz)))
    if case_id:
        query = query.where(Publication.case_id == case_id)
    rows = (await session.execute(keyset(query, [Publication.created_at, Publication.id], cursor, limit))).scalars().all()
    rows, next_cursor = page_of(list(rows), ["created_at", "id"], limit)
    return PublicationPage(items=await staff_views(session, rows, settings.tz), next_cursor=next_cursor)


@router.get(
    "/export",
    summary="双公示 records with the standard field codes (CSV with BOM, XLSX or JSON), each validated",
    responses={
        200: {
            "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": "The records that pass the field rules (with include_invalid, every record and a "
            "`problems` column); X-Records and X-Records-Invalid count them",
        }
    },
)
async def export(
    request: Request,
    principal: Reader,
    session: DbSession,
    settings: SettingsDep,
    kind: Annotated[str, Query(pattern="^(penalty|license)$")],
    format: Annotated[str, Query(pattern="^(csv|xlsx|json)$")] = "json",
    date_format: Annotated[str, Query(pattern="^(slash|dash)$", description="2026/09/24 (信用中国) or 2026-09-24")] = "slash",
    include_withdrawn: Annotated[bool, Query(description="withdrawn items too (as status 2 / 已撤回 in BZ)")] = False,
    include_invalid: Annotated[
        bool,
        Query(description="every record, the invalid ones with their problems (CSV/XLSX: a `problems` column, and in XLSX a second sheet)"),
    ] = False,
) -> Response:
    # a typo (include_invalids=true) must not silently answer without the records asked for
    refuse_unknown(request, ("kind", "format", "date_format", "include_withdrawn", "include_invalid"))
    rows = await exchange_rows(session, principal, kind, include_withdrawn=include_withdrawn, date_format=date_format)
    if format in ("csv", "xlsx"):
        # Tens of thousands of rows are seconds of CPU: written off the event loop, like the officer sheets are read.
        body, media_type, headers = await asyncio.to_thread(export_file, kind, rows, format, include_invalid, today(settings.tz))
        return Response(body, media_type=media_type, headers=headers)
    invalid = [{"publication_id": p.id, "doc_number": p.fields.get("doc_number"), "problems": found} for p, _, found in rows if found]
    return JSONResponse(
        {
            "kind": kind,
            "fields": [{"code": c, "name": n} for c, n in CODES[kind]],
            "records": [record for _, record, found in rows if not found],
            "invalid": invalid,
            "valid_count": len(rows) - len(invalid),
            "invalid_count": len(invalid),
        },
        headers={"X-Records": str(len(rows) - len(invalid)), "X-Records-Invalid": str(len(invalid))},
    )


@router.get("/{publication_id}", response_model=PublicationOut, summary="One publication with its redaction report")
async def read_publication(publication_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    return JSONResponse((await staff_view(session, publication, settings.tz)).model_dump(mode="json"))


@router.get("/{publication_id}/versions", summary="Every state of the draft's fields and text: who changed what, when, why")
async def versions(publication_id: str, principal: Reader, session: DbSession, settings: SettingsDep) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    return JSONResponse(
        {
            "items": [
                {
                    "version": v.version,
                    "fields": v.fields,
                    "public_text": v.public_text,
                    "note": v.note,
                    "changed_by": v.changed_by,
                    "changed_at": local(v.changed_at, settings.tz).isoformat(),
                }
                for v in await versions_of(session, publication)
            ]
        }
    )


@router.patch("/{publication_id}", response_model=PublicationOut, summary="Edit a draft (every change versioned and audited)")
async def edit(
    publication_id: str, body: PublicationUpdate, catalog: CatalogDep, principal: Publisher, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await update_publication(session, catalog, principal, publication, body, settings.tz)
    return await _answer(session, publication, settings)


@router.post("/{publication_id}/notice", response_model=PublicationOut, summary="Record that the party was told it will be published")
async def notice(publication_id: str, body: NoticeCreate, principal: Publisher, session: DbSession, settings: SettingsDep) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await record_notice(session, principal, publication, body, settings.tz)
    return await _answer(session, publication, settings)


@router.post(
    "/{publication_id}/approve",
    response_model=PublicationOut,
    summary="Approve the draft and its redaction (a second person: not whoever drafted it)",
)
async def approval(publication_id: str, principal: Approver, session: DbSession, settings: SettingsDep) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await approve(session, principal, publication)
    return await _answer(session, publication, settings)


@router.post(
    "/{publication_id}/publish", response_model=PublicationOut, summary="Publish an approved item; 409 until the party's notice is recorded"
)
async def publication_publish(publication_id: str, principal: Publisher, session: DbSession, settings: SettingsDep) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await publish(session, principal, publication, settings.tz)
    return await _answer(session, publication, settings)


@router.post(
    "/{publication_id}/performance",
    response_model=PublicationOut,
    summary="Record 履行情况 of a penalty decision (shown publicly with it; every state kept)",
)
async def performance(
    publication_id: str, body: PerformanceCreate, principal: Publisher, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await record_performance(session, principal, publication, body, settings.tz)
    return await _answer(session, publication, settings)


@router.post(
    "/{publication_id}/annotate",
    response_model=PublicationOut,
    summary="Note that the decision was changed (行政复议, 行政诉讼); it stays public with the note",
)
async def publication_annotate(
    publication_id: str, body: AnnotationCreate, principal: Publisher, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await annotate(session, principal, publication, body, settings.tz)
    return await _answer(session, publication, settings)


@router.post(
    "/{publication_id}/revocation",
    response_model=PublicationOut,
    summary="Record that the decision was revoked: the withdrawal is due within 3 working days",
)
async def revocation(
    publication_id: str, body: RevocationCreate, catalog: CatalogDep, principal: Publisher, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await record_revocation(session, catalog, principal, publication, body, settings.tz)
    return await _answer(session, publication, settings)


@router.post(
    "/{publication_id}/withdraw",
    response_model=PublicationOut,
    summary="Withdraw (the decision was revoked): the public sees a notice of withdrawal with the reason",
)
async def publication_withdraw(
    publication_id: str, body: WithdrawalCreate, catalog: CatalogDep, principal: Publisher, session: DbSession, settings: SettingsDep
) -> JSONResponse:
    publication = await get_publication(session, principal, publication_id)
    await withdraw(session, catalog, principal, publication, body, settings.tz)
    return await _answer(session, publication, settings)


@public_router.get("", response_model=PublicPage, summary="Published enforcement decisions (no token)", dependencies=[public_budget(LIST)])
async def public_list(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=100, description="text in the party's name or the 文号")] = None,
    kind: Annotated[str | None, Query(pattern="^(penalty|license|inspection)$")] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    year: Annotated[int | None, Query(ge=1970, le=2199, description="the year the decision was made (决定日期)")] = None,
) -> JSONResponse:
    items, next_cursor = await public_page(session, settings.tz, q=q, kind=kind, agency=agency, cursor=cursor, limit=limit, year=year)
    body = PublicPage(items=[PublicItem(**item) for item in items], next_cursor=next_cursor)
    return JSONResponse(body.model_dump(mode="json"), headers=PUBLIC_CACHE)


@public_router.get(
    "/{publication_id}",
    response_model=PublicItem,
    summary="One published decision, or its withdrawal notice",
    dependencies=[public_budget(ITEM)],
)
async def public_read(publication_id: str, request: Request, session: DbSession, settings: SettingsDep) -> JSONResponse:
    item = await public_item(session, settings.tz, publication_id)
    if item is None:
        raise Problem(404, "publication-not-found", f"No published item {publication_id}.")
    return JSONResponse(PublicItem(**item).model_dump(mode="json"), headers=PUBLIC_CACHE)
