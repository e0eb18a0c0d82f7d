"""Legal holds on a case or a media item: placing and lifting them (audited), and which stand."""

from functools import partial
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..cases.service import get_case, media_ever_in_cases
from ..core.db import after_commit, utcnow
from ..core.principals import ALL_AGENCIES, Principal, Role, scoped_to_agency
from ..core.problems import Problem
from ..media.service import get_media
from ..storage import ObjectStore
from .locks import mirror_holds_now
from .models import LegalHold


async def _held_subject_media(session: AsyncSession, hold: LegalHold) -> list[str]:
    if hold.media_id is not None:
        return [hold.media_id]
    held = media_ever_in_cases()
    return list((await session.execute(select(held.c.media_id).where(held.c.case_id == hold.case_id).distinct())).scalars())


async def place_legal_hold(
    session: AsyncSession, store: ObjectStore, principal: Principal, *, case_id: str | None = None, media_id: str | None = None, reason: str
) -> LegalHold:
    """Place a hold (audited) and, once it has committed, mirror it onto the stored objects."""
    # HoldCreate names exactly one subject; a media_id of None (an empty case_id) is answered 404 by get_media.
    subject = await (get_case(session, principal, case_id) if case_id else get_media(session, principal, cast(str, media_id)))
    if principal.agency == ALL_AGENCIES and principal.role is not Role.admin:
        raise Problem(403, "agency-required", "Holds are placed by a token of the subject's agency or an admin.")
    hold = LegalHold(agency=subject.agency, case_id=case_id, media_id=media_id, reason=reason, placed_by=principal.id, placed_at=utcnow())
    session.add(hold)
    await session.flush()
    await record(
        session,
        principal,
        "hold.placed",
        agency=hold.agency,
        case_id=hold.case_id,
        media_id=hold.media_id,
        payload={"hold_id": hold.id, "reason": hold.reason},
    )
    held = await _held_subject_media(session, hold)
    after_commit(session, partial(mirror_holds_now, session, store, principal, held))
    return hold


async def lift_legal_hold(
    session: AsyncSession, store: ObjectStore, principal: Principal, hold_id: str, reason: str, case_id: str | None = None
) -> LegalHold:
    """Lift a hold (audited) and, once committed, release the objects no other hold covers."""
    query = scoped_to_agency(select(LegalHold), LegalHold.agency, principal).where(LegalHold.id == hold_id)
    if case_id is not None:
        query = query.where(LegalHold.case_id == case_id)
    hold: LegalHold | None = (await session.execute(query)).scalar_one_or_none()
    if hold is None:
        raise Problem(404, "hold-not-found", f"No hold {hold_id}.")
    if hold.lifted_at is not None:
        raise Problem(409, "hold-lifted", "This hold was already lifted.")
    hold.lifted_by, hold.lifted_at, hold.lift_reason = principal.id, utcnow(), reason
    await record(
        session,
        principal,
        "hold.lifted",
        agency=hold.agency,
        case_id=hold.case_id,
        media_id=hold.media_id,
        payload={"hold_id": hold.id, "reason": reason},
    )
    held = await _held_subject_media(session, hold)
    after_commit(session, partial(mirror_holds_now, session, store, principal, held))
    return hold


async def holds_on(
    session: AsyncSession, principal: Principal, *, case_id: str | None = None, media_id: str | None = None, active: bool = True
) -> list[LegalHold]:
    query = scoped_to_agency(select(LegalHold), LegalHold.agency, principal).order_by(LegalHold.placed_at, LegalHold.id)
    if case_id is not None:
        query = query.where(LegalHold.case_id == case_id)
    if media_id is not None:
        query = query.where(LegalHold.media_id == media_id)
    if active:
        query = query.where(LegalHold.lifted_at.is_(None))
    return list((await session.execute(query.limit(1000))).scalars())
