"""The HTTP server's own guard against slow and oversized request heads (plumbing).

uvicorn times out idle keep-alive connections but not a request head that arrives slowly: a client
that sends half a header and waits holds a connection for ever, and a head may grow large before
the parser gives up. This protocol closes a connection whose head has not arrived within
RECORDING_HEADER_TIMEOUT_SECONDS of the connection (or of the request's first byte), and answers 431
to a head larger than RECORDING_MAX_HEADER_BYTES — before any application code runs. It also hands
request bodies to the app as the pieces that arrived, without uvicorn's gathering copies.

Refusing a head, it closes as HTTP servers do (a "lingering close", RFC 9112 §9.6): answer, half-close
(FIN), then read and discard what the client is still sending — at most LINGER_BYTES, for at most
LINGER_SECONDS — and close once the client closes too. Closing at once, with the rest of the head
unread, makes the kernel reset the connection, and the RST can throw the answer away before the
client reads it.
"""

import asyncio
import os

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


HEADER_TIMEOUT_SECONDS = _setting("RECORDING_HEADER_TIMEOUT_SECONDS", 30)
MAX_HEADER_BYTES = int(_setting("RECORDING_MAX_HEADER_BYTES", 64 * 1024))
LINGER_SECONDS = 5.0
LINGER_BYTES = 4 * 1024 * 1024


class BodyPieces:
    """A request body's received pieces, kept as they came: uvicorn gathers them in a bytearray (a
    copy of every byte) and hands the app `bytes(...)` of it (another); `bytes()` of this joins them,
    which for the usual single piece is that piece itself, no copy."""

    __slots__ = ("pieces", "size")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def __bytes__(self) -> bytes:
        return b"".join(self.pieces)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    _head_timer: asyncio.TimerHandle | None = None
    _head_bytes = 0
    _head_tail = b""
    _reading_head = False
    _lingering = False
    _linger_left = 0
    _linger_timer: asyncio.TimerHandle | None = None

    def _expect_head(self) -> None:
        self._reading_head, self._head_bytes, self._head_tail = True, 0, b""
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._head_too_slow)

    def _head_arrived(self) -> None:
        self._reading_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._reading_head and self.transport is not None and not self.transport.is_closing():
            self.logger.warning("request head not received within %s s; connection closed", HEADER_TIMEOUT_SECONDS)
            self._refuse(b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")

    def _refuse(self, answer: bytes) -> None:
        """Answer, then close without a reset: half-close and discard the client's input (bounded)."""
        self._head_arrived()
        self._lingering, self._linger_left = True, LINGER_BYTES
        self.transport.write(answer)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, self._stop_lingering)

    def _stop_lingering(self) -> None:
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def eof_received(self) -> None:
        if self._lingering:  # the client has closed its side too: done
            self._stop_lingering()
            return None
        return super().eof_received()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn narrows it
        super().connection_made(transport)
        self._expect_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        super().connection_lost(exc)

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        pieces: bytearray | BodyPieces = cycle.body
        if type(pieces) is not BodyPieces:  # uvicorn's empty bytearray, new at each request and receive()
            # uvicorn types the body as a bytearray; the app only takes bytes() and len() of it.
            pieces = cycle.body = BodyPieces()  # type: ignore[assignment]
        pieces.pieces.append(body)
        pieces.size += len(body)
        if pieces.size > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()

    def data_received(self, data: bytes) -> None:
        if self._lingering:  # a refused request's remainder: read only to be discarded
            self._linger_left -= len(data)
            if self._linger_left <= 0:
                self._stop_lingering()
            return
        if self._reading_head:
            # Count only the head: a body may arrive in the same read (an upload's PATCH usually does).
            seen = self._head_tail + data
            end = seen.find(b"\r\n\r\n")
            head_here = end + 4 - len(self._head_tail) if end >= 0 else len(data)
            self._head_bytes += head_here
            self._head_tail = seen[-3:]
            if self._head_bytes > MAX_HEADER_BYTES:
                self._refuse(b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
                return
        super().data_received(data)

    def shutdown(self) -> None:
        """The server is stopping. A request answered while its body is still arriving (an upload cut short by the
        drain, core/drain.py) is closed as a refused head is: half-close and discard, so the client reads the answer
        instead of a reset. Every other connection as uvicorn closes it."""
        cycle = self.cycle
        if (
            cycle is not None
            and cycle.response_complete
            and cycle.more_body
            and self.transport is not None
            and not self.transport.is_closing()
            and self.transport.can_write_eof()
        ):
            self._lingering, self._linger_left = True, LINGER_BYTES
            self.transport.write_eof()
            self._linger_timer = self.loop.call_later(LINGER_SECONDS, self._stop_lingering)
            return
        super().shutdown()

    def on_headers_complete(self) -> None:
        self._head_arrived()
        super().on_headers_complete()

    def on_message_begin(self) -> None:
        if not self._reading_head:
            self._expect_head()  # a later request on a kept-alive connection: its head has the same time to arrive
        super().on_message_begin()
