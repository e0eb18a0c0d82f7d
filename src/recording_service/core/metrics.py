"""Prometheus metrics of one process, and the middleware that counts requests (plumbing).

Every label is from a small fixed set: a request is labelled by its route's TEMPLATE (`/api/v1/media/{media_id}`),
never its path, so no id or share token becomes a label; a path no route matches is `unmatched`. Each process
has its own registry (one per app): every replica serves its own figures and Prometheus tells them apart by the
`instance` it scraped. The figures read from the database at scrape time (job queue, webhook backlog, fixity) are
the same on every replica: aggregate them with max(), not sum().
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import ACCESS_LOGGER

disable_created_metrics()  # type: ignore[no-untyped-call]  # (untyped in the client) no `_created` series beside every counter and histogram: half the scrape, nothing lost
access_log = logging.getLogger(ACCESS_LOGGER)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
PROBLEM_PREFIX = "urn:recording-service:problem:"
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
PATCH_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800)


@dataclass
class Figures:
    """What the database says at scrape time (filled by the composition root's readers)."""

    jobs: dict[str, tuple[int, float]] = field(default_factory=dict)  # task: (waiting, age of the oldest due, s)
    webhook_pending: int = 0
    webhook_oldest_seconds: float = 0.0
    fixity_failing: dict[str, int] = field(default_factory=dict)  # media status (corrupt, missing): how many


FigureReader = Callable[[Figures], Awaitable[None]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("recording_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r)
        self.duration = Histogram(
            "recording_http_request_duration_seconds", "Time to answer a request", ["method", "route"], buckets=REQUEST_BUCKETS, registry=r
        )
        self.upload_bytes = Counter("recording_upload_received_bytes", "Upload body bytes received (tus and single-request)", registry=r)
        self.patch_duration = Histogram(
            "recording_upload_patch_duration_seconds", "Time to receive and answer one tus PATCH", buckets=PATCH_BUCKETS, registry=r
        )
        self.uploads_completed = Counter("recording_uploads_completed", "Uploads answered as complete (a media record)", registry=r)
        self.uploads_failed = Counter(
            "recording_uploads_failed", "Upload requests answered with a problem, by its code", ["code"], registry=r
        )
        self.jobs_waiting = Gauge("recording_jobs_waiting", "Background jobs waiting to run, by kind", ["task"], registry=r)
        self.jobs_oldest = Gauge(
            "recording_jobs_oldest_waiting_seconds", "How long the oldest due job of a kind has waited", ["task"], registry=r
        )
        self.webhook_pending = Gauge("recording_webhook_deliveries_pending", "Webhook deliveries not yet delivered", registry=r)
        self.webhook_oldest = Gauge(
            "recording_webhook_oldest_pending_seconds", "Age of the oldest webhook delivery not yet delivered", registry=r
        )
        self.fixity_failing = Gauge(
            "recording_media_fixity_failing", "Media whose last fixity check failed, by status (corrupt, missing)", ["status"], registry=r
        )
        self.scrape_errors = Counter("recording_metrics_scrape_errors", "Scrapes whose database figures could not be read", registry=r)
        self.readers: list[FigureReader] = []
        self._lock = asyncio.Lock()

    async def render(self) -> bytes:
        """The text exposition, the database figures read now (a scrape at a time)."""
        async with self._lock:
            figures = Figures()
            try:
                for read in self.readers:
                    await read(figures)
            except Exception:
                logging.getLogger("recording_service.metrics").warning("metrics: database figures not read", exc_info=True)
                self.scrape_errors.inc()
            else:
                self.jobs_waiting.clear()
                self.jobs_oldest.clear()
                for task, (waiting, oldest) in sorted(figures.jobs.items()):
                    self.jobs_waiting.labels(task).set(waiting)
                    self.jobs_oldest.labels(task).set(oldest)
                self.webhook_pending.set(figures.webhook_pending)
                self.webhook_oldest.set(figures.webhook_oldest_seconds)
                self.fixity_failing.clear()
                for status in ("corrupt", "missing"):
                    self.fixity_failing.labels(status).set(figures.fixity_failing.get(status, 0))
            return generate_latest(self.registry)


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return path if isinstance(path, str) and path else UNMATCHED


class Observe:
    """Counts and times every request by its route template; counts upload bytes, PATCH times and upload outcomes;
    writes one access line per request when `access_lines` (the JSON log format: uvicorn's own is off then)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, carries_upload: Callable[[Scope], bool], access_lines: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.carries_upload = carries_upload
        self.access_lines = access_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        metrics = self.metrics
        method = scope["method"] if scope["method"] in METHODS else "other"
        upload = method in ("POST", "PATCH") and self.carries_upload(scope)
        status = 500  # an exception escaping the app is answered 500 by the server
        completed = False
        problem_body: list[bytes] = []

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                metrics.upload_bytes.inc(len(message.get("body", b"")))
            return message

        async def observed_send(message: Message) -> None:
            nonlocal status, completed
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers") or [])
                completed = status < 300 and b"upload-media-id" in headers
            elif message["type"] == "http.response.body" and upload and status >= 400 and sum(map(len, problem_body)) < 8192:
                problem_body.append(bytes(message.get("body", b"")))
            await send(message)

        try:
            await self.app(scope, counted_receive if upload else receive, observed_send)
        finally:
            elapsed = time.perf_counter() - started
            route = route_of(scope)
            metrics.requests.labels(method, route, str(status)).inc()
            metrics.duration.labels(method, route).observe(elapsed)
            if upload:
                if method == "PATCH":
                    metrics.patch_duration.observe(elapsed)
                if completed:
                    metrics.uploads_completed.inc()
                elif status >= 400:
                    metrics.uploads_failed.labels(_problem_code(b"".join(problem_body), status)).inc()
            if self.access_lines:
                access_log.info(
                    "%s %s %d",
                    method,
                    scope["path"],
                    status,
                    extra={"method": method, "route": route, "status": status, "duration_ms": round(elapsed * 1000, 1)},
                )


def _problem_code(body: bytes, status: int) -> str:
    try:
        kind = json.loads(body).get("type", "")
    except (ValueError, AttributeError):
        return f"http-{status}"
    return kind[len(PROBLEM_PREFIX) :] if isinstance(kind, str) and kind.startswith(PROBLEM_PREFIX) else f"http-{status}"
