"""The store's write-once lock (S3 object lock) made to follow the database's retention and holds.

The database decides what is kept; the lock makes the object store itself refuse to delete it, even
to the service's own credentials, so neither a bug nor a stolen key removes evidence early.
- Every evidence object is locked at least until its `standard` retention ends, as soon as it is stored.
- Footage kept longer (bound to a case, flagged important: see `policy`) is locked a horizon ahead
  (`RECORDING_S3_LOCK_HORIZON_DAYS`); the retention sweep rolls the date forward. A lock can only
  ever be lengthened, so footage that stops being kept stays locked until its date passes.
- Legal holds (on the media, or on a case it was ever bound to) mirror to the object's legal hold.
Requests mirror what they change at once; when the store is unreachable the next sweep catches up.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from sqlalchemy import ColumnElement, CompoundSelect, and_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import Actor, record
from ..cases.events import media_bound
from ..cases.service import media_ever_in_cases
from ..catalog.schemas import Catalog
from ..core.config import Settings
from ..core.db import utcnow
from ..core.principals import Principal
from ..media.models import WITHOUT_OBJECT, Media, MediaStatus
from ..storage import ObjectStore, StoreUnavailable
from .models import LegalHold
from .policy import IMPORTANT, RetentionPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockPolicy:
    standard_days: float | None
    horizon_days: float

    @classmethod
    def of(cls, catalog: Catalog, settings: Settings) -> "LockPolicy":
        return cls(catalog.retention("standard").days, settings.s3_lock_horizon_days)

    def until(self, uploaded_at: datetime, *, kept: bool, now: datetime) -> datetime | None:
        """The date the object should be locked until; None when no lock is due any more."""
        base = uploaded_at + timedelta(days=self.standard_days) if self.standard_days is not None else None
        if kept or base is None:
            ahead = now + timedelta(days=self.horizon_days)
            return max(base, ahead) if base is not None else ahead
        return base if base > now else None

    def renew_before(self, now: datetime) -> datetime:
        return now + timedelta(days=self.horizon_days / 2)


def _lock_change(media: Media, until: datetime, previous: datetime | None, settings: Settings, reason: str) -> dict[str, Any]:
    return {
        "media_id": media.id,
        "retain_until": until.isoformat(),
        "mode": settings.s3_object_lock_mode,
        "previous": previous.isoformat() if previous else None,
        "reason": reason,
    }


async def _retain(
    session: AsyncSession, store: ObjectStore, settings: Settings, who: Actor | Principal, media: Media, until: datetime, reason: str
) -> dict[str, Any]:
    previous = media.store_locked_until
    media.store_locked_until = await store.retain(media.storage_key, media.storage_version, until)
    change = _lock_change(media, media.store_locked_until, previous, settings, reason)
    await record(
        session, who, "media.store_locked", agency=media.agency, media_id=media.id, payload={**change, "version": media.storage_version}
    )
    # the store changed already: its audit event is kept at once, whatever becomes of the rest
    await session.commit()
    return change


async def lock_new_evidence(
    session: AsyncSession, store: ObjectStore, settings: Settings, catalog: Catalog, who: Actor | Principal, media: Media
) -> None:
    """Lock a just-stored evidence object. Called once its media row is committed: a lock taken
    before could outlive a transaction that failed and leave an object nobody can remove."""
    try:
        if not await store.object_lock_enabled():
            return
        now = utcnow()
        until = LockPolicy.of(catalog, settings).until(media.uploaded_at, kept=media.flag == IMPORTANT, now=now)
        if until is not None:
            await _retain(session, store, settings, who, media, until, "stored")
    except (StoreUnavailable, ClientError) as exc:
        # The store call failed before anything changed in the session.
        log.warning("could not lock media %s in the store (the retention sweep will): %s", media.id, exc)


def held_media_ids(media_ids: Iterable[str] | None = None) -> CompoundSelect[str]:
    """Ids of media under an active legal hold: on the media itself, or on a case that ever held it (bound or attached)."""
    direct = select(LegalHold.media_id.label("media_id")).where(LegalHold.lifted_at.is_(None), LegalHold.media_id.is_not(None))
    in_cases = media_ever_in_cases()
    via_case = select(in_cases.c.media_id.label("media_id")).join(
        LegalHold, and_(LegalHold.case_id == in_cases.c.case_id, LegalHold.lifted_at.is_(None))
    )
    if media_ids is not None:
        ids = list(media_ids)
        direct, via_case = direct.where(LegalHold.media_id.in_(ids)), via_case.where(in_cases.c.media_id.in_(ids))
    return union(direct, via_case)


async def mirror_holds(
    session: AsyncSession, store: ObjectStore, who: Actor | Principal, media_ids: Iterable[str] | None = None, *, apply: bool = True
) -> list[dict[str, Any]]:
    """Set or clear the store's legal hold wherever it differs from the database's holds; only on
    `media_ids` when given, else everywhere. Each change is audited and committed on its own."""
    if not await store.object_lock_enabled():
        return []
    ids = list(media_ids) if media_ids is not None else None
    held_query = held_media_ids(ids)
    held = set((await session.execute(held_query)).scalars())
    query = select(Media).where(Media.status.not_in([MediaStatus.deleted, *WITHOUT_OBJECT])).order_by(Media.id)
    if ids is not None:
        query = query.where(Media.id.in_(ids))
    else:
        query = query.where(or_(Media.store_legal_hold.is_(True), Media.id.in_(select(held_query.subquery().c.media_id))))
    changes = []
    for media in (await session.execute(query)).scalars().all():
        wanted = media.id in held
        if media.store_legal_hold == wanted:
            continue
        change = {"media_id": media.id, "status": "ON" if wanted else "OFF"}
        if apply:
            await store.legal_hold(media.storage_key, media.storage_version, wanted)
            media.store_legal_hold = wanted
            await record(
                session,
                who,
                "media.store_legal_hold",
                agency=media.agency,
                media_id=media.id,
                payload={**change, "version": media.storage_version},
            )
            # the store changed already: its audit event is kept at once, whatever becomes of the rest
            await session.commit()
        changes.append(change)
    return changes


async def mirror_holds_now(session: AsyncSession, store: ObjectStore, who: Actor | Principal, media_ids: Iterable[str]) -> None:
    """Mirror from a request, after its own commit: the hold stands in the database either way."""
    try:
        await mirror_holds(session, store, who, media_ids)
    except (StoreUnavailable, ClientError) as exc:
        log.warning("could not mirror legal holds to the store (the retention sweep will): %s", exc)


@media_bound.listen
async def mirror_holds_of_bound_media(session: AsyncSession, store: ObjectStore, who: Actor | Principal, media_ids: Iterable[str]) -> None:
    """Footage joining a case under legal hold is held in the store too (cases announces it, after its commit)."""
    await mirror_holds_now(session, store, who, media_ids)


async def roll_locks(
    session: AsyncSession, store: ObjectStore, settings: Settings, catalog: Catalog, who: Actor, *, apply: bool = True
) -> list[dict[str, Any]]:
    """Lengthen locks on footage kept beyond the standard class whose lock runs out within half the horizon, and
    lock anything stored while the store could not be reached."""
    if not await store.object_lock_enabled():
        return []
    policy, now = LockPolicy.of(catalog, settings), utcnow()
    kept = RetentionPolicy(catalog, now).beyond_standard()
    unlocked_but_due: ColumnElement[bool] = Media.store_locked_until.is_(None)
    if policy.standard_days is not None:
        unlocked_but_due = and_(unlocked_but_due, Media.uploaded_at > now - timedelta(days=policy.standard_days))
    query = (
        select(Media, kept.label("kept"))
        .where(
            Media.status.not_in([MediaStatus.deleted, *WITHOUT_OBJECT]),
            or_(
                and_(kept, or_(Media.store_locked_until.is_(None), Media.store_locked_until < policy.renew_before(now))),
                and_(~kept, unlocked_but_due),
            ),
        )
        .order_by(Media.uploaded_at, Media.id)
    )
    changes = []
    for media, is_kept in (await session.execute(query)).all():
        until = policy.until(media.uploaded_at, kept=bool(is_kept), now=now)
        if until is None:
            continue
        reason = "kept" if is_kept else "stored"
        if apply:
            changes.append(await _retain(session, store, settings, who, media, until, reason))
        else:
            changes.append(_lock_change(media, until, media.store_locked_until, settings, reason))
    return changes
