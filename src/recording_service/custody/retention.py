"""The retention sweep: the only path by which evidence is ever deleted. It removes only footage
that no retention class keeps any longer and no legal hold covers (see `policy`), and leaves a
tombstone and audit events. Before deleting it brings the store's object locks in line with the
database (see `locks`), and it never deletes what the store still locks: that waits for a later sweep."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..catalog.schemas import Catalog
from ..core.config import Settings
from ..core.db import utcnow
from ..media.copies import remove_playback_copy
from ..media.image_copies import remove_image_copies
from ..media.models import Media, MediaStatus
from ..storage import DeleteRefused, ObjectStore
from .locks import mirror_holds, roll_locks
from .models import Tombstone
from .policy import RetentionPolicy


@dataclass
class SweepReport:
    dry_run: bool
    retention_classes: dict[str, float | None]
    deleted: list[dict[str, Any]] = field(default_factory=list)
    # Past retention but still locked by the store (a lock is never shortened): deleted by a later sweep.
    store_locked: list[dict[str, Any]] = field(default_factory=list)
    locks_extended: list[dict[str, Any]] = field(default_factory=list)
    holds_mirrored: list[dict[str, Any]] = field(default_factory=list)


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, catalog: Catalog, settings: Settings, *, dry_run: bool
) -> SweepReport:
    report = SweepReport(dry_run=dry_run, retention_classes={c.code: c.days for c in catalog.retention_classes})
    async with sessionmaker() as session:
        report.holds_mirrored = await mirror_holds(session, store, SYSTEM, apply=not dry_run)
        report.locks_extended = await roll_locks(session, store, settings, catalog, SYSTEM, apply=not dry_run)
        policy = RetentionPolicy(catalog, utcnow())
        candidates = list((await session.execute(policy.expired())).scalars())
        decided = await policy.deciding_classes(session, candidates)
    for candidate in candidates:
        retention, ended = decided[candidate.id]
        item = {
            "media_id": candidate.id,
            "agency": candidate.agency,
            "sha256": candidate.sha256,
            "size": candidate.size,
            "uploaded_at": candidate.uploaded_at.isoformat(),
            "policy": retention.code,
            "policy_days": retention.days,
            "retention_ended_at": ended.isoformat(),
        }
        if (candidate.store_locked_until and candidate.store_locked_until > utcnow()) or candidate.store_legal_hold:
            report.store_locked.append(
                {
                    **item,
                    "store_locked_until": candidate.store_locked_until and candidate.store_locked_until.isoformat(),
                    "store_legal_hold": candidate.store_legal_hold,
                }
            )
            continue
        if dry_run:
            report.deleted.append(item)
            continue
        async with sessionmaker() as session:
            # Re-check inside the transaction: a binding or hold may have arrived since the listing.
            media = (
                await session.execute(RetentionPolicy(catalog, utcnow()).expired().where(Media.id == candidate.id))
            ).scalar_one_or_none()
            if media is None:
                continue
            try:
                # The playback copy, a photo's copies and the objects a repair replaced go first: the media's own object is the
                # last thing removed.
                await remove_playback_copy(session, store, media)
                await remove_image_copies(session, store, media)
                for superseded in media.superseded_objects or []:
                    await store.delete(superseded["storage_key"])
                await store.delete(media.storage_key)
            except DeleteRefused as exc:
                # The store holds a lock the database did not know of: keep everything, report it.
                report.store_locked.append({**item, "store_refused": str(exc)})
                continue
            session.add(
                Tombstone(
                    media_id=media.id,
                    agency=media.agency,
                    sha256=media.sha256,
                    size=media.size,
                    storage_key=media.storage_key,
                    uploaded_at=media.uploaded_at,
                    deleted_at=utcnow(),
                    deleted_by="retention-sweep",
                    policy=retention.code,
                    policy_days=retention.days,
                )
            )
            media.status = MediaStatus.deleted
            await record(session, SYSTEM, "media.deleted", agency=media.agency, media_id=media.id, payload=item)
            # the sweep's own transaction: the bytes are gone, so their tombstone and audit event are kept at once
            await session.commit()
        report.deleted.append(item)
    return report
