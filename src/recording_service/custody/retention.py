"""The retention sweep: the only path by which evidence is ever deleted. It removes only footage
past its class's retention that is not bound to any case, not flagged important and not under a
legal hold (on itself, or on a case it was ever bound to), and leaves a tombstone and audit events."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import SYSTEM, record
from ..cases.models import MediaBinding
from ..catalog.schemas import Catalog
from ..db import utcnow
from ..media.models import Media, MediaStatus
from ..storage import ObjectStore
from .models import LegalHold, Tombstone


@dataclass
class SweepReport:
    dry_run: bool
    policy: str
    policy_days: float
    deleted: list[dict] = field(default_factory=list)


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


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, catalog: Catalog, *, dry_run: bool) -> SweepReport:
    standard = catalog.retention("standard")
    report = SweepReport(dry_run=dry_run, policy=standard.code, policy_days=standard.days)
    async with sessionmaker() as session:
        candidates = list((await session.execute(expired_unprotected(catalog))).scalars())
    for candidate in candidates:
        item = {"media_id": candidate.id, "agency": candidate.agency, "sha256": candidate.sha256, "size": candidate.size,
                "uploaded_at": candidate.uploaded_at.isoformat()}
        if dry_run:
            report.deleted.append(item)
            continue
        async with sessionmaker() as session:
            # Re-check inside the transaction: a binding or hold may have arrived since the listing.
            media = (await session.execute(expired_unprotected(catalog).where(Media.id == candidate.id))).scalar_one_or_none()
            if media is None:
                continue
            await store.delete(media.storage_key)
            now = utcnow()
            session.add(Tombstone(media_id=media.id, agency=media.agency, sha256=media.sha256, size=media.size,
                                  storage_key=media.storage_key, uploaded_at=media.uploaded_at, deleted_at=now,
                                  deleted_by="retention-sweep", policy=standard.code, policy_days=standard.days))
            media.status = MediaStatus.deleted
            await record(session, SYSTEM, "media.deleted", agency=media.agency, media_id=media.id,
                         payload={**item, "policy": standard.code, "policy_days": standard.days})
            await session.commit()
        report.deleted.append(item)
    return report
