"""SIGTERM drains a replica's uploads in flight before it exits (plumbing: it knows which requests carry an upload,
not what an upload is).

On the first SIGTERM (or SIGINT) a process serving the API:

1. starts draining at once: `GET /readyz` answers 503 (the proxy stops sending it requests), a NEW upload request
   (a tus creation or PATCH, a single-request upload) is refused with 503 and Retry-After (the client sends it again
   and the proxy hands it to another replica), and every answer carries `Connection: close`;
2. lets the uploads in flight go on. A body still arriving RECORDING_DRAIN_SECONDS after the signal ends there as
   if the client had gone: ingest keeps what it received (durable, as after a dropped connection) and the PATCH is
   answered 204 with that Upload-Offset, from which the client resumes on any replica. (A PATCH carrying an
   Upload-Checksum is all-or-nothing: cut short, it is discarded and answered 400 `client-disconnected`.)
3. once no upload is in flight, it stops as uvicorn does (no new connections, other requests in flight finish,
   the application shuts down) and exits 0. A second signal stops it at once.

uvicorn's own handling of SIGTERM — checked, not assumed (tests/test_operations.py) — closes the listening socket at
once (a new upload is refused a connection, not answered), waits for every request in flight however long it takes,
and then kills its process with the signal again (exit status -15).
"""

import asyncio
import logging
import signal
import time
import weakref
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem, problem_response

log = logging.getLogger("recording_service.drain")
RETRY_AFTER_SECONDS = 5
# After the deadline, the uploads it cut short still store what they received: this long at most, then the
# process stops whatever they are doing (uvicorn cancels them; their bytes since the last checkpoint are lost).
SETTLE_SECONDS = 20.0
# Requests other than uploads still in flight once the uploads are done: this long, then uvicorn cancels them.
GRACEFUL_SECONDS = 5.0

_drains: "weakref.WeakSet[Drain]" = weakref.WeakSet()


class Drain:
    """One app's draining state (created by create_app; begun by the server on SIGTERM or by a test)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.draining = False
        self.started_at: float | None = None  # time.monotonic() of the signal
        self.in_flight = 0  # upload requests being served
        self.cut = asyncio.Event()  # set at the deadline: bodies still arriving end there
        self.idle = asyncio.Event()
        self.idle.set()
        _drains.add(self)

    def begin(self) -> None:
        """Start draining now (on the app's event loop)."""
        if self.draining:
            return
        self.draining = True
        self.started_at = time.monotonic()
        asyncio.get_running_loop().call_later(self.seconds, self.cut.set)
        log.info("draining: %d upload(s) in flight, ending within %.0f s; new uploads refused", self.in_flight, self.seconds)

    async def wait(self) -> None:
        """Until no upload is in flight (those still arriving are cut at the deadline), at most deadline + SETTLE_SECONDS."""
        limit = self.seconds + SETTLE_SECONDS - (time.monotonic() - (self.started_at or time.monotonic()))
        try:
            async with asyncio.timeout(max(0.0, limit)):
                await self.idle.wait()
        except TimeoutError:
            log.error("drain: %d upload(s) still storing after %.0f s; stopping anyway", self.in_flight, self.seconds + SETTLE_SECONDS)

    def _enter(self) -> None:
        self.in_flight += 1
        self.idle.clear()

    def _leave(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self.idle.set()


def _with_close(message: Message) -> Message:
    if message["type"] == "http.response.start":
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
        message["headers"] = [*headers, (b"connection", b"close")]
    return message


class DrainGate:
    """While draining: new upload requests are refused 503 + Retry-After and every answer closes its connection.
    An upload in flight is counted, and its body ends at the deadline as if its client had gone."""

    def __init__(self, app: ASGIApp, drain: Drain, carries_upload: Callable[[Scope], bool]) -> None:
        self.app = app
        self.drain = drain
        self.carries_upload = carries_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        drain = self.drain
        upload = scope["method"] in ("POST", "PATCH") and self.carries_upload(scope)

        async def send_closing(message: Message) -> None:
            await send(_with_close(message) if drain.draining else message)

        if not upload:
            return await self.app(scope, receive, send_closing)
        if drain.draining:
            refused = Problem(
                503,
                "draining",
                "This instance is shutting down; send the request again (it goes to another instance).",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"},
            )
            return await problem_response(refused, Request(scope))(scope, receive, send)
        ended = False

        def end() -> Message:
            nonlocal ended
            if not ended:
                ended = True
                log.info("drain: the body of %s %s ended at the deadline", scope["method"], scope["path"])
            return {"type": "http.disconnect"}

        async def cut_at_deadline() -> Message:
            if ended or drain.cut.is_set():
                return end()
            pending = asyncio.ensure_future(receive())
            cut = asyncio.ensure_future(drain.cut.wait())
            try:
                await asyncio.wait((pending, cut), return_when=asyncio.FIRST_COMPLETED)
            finally:
                cut.cancel()
            if pending.done():
                return pending.result()
            pending.cancel()
            return end()

        drain._enter()
        try:
            # No `Connection: close` on an upload's answer: cut at the deadline, its client may still be sending, and
            # a socket closed with input unread is reset — the answer lost. The server closes it at shutdown with a
            # lingering close instead (core/http_server.py `shutdown`).
            return await self.app(scope, cut_at_deadline, send)
        finally:
            drain._leave()


def begin_draining() -> list[Drain]:
    """Every app of this process starts draining (on the running loop)."""
    drains = list(_drains)
    for drain in drains:
        drain.begin()
    return drains


class DrainingServer(uvicorn.Server):
    """uvicorn's server, whose first SIGTERM or SIGINT drains the uploads in flight before uvicorn's own shutdown."""

    _drain_begun = False
    _drain_task: "asyncio.Task[None] | None" = None

    async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]  # as uvicorn types it
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        loop = getattr(self, "_loop", None)
        if self._drain_begun or loop is None or sig not in (signal.SIGTERM, signal.SIGINT):
            return super().handle_exit(sig, frame)  # a second signal (or one before startup): uvicorn's own, now
        self._drain_begun = True
        loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        self._drain_task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        started = time.monotonic()
        drains = begin_draining()
        await asyncio.gather(*(drain.wait() for drain in drains))
        log.info("drain: done in %.1f s; shutting down", time.monotonic() - started)
        self.should_exit = True  # uvicorn's shutdown: not a captured signal, so the process exits 0
