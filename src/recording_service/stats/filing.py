"""关联率 (issue 27): the share of footage filed to a case within 7 days of its upload, by upload month and agency.

Each footage item has one stored row (`MediaFiling`): its upload day and how long after its upload it was first filed
by a binding or attachment that still holds it. The row is recomputed when the audit log shows the item created,
bound, unbound or attached (`recompute_filings`, called from `refresh.follow_once`); footage from before the figures
existed is caught up in batches (`catch_up_filings`: the worker every 10 minutes, `stats refresh`), and
`stats refresh --all` rebuilds every row."""

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..cases.unlinked import first_filed
from ..core.config import Settings
from ..core.db import utcnow
from ..media.service import media_ids_after, media_ids_not_in, uploads_of
from .models import MediaFiling

FILED_WITHIN_DAYS = 7
CATCH_UP_BATCH = 1000


async def recompute_filings(session: AsyncSession, media_ids: set[str], tz: tzinfo) -> int:
    """Store these footage items' filing rows again from the bindings and attachments as they are now."""
    ids = sorted(media_ids)
    done = 0
    for start in range(0, len(ids), 500):  # bounded IN lists
        batch = ids[start : start + 500]
        uploads = await uploads_of(session, batch)
        first = await first_filed(session, [media_id for media_id, _, _ in uploads])
        await session.execute(delete(MediaFiling).where(MediaFiling.media_id.in_(batch)))
        session.add_all(
            MediaFiling(
                media_id=media_id,
                agency=agency,
                uploaded_on=uploaded_at.astimezone(tz).date(),
                uploaded_at=uploaded_at,
                filed_after_s=max(0.0, (first[media_id] - uploaded_at).total_seconds()) if media_id in first else None,
            )
            for media_id, agency, uploaded_at in uploads
        )
        await session.flush()
        done += len(uploads)
    return done


async def catch_up_filings(session: AsyncSession, tz: tzinfo, limit: int = CATCH_UP_BATCH) -> int:
    """Rows for up to `limit` footage items that have none yet (uploaded before the figures existed)."""
    missing = await media_ids_not_in(session, select(MediaFiling.media_id), limit)
    return await recompute_filings(session, set(missing), tz)


async def rebuild_filings(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, batch: int = CATCH_UP_BATCH) -> int:
    """Every footage item's row again (`stats refresh --all`), a transaction per batch."""
    done, after = 0, ""
    while True:
        async with sessionmaker() as session:
            ids = await media_ids_after(session, after, batch)
            if not ids:
                return done
            done += await recompute_filings(session, set(ids), settings.tz)
            # the statistics' own transaction: derived figures, recomputable at any time
            await session.commit()
            after = ids[-1]


def catch_up_periodically(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Callable[[object], Awaitable[None]]:
    """The job queue's periodic work: footage without a filing row gets one, a batch at a time."""

    async def run(_queue: object) -> None:
        async with sessionmaker() as session:
            if await catch_up_filings(session, settings.tz):
                # the statistics' own transaction: derived figures, recomputable at any time
                await session.commit()

    return run


async def filing_rows(
    session: AsyncSession, agency: str | None, start: date, end: date, now: datetime | None = None
) -> list[dict[str, object]]:
    """Counts by (upload month, agency): uploaded, filed within 7 days, filed later, not filed, still within its 7 days."""
    now = now or utcnow()
    window = FILED_WITHIN_DAYS * 86400
    within = MediaFiling.filed_after_s <= window
    later = MediaFiling.filed_after_s > window
    pending = and_(MediaFiling.filed_after_s.is_(None), MediaFiling.uploaded_at > now - timedelta(days=FILED_WITHIN_DAYS))
    unfiled = and_(MediaFiling.filed_after_s.is_(None), MediaFiling.uploaded_at <= now - timedelta(days=FILED_WITHIN_DAYS))
    conditions = [MediaFiling.uploaded_on >= start, MediaFiling.uploaded_on <= end]
    if agency is not None:
        conditions.append(MediaFiling.agency == agency)
    statement = (
        select(
            MediaFiling.agency,
            MediaFiling.uploaded_on,
            func.count(),
            *(func.sum(case((condition, 1), else_=0)) for condition in (within, later, unfiled, pending)),
        )
        .where(*conditions)
        .group_by(MediaFiling.agency, MediaFiling.uploaded_on)
    )
    sums: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row_agency, day, uploaded, n_within, n_later, n_unfiled, n_pending in await session.execute(statement):
        sums[(day.strftime("%Y-%m"), row_agency)].update(
            uploaded=int(uploaded),
            filed_within=int(n_within or 0),
            filed_later=int(n_later or 0),
            not_filed=int(n_unfiled or 0),
            pending=int(n_pending or 0),
        )
    return [{"month": month, "agency": row_agency, **counts} for (month, row_agency), counts in sorted(sums.items())]
