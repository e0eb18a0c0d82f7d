"""The case-file score (案卷评查): the review sheet (catalog data) applied to the timeline's findings, and the
reviewer's part — deductions and 评查意见 on the items structured data cannot decide, signed off by the reviewer."""

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..cases.models import Case
from ..catalog.schemas import Catalog, ReviewSheet
from ..core.config import Settings
from ..core.db import utcnow
from ..core.principals import Principal
from ..core.problems import Problem
from ..timeline.model import Finding, Timeline, plain
from ..timeline.service import assemble_timeline, record_timeline_read
from .models import ManualEntry, ManualReview, ManualReviewVersion, ReviewAction
from .schemas import ManualReviewOut


class SheetScored(TypedDict):
    code: str
    name_zh: str
    name_en: str
    source_zh: str | None


class ItemScored(TypedDict):
    """One item of the sheet as scored (schemas.ItemScore is how the API shows it)."""

    item: str
    name_zh: str
    name_en: str
    judged_by: Literal["data", "reviewer"]
    judged: bool
    max_points: float
    points_lost: float
    score: float
    findings: list[dict[str, Any]]  # the findings as shown (timeline.model.plain), each with the points it cost
    opinion: str | None
    criteria_zh: str | None


class Score(TypedDict):
    """A case file scored against the review sheet (schemas.CaseReview less the case and the reviewer's part)."""

    sheet: SheetScored
    score: float
    max_score: float
    automatic_score: float
    automatic_max_score: float
    manual_score: float
    manual_max_score: float
    deductions: list[ItemScored]
    items: list[ItemScored]
    findings: list[dict[str, Any]]
    unscored_findings: list[dict[str, Any]]


class CaseScored(Score):
    """`Score` with its case, the reviewer's part (ManualReviewOut as JSON) and the case's deadlines: schemas.CaseReview."""

    case_id: str
    case_number: str
    signed: bool
    manual: dict[str, Any]
    deadlines: list[dict[str, Any]]


def score(sheet: ReviewSheet, findings: list[Finding], manual: Mapping[str, ManualEntry] | None = None) -> Score:
    """Each finding costs the points of the first deduction matching it; an item a reviewer judges loses what the
    reviewer deducted (`manual`: item code -> {"points_lost", "opinion"}; nothing until judged); an item loses at
    most its points."""
    manual = manual or {}
    lost: dict[str, float] = {item.code: 0.0 for item in sheet.items}
    behind: dict[str, list[dict[str, Any]]] = {item.code: [] for item in sheet.items}
    unscored: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = [plain(finding) for finding in findings]
    for finding, as_shown in zip(findings, shown):
        matched = sheet.item_for(finding)
        if matched is None:
            unscored.append(as_shown)
            continue
        item, deduction = matched
        lost[item.code] += deduction.points
        behind[item.code].append({**as_shown, "points": deduction.points})
    items: list[ItemScored] = []
    for item in sheet.items:
        by_reviewer = item.judged_by == "reviewer"
        entry = manual.get(item.code) if by_reviewer else None
        if by_reviewer:
            lost[item.code] = float(entry["points_lost"]) if entry else 0.0
        points_lost = min(item.points, lost[item.code])
        items.append(
            {
                "item": item.code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "judged_by": item.judged_by,
                "judged": entry is not None or not by_reviewer,
                "max_points": item.points,
                "points_lost": points_lost,
                "score": item.points - points_lost,
                "findings": behind[item.code],
                "opinion": (entry.get("opinion", "") if entry else "") if by_reviewer else None,
                "criteria_zh": item.criteria_zh,
            }
        )
    automatic = [i for i in items if i["judged_by"] == "data"]
    by_people = [i for i in items if i["judged_by"] == "reviewer"]
    return {
        "sheet": {"code": sheet.code, "name_zh": sheet.name_zh, "name_en": sheet.name_en, "source_zh": sheet.source_zh},
        "score": round(sum(i["score"] for i in items), 2),
        "max_score": sheet.max_score,
        "automatic_score": round(sum(i["score"] for i in automatic), 2),
        "automatic_max_score": sum(i["max_points"] for i in automatic),
        "manual_score": round(sum(i["score"] for i in by_people), 2),
        "manual_max_score": sum(i["max_points"] for i in by_people),
        "deductions": [i for i in items if i["points_lost"] > 0],
        "items": items,
        "findings": shown,
        "unscored_findings": unscored,
    }


async def review_case(
    session: AsyncSession, catalog: Catalog, settings: Settings, principal: Principal, case: Case, via: str = "review"
) -> tuple[CaseScored | None, Timeline]:
    """(review, timeline) for one case, with the timeline's read audited (the caller commits); the review is
    None where the deployment's catalog has no sheet."""
    timeline = await assemble_timeline(session, catalog, settings, principal, case)
    await record_timeline_read(session, principal, case, timeline, via)
    return await review_of_timeline(session, catalog, settings, case, timeline), timeline


async def review_of_timeline(
    session: AsyncSession, catalog: Catalog, settings: Settings, case: Case, timeline: Timeline
) -> CaseScored | None:
    """The review sheet applied to a case whose timeline is assembled: the items scored from its findings, the
    reviewer's part with every version (the API and the case file say the same); None without a sheet."""
    sheet = catalog.review_sheet
    if sheet is None:
        return None
    row = await manual_review_of(session, case.id)
    review = score(sheet, timeline.completeness.findings, _current_items(sheet, row))
    manual = ManualReviewOut.of(sheet, case.id, row, settings.tz, await manual_review_versions(session, case.id))
    return {
        "case_id": case.id,
        "case_number": case.case_number,
        **review,
        "signed": manual.signed,
        "manual": manual.model_dump(mode="json"),
        "deadlines": plain(timeline.deadlines),
    }


def _current_items(sheet: ReviewSheet, row: ManualReview | None) -> dict[str, ManualEntry]:
    """The reviewer's deductions that still belong to the sheet (an item the agency's sheet dropped counts no more)."""
    if row is None:
        return {}
    codes = {item.code for item in sheet.manual_items}
    return {code: entry for code, entry in row.items.items() if code in codes}


# --- the reviewer's part ------------------------------------------------------------------------------


async def reviewers_deductions(session: AsyncSession, catalog: Catalog, case_id: str) -> dict[str, ManualEntry]:
    """The reviewer's deductions on a case, as `score` takes them (the statistics score as the API does)."""
    if catalog.review_sheet is None:
        return {}
    return _current_items(catalog.review_sheet, await manual_review_of(session, case_id))


async def manual_review_of(session: AsyncSession, case_id: str) -> ManualReview | None:
    return await session.get(ManualReview, case_id)


async def manual_review_versions(session: AsyncSession, case_id: str) -> list[ManualReviewVersion]:
    query = select(ManualReviewVersion).where(ManualReviewVersion.case_id == case_id).order_by(ManualReviewVersion.version)
    return list((await session.execute(query)).scalars())


def refused(status: int, code: str, detail: str, detail_zh: str, field: str | None = None) -> Problem:
    """A refusal the API answers in English and a page in Chinese (`detail_zh`)."""
    extra: dict[str, Any] = {"detail_zh": detail_zh}
    if field:
        extra["errors"] = [{"field": field, "type": code, "msg": detail}]
    return Problem(status, code, detail, **extra)


def checked_items(sheet: ReviewSheet, items: Sequence[Mapping[str, Any]]) -> dict[str, ManualEntry]:
    """The reviewer's deductions, checked against the sheet: only items a reviewer judges, each at most once, a
    deduction between 0 and the item's points, and 评查意见 wherever points are deducted."""
    checked: dict[str, ManualEntry] = {}
    for index, entry in enumerate(items):
        code = str(entry.get("item", ""))
        field = f"items.{index}"
        item = sheet.item(code)
        if item is None:
            raise refused(422, "unknown-review-item", f"The review sheet has no item '{code}'; nothing was saved.",
                          f"评查标准中没有“{code}”这一项，未保存。", field + ".item")  # fmt: skip
        if item.judged_by != "reviewer":
            raise refused(
                422,
                "automatic-review-item",
                f"'{code}' is scored from the record's data, not by a reviewer; nothing was saved.",
                f"“{item.name_zh}”由系统根据记录自动评分，不能人工扣分，未保存。",
                field + ".item",
            )
        if code in checked:
            raise refused(422, "duplicate-review-item", f"'{code}' is given twice; nothing was saved.",
                          f"“{item.name_zh}”填写了两次，未保存。", field + ".item")  # fmt: skip
        points = float(entry.get("points_lost", 0))
        if points != points or points < 0:
            raise refused(422, "invalid-deduction", f"The deduction for '{code}' is negative; nothing was saved.",
                          f"“{item.name_zh}”的扣分不能为负数，未保存。", field + ".points_lost")  # fmt: skip
        if points > item.points:
            raise refused(
                422,
                "deduction-exceeds-points",
                f"The deduction for '{code}' ({points:g}) exceeds the item's {item.points:g} points; nothing was saved.",
                f"“{item.name_zh}”扣 {points:g} 分，超过该项分值 {item.points:g} 分，未保存。",
                field + ".points_lost",
            )
        opinion = str(entry.get("opinion") or "").strip()
        if points > 0 and not opinion:
            raise refused(
                422,
                "opinion-required",
                f"A deduction for '{code}' needs the reviewer's opinion; nothing was saved.",
                f"“{item.name_zh}”扣分须写明评查意见，未保存。",
                field + ".opinion",
            )
        checked[code] = {"points_lost": round(points, 2), "opinion": opinion}
    return checked


def _state(row: ManualReview) -> dict[str, Any]:
    return {
        "sheet_code": row.sheet_code,
        "status": row.status,
        "items": row.items,
        "opinion": row.opinion,
        "signed_by": row.signed_by,
        "signed_at": row.signed_at.isoformat() if row.signed_at else None,
    }


async def _new_version(
    session: AsyncSession, principal: Principal, row: ManualReview, action: ReviewAction, reason: str | None = None
) -> None:
    row.version += 1
    row.updated_at, row.updated_by, row.updated_by_id = utcnow(), principal.name, principal.id
    session.add(
        ManualReviewVersion(
            case_id=row.case_id,
            version=row.version,
            action=action,
            state=_state(row),
            reason=reason,
            at=row.updated_at,
            by=principal.name,
            by_id=principal.id,
        )
    )
    try:
        await session.flush()
    except IntegrityError:  # another request saved this case's review meanwhile: its version number is taken
        raise refused(
            409, "review-changed", "The review was changed meanwhile; read it and try again.", "评查内容已被他人修改，请刷新后重试。"
        ) from None


def _check_version(row: ManualReview | None, expected: int | None) -> None:
    current = row.version if row is not None else 0
    if expected is not None and expected != current:
        raise refused(
            409,
            "review-changed",
            f"The review is at version {current}, not {expected}; read it and try again.",
            "评查内容已被他人修改，请刷新后重试。",
        )


def _signed(row: ManualReview) -> Problem:
    return refused(
        409,
        "review-signed",
        f"The review was signed by {row.signed_by}; an admin reopens it (with a reason) before it changes.",
        f"评查已由 {row.signed_by} 签署，不能修改；如需修改，请管理员填写原因后退回重评。",
    )


async def save_manual_review(
    session: AsyncSession,
    sheet: ReviewSheet,
    principal: Principal,
    case: Case,
    items: Sequence[Mapping[str, Any]],
    opinion: str,
    version: int | None,
) -> ManualReview:
    """Record the reviewer's deductions and 评查意见 (the whole reviewer's part: items left out are unjudged); a
    change makes a new version and a `review.saved` event. A signed review is refused; the caller commits."""
    row = await manual_review_of(session, case.id)
    if row is not None and row.status == "signed":
        raise _signed(row)
    _check_version(row, version)
    checked = checked_items(sheet, items)
    opinion = opinion.strip()
    if row is not None and row.items == checked and row.opinion == opinion and row.sheet_code == sheet.code:
        return row  # nothing changed: no version, no event
    if row is None:
        row = ManualReview(case_id=case.id, agency=case.agency, version=0, status="draft")
        session.add(row)
    row.sheet_code, row.items, row.opinion = sheet.code, checked, opinion
    await _new_version(session, principal, row, "saved")
    manual = ManualReviewOut.of(sheet, case.id, row, None)
    await record(
        session,
        principal,
        "review.saved",
        agency=case.agency,
        case_id=case.id,
        payload={
            "version": row.version,
            "deductions": {code: entry["points_lost"] for code, entry in checked.items()},
            "manual_score": manual.score,
            "complete": manual.complete,
        },
    )
    return row


async def sign_off_review(session: AsyncSession, sheet: ReviewSheet, principal: Principal, case: Case, version: int | None) -> ManualReview:
    """The reviewer signs the review: every reviewer's item judged and the overall 评查意见 written. From then on
    it is read-only until an admin reopens it. A new version and a `review.signed` event; the caller commits."""
    row = await manual_review_of(session, case.id)
    if row is not None and row.status == "signed":
        raise refused(
            409, "review-already-signed", f"The review was already signed by {row.signed_by}.", f"评查已由 {row.signed_by} 签署。"
        )
    _check_version(row, version)
    judged = _current_items(sheet, row)
    missing = [item for item in sheet.manual_items if item.code not in judged]
    if row is None or missing:
        names = "、".join(item.name_zh for item in missing)
        raise refused(
            422,
            "review-incomplete",
            f"Items not yet judged: {', '.join(item.code for item in missing)}; the review is not signed.",
            f"尚未评定：{names}，不能签署。",
        )
    if not row.opinion.strip():
        raise refused(
            422,
            "opinion-required",
            "The overall opinion is required to sign; the review is not signed.",
            "签署前须填写评查意见。",
            "opinion",
        )
    row.status, row.signed_at, row.signed_by, row.signed_by_id = "signed", utcnow(), principal.name, principal.id
    await _new_version(session, principal, row, "signed")
    manual = ManualReviewOut.of(sheet, case.id, row, None)
    await record(
        session,
        principal,
        "review.signed",
        agency=case.agency,
        case_id=case.id,
        payload={"version": row.version, "manual_score": manual.score, "signed_by": row.signed_by},
    )
    return row


async def reopen_review(session: AsyncSession, principal: Principal, case: Case, reason: str) -> ManualReview:
    """An admin reopens a signed review, with a reason: back to a draft (its deductions and opinions kept), a new
    version and a `review.reopened` event. Who may is the caller's check; the caller commits."""
    reason = reason.strip()
    if not reason:
        raise refused(422, "reason-required", "A reason is required to reopen a signed review.", "退回重评须填写原因。", "reason")
    row = await manual_review_of(session, case.id)
    if row is None or row.status != "signed":
        raise refused(409, "review-not-signed", "The review is not signed; there is nothing to reopen.", "评查尚未签署，无需退回。")
    signed_by, signed_at = row.signed_by, row.signed_at
    row.status, row.signed_at, row.signed_by, row.signed_by_id = "draft", None, None, None
    await _new_version(session, principal, row, "reopened", reason)
    await record(
        session,
        principal,
        "review.reopened",
        agency=case.agency,
        case_id=case.id,
        payload={
            "version": row.version,
            "reason": reason,
            "signed_by": signed_by,
            "signed_at": signed_at.isoformat() if signed_at else None,
        },
    )
    return row
