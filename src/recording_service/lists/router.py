"""The published lists and flowcharts (no token): what an agency enforces, how, and on whom it spot-checks."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from ..catalog.schemas import ENFORCEMENT_KINDS
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.problems import Problem
from ..core.public_side import LIST, PUBLIC_CACHE, RENDERED, public_budget
from .flowchart import render
from .schemas import AgencyGuide, InspectionMatterListOut, MatterListOut, PublicProcedure, procedure_flowchart_url
from .service import agency_guide, served_list

public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
Version = Annotated[int | None, Query(ge=1, le=1_000_000, description="an earlier version's number (see `versions`)")]
Agency = Annotated[
    str | None, Query(max_length=64, description="an agency code: its profile names 办理机关, 地址, 电话, 办公时间, 救济渠道")
]
SVG_HEADERS = {
    **PUBLIC_CACHE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


@public_router.get(
    "/matters",
    response_model=MatterListOut,
    summary="The 行政执法事项清单 with a 服务指南 per matter (no token)",
    dependencies=[public_budget(LIST)],
)
async def public_matters(catalog: CatalogDep, session: DbSession, version: Version = None, agency: Agency = None) -> JSONResponse:
    guide = await agency_guide(session, agency)
    row, versions = await served_list(session, "matters", catalog.matters, version)
    out = MatterListOut.of(row, versions)
    out.agency = AgencyGuide(**guide) if guide else None
    return JSONResponse(out.model_dump(mode="json"), headers=PUBLIC_CACHE)


@public_router.get(
    "/inspection-matters",
    response_model=InspectionMatterListOut,
    summary="The 随机抽查事项清单 (no token)",
    dependencies=[public_budget(LIST)],
)
async def public_inspection_matters(catalog: CatalogDep, session: DbSession, version: Version = None) -> JSONResponse:
    row, versions = await served_list(session, "inspection_matters", catalog.inspection_matters, version)
    return JSONResponse(InspectionMatterListOut.of(row, versions).model_dump(mode="json"), headers=PUBLIC_CACHE)


@public_router.get(
    "/procedures",
    response_model=list[PublicProcedure],
    summary="The procedures the agency follows, each with its flowchart (no token)",
    dependencies=[public_budget(LIST)],
)
async def public_procedures(catalog: CatalogDep) -> JSONResponse:
    items = [
        PublicProcedure(
            code=p.code,
            kind=p.kind,
            kind_zh=ENFORCEMENT_KINDS[p.kind],
            name_zh=p.name_zh,
            name_en=p.name_en,
            stages=[s.name_zh for s in p.stages],
            flowchart_url=procedure_flowchart_url(p.code),
        )
        for p in catalog.procedures
    ]
    return JSONResponse([item.model_dump() for item in items], headers=PUBLIC_CACHE)


@public_router.get(
    "/procedures/{code}/flowchart.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "the flowchart"}},
    summary="行政执法流程图: a procedure drawn from the stage rules the service enforces (no token)",
    dependencies=[public_budget(RENDERED)],
)
async def public_flowchart(code: str, catalog: CatalogDep, session: DbSession, agency: Agency = None) -> Response:
    procedure = catalog.procedure(code)
    if procedure is None:
        raise Problem(404, "procedure-not-found", f"No procedure '{code}' in the catalog.")
    return Response(render(procedure, catalog, agency=await agency_guide(session, agency)), media_type="image/svg+xml", headers=SVG_HEADERS)
