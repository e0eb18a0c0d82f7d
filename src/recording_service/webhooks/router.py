from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ..core.db import DbSession
from ..core.deps import SettingsDep
from ..core.pagination import MAX_LIMIT, keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, Role, require_roles
from ..core.problems import Problem
from ..core.times import local
from .models import WebhookDelivery, WebhookEndpoint
from .schemas import DeliveryOut, DeliveryPage, WebhookCreate, WebhookOut, WebhookPage
from .service import coarse, create_endpoint, endpoints_of

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Admin = Annotated[Principal, require_roles(Role.admin)]


@router.post("", status_code=201, response_model=WebhookOut, summary="Register a receiver for publication events (admin)")
async def register(body: WebhookCreate, principal: Admin, session: DbSession, settings: SettingsDep) -> JSONResponse:
    if principal.agency == ALL_AGENCIES:
        raise Problem(403, "agency-required", "A webhook belongs to one agency: register it with a token of that agency.")
    endpoint = await create_endpoint(session, principal, str(body.url), body.events, body.secret, settings)
    return JSONResponse(
        WebhookOut.of(endpoint, settings.tz, secret=True).model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/webhooks/{endpoint.id}"},
    )


@router.get("", response_model=WebhookPage, summary="The agency's receivers")
async def list_webhooks(principal: Admin, session: DbSession, settings: SettingsDep) -> WebhookPage:
    rows = (await session.execute(endpoints_of(principal).order_by(WebhookEndpoint.created_at))).scalars().all()
    return WebhookPage(items=[WebhookOut.of(e, settings.tz) for e in rows])


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage, summary="The delivery log of one receiver, newest first")
async def deliveries(
    webhook_id: str,
    principal: Admin,
    session: DbSession,
    settings: SettingsDep,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> DeliveryPage:
    endpoint = (await session.execute(endpoints_of(principal).where(WebhookEndpoint.id == webhook_id))).scalar_one_or_none()
    if endpoint is None:
        raise Problem(404, "webhook-not-found", f"No webhook {webhook_id}.")
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    rows = (
        (await session.execute(keyset(query, [WebhookDelivery.created_at, WebhookDelivery.id], cursor, limit, descending=True)))
        .scalars()
        .all()
    )
    rows, next_cursor = page_of(list(rows), ["created_at", "id"], limit)
    tz = settings.tz
    return DeliveryPage(
        items=[
            DeliveryOut(
                id=d.id,
                event=d.event,
                status=d.status,
                attempts=d.attempts,
                next_attempt_at=local(d.next_attempt_at, tz) if d.status == "pending" else None,
                last_status_code=d.last_status_code,
                last_error=coarse(d.last_error),
                log=[{**entry, "error": coarse(entry.get("error"))} for entry in d.log],
                created_at=local(d.created_at, tz),
                delivered_at=local(d.delivered_at, tz),
            )
            for d in rows
        ],
        next_cursor=next_cursor,
    )
