"""Footage bound to no case (未关联案件的音像): the queue of what nobody filed, by age, with the date its retention ends.

Footage counts as filed while a stage binding holds it (an unbound binding is history, not a filing) or any version of
a case document has it as its attachment (a scanned 执法文书: the case file carries it). Everything else of the
agency's footage — still processing, failed to probe, whatever its state — except what the sweep already deleted is
"unlinked". A case-side query: media know nothing of cases.

When unlinked footage is swept is custody's rule (`custody.policy.RetentionPolicy`: its standard class, its flag, a
legal hold); cases never imports custody, so the composition root hands the rule over as `app.state.retention_rule`
(`RuleAt`): the list, the warning and the sweep all read the same conditions, never a copy of them.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..catalog.schemas import Catalog, RetentionClass
from ..core.pagination import keyset, page_of
from ..core.principals import Principal
from ..media.models import Media, MediaStatus
from ..media.service import footage_filters, visible_media
from .models import DocumentVersion, MediaBinding

MAX_DAYS = 3650
# Age bands of the summary, in whole days since upload: [0, 7), [7, 30), [30, 90), [90, 180), 180 and more.
AGE_BANDS = (7, 30, 90, 180)


class RetentionRule(Protocol):
    """What cases reads of the retention policy at one moment (`custody.policy.RetentionPolicy` is one)."""

    def kept_without_case(self) -> ColumnElement[bool]: ...

    def held(self) -> ColumnElement[bool]: ...

    def own_end(self, uploaded_at: datetime, flag: str | None) -> tuple[RetentionClass, datetime | None]: ...


RuleAt = Callable[[Catalog, datetime], RetentionRule]


def filed() -> ColumnElement[bool]:
    """Footage a case holds: bound to a stage now, or attached to a version of a document."""
    bound = exists().where(MediaBinding.media_id == Media.id, MediaBinding.unbound_at.is_(None))
    attached = exists().where(DocumentVersion.attachment_media_id == Media.id)
    return or_(bound, attached)


def unlinked(principal: Principal) -> Select[Media]:
    """The principal's footage bound to no case (what the retention sweep deleted is gone from it)."""
    return visible_media(principal).where(Media.status.not_in([MediaStatus.deleted, MediaStatus.merged]), ~filed())


@dataclass(frozen=True)
class UnlinkedFilters:
    older_than_days: int = 0
    device_id: str | None = None
    officer_id: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    expiring_within_days: int | None = None  # only what the sweep would delete within so many days (or is past its end)


def unlinked_query(principal: Principal, rule_at: RuleAt, catalog: Catalog, now: datetime, filters: UnlinkedFilters) -> Select[Media]:
    query = footage_filters(
        unlinked(principal),
        device_id=filters.device_id,
        officer_id=filters.officer_id,
        recorded_from=filters.recorded_from,
        recorded_to=filters.recorded_to,
    )
    if filters.older_than_days:
        query = query.where(Media.uploaded_at <= now - timedelta(days=filters.older_than_days))
    if filters.expiring_within_days is not None:
        query = query.where(~rule_at(catalog, now + timedelta(days=filters.expiring_within_days)).kept_without_case())
    return query


@dataclass(frozen=True)
class UnlinkedItem:
    media: Media
    age_days: int
    retention: RetentionClass  # the class that keeps it longest by itself
    retention_ends_at: datetime | None  # None: that class keeps it for ever
    legal_hold: bool  # a hold keeps it past that end, until lifted

    def retention_ends_on(self, tz: tzinfo) -> date | None:
        return self.retention_ends_at.astimezone(tz).date() if self.retention_ends_at else None


def age_days(uploaded_at: datetime, now: datetime) -> int:
    """Whole days since upload (what `older_than_days` compares)."""
    return max(0, int((now - uploaded_at).total_seconds() // 86400))


async def unlinked_page(
    session: AsyncSession, rule: RetentionRule, query: Select[Media], now: datetime, cursor: str | None, limit: int
) -> tuple[list[UnlinkedItem], str | None]:
    """A page of the list, oldest upload first (the first to be swept first), each with its retention end."""
    rows = list((await session.execute(keyset(query, [Media.uploaded_at, Media.id], cursor, limit))).scalars())
    rows, next_cursor = page_of(rows, ["uploaded_at", "id"], limit)
    ids = [m.id for m in rows]
    held = set((await session.execute(select(Media.id).where(Media.id.in_(ids), rule.held()))).scalars()) if ids else set()
    items = []
    for media in rows:
        retention, end = rule.own_end(media.uploaded_at, media.flag)
        items.append(UnlinkedItem(media, age_days(media.uploaded_at, now), retention, end, media.id in held))
    return items, next_cursor


@dataclass(frozen=True)
class AgeBand:
    from_days: int
    to_days: int | None  # exclusive; None: no upper end
    count: int


@dataclass(frozen=True)
class UnlinkedSummary:
    as_of: datetime
    total: int
    by_age: list[AgeBand]
    expiring_within_days: int
    expiring: int  # the sweep deletes these within that many days unless they are filed (the past_retention ones included)
    expiring_earliest_at: datetime | None
    past_retention: int  # already past their retention: the next sweep deletes them


async def unlinked_summary(
    session: AsyncSession, principal: Principal, rule_at: RuleAt, catalog: Catalog, now: datetime, within_days: int
) -> UnlinkedSummary:
    """Counts of the footage nobody filed: by age, and what the sweep would delete within `within_days`. One grouped
    statement over the agency's footage (the index on media (agency, uploaded_at, id) and the ones on the bindings' and
    attachments' media ids serve it): a scan of the agency's footage, not of everyone's."""
    edges = [now - timedelta(days=days) for days in AGE_BANDS]
    band = case(*((Media.uploaded_at > edge, index) for index, edge in enumerate(edges)), else_=len(edges))
    rule = rule_at(catalog, now)
    expiring_now = case((~rule_at(catalog, now + timedelta(days=within_days)).kept_without_case(), 1), else_=0)
    past_now = case((~rule.kept_without_case(), 1), else_=0)
    # grouped over a subquery's named columns: PostgreSQL does not take an expression with bound parameters in GROUP BY
    # for the same one in the select list
    each = (
        unlinked(principal)
        .with_only_columns(
            band.label("band"), expiring_now.label("expiring"), past_now.label("past"), Media.flag.label("flag"), Media.uploaded_at
        )
        .subquery()
    )
    grouped = await session.execute(
        select(each.c.band, each.c.expiring, each.c.past, each.c.flag, func.min(each.c.uploaded_at), func.count()).group_by(
            each.c.band, each.c.expiring, each.c.past, each.c.flag
        )
    )
    counts: Counter[int] = Counter()
    earliest: datetime | None = None
    expiring = past = 0
    for index, will_expire, is_past, flag, oldest, count in grouped:
        counts[int(index)] += int(count)
        if will_expire:
            expiring += int(count)
            past += int(count) if is_past else 0
            _, end = rule.own_end(oldest, flag)  # each flag's oldest upload ends first under that flag's own classes
            if end is not None and (earliest is None or end < earliest):
                earliest = end
    bounds = [0, *AGE_BANDS]
    by_age = [AgeBand(start, AGE_BANDS[index] if index < len(AGE_BANDS) else None, counts[index]) for index, start in enumerate(bounds)]
    return UnlinkedSummary(
        as_of=now,
        total=sum(b.count for b in by_age),
        by_age=by_age,
        expiring_within_days=within_days,
        expiring=expiring,
        expiring_earliest_at=earliest,
        past_retention=past,
    )


async def first_filed(session: AsyncSession, media_ids: list[str]) -> dict[str, datetime]:
    """When each of these footage items was first filed by what still holds it: its earliest current binding, or the
    earliest document version that attaches it (absent: not filed). For the statistics' 关联率."""
    if not media_ids:
        return {}
    bound = (
        select(MediaBinding.media_id, func.min(MediaBinding.created_at))
        .where(MediaBinding.media_id.in_(media_ids), MediaBinding.unbound_at.is_(None))
        .group_by(MediaBinding.media_id)
    )
    attached = (
        select(DocumentVersion.attachment_media_id, func.min(DocumentVersion.created_at))
        .where(DocumentVersion.attachment_media_id.in_(media_ids))
        .group_by(DocumentVersion.attachment_media_id)
    )
    first: dict[str, datetime] = {}
    for statement in (bound, attached):
        for media_id, at in await session.execute(statement):
            if media_id is not None and at is not None and (media_id not in first or at < first[media_id]):
                first[media_id] = at
    return first
