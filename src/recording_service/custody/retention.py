"""The retention sweep: the only path by which evidence is ever deleted. It removes only footage
past its class's retention that is not bound to any case, not flagged important and not under a
legal hold (on itself, or on a case it was ever bound to), and leaves a tombstone and audit events.
Before deleting it brings the store's object locks in line with the database (see `locks`), and it
never deletes what the store still locks: that waits for a later sweep."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..cases.models import MediaBinding
from ..catalog.schemas import Catalog
from ..config import Settings
from ..db import utcnow
from ..media.models import Media, MediaStatus
from ..storage import DeleteRefused, ObjectStore
from .locks import mirror_holds, roll_locks
from .models import LegalHold, Tombstone


@dataclass
class SweepReport:
    dry_run: bool
    policy: str
    policy_days: float
    deleted: list[dict] = field(default_factory=list)
    # Past retention but still locked by the store (a lock is never shortened): deleted by a later sweep.
    store_locked: list[dict] = field(default_factory=list)
    locks_extended: list[dict] = field(default_factory=list)
    holds_mirrored: list[dict] = field(default_factory=list)


def expired_unprotected(catalog: Catalog):
    standard = catalog.retention("standard")
    cutoff = utcnow() - timedelta(days=standard.days)
    active_binding = exists().where(MediaBinding.media_id == Media.id, MediaBinding.unbound_at.is_(None))
    held_media = exists().where(LegalHold.media_id == Media.id, LegalHold.lifted_at.is_(None))
    held_case = exists().where(
        MediaBinding.media_id == Media.id,
        exists().where(LegalHold.case_id == MediaBinding.case_id, LegalHold.lifted_at.is_(None)),
    )
    return (
        select(Media)
        .where(
            Media.status.not_in([MediaStatus.deleted, MediaStatus.processing]),
            Media.uploaded_at < cutoff,
            or_(Media.flag.is_(None), Media.flag != "important"),
            ~active_binding,
            ~held_media,
            ~held_case,
        )
        .order_by(Media.uploaded_at, Media.id)
    )


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, catalog: Catalog, settings: Settings,
                *, dry_run: bool) -> SweepReport:
    standard = catalog.retention("standard")
    report = SweepReport(dry_run=dry_run, policy=standard.code, policy_days=standard.days)
    async with sessionmaker() as session:
        report.holds_mirrored = await mirror_holds(session, store, SYSTEM, apply=not dry_run)
        report.locks_extended = await roll_locks(session, store, settings, catalog, SYSTEM, apply=not dry_run)
        candidates = list((await session.execute(expired_unprotected(catalog))).scalars())
    for candidate in candidates:
        item = {"media_id": candidate.id, "agency": candidate.agency, "sha256": candidate.sha256, "size": candidate.size,
                "uploaded_at": candidate.uploaded_at.isoformat()}
        now = utcnow()
        if (candidate.store_locked_until and candidate.store_locked_until > now) or candidate.store_legal_hold:
            report.store_locked.append({**item, "store_locked_until": candidate.store_locked_until and candidate.store_locked_until.isoformat(),
                                        "store_legal_hold": candidate.store_legal_hold})
            continue
        if dry_run:
            report.deleted.append(item)
            continue
        async with sessionmaker() as session:
            # Re-check inside the transaction: a binding or hold may have arrived since the listing.
            media = (await session.execute(expired_unprotected(catalog).where(Media.id == candidate.id))).scalar_one_or_none()
            if media is None:
                continue
            try:
                await store.delete(media.storage_key)
            except DeleteRefused as exc:
                # The store holds a lock the database did not know of: keep everything, report it.
                report.store_locked.append({**item, "store_refused": str(exc)})
                continue
            session.add(Tombstone(media_id=media.id, agency=media.agency, sha256=media.sha256, size=media.size,
                                  storage_key=media.storage_key, uploaded_at=media.uploaded_at, deleted_at=utcnow(),
                                  deleted_by="retention-sweep", policy=standard.code, policy_days=standard.days))
            media.status = MediaStatus.deleted
            await record(session, SYSTEM, "media.deleted", agency=media.agency, media_id=media.id,
                         payload={**item, "policy": standard.code, "policy_days": standard.days})
            await session.commit()
        report.deleted.append(item)
    return report
