"""未关联音像 (issue 27): the agency's footage bound to no case, oldest first, with its age, camera, officers and the day
its retention ends; a warning at the top for what the retention sweep would delete within the warning days. The same
service as GET /api/v1/media/unlinked (cases.unlinked) with custody's retention rule."""

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..cases.unlinked import UnlinkedFilters, unlinked_page, unlinked_query, unlinked_summary
from ..catalog.service import CatalogDep
from ..core.db import DbSession, utcnow
from ..core.deps import SettingsDep
from ..core.principals import Role
from ..core.problems import Problem
from ..core.query import only
from ..custody.policy import RetentionPolicy
from ..live.service import WATCHERS
from ..officers.service import names_of
from .render import page
from .session import Person, require_page_roles

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[object, require_page_roles(Role.admin, Role.auditor, Role.reviewer)]
PAGE_SIZE = 25
AGES = {"7": "7天以上", "30": "30天以上", "90": "90天以上", "150": "150天以上"}


def _day(value: str, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Problem(400, "invalid-query", f"{label}应为 YYYY-MM-DD 格式的日期。") from None


@router.get(
    "/unlinked",
    dependencies=[only("older_than_days", "device_id", "officer_id", "recorded_from", "recorded_to", "expiring", "cursor")],
)
async def unlinked_footage(
    request: Request,
    catalog: CatalogDep,
    person: Person,
    _role: Reviewer,
    session: DbSession,
    settings: SettingsDep,
    older_than_days: Annotated[str, Query(pattern="^(|7|30|90|150)$")] = "",
    device_id: Annotated[str, Query(max_length=128)] = "",
    officer_id: Annotated[str, Query(max_length=64)] = "",
    recorded_from: Annotated[str, Query(max_length=10)] = "",
    recorded_to: Annotated[str, Query(max_length=10)] = "",
    expiring: Annotated[str, Query(pattern="^(|true)$")] = "",
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> Response:
    principal = person.principal
    tz = settings.tz
    start, end = _day(recorded_from, "录制日期（起）"), _day(recorded_to, "录制日期（止）")
    warning_days = settings.unlinked_warning_days
    now = utcnow()
    filters = UnlinkedFilters(
        older_than_days=int(older_than_days or 0),
        device_id=device_id.strip() or None,
        officer_id=officer_id.strip() or None,
        recorded_from=datetime.combine(start, time(), tz) if start else None,
        recorded_to=datetime.combine(end + timedelta(days=1), time(), tz) - timedelta(microseconds=1) if end else None,
        expiring_within_days=warning_days if expiring else None,
    )
    query = unlinked_query(principal, RetentionPolicy, catalog, now, filters)
    items, next_cursor = await unlinked_page(session, RetentionPolicy(catalog, now), query, now, cursor, PAGE_SIZE)
    summary = await unlinked_summary(session, principal, RetentionPolicy, catalog, now, warning_days)
    numbers = {(item.media.agency, o) for item in items for o in item.media.officer_ids or []}
    registered = await names_of(session, sorted(numbers))  # one statement for the page: 张三（3401001）, or 未登记
    rows = [
        {
            "item": item,
            "uploaded_at": item.media.uploaded_at.astimezone(tz),
            "recorded_at": item.media.recorded_started_at.astimezone(tz) if item.media.recorded_started_at else None,
            "officers": "、".join(registered.label(item.media.agency, o) for o in item.media.officer_ids or []),
            "ends_on": item.retention_ends_on(tz),
            "soon": item.retention_ends_at is not None
            and not item.legal_hold
            and item.retention_ends_at <= now + timedelta(days=warning_days),
        }
        for item in items
    ]
    asked = {
        key: value
        for key, value in (
            ("older_than_days", older_than_days),
            ("device_id", device_id.strip()),
            ("officer_id", officer_id.strip()),
            ("recorded_from", recorded_from),
            ("recorded_to", recorded_to),
            ("expiring", expiring),
        )
        if value
    }
    standard = catalog.retention("standard")
    return page(
        request,
        "unlinked.html",
        {
            "rows": rows,
            "summary": summary,
            "earliest_on": summary.expiring_earliest_at.astimezone(tz).date() if summary.expiring_earliest_at else None,
            "warning_days": warning_days,
            "standard_days": standard.days,
            "filters": asked,
            "ages": AGES,
            "first_page": not cursor,
            "next_url": "/unlinked?" + urlencode({**asked, "cursor": next_cursor}) if next_cursor else None,
            "first_url": "/unlinked" + ("?" + urlencode(asked) if asked else ""),
            "may_watch": principal.role in WATCHERS,  # footage still being recorded links to 实时查看 (issue 29)
            "tz": tz,
        },
        person=person,
    )
