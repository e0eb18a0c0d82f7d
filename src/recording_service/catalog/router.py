from fastapi import APIRouter

from ..core.principals import CurrentPrincipal
from ..core.problems import Problem
from .schemas import (
    DocumentTypePage,
    InterruptionReasonPage,
    Procedure,
    ProcedurePage,
    RetentionPage,
    ReviewSheet,
    StatisticsRules,
    TimeLimitCatalog,
)
from .service import CatalogDep

router = APIRouter(prefix="/api/v1", tags=["catalog"])


@router.get(
    "/procedures", response_model=ProcedurePage, response_model_by_alias=True, summary="Procedure catalog: stages and required records"
)
async def list_procedures(catalog: CatalogDep, principal: CurrentPrincipal) -> ProcedurePage:
    return ProcedurePage(items=catalog.procedures)


@router.get("/procedures/{code}", response_model=Procedure, response_model_by_alias=True, summary="One procedure")
async def read_procedure(code: str, catalog: CatalogDep, principal: CurrentPrincipal) -> Procedure:
    procedure = catalog.procedure(code)
    if procedure is None:
        raise Problem(404, "procedure-not-found", f"No procedure '{code}' in the catalog.")
    return procedure


@router.get("/retention-classes", response_model=RetentionPage, summary="Retention classes (the only deletion policy)")
async def list_retention_classes(catalog: CatalogDep, principal: CurrentPrincipal) -> RetentionPage:
    return RetentionPage(items=catalog.retention_classes)


@router.get(
    "/interruption-reasons",
    response_model=InterruptionReasonPage,
    summary="Reasons an interruption in whole-process recording may be explained with",
)
async def list_interruption_reasons(catalog: CatalogDep, principal: CurrentPrincipal) -> InterruptionReasonPage:
    return InterruptionReasonPage(items=catalog.interruption_reasons)


@router.get("/document-types", response_model=DocumentTypePage, summary="执法文书 type catalog")
async def list_document_types(catalog: CatalogDep, principal: CurrentPrincipal) -> DocumentTypePage:
    return DocumentTypePage(items=catalog.document_types)


@router.get(
    "/time-limits",
    response_model=TimeLimitCatalog,
    response_model_by_alias=True,
    summary="Statutory time limits the timeline checks, the amount limits and the reasons a limit may pause",
)
async def list_time_limits(catalog: CatalogDep, principal: CurrentPrincipal) -> TimeLimitCatalog:
    return TimeLimitCatalog(items=catalog.time_limits, amount_limits=catalog.amount_limits, pause_reasons=catalog.pause_reasons)


@router.get("/review-sheet", response_model=ReviewSheet, summary="The 评查标准 case files are scored against")
async def read_review_sheet(catalog: CatalogDep, principal: CurrentPrincipal) -> ReviewSheet:
    sheet = catalog.review_sheet
    if sheet is None:
        raise Problem(404, "no-review-sheet", "This deployment's catalog has no review sheet.")
    return sheet


@router.get(
    "/statistics-rules",
    response_model=StatisticsRules,
    summary="What the statistics count by: 处罚种类 from the lightest to the most severe (a decision counts under its most severe), score bands",
)
async def read_statistics_rules(catalog: CatalogDep, principal: CurrentPrincipal) -> StatisticsRules:
    return catalog.statistics
