"""Signed webhooks (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature = HMAC-SHA256 of
"id.timestamp.body" with the endpoint's whsec_ secret) to the publication platform.

`enqueue` writes one delivery per subscribed endpoint in the caller's transaction; the worker sends what
is due, with retries and exponential backoff, claiming each delivery first so two workers never send the
same attempt; every attempt is logged on the delivery. A receiver that is down loses nothing: the
delivery waits, and `webhooks replay` sends one again with the same webhook-id.
"""

import base64
import logging
import secrets
import time
from datetime import timedelta

import httpx
import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from ..audit.service import record
from ..auth.service import Principal, scoped_to_agency
from ..db import utcnow
from ..problems import Problem
from .models import WebhookDelivery, WebhookEndpoint

EVENTS = ("publication.published", "publication.annotated", "publication.corrected", "publication.performance_recorded",
          "publication.withdrawn", "publication.expired")
MAX_ATTEMPTS = 10
CLAIM_SECONDS = 60  # a claimed delivery is another worker's for this long (it sends within the timeout)
SEND_TIMEOUT = 15.0
log = logging.getLogger(__name__)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create_endpoint(session: AsyncSession, principal: Principal, url: str, events: list[str], secret: str | None) -> WebhookEndpoint:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Problem(400, "unknown-event", f"{', '.join(unknown)}: not an event (one of {', '.join(EVENTS)}).", field="events")
    if secret is not None:
        try:
            Webhook(secret)
        except Exception:
            raise Problem(400, "bad-secret", "A secret is whsec_ followed by base64 (or leave it out to have one made).",
                          field="secret") from None
    endpoint = WebhookEndpoint(agency=principal.agency, url=url, events=sorted(set(events)), secret=secret or new_secret(),
                               active=True, created_by=principal.id, created_at=utcnow())
    session.add(endpoint)
    await session.flush()
    await record(session, principal, "webhook.created", agency=principal.agency,
                 payload={"webhook_id": endpoint.id, "url": url, "events": endpoint.events})
    return endpoint


def endpoints_of(principal: Principal):
    return scoped_to_agency(select(WebhookEndpoint), WebhookEndpoint.agency, principal)


async def enqueue(session: AsyncSession, agency: str, event: str, data: dict) -> int:
    """One delivery per active endpoint of the agency that takes `event`, in the caller's transaction."""
    endpoints = (await session.execute(select(WebhookEndpoint).where(
        WebhookEndpoint.agency == agency, WebhookEndpoint.active.is_(True)))).scalars().all()
    now = utcnow()
    count = 0
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        message_id = "msg_" + secrets.token_hex(16)
        body = {"type": event, "timestamp": now.isoformat(), "data": data}
        session.add(WebhookDelivery(id=message_id, endpoint_id=endpoint.id, agency=agency, event=event,
                                    payload=body, status="pending", attempts=0,  # dates become text as the column is written
                                    next_attempt_at=now, log=[], created_at=now))
        count += 1
    return count


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """base, 2×, 4× … capped at six hours: ten attempts span about a day at the default base."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 6 * 3600))


async def deliver_due(sessionmaker, base_seconds: float, client: httpx.AsyncClient | None = None, limit: int = 20) -> int:
    """Send what is due: claim each delivery (pushing its next attempt out), send, record the outcome."""
    async with sessionmaker() as session:
        due = (await session.execute(select(WebhookDelivery.id).where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow()).order_by(
            WebhookDelivery.next_attempt_at).limit(limit))).scalars().all()
    if not due:
        return 0
    own_client = client is None
    client = client or httpx.AsyncClient(timeout=SEND_TIMEOUT, follow_redirects=False)
    sent = 0
    try:
        for delivery_id in due:
            sent += await _attempt(sessionmaker, client, delivery_id, base_seconds)
    finally:
        if own_client:
            await client.aclose()
    return sent


async def _attempt(sessionmaker, client: httpx.AsyncClient, delivery_id: str, base_seconds: float) -> int:
    async with sessionmaker() as session:
        now = utcnow()
        claimed = await session.execute(update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS)).execution_options(synchronize_session=False))
        await session.commit()
        if claimed.rowcount != 1:
            return 0  # another worker has it
        delivery = await session.get(WebhookDelivery, delivery_id)
        endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
        url, secret, body = endpoint.url, endpoint.secret, orjson.dumps(delivery.payload).decode()
    # No connection is held while the receiver takes its time (up to SEND_TIMEOUT): the claim keeps others off.
    status_code, error, started = None, None, time.perf_counter()
    moment = utcnow()
    headers = {"content-type": "application/json", "webhook-id": delivery_id, "webhook-timestamp": str(int(moment.timestamp())),
               "webhook-signature": Webhook(secret).sign(delivery_id, moment, body)}
    try:
        response = await client.post(url, content=body.encode(), headers=headers)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    entry = {"at": utcnow().isoformat(), "status_code": status_code, "error": error,
             "ms": round((time.perf_counter() - started) * 1000, 1)}
    async with sessionmaker() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        delivery.attempts, delivery.last_status_code, delivery.last_error = delivery.attempts + 1, status_code, error
        delivery.log = [*delivery.log, entry]
        if error is None:
            delivery.status, delivery.delivered_at = "delivered", utcnow()
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
            log.warning("webhook %s to %s failed %d times; giving up (replay it with `webhooks replay`)", delivery_id, url,
                        delivery.attempts)
        else:
            delivery.next_attempt_at = utcnow() + backoff(delivery.attempts, base_seconds)
        await session.commit()
    return 1 if error is None else 0


async def replay(session: AsyncSession, principal: Principal, delivery_id: str) -> WebhookDelivery:
    delivery = (await session.execute(scoped_to_agency(select(WebhookDelivery), WebhookDelivery.agency, principal)
                                      .where(WebhookDelivery.id == delivery_id))).scalar_one_or_none()
    if delivery is None:
        raise Problem(404, "delivery-not-found", f"No delivery {delivery_id}.")
    delivery.status, delivery.next_attempt_at, delivery.attempts = "pending", utcnow(), 0
    await session.flush()
    await record(session, principal, "webhook.replayed", agency=delivery.agency,
                 payload={"delivery_id": delivery.id, "event": delivery.event, "endpoint_id": delivery.endpoint_id})
    return delivery


def send_due_deliveries(sessionmaker, base_seconds: float):
    """Periodic work for the job queue."""
    async def run(_queue) -> None:
        while await deliver_due(sessionmaker, base_seconds):
            pass

    return run
