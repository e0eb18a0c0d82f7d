"""/api/v1/holds: legal holds on a case or a media item (admin, auditor)."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..core.db import DbSession
from ..core.deps import SettingsDep, StoreDep
from ..core.principals import Principal, Role, require_roles
from .holds import holds_on, lift_legal_hold, place_legal_hold
from .schemas import HoldCreate, HoldLift, HoldOut

router = APIRouter(prefix="/api/v1/holds", tags=["retention"])
HoldManager = Annotated[Principal, require_roles(Role.admin, Role.auditor)]


@router.post("", status_code=201, response_model=HoldOut, summary="Place a legal hold on a case or a media item")
async def place_hold(body: HoldCreate, principal: HoldManager, session: DbSession, settings: SettingsDep, store: StoreDep) -> JSONResponse:
    hold = await place_legal_hold(session, store, principal, case_id=body.case_id, media_id=body.media_id, reason=body.reason)
    return JSONResponse(HoldOut.of(hold, settings.tz).model_dump(mode="json"), status_code=201)


@router.post("/{hold_id}/lift", response_model=HoldOut, summary="Lift a legal hold (the hold stays in history)")
async def lift_hold(
    hold_id: str, body: HoldLift, principal: HoldManager, session: DbSession, settings: SettingsDep, store: StoreDep
) -> HoldOut:
    return HoldOut.of(await lift_legal_hold(session, store, principal, hold_id, body.reason), settings.tz)


@router.get("", summary="Legal holds", response_model=list[HoldOut])
async def list_holds(
    principal: HoldManager,
    session: DbSession,
    settings: SettingsDep,
    active: Annotated[bool, Query(description="only holds not lifted")] = True,
) -> list[HoldOut]:
    return [HoldOut.of(h, settings.tz) for h in await holds_on(session, principal, active=active)]
