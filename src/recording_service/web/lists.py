"""The public pages of the published lists: 行政执法事项清单 with its 服务指南, 随机抽查事项清单, and the
procedure flowcharts (no sign-in; printable)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from ..agencies.service import list_agencies
from ..catalog.schemas import ENFORCEMENT_KINDS
from ..catalog.service import CatalogDep, get_catalog
from ..core.db import DbSession
from ..core.problems import Problem
from ..core.public_side import LIST, PUBLIC_CACHE, RENDERED, public_budget
from ..core.query import only
from ..lists.flowchart import render
from ..lists.service import agency_guide, served_list
from .paging import MAX_PAGE, pager
from .render import page

router = APIRouter(include_in_schema=False)
Version = Annotated[int | None, Query(ge=1, le=1_000_000)]
PAGE_SIZE = 20  # matters per page of the 事项清单
Agency = Annotated[str | None, Query(max_length=64)]  # an agency code: its profile fills in 办理机关, 地址, 电话, 办公时间, 救济渠道


def _public(request: Request, name: str, context: dict) -> Response:
    response = page(request, name, {"kind_names": ENFORCEMENT_KINDS, "tz": request.app.state.settings.tz, **context})
    response.headers.update(PUBLIC_CACHE)
    return response


async def _guide(session, agency: str | None) -> dict | None:
    try:
        return await agency_guide(session, agency)
    except Problem:
        raise Problem(404, "agency-not-found", "没有这个单位的信息。") from None


def flowchart_markup(request: Request, code: str | None, states: dict | None = None, agency: dict | None = None) -> Markup | None:
    """A procedure's flowchart to place in a page (our own SVG, every text escaped when drawn)."""
    catalog = get_catalog(request)
    procedure = catalog.procedure(code) if code else None
    return Markup(render(procedure, catalog, states, standalone=False, agency=agency)) if procedure else None


@router.get("/public/matters", dependencies=[public_budget(LIST), only("version", "agency", "category", "page", "limit")])
async def matters_page(
    request: Request,
    catalog: CatalogDep,
    session: DbSession,
    version: Version = None,
    agency: Agency = None,
    category: Annotated[str, Query(pattern="^(|license|penalty|coercion|inspection|levy|confirmation|other)$")] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int | None, Query(ge=1, le=100)] = None,
) -> Response:
    guide = await _guide(session, agency or None)
    row, versions = await served_list(session, "matters", catalog.matters, version)
    items = [item for item in row.content["items"] if not category or item["category"] == category]
    present = [code for code in ENFORCEMENT_KINDS if any(item["category"] == code for item in row.content["items"])]
    size = limit or PAGE_SIZE
    shown = pager(request, len(items), page_number, size)
    return _public(
        request,
        "public_matters.html",
        {
            "list": row,
            "versions": versions,
            "items": items[shown["offset"] : shown["offset"] + size],
            "first_number": shown["offset"] + 1,
            "pager": shown,
            "category": category,
            "categories": present,
            "version": version,
            "agency": guide,
            "agencies": await list_agencies(session),
        },
    )


@router.get("/public/matters/{code}", dependencies=[public_budget(RENDERED), only("version", "agency")])
async def matter_page(
    code: str, request: Request, catalog: CatalogDep, session: DbSession, version: Version = None, agency: Agency = None
) -> Response:
    guide = await _guide(session, agency)
    row, _versions = await served_list(session, "matters", catalog.matters, version)
    matter = next((item for item in row.content["items"] if item["code"] == code), None)
    if matter is None:
        raise Problem(404, "matter-not-found", "事项清单中没有这一事项。")
    return _public(
        request,
        "public_matter.html",
        {
            "list": row,
            "m": matter,
            "version": version,
            "agency": guide,
            "flowchart": flowchart_markup(request, matter.get("procedure"), agency=guide),
        },
    )


@router.get("/public/inspection-matters", dependencies=[public_budget(LIST), only("version")])
async def inspection_matters_page(request: Request, catalog: CatalogDep, session: DbSession, version: Version = None) -> Response:
    row, versions = await served_list(session, "inspection_matters", catalog.inspection_matters, version)
    return _public(
        request, "public_inspection_matters.html", {"list": row, "versions": versions, "items": row.content["items"], "version": version}
    )


@router.get("/public/procedures", dependencies=[public_budget(LIST), only()])
async def procedures_page(request: Request, catalog: CatalogDep) -> Response:
    return _public(request, "public_procedures.html", {"procedures": catalog.procedures})


@router.get("/public/procedures/{code}", dependencies=[public_budget(RENDERED), only("agency")])
async def procedure_page(code: str, request: Request, catalog: CatalogDep, session: DbSession, agency: Agency = None) -> Response:
    procedure = catalog.procedure(code)
    if procedure is None:
        raise Problem(404, "procedure-not-found", "没有这一执法程序。")
    guide = await _guide(session, agency)
    return _public(
        request,
        "public_procedure.html",
        {"procedure": procedure, "agency": guide, "flowchart": flowchart_markup(request, code, agency=guide)},
    )
