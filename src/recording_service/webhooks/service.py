"""Signed webhooks (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature = HMAC-SHA256 of
"id.timestamp.body" with the endpoint's whsec_ secret) to the publication platform.

`enqueue` writes one delivery per subscribed endpoint in the caller's transaction; each worker's delivery loop
(beside its jobs and periodic work, never in their way) sends what is due, several at once, with retries and
exponential backoff, claiming each delivery first so two workers never send the same attempt; every attempt is
logged on the delivery, by a coarse outcome. A receiver that is down loses nothing: the delivery waits, and
`webhooks replay` sends one again with the same webhook-id. Receivers are public addresses only (`addresses`),
checked at registration and again at every attempt.
"""

import asyncio
import base64
import contextlib
import logging
import re
import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from ..audit.service import record
from ..core.config import Settings
from ..core.db import rowcount, utcnow
from ..core.principals import Principal, scoped_to_agency
from ..core.problems import Problem
from .addresses import DEFAULT_PORTS, RefusedAddress, Unresolvable, checked
from .models import WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    import httpx

    from ..jobs.service import JobQueue, Work

EVENTS = (
    "publication.published",
    "publication.annotated",
    "publication.corrected",
    "publication.performance_recorded",
    "publication.withdrawn",
    "publication.expired",
)
MAX_ATTEMPTS = 10
CLAIM_MARGIN_SECONDS = 60  # a claim outlasts the attempt's deadline by this much
POLL_SECONDS = 1.0
ANSWER_BYTES = 4096  # of a receiver's answer, read at most (only its status counts)
OUTCOME = re.compile(r"unreachable|refused-address|timeout|http-\d{3}")
log = logging.getLogger(__name__)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create_endpoint(
    session: AsyncSession, principal: Principal, url: str, events: list[str], secret: str | None, settings: Settings
) -> WebhookEndpoint:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Problem(400, "unknown-event", f"{', '.join(unknown)}: not an event (one of {', '.join(EVENTS)}).", field="events")
    await check_destination(url, settings)
    if secret is not None:
        try:
            Webhook(secret)
        except Exception:
            raise Problem(
                400, "bad-secret", "A secret is whsec_ followed by base64 (or leave it out to have one made).", field="secret"
            ) from None
    endpoint = WebhookEndpoint(
        agency=principal.agency,
        url=url,
        events=sorted(set(events)),
        secret=secret or new_secret(),
        active=True,
        created_by=principal.id,
        created_at=utcnow(),
    )
    session.add(endpoint)
    await session.flush()
    await record(
        session,
        principal,
        "webhook.created",
        agency=principal.agency,
        payload={"webhook_id": endpoint.id, "url": url, "events": endpoint.events},
    )
    return endpoint


async def check_destination(url: str, settings: Settings) -> None:
    """A receiver's host must resolve, now, to addresses deliveries may go to (each attempt checks again)."""
    import httpx  # here, not at the top: a server that never registers or sends a webhook does not carry it (~6 MB)

    parsed = httpx.URL(url)
    host = parsed.host
    try:
        async with asyncio.timeout(settings.webhook_attempt_seconds):
            await checked(host, parsed.port or DEFAULT_PORTS.get(parsed.scheme, 80), settings.webhook_networks)
    except RefusedAddress as exc:
        raise Problem(
            422,
            "webhook-address-refused",
            f"{host} is or resolves to a {exc.reason} address: webhooks go to "
            "public addresses only (an operator may allow networks with RECORDING_WEBHOOK_ALLOWED_NETWORKS).",
            field="url",
        ) from None
    except (Unresolvable, TimeoutError):
        raise Problem(
            422,
            "webhook-host-unresolvable",
            f"{host} does not resolve to an address: a receiver needs a host name the service can resolve.",
            field="url",
        ) from None


def endpoints_of(principal: Principal) -> Select[WebhookEndpoint]:
    return scoped_to_agency(select(WebhookEndpoint), WebhookEndpoint.agency, principal)


async def enqueue(session: AsyncSession, agency: str, event: str, data: dict[str, Any]) -> int:
    """One delivery per active endpoint of the agency that takes `event`, in the caller's transaction."""
    endpoints = (
        (await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.agency == agency, WebhookEndpoint.active.is_(True))))
        .scalars()
        .all()
    )
    now = utcnow()
    count = 0
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        message_id = "msg_" + secrets.token_hex(16)
        body = {"type": event, "timestamp": now.isoformat(), "data": data}
        session.add(
            WebhookDelivery(
                id=message_id,
                endpoint_id=endpoint.id,
                agency=agency,
                event=event,
                payload=body,
                status="pending",
                attempts=0,  # dates become text as the column is written
                next_attempt_at=now,
                log=[],
                created_at=now,
            )
        )
        count += 1
    return count


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """base, 2×, 4× … capped at six hours: ten attempts span about a day at the default base."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 6 * 3600))


class Deliveries:
    """The delivery loop of one worker: every POLL_SECONDS it claims what is due, up to the free places among
    `webhook_concurrency`, and sends each in a task of its own, so a receiver that takes its time holds one
    place and never another receiver's delivery. Every attempt ends within `webhook_attempt_seconds` whatever
    it was doing, reads at most ANSWER_BYTES of the answer, and goes only where `addresses` allows."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.retry_seconds: float = settings.webhook_retry_seconds
        self.attempt_seconds: float = settings.webhook_attempt_seconds
        self.concurrency: int = settings.webhook_concurrency
        self.allowed = settings.webhook_networks
        # A claimed delivery is this worker's for this long: its attempt ends well within it.
        self.claim_seconds = self.attempt_seconds + CLAIM_MARGIN_SECONDS
        self.in_flight: set[str] = set()

    def client(self) -> "httpx.AsyncClient":
        import httpx

        from .transport import CheckedTransport

        # No proxies from the environment: the address checked is the address connected to.
        return httpx.AsyncClient(
            transport=CheckedTransport(self.allowed), timeout=self.attempt_seconds, follow_redirects=False, trust_env=False
        )

    async def run(self, _queue: "JobQueue | None" = None) -> None:
        # The attempts end before the client closes (the task group exits first).
        async with contextlib.AsyncExitStack() as resources, asyncio.TaskGroup() as attempts:
            client: httpx.AsyncClient | None = None
            while True:
                try:
                    if client is None and await self._anything_due():
                        client = await resources.enter_async_context(self.client())  # made (httpx loaded) for the first delivery
                    if client is not None:
                        await self.start_due(client, attempts)
                except Exception:
                    log.exception("could not look for due webhook deliveries; looking again shortly")
                await asyncio.sleep(POLL_SECONDS)

    async def _anything_due(self) -> bool:
        async with self.sessionmaker() as session:
            query = select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            return (await session.execute(query.limit(1))).first() is not None

    async def start_due(self, client: "httpx.AsyncClient", attempts: asyncio.TaskGroup) -> int:
        """Claim what is due, as far as there are free places, and start sending each; the number started."""
        free = self.concurrency - len(self.in_flight)
        if free <= 0:
            return 0
        async with self.sessionmaker() as session:
            query = select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            if self.in_flight:
                query = query.where(WebhookDelivery.id.not_in(sorted(self.in_flight)))
            due = (await session.execute(query.order_by(WebhookDelivery.next_attempt_at).limit(free))).scalars().all()
        started = 0
        for delivery_id in due:
            message = await self._claim(delivery_id)
            if message is None:
                continue  # another worker has it
            self.in_flight.add(delivery_id)
            attempts.create_task(self._attempt(client, delivery_id, *message))
            started += 1
        return started

    async def _claim(self, delivery_id: str) -> tuple[str, str, str] | None:
        """Push the delivery's next attempt out (so no other worker sends it meanwhile): its url, secret and body."""
        async with self.sessionmaker() as session:
            now = utcnow()
            claimed = await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .values(next_attempt_at=now + timedelta(seconds=self.claim_seconds))
                .execution_options(synchronize_session=False)
            )
            # the delivery loop's own transaction: other workers decide by what it holds
            await session.commit()
            if rowcount(claimed) != 1:
                return None
            delivery = await session.get_one(WebhookDelivery, delivery_id)
            endpoint = await session.get_one(WebhookEndpoint, delivery.endpoint_id)
            return endpoint.url, endpoint.secret, orjson.dumps(delivery.payload).decode()

    async def _attempt(self, client: "httpx.AsyncClient", delivery_id: str, url: str, secret: str, body: str) -> None:
        try:
            outcome, status_code, ms = await self._send(client, delivery_id, url, secret, body)
            await self._record(delivery_id, url, outcome, status_code, ms)
        except Exception:
            log.exception("webhook %s: the attempt could not be recorded; it is tried again once its claim runs out", delivery_id)
        finally:
            self.in_flight.discard(delivery_id)

    async def _send(
        self, client: "httpx.AsyncClient", delivery_id: str, url: str, secret: str, body: str
    ) -> tuple[str | None, int | None, float]:
        """One attempt: (None when delivered else its coarse outcome, the answer's status code, milliseconds).
        What went wrong in detail goes to the server log only: the delivery log a caller reads says no more
        than unreachable, refused-address, timeout or http-<status>, so it cannot serve to probe networks."""
        import httpx

        moment = utcnow()
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(secret).sign(delivery_id, moment, body),
        }
        started = time.perf_counter()
        status_code, outcome, detail = None, None, None
        try:
            async with asyncio.timeout(self.attempt_seconds):
                async with client.stream("POST", url, content=body.encode(), headers=headers) as response:
                    status_code = response.status_code
                    answer = await read_at_most(response, ANSWER_BYTES)
            if not 200 <= status_code < 300:
                outcome = f"http-{status_code}"
                detail = f"answered {status_code}: {answer[:200]!r}"
        except RefusedAddress as exc:
            outcome, detail = "refused-address", str(exc)
        except TimeoutError:
            outcome, detail = "timeout", f"no complete answer within {self.attempt_seconds:g} s"
        except httpx.TimeoutException as exc:
            outcome, detail = "timeout", f"{type(exc).__name__}: {exc}"
        except (Unresolvable, httpx.HTTPError, OSError) as exc:
            outcome, detail = "unreachable", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # anything else (a URL httpx refuses, say) must not end the loop
            outcome, detail = "unreachable", f"{type(exc).__name__}: {exc}"
            log.exception("webhook %s to %s: unexpected failure", delivery_id, url)
        ms = round((time.perf_counter() - started) * 1000, 1)
        if outcome is not None:
            log.warning("webhook %s to %s: %s (%s)", delivery_id, url, outcome, detail)
        return outcome, status_code, ms

    async def _record(self, delivery_id: str, url: str, outcome: str | None, status_code: int | None, ms: float) -> None:
        async with self.sessionmaker() as session:
            delivery = await session.get_one(WebhookDelivery, delivery_id)
            delivery.attempts, delivery.last_status_code, delivery.last_error = delivery.attempts + 1, status_code, outcome
            delivery.log = [*delivery.log, {"at": utcnow().isoformat(), "status_code": status_code, "error": outcome, "ms": ms}]
            if outcome is None:
                delivery.status, delivery.delivered_at = "delivered", utcnow()
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "failed"
                log.warning(
                    "webhook %s to %s failed %d times; giving up (replay it with `webhooks replay`)", delivery_id, url, delivery.attempts
                )
            else:
                delivery.next_attempt_at = utcnow() + backoff(delivery.attempts, self.retry_seconds)
            # the delivery loop's own transaction: other workers decide by what it holds
            await session.commit()


async def read_at_most(response: "httpx.Response", limit: int) -> bytes:
    """The first `limit` bytes of the answer as sent (never decompressed); the rest is left unread, and the
    connection closes with the response."""
    head = bytearray()
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= limit:
            break
    return bytes(head[:limit])


def coarse(error: str | None) -> str | None:
    """An attempt's outcome as the delivery log shows it (entries written before outcomes were coarse held
    the connection error itself)."""
    if error is None or OUTCOME.fullmatch(error):
        return error
    if match := re.fullmatch(r"HTTP (\d{3})", error):
        return f"http-{match[1]}"
    return "unreachable"


async def replay(session: AsyncSession, principal: Principal, delivery_id: str) -> WebhookDelivery:
    delivery = (
        await session.execute(
            scoped_to_agency(select(WebhookDelivery), WebhookDelivery.agency, principal).where(WebhookDelivery.id == delivery_id)
        )
    ).scalar_one_or_none()
    if delivery is None:
        raise Problem(404, "delivery-not-found", f"No delivery {delivery_id}.")
    delivery.status, delivery.next_attempt_at, delivery.attempts = "pending", utcnow(), 0
    await session.flush()
    await record(
        session,
        principal,
        "webhook.replayed",
        agency=delivery.agency,
        payload={"delivery_id": delivery.id, "event": delivery.event, "endpoint_id": delivery.endpoint_id},
    )
    return delivery


def send_due_deliveries(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> "Work":
    """The delivery loop, for the job queue to run beside its work (`queue.alongside`)."""
    return Deliveries(sessionmaker, settings).run


async def backlog(session: AsyncSession) -> tuple[int, float]:
    """Deliveries not yet delivered (pending, retrying included), and the oldest one's age in seconds (metrics)."""
    waiting, oldest = (
        await session.execute(select(func.count(), func.min(WebhookDelivery.created_at)).where(WebhookDelivery.status == "pending"))
    ).one()
    return waiting, (utcnow() - oldest).total_seconds() if oldest else 0.0
