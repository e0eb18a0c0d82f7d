"""Legal holds on a case or a media item (admin, auditor); placing and lifting are audited."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record
from ..cases.models import MediaBinding
from ..cases.service import get_case
from ..db import DbSession, utcnow
from ..deps import SettingsDep, StoreDep
from ..media.service import get_media
from ..principals import ALL_AGENCIES, Principal, Role, require_roles, scoped_to_agency
from ..problems import Problem
from ..storage import ObjectStore
from ..times import local
from ..values import RequestModel
from .locks import mirror_holds_now
from .models import LegalHold

router = APIRouter(prefix="/api/v1/holds", tags=["retention"])
HoldManager = Annotated[Principal, require_roles(Role.admin, Role.auditor)]


class HoldCreate(RequestModel):
    case_id: str | None = None
    media_id: str | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _one_subject(self) -> "HoldCreate":
        if (self.case_id is None) == (self.media_id is None):
            raise ValueError("name exactly one of case_id or media_id")
        return self


class HoldLift(RequestModel):
    reason: str = Field(min_length=1, max_length=2000)


class HoldOut(BaseModel):
    id: str
    agency: str
    case_id: str | None
    media_id: str | None
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


async def _held_subject_media(session, hold: LegalHold) -> list[str]:
    if hold.media_id is not None:
        return [hold.media_id]
    return list((await session.execute(select(MediaBinding.media_id).where(MediaBinding.case_id == hold.case_id).distinct())).scalars())


def _out(hold: LegalHold, settings) -> HoldOut:
    return HoldOut(id=hold.id, agency=hold.agency, case_id=hold.case_id, media_id=hold.media_id, reason=hold.reason,
                   placed_by=hold.placed_by, placed_at=local(hold.placed_at, settings.tz), lifted_by=hold.lifted_by,
                   lifted_at=local(hold.lifted_at, settings.tz), lift_reason=hold.lift_reason)


async def place_legal_hold(session: AsyncSession, store: ObjectStore, principal: Principal, *, case_id: str | None = None,
                     media_id: str | None = None, reason: str) -> LegalHold:
    """Place a hold (audited, committed) and mirror it onto the stored objects."""
    subject = await (get_case(session, principal, case_id) if case_id else get_media(session, principal, media_id))
    if principal.agency == ALL_AGENCIES and principal.role is not Role.admin:
        raise Problem(403, "agency-required", "Holds are placed by a token of the subject's agency or an admin.")
    hold = LegalHold(agency=subject.agency, case_id=case_id, media_id=media_id, reason=reason, placed_by=principal.id,
                     placed_at=utcnow())
    session.add(hold)
    await session.flush()
    await record(session, principal, "hold.placed", agency=hold.agency, case_id=hold.case_id, media_id=hold.media_id,
                 payload={"hold_id": hold.id, "reason": hold.reason})
    await session.commit()
    await mirror_holds_now(session, store, principal, await _held_subject_media(session, hold))
    return hold


async def lift_legal_hold(session: AsyncSession, store: ObjectStore, principal: Principal, hold_id: str, reason: str,
                    case_id: str | None = None) -> LegalHold:
    """Lift a hold (audited, committed); the objects stay held while another hold covers them."""
    query = scoped_to_agency(select(LegalHold), LegalHold.agency, principal).where(LegalHold.id == hold_id)
    if case_id is not None:
        query = query.where(LegalHold.case_id == case_id)
    hold = (await session.execute(query)).scalar_one_or_none()
    if hold is None:
        raise Problem(404, "hold-not-found", f"No hold {hold_id}.")
    if hold.lifted_at is not None:
        raise Problem(409, "hold-lifted", "This hold was already lifted.")
    hold.lifted_by, hold.lifted_at, hold.lift_reason = principal.id, utcnow(), reason
    await record(session, principal, "hold.lifted", agency=hold.agency, case_id=hold.case_id, media_id=hold.media_id,
                 payload={"hold_id": hold.id, "reason": reason})
    await session.commit()
    await mirror_holds_now(session, store, principal, await _held_subject_media(session, hold))
    return hold


async def holds_on(session: AsyncSession, principal: Principal, *, case_id: str | None = None, media_id: str | None = None,
                   active: bool = True) -> list[LegalHold]:
    query = scoped_to_agency(select(LegalHold), LegalHold.agency, principal).order_by(LegalHold.placed_at, LegalHold.id)
    if case_id is not None:
        query = query.where(LegalHold.case_id == case_id)
    if media_id is not None:
        query = query.where(LegalHold.media_id == media_id)
    if active:
        query = query.where(LegalHold.lifted_at.is_(None))
    return list((await session.execute(query.limit(1000))).scalars())


@router.post("", status_code=201, response_model=HoldOut, summary="Place a legal hold on a case or a media item")
async def place_hold(body: HoldCreate, principal: HoldManager, session: DbSession, settings: SettingsDep, store: StoreDep) -> JSONResponse:
    hold = await place_legal_hold(session, store, principal, case_id=body.case_id, media_id=body.media_id, reason=body.reason)
    return JSONResponse(_out(hold, settings).model_dump(mode="json"), status_code=201)


@router.post("/{hold_id}/lift", response_model=HoldOut, summary="Lift a legal hold (the hold stays in history)")
async def lift_hold(hold_id: str, body: HoldLift, principal: HoldManager, session: DbSession, settings: SettingsDep,
               store: StoreDep) -> HoldOut:
    return _out(await lift_legal_hold(session, store, principal, hold_id, body.reason), settings)


@router.get("", summary="Legal holds", response_model=list[HoldOut])
async def list_holds(principal: HoldManager, session: DbSession, settings: SettingsDep,
                     active: Annotated[bool, Query(description="only holds not lifted")] = True) -> list[HoldOut]:
    return [_out(h, settings) for h in await holds_on(session, principal, active=active)]
