"""Keeping the stored figures current. The audit log is the record of every change, so the figures follow it:
a watermark says how far; each run reads the events after it, recomputes the cases and footage days they
touch, and moves the watermark in the same transaction (compare-and-set: when another instance moved it
first, this run's work is rolled back and nothing is counted twice). Open cases are also recomputed once a
day, since their running time limits lapse by the calendar alone."""

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TypedDict

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import events_after, head_seq
from ..cases.models import Case
from ..cases.service import case_ids_after, cases_by_id, cases_of_media
from ..catalog.schemas import Catalog
from ..complaints.service import day_counts
from ..core.config import Settings
from ..core.db import utcnow
from ..core.principals import ALL_AGENCIES, Principal, Role
from ..core.times import today
from ..custody.fixity import fixity_results_of_day
from ..media.schemas import upload_lag_s
from ..media.service import footage_days_of, footage_of_day
from ..review.models import ManualEntry
from ..review.service import reviewers_deductions, score
from ..timeline.model import Timeline
from ..timeline.service import assemble_timeline
from .filing import recompute_filings
from .models import CaseFigures, CaseFindingCount, ComplaintDay, FixityDay, FootageDay, FootageDayOf, StatsWatermark

logger = logging.getLogger("recording_service.stats")
FIGURES = Principal(id="stats", name="recording-service (statistics)", role=Role.admin, agency=ALL_AGENCIES)
# Reading changes nothing a figure is made of.
READS = frozenset(
    {
        "timeline.read",
        "case.exported",
        "media.content.read",
        "media.playback.granted",
        "media.thumbnail.granted",
        "media.copy.read",
        "list.version_recorded",
    }
)
LAG_BANDS_H = (1, 6, 24, 72)


@dataclass
class Progress:
    events: int = 0
    cases: int = 0
    days: int = 0
    pending: int = 0  # events after the watermark still to follow


class Figures(TypedDict):
    """A case's stored figures (CaseFigures' columns) as `figures_of` works them out."""

    agency: str
    procedure: str
    kind: str
    status: str
    opened_on: date | None
    closed_on: date | None
    decided_on: date | None
    complete: bool
    findings: int
    review_score: float | None
    review_max: float | None
    severest_penalty: str | None
    fine_yuan: float
    confiscated_yuan: float
    license_outcome: str | None
    license_action: str | None
    sealing: bool
    seizure: bool
    problems_found: bool
    hearing_held: bool
    revoked: bool


def _day(value: datetime | str | None, tz: tzinfo) -> date | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(tz).date()


def figures_of(
    catalog: Catalog, case: Case, timeline: Timeline, tz: tzinfo, manual: Mapping[str, ManualEntry] | None = None
) -> tuple[Figures, Counter[tuple[str, str]]]:
    """A case's figures from its assembled timeline (and the reviewer's deductions, `manual`), and its findings
    counted by (kind, rule or check)."""
    procedure = catalog.procedure(case.procedure)
    facts = case.facts or {}
    decided_on: date | None = None
    for stage in timeline.stages:
        for document in stage.documents:
            current = document.current
            if document.doc_type in (procedure.decided_by if procedure else []) and current.status != "void":
                day = _day(current.issued_at or current.signed_at, tz)
                if day is not None and (decided_on is None or day < decided_on):
                    decided_on = day
    findings = timeline.completeness.findings
    counted = Counter((f.kind, f.code or "") for f in findings)
    review = score(catalog.review_sheet, findings, manual) if catalog.review_sheet is not None else None
    stages = {s.stage: s for s in timeline.stages}
    measures = facts.get("coercion_measures") or []
    figures: Figures = {
        "agency": case.agency,
        "procedure": case.procedure,
        "kind": procedure.kind if procedure else "other",
        "status": case.status,
        "opened_on": _day(case.opened_at, tz),
        "closed_on": _day(case.closed_at, tz),
        "decided_on": decided_on,
        "complete": timeline.completeness.complete,
        "findings": len(findings),
        "review_score": review["score"] if review else None,
        "review_max": review["max_score"] if review else None,
        "severest_penalty": catalog.statistics.most_severe(facts.get("penalties") or []),
        "fine_yuan": float(facts.get("fine_yuan") or 0),
        "confiscated_yuan": float(facts.get("confiscated_yuan") or 0),
        "license_outcome": facts.get("license_outcome"),
        "license_action": facts.get("license_action"),
        "sealing": "sealing" in measures,
        "seizure": "seizure" in measures,
        "problems_found": any(s.attributes.get("problems_found") is True for s in timeline.stages),
        "hearing_held": "hearing" in stages and stages["hearing"].status == "closed",
        "revoked": bool(facts.get("decision_revoked_on")),
    }
    return figures, counted


async def _store_figures(session: AsyncSession, catalog: Catalog, settings: Settings, case: Case, source_seq: int, day: date) -> bool:
    try:
        timeline = await assemble_timeline(session, catalog, settings, FIGURES, case)
        values, counted = figures_of(catalog, case, timeline, settings.tz, await reviewers_deductions(session, catalog, case.id))
    except Exception:  # one case that cannot be assembled (a procedure gone from the catalog…) must not stop the others
        logger.exception("statistics: the figures of case %s could not be computed; left as they were", case.id)
        return False
    stored = await session.get(CaseFigures, case.id)
    if stored is not None and stored.source_seq > source_seq:
        return False
    if stored is None:
        stored = CaseFigures(case_id=case.id)
        session.add(stored)
    for name, value in values.items():
        setattr(stored, name, value)
    stored.source_seq, stored.computed_at, stored.computed_on = source_seq, utcnow(), day
    await session.execute(delete(CaseFindingCount).where(CaseFindingCount.case_id == case.id))
    session.add_all(
        CaseFindingCount(case_id=case.id, kind=kind, code=code[:64], agency=case.agency, opened_on=values["opened_on"], count=count)
        for (kind, code), count in counted.items()
    )
    await session.flush()
    return True


async def recompute_cases(session: AsyncSession, catalog: Catalog, settings: Settings, case_ids: set[str], source_seq: int) -> int:
    """Recompute and store the figures of these cases (an older computation never replaces a newer one)."""
    done = 0
    day = today(settings.tz)
    for case in await cases_by_id(session, sorted(case_ids)):
        done += await _store_figures(session, catalog, settings, case, source_seq, day)
    await session.flush()
    return done


def _lag_band(lag_s: float | None) -> str | None:
    if lag_s is None:
        return None
    for hours, name in zip(LAG_BANDS_H, ("lag_1h", "lag_6h", "lag_24h", "lag_72h")):
        if lag_s <= hours * 3600:
            return name
    return "lag_more"


@dataclass
class _Group:
    """A day's footage of one officer, device or dock as it is summed."""

    clips: int = 0
    seconds: float = 0.0
    bytes: int = 0
    lags: Counter[str] = field(default_factory=Counter)  # clips by upload lag band


async def recompute_footage_day(session: AsyncSession, agency: str, day: date, tz: tzinfo) -> None:
    groups: dict[tuple[str, str], _Group] = {}
    for device_id, dock_id, officer_ids, duration_s, size, ended, uploaded in await footage_of_day(session, agency, day, tz):
        band = _lag_band(upload_lag_s(ended, uploaded))
        keys = [("device", (device_id or "")[:128]), ("dock", (dock_id or "")[:128])]
        keys += [("officer", str(o)[:128]) for o in (officer_ids or [""])]
        for key in dict.fromkeys(keys):
            group = groups.setdefault(key, _Group())
            group.clips += 1
            group.seconds += duration_s or 0
            group.bytes += size or 0
            if band:
                group.lags[band] += 1
    await session.execute(delete(FootageDay).where(FootageDay.agency == agency, FootageDay.day == day))
    session.add_all(
        FootageDay(
            agency=agency,
            day=day,
            dimension=dimension,
            key=key,
            clips=group.clips,
            seconds=group.seconds,
            bytes=group.bytes,
            lag_1h=group.lags["lag_1h"],
            lag_6h=group.lags["lag_6h"],
            lag_24h=group.lags["lag_24h"],
            lag_72h=group.lags["lag_72h"],
            lag_more=group.lags["lag_more"],
        )
        for (dimension, key), group in groups.items()
    )


async def recompute_fixity_day(session: AsyncSession, agency: str, day: date, tz: tzinfo) -> None:
    await session.execute(delete(FixityDay).where(FixityDay.agency == agency, FixityDay.day == day))
    session.add_all(
        FixityDay(agency=agency, day=day, result=result, checks=checks)
        for result, checks in (await fixity_results_of_day(session, agency, day, tz)).items()
    )


async def recompute_complaint_days(session: AsyncSession, agency: str) -> None:
    """An agency's complaint figures again, from its complaints (a few hundred a year: one grouped statement)."""
    await session.execute(delete(ComplaintDay).where(ComplaintDay.agency == agency))
    session.add_all(ComplaintDay(agency=agency, **row._asdict()) for row in await day_counts(session, agency))


async def _footage_days(session: AsyncSession, media_ids: set[str], tz: tzinfo) -> set[tuple[str, date]]:
    """The days these footage items count on now, and the days they counted on before (a recording time filled in
    later moves an item)."""
    days: set[tuple[str, date]] = set()
    now = await footage_days_of(session, sorted(media_ids), tz)
    before = {
        row.media_id: row
        for row in (
            await session.execute(select(FootageDayOf).where(FootageDayOf.media_id.in_([media_id for media_id, _, _ in now])))
        ).scalars()
    }
    for media_id, agency, day in now:
        counted = before.get(media_id)
        if counted is None:
            session.add(FootageDayOf(media_id=media_id, agency=agency, day=day))
        elif counted.day != day:
            days.add((counted.agency, counted.day))
            counted.day = day
        days.add((agency, day))
    return days


async def follow_once(
    session: AsyncSession, catalog: Catalog, settings: Settings, *, max_events: int = 2000, max_cases: int = 200
) -> Progress:
    """Follow the audit log from the watermark: at most `max_events` events and `max_cases` cases in one
    transaction. The caller commits; a lost compare-and-set raises StaleWatermark."""
    mark = await session.get(StatsWatermark, 1)
    if mark is None:
        mark = StatsWatermark(id=1, seq=0)
        session.add(mark)
        await session.flush()
    start = mark.seq
    events = await events_after(session, start, max_events)
    progress = Progress()
    if not events:
        return progress
    case_ids: set[str] = set()
    media_ids: set[str] = set()
    fixity_days: set[tuple[str, date]] = set()
    complaint_agencies: set[str] = set()
    last = start
    for seq, at, action, agency, case_id, media_id in events:
        if action not in READS:
            if case_id:
                case_ids.add(case_id)
            if media_id:
                media_ids.add(media_id)
            if action.startswith("fixity.") and agency:
                fixity_days.add((agency, at.astimezone(settings.tz).date()))
            if action.startswith("complaint.") and agency:
                complaint_agencies.add(agency)
        last = seq
        progress.events += 1
        if len(case_ids) + len(media_ids) >= max_cases:
            break
    case_ids |= await cases_of_media(session, media_ids)
    progress.cases = await recompute_cases(session, catalog, settings, case_ids, last)
    footage_days = await _footage_days(session, media_ids, settings.tz)
    for agency, day in footage_days:
        await recompute_footage_day(session, agency, day, settings.tz)
    for agency, day in fixity_days:
        await recompute_fixity_day(session, agency, day, settings.tz)
    for agency in sorted(complaint_agencies):
        await recompute_complaint_days(session, agency)
    await recompute_filings(session, media_ids, settings.tz)  # issue 27: 关联率
    progress.days = len(footage_days) + len(fixity_days)
    moved = await session.execute(update(StatsWatermark).where(StatsWatermark.id == 1, StatsWatermark.seq == start).values(seq=last))
    if not isinstance(moved, CursorResult) or moved.rowcount != 1:
        raise StaleWatermark()
    progress.pending = max(0, await head_seq(session) - last)
    return progress


class StaleWatermark(Exception):
    """Another instance followed the same events first."""


async def follow(
    sessionmaker: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    settings: Settings,
    *,
    max_rounds: int | None = None,
    max_cases: int = 200,
) -> Progress:
    """Follow the audit log until caught up (or for `max_rounds` transactions)."""
    total = Progress()
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        rounds += 1
        async with sessionmaker() as session:
            try:
                progress = await follow_once(session, catalog, settings, max_cases=max_cases)
                # the statistics' own transaction: the watermark's compare-and-set stands or falls with the figures
                await session.commit()
            except (StaleWatermark, IntegrityError):
                await session.rollback()
                continue
        total.events += progress.events
        total.cases += progress.cases
        total.days += progress.days
        total.pending = progress.pending
        if progress.events == 0 or progress.pending == 0:
            break
    return total


async def recompute_open_cases(
    sessionmaker: async_sessionmaker[AsyncSession], catalog: Catalog, settings: Settings, limit: int = 200
) -> int:
    """Open cases computed before today, recomputed (their running limits may have lapsed overnight)."""
    async with sessionmaker() as session:
        day = today(settings.tz)
        case_ids = set(
            (
                await session.execute(
                    select(CaseFigures.case_id).where(CaseFigures.status == "open", CaseFigures.computed_on < day).limit(limit)
                )
            ).scalars()
        )
        if not case_ids:
            return 0
        done = await recompute_cases(session, catalog, settings, case_ids, await head_seq(session))
        # the statistics' own transaction: the watermark's compare-and-set stands or falls with the figures
        await session.commit()
        return done


async def recompute_all(sessionmaker: async_sessionmaker[AsyncSession], catalog: Catalog, settings: Settings, batch: int = 200) -> int:
    """Every case's figures again (after a catalog change: a new review sheet, new rules)."""
    done, after = 0, ""
    while True:
        async with sessionmaker() as session:
            ids = await case_ids_after(session, after, batch)
            if not ids:
                return done
            done += await recompute_cases(session, catalog, settings, set(ids), await head_seq(session))
            # the statistics' own transaction: the watermark's compare-and-set stands or falls with the figures
            await session.commit()
            after = ids[-1]


def follow_periodically(
    sessionmaker: async_sessionmaker[AsyncSession], catalog: Catalog, settings: Settings
) -> Callable[[object], Awaitable[None]]:
    """The job queue's periodic work (it hands the queue, unused here)."""

    async def run(_queue: object) -> None:
        progress = await follow(sessionmaker, catalog, settings, max_rounds=20)
        if progress.cases or progress.days:
            logger.info("statistics followed %d events: %d cases, %d days recomputed", progress.events, progress.cases, progress.days)
        await recompute_open_cases(sessionmaker, catalog, settings)

    return run
