"""A request body's way to the hash and the store: receiving, hashing and writing overlap.

Each body piece goes, in order, to a hashing lane and (where the store writes by blocking calls, as the filesystem
does) a writing lane: each a thread of its own that takes pieces from a queue as they come. The event loop only
hands pieces on; it waits for a lane only when the lanes lag more than IN_FLIGHT_BYTES behind (memory stays
bounded) and at `flush()`, when everything received so far must be hashed and written. Lanes that keep up leave
little to wait for after the last byte: a piece or two, not a whole batch — with batches handed to a thread at a
time (the design before), a PATCH waited after its last byte for up to two batches of hashing and writing.

Stores whose writes are asynchronous (S3: a part is gathered from the pieces and sent by the event loop) get the
pieces on the loop, in batches, while the hashing lane runs as for any store.
"""

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from queue import SimpleQueue
from typing import Protocol

from ..storage import ChunkWriter

HAND_OFF_BYTES = 256 * 1024  # pieces gathered before one hand-off to the lanes: a small backlog after the last byte
SMALL_PIECE = 64 * 1024  # pieces smaller than this are joined: a store may keep every piece it is handed until its part is sent
MARK_BYTES = 1024 * 1024  # the lanes report their progress this often
# Received but not yet hashed and written: the loop stops reading beyond this. On two busy cores the lanes are now and
# then off the CPU; this much lets the loop read on meanwhile. 1 MiB was 16 % slower at 64 MiB chunks (8 alternating
# pairs) for 3 MiB less memory per upload in flight.
IN_FLIGHT_BYTES = 4 * 1024 * 1024
ASYNC_WRITE_BYTES = 1024 * 1024  # a store without a blocking write gets its pieces in batches of this


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...


@cache
def _lanes() -> ThreadPoolExecutor:
    # A lane lives as long as its request's body: as many threads as bodies arriving at once. Threads are made as
    # needed and reused; a bound far above what two cores serve keeps a flood from making threads without end (past
    # it, a body's lanes start once another's finish).
    return ThreadPoolExecutor(max_workers=256, thread_name_prefix="ingest-lane")


@dataclass
class _Mark:
    """A position in a lane's queue; its future is resolved once the lane has done everything queued before it."""

    position: int
    future: "asyncio.Future[BaseException | None]"  # the lane's failure, if it failed: a result, so none goes unretrieved


_STOP = object()


class _Lane:
    """A thread applying `work` to each item of its queue in order. After a failure it does nothing more with the
    items but still answers every mark, with the failure."""

    def __init__(self, loop: asyncio.AbstractEventLoop, work: Callable[[list[bytes]], None]) -> None:
        self.loop = loop
        self.work = work
        self.queue: SimpleQueue[object] = SimpleQueue()
        self.failure: BaseException | None = None
        self.stopped = False
        self.done = _lanes().submit(self._run)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            if isinstance(item, _Mark):
                self.loop.call_soon_threadsafe(_resolve, item.future, self.failure)
            elif self.failure is None and not self.stopped:
                try:
                    self.work(item)  # type: ignore[arg-type]  # every other item is a list of pieces
                except BaseException as exc:  # handed to the request at its next wait
                    self.failure = exc

    def mark(self, position: int) -> _Mark:
        mark = _Mark(position, self.loop.create_future())
        self.queue.put(mark)
        return mark


def _resolve(future: "asyncio.Future[BaseException | None]", failure: BaseException | None) -> None:
    if not future.done():
        future.set_result(failure)


class Pipeline:
    """Hands a body's pieces to the hashers and the store's writer, in order. After `flush()` every byte fed has been
    hashed and written (`processed`); `cancel()` stops the lanes and waits until neither touches anything again."""

    def __init__(self, writer: ChunkWriter, hashers: list[Hasher]) -> None:
        loop = asyncio.get_running_loop()
        self.writer = writer
        self.hashers = hashers
        blocking = writer.blocking_write()
        self.lanes = [_Lane(loop, self._hash)] + ([_Lane(loop, blocking)] if blocking is not None else [])
        self.loop_writes = blocking is None
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.small = bytearray()
        self.fed = 0  # bytes handed to the lanes
        self.unwritten: list[bytes] = []  # for a store written from the loop: pieces not yet handed to it
        self.unwritten_size = 0
        self.marks: deque[list[_Mark]] = deque()
        self.next_mark = MARK_BYTES
        self.processed = 0
        self.closed = False

    def _hash(self, pieces: list[bytes]) -> None:
        for hasher in self.hashers:  # OpenSSL's routines, called without the GIL
            for piece in pieces:
                hasher.update(piece)

    async def feed(self, data: bytes) -> None:
        if len(data) < SMALL_PIECE:
            self.small += data
            if len(self.small) >= SMALL_PIECE:
                self._join_small()
        else:
            self._join_small()
            self.pending.append(data)
        self.pending_size += len(data)
        if self.pending_size >= HAND_OFF_BYTES:
            await self._hand_off()

    def _join_small(self) -> None:
        if self.small:
            self.pending.append(bytes(self.small))
            self.small.clear()

    async def _hand_off(self) -> None:
        self._join_small()
        pieces, size = self.pending, self.pending_size
        self.pending, self.pending_size = [], 0
        if not pieces:
            return
        for lane in self.lanes:
            lane.queue.put(pieces)
        self.fed += size
        if self.loop_writes:
            self.unwritten += pieces
            self.unwritten_size += size
            if self.unwritten_size >= ASYNC_WRITE_BYTES:
                await self._write_on_loop()
        if self.fed >= self.next_mark:
            self.marks.append([lane.mark(self.fed) for lane in self.lanes])
            self.next_mark = self.fed + MARK_BYTES
        while self.marks and self.fed - self.processed > IN_FLIGHT_BYTES:
            await self._reach(self.marks.popleft())

    async def _write_on_loop(self) -> None:
        pieces, self.unwritten, self.unwritten_size = self.unwritten, [], 0
        await self.writer.write(pieces)

    async def _reach(self, marks: list[_Mark]) -> None:
        for mark in marks:
            if (failure := await mark.future) is not None:
                raise failure
        self.processed = max(self.processed, marks[0].position)

    async def flush(self) -> None:
        """Wait until every byte fed so far is hashed and written."""
        await self._hand_off()
        if self.loop_writes and self.unwritten:
            await self._write_on_loop()
        if self.processed < self.fed:
            self.marks.clear()
            await self._reach([lane.mark(self.fed) for lane in self.lanes])

    async def close(self) -> None:
        """Let the lanes' threads go (after `flush()`, or on the way out of a failure: see `cancel`)."""
        if not self.closed:
            self.closed = True
            for lane in self.lanes:
                lane.queue.put(_STOP)

    async def cancel(self) -> None:
        """Stop: nothing more is hashed or written, and once this returns neither lane is still at work (the writer
        may then be closed)."""
        for lane in self.lanes:
            lane.stopped = True
        await self.close()
        for lane in self.lanes:
            await asyncio.wrap_future(lane.done)
