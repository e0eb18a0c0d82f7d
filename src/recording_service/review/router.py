from typing import Annotated

from fastapi import APIRouter

from ..cases.service import get_case
from ..catalog.service import CatalogDep
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from .schemas import CaseReview
from .service import review_case

router = APIRouter(prefix="/api/v1/cases", tags=["review"])
ReviewReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]


@router.get(
    "/{case_id}/review",
    response_model=CaseReview,
    summary="The case file scored against the review sheet: score, max_score, deductions and the findings behind them",
)
async def read_review(case_id: str, catalog: CatalogDep, principal: ReviewReader, session: DbSession, settings: SettingsDep) -> CaseReview:
    case = await get_case(session, principal, case_id)
    if catalog.review_sheet is None:
        raise Problem(404, "no-review-sheet", "This deployment's catalog has no review sheet.")
    review, _ = await review_case(session, catalog, settings, principal, case)
    return CaseReview(**review)
