from typing import Annotated

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from ..cases.service import get_case
from ..catalog.schemas import Catalog, ReviewSheet
from ..catalog.service import CatalogDep
from ..core.config import Settings
from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.principals import Principal, Role, require_roles
from ..core.problems import Problem
from .models import ManualReview
from .schemas import CaseReview, ManualReviewIn, ManualReviewOut, ReopenIn, SignOffIn
from .service import manual_review_of, manual_review_versions, reopen_review, review_case, save_manual_review, sign_off_review

router = APIRouter(prefix="/api/v1/cases", tags=["review"])
ReviewReader = Annotated[Principal, require_roles(Role.admin, Role.case_system, Role.auditor, Role.reviewer)]
ReviewWriter = Annotated[Principal, require_roles(Role.admin, Role.reviewer)]
Admin = Annotated[Principal, require_roles(Role.admin)]


def _sheet(catalog: Catalog) -> ReviewSheet:
    if catalog.review_sheet is None:
        raise Problem(404, "no-review-sheet", "This deployment's catalog has no review sheet.")
    return catalog.review_sheet


@router.get(
    "/{case_id}/review",
    response_model=CaseReview,
    summary="The case file scored against the review sheet: score (the data's items and the reviewer's), max_score, "
    "deductions, the findings behind them, and the reviewer's part with its sign-off",
)
async def read_review(case_id: str, catalog: CatalogDep, principal: ReviewReader, session: DbSession, settings: SettingsDep) -> CaseReview:
    case = await get_case(session, principal, case_id)
    _sheet(catalog)
    review, _ = await review_case(session, catalog, settings, principal, case)
    assert review is not None  # a catalog without a sheet was refused just above
    return CaseReview.model_validate(review)


async def _manual_out(
    session: AsyncSession, sheet: ReviewSheet, case_id: str, row: ManualReview | None, settings: Settings
) -> ManualReviewOut:
    return ManualReviewOut.of(sheet, case_id, row, settings.tz, await manual_review_versions(session, case_id))


@router.get(
    "/{case_id}/review/manual",
    response_model=ManualReviewOut,
    summary="The reviewer's part of the review: each item a reviewer judges with its deduction and 评查意见, the overall "
    "评查意见, the sign-off and every version",
)
async def read_manual_review(
    case_id: str, catalog: CatalogDep, principal: ReviewReader, session: DbSession, settings: SettingsDep
) -> ManualReviewOut:
    case = await get_case(session, principal, case_id)
    sheet = _sheet(catalog)
    return await _manual_out(session, sheet, case.id, await manual_review_of(session, case.id), settings)


@router.put(
    "/{case_id}/review/manual",
    response_model=ManualReviewOut,
    summary="Record the reviewer's deductions and 评查意见 (reviewer, admin): the whole reviewer's part, items left out "
    "stay unjudged; a deduction is 0 to the item's points and needs an opinion; refused (409) once signed",
    responses={
        409: {"description": "signed, or changed since `version`"},
        422: {"description": "an unknown item, or a deduction out of range"},
    },
)
async def write_manual_review(
    case_id: str, body: ManualReviewIn, catalog: CatalogDep, principal: ReviewWriter, session: DbSession, settings: SettingsDep
) -> ManualReviewOut:
    case = await get_case(session, principal, case_id)
    sheet = _sheet(catalog)
    items = [item.model_dump() for item in body.items]
    row = await save_manual_review(session, sheet, principal, case, items, body.opinion, body.version)
    return await _manual_out(session, sheet, case.id, row, settings)


@router.post(
    "/{case_id}/review/sign-off",
    response_model=ManualReviewOut,
    summary="The reviewer signs the review (reviewer, admin): every reviewer's item judged and the overall 评查意见 "
    "written; read-only from then on. 评查人 and 签名 are the signed-in account's name, with the time",
    responses={409: {"description": "already signed, or changed since `version`"}, 422: {"description": "items not judged or no opinion"}},
)
async def sign_off(
    case_id: str, catalog: CatalogDep, principal: ReviewWriter, session: DbSession, settings: SettingsDep, body: SignOffIn | None = None
) -> ManualReviewOut:
    case = await get_case(session, principal, case_id)
    sheet = _sheet(catalog)
    row = await sign_off_review(session, sheet, principal, case, body.version if body else None)
    return await _manual_out(session, sheet, case.id, row, settings)


@router.post(
    "/{case_id}/review/reopen",
    response_model=ManualReviewOut,
    summary="Reopen a signed review (admin), with a reason: it becomes a draft again, its deductions kept",
    responses={409: {"description": "not signed"}, 422: {"description": "no reason"}},
)
async def reopen(
    case_id: str, body: ReopenIn, catalog: CatalogDep, principal: Admin, session: DbSession, settings: SettingsDep
) -> ManualReviewOut:
    case = await get_case(session, principal, case_id)
    sheet = _sheet(catalog)
    row = await reopen_review(session, principal, case, body.reason)
    return await _manual_out(session, sheet, case.id, row, settings)
