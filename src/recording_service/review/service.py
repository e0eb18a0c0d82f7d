"""The case-file score (案卷评查): the review sheet (catalog data) applied to the timeline's findings."""

from sqlalchemy.ext.asyncio import AsyncSession

from ..cases.models import Case
from ..catalog.schemas import Catalog, ReviewSheet
from ..core.config import Settings
from ..core.principals import Principal
from ..timeline.model import Finding, Timeline, plain
from ..timeline.service import assemble_timeline, record_timeline_read


def score(sheet: ReviewSheet, findings: list[Finding]) -> dict:
    """Each finding costs the points of the first deduction matching it; an item loses at most its points."""
    lost: dict[str, float] = {item.code: 0.0 for item in sheet.items}
    behind: dict[str, list[dict]] = {item.code: [] for item in sheet.items}
    unscored = []
    shown = [plain(finding) for finding in findings]
    for finding, as_shown in zip(findings, shown):
        matched = sheet.item_for(finding)
        if matched is None:
            unscored.append(as_shown)
            continue
        item, deduction = matched
        lost[item.code] += deduction.points
        behind[item.code].append({**as_shown, "points": deduction.points})
    items = []
    for item in sheet.items:
        points_lost = min(item.points, lost[item.code])
        items.append(
            {
                "item": item.code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "max_points": item.points,
                "points_lost": points_lost,
                "score": item.points - points_lost,
                "findings": behind[item.code],
            }
        )
    return {
        "sheet": {"code": sheet.code, "name_zh": sheet.name_zh, "name_en": sheet.name_en, "source_zh": sheet.source_zh},
        "score": round(sum(i["score"] for i in items), 2),
        "max_score": sheet.max_score,
        "deductions": [i for i in items if i["points_lost"] > 0],
        "items": items,
        "findings": shown,
        "unscored_findings": unscored,
    }


async def review_case(
    session: AsyncSession, catalog: Catalog, settings: Settings, principal: Principal, case: Case, via: str = "review"
) -> tuple[dict | None, Timeline]:
    """(review, timeline) for one case, with the timeline's read audited (the caller commits); the review is
    None where the deployment's catalog has no sheet."""
    timeline = await assemble_timeline(session, catalog, settings, principal, case)
    await record_timeline_read(session, principal, case, timeline, via)
    if catalog.review_sheet is None:
        return None, timeline
    review = score(catalog.review_sheet, timeline.completeness.findings)
    return {"case_id": case.id, "case_number": case.case_number, **review, "deadlines": plain(timeline.deadlines)}, timeline
