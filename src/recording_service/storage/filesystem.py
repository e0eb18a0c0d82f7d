"""Filesystem store: an append-only partial file per upload, fsynced, linked into place on completion.

The fence: a writer holds an exclusive lock (flock) on the partial file for as long as it has it
open, so a request that lost its lease while stalled still keeps any other writer out until it
closes; and a writer that opens the file drops everything past the database's offset. Bytes
become acknowledged only through the database, whose update is fenced by the lease generation.
"""

import asyncio
import ctypes
import ctypes.util
import errno
import fcntl
import io
import json
import mmap
import os
import shutil
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TypeVar, TypeVarTuple

from .base import (
    Durable,
    ObjectExists,
    ObjectStat,
    ReceivedBytesGone,
    StoredObjectMismatch,
    StoreUnavailable,
    UploadTarget,
    WriterBusy,
)

READ_CHUNK = 1024 * 1024
Ts = TypeVarTuple("Ts")
R = TypeVar("R")
SYNC_FILE_RANGE_WRITE = 2


@cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).sync_file_range
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    return function


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing these bytes to disk now (Linux), so the fsync that
    acknowledges a chunk waits for little instead of the whole chunk."""
    function = _sync_file_range()
    if function is not None:
        function(fd, offset, length, SYNC_FILE_RANGE_WRITE)


IOV_MAX = 512
BLOCK = 4096  # O_DIRECT alignment of offsets, lengths and memory (4 KiB covers 512-byte and 4K-sector disks)
# Errors that say the store failed (the disk or the volume under it), not one file: a full disk, a read-only remount, an
# I/O error, a network filesystem gone stale. Answered as StoreUnavailable (503, retry later; nothing acknowledged past the
# last checkpoint is kept), never as a missing or corrupt object. So is any error while the store's directory is gone
# (a volume not mounted): a fixity run must not call every object missing then.
STORE_FAILURES = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.ESTALE, errno.ENODEV, errno.ENXIO, errno.ENOTCONN, errno.EACCES}
)


def _store_failure(exc: OSError, partial_dir: Path) -> StoreUnavailable | None:
    if exc.errno in STORE_FAILURES or not partial_dir.is_dir():
        return StoreUnavailable(f"filesystem store at {partial_dir.parent}: {exc.strerror or exc}")
    return None


def _translated(partial_dir: Path, work: Callable[[*Ts], R], *args: *Ts) -> R:
    """`work`, its store failures as StoreUnavailable."""
    try:
        return work(*args)
    except OSError as exc:
        if (failure := _store_failure(exc, partial_dir)) is not None:
            raise failure from exc
        raise


async def _in_thread(partial_dir: Path, work: Callable[[*Ts], R], *args: *Ts) -> R:
    """`work` off the event loop, its store failures as StoreUnavailable."""
    return await asyncio.to_thread(lambda: _translated(partial_dir, work, *args))


STAGE_BYTES = 1024 * 1024  # direct writes of 1 MiB: fast on disk, a small buffer per upload
# Bytes written since the last flush that make a writer start the next one in the background (see `_flush_early`).
EARLY_FLUSH_BYTES = 2 * 1024 * 1024


def _no_fault(point: str) -> None:
    return None


def _open_direct(path: Path) -> int | None:
    """A second descriptor that writes past the page cache, or None where the filesystem has no O_DIRECT."""
    try:
        return os.open(path, os.O_WRONLY | os.O_DIRECT)
    except (OSError, AttributeError):
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _read_sidecar(path: Path) -> dict[str, str]:
    try:
        metadata: dict[str, str] = json.loads(_sidecar(path).read_text())
        return metadata
    except (FileNotFoundError, ValueError):
        return {}


def _write_sidecar(path: Path, metadata: dict[str, str]) -> None:
    sidecar = _sidecar(path)
    partial = sidecar.with_name(sidecar.name + ".tmp")
    with open(partial, "w") as handle:
        handle.write(json.dumps(metadata, sort_keys=True, ensure_ascii=False))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, sidecar)


class FilesystemChunkWriter:
    """Appends to the partial file at the recorded offset.

    Where the filesystem allows it the bytes bypass the page cache (O_DIRECT): they are gathered in a
    page-aligned staging buffer and written as whole blocks at block-aligned offsets. A buffered
    write costs a copy into fresh page-cache pages and then their writeback, about five times the CPU
    of the direct write on our test machine, and the fsync that acknowledges a chunk still has to wait
    for it. The bytes short of a block at a checkpoint go through the ordinary descriptor before the
    fsync; the next direct write rewrites that block with the same bytes followed by new ones, so
    whatever is torn by a crash there holds the acknowledged prefix either way.

    The disk's own cache is emptied by the fsync that acknowledges a chunk, and that takes time in proportion to what
    was written since the last one (on the virtual disks of our machines, ~0.6 ms per MiB: 5 ms for an 8 MiB chunk,
    40 ms for 64 MiB, paid while the client waits). So every EARLY_FLUSH_BYTES written, a flush starts in the
    background while the body still arrives, and the acknowledging fsync is left with the last stretch. The early
    flushes only make that one cheap; it is still the one bytes are acknowledged by. An early flush that fails fails
    the writer: Linux reports a writeback error to one fsync of a descriptor only, so the acknowledging fsync could
    otherwise succeed over bytes that never reached the disk."""

    def __init__(
        self,
        fd: int,
        start: int,
        partial_dir: Path,
        *,
        direct_fd: int | None = None,
        head: bytes = b"",
        flushers: Executor,
        fault_point: Callable[[str], None] = _no_fault,
    ) -> None:
        self._flushers = flushers  # the store's threads for early flushes
        self._fault_point = fault_point
        self._partial_dir = partial_dir  # to tell the store's failures from the file's
        self._fd = fd  # holds the writer's lock; ordinary (page-cache) writes and every fsync
        self._position = start  # the file offset of the next byte received
        self._direct = direct_fd
        self._serial = threading.Lock()
        self._closed = False
        self._flushing = threading.Lock()  # held by the flush at work, early or acknowledging; taken before the close
        self._flush_failure: OSError | None = None
        self._flushed_to = start  # the position when the last flush started: what is past it waits for the next
        self._early: Future[None] | None = None
        if direct_fd is not None:
            self._stage = mmap.mmap(-1, STAGE_BYTES)  # anonymous maps are page-aligned, as O_DIRECT wants
            self._view = memoryview(self._stage)
            self._stage_offset = start - len(head)  # block-aligned file offset of the stage's first byte
            self._fill = len(head)
            self._view[: self._fill] = head

    async def write(self, chunks: list[bytes]) -> None:
        await asyncio.to_thread(self._write_now, chunks)

    def blocking_write(self) -> Callable[[list[bytes]], None]:
        return self._write_now

    def _write_now(self, chunks: list[bytes]) -> None:
        _translated(self._partial_dir, self._serially, self._write_all, chunks)
        if self._position - self._flushed_to >= EARLY_FLUSH_BYTES and self._flushing.acquire(blocking=False):
            self._flushed_to = self._position
            try:
                self._early = self._flushers.submit(self._flush_early)
            except RuntimeError:  # the store is closing (the service stops): the acknowledging fsync does it all
                self._flushing.release()

    def _flush_early(self) -> None:
        """Everything written so far to the disk, in the background (the lock is held already)."""
        try:
            if not self._closed and self._flush_failure is None:
                self._fault_point("store.early_flush")
                os.fdatasync(self._fd)
        except OSError as exc:
            self._flush_failure = exc
        finally:
            self._flushing.release()

    def _drop_waiting_flush(self) -> None:
        """An early flush still waiting for a thread (all busy) is not waited for: what comes next covers it."""
        early, self._early = self._early, None  # a cancelled future says True to cancel() again: once only
        if early is not None and early.cancel():
            self._flushing.release()  # held for it since it was submitted

    def _serially(self, work: Callable[[*Ts], None], *args: *Ts) -> None:
        """One operation on the file at a time, never after it is closed: a cancelled request's write
        may still run in its thread when the rollback comes, and must not land in whatever file gets
        the descriptor's number next. Nothing more once an early flush failed (the disk is failing)."""
        with self._serial:
            if self._closed:
                raise OSError(errno.EBADF, "this upload's writer is closed")
            if self._flush_failure is not None:
                raise self._flush_failure
            work(*args)

    def _write_all(self, chunks: list[bytes]) -> None:
        pending = [memoryview(chunk) for chunk in chunks if chunk]
        while pending and self._direct is not None:
            take = min(len(pending[0]), STAGE_BYTES - self._fill)
            self._view[self._fill : self._fill + take] = pending[0][:take]
            self._fill += take
            self._position += take
            pending[0] = pending[0][take:]
            if not pending[0]:
                pending.pop(0)
            if self._fill == STAGE_BYTES:
                self._write_blocks()
        if pending:
            self._write_buffered(pending)

    def _write_buffered(self, pending: list[memoryview]) -> None:
        start = self._position
        while pending:
            written = os.pwritev(self._fd, pending[:IOV_MAX], self._position)
            self._position += written
            while pending and written >= pending[0].nbytes:
                written -= pending[0].nbytes
                pending.pop(0)
            if written:
                pending[0] = pending[0][written:]
        start_writeback(self._fd, start, self._position - start)

    def _write_blocks(self) -> None:
        """Write the stage's whole blocks straight to disk and keep the rest (under a block) at its start."""
        direct = self._direct
        assert direct is not None  # only called while writing past the page cache
        whole = self._fill - self._fill % BLOCK
        done = 0
        try:
            while done < whole:
                done += os.pwrite(direct, self._view[done:whole], self._stage_offset + done)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            self._give_up_direct(done)  # the filesystem took the flag at open but refuses direct writes
            return
        rest = self._fill - whole
        self._view[:rest] = self._view[whole : self._fill]
        self._stage_offset += whole
        self._fill = rest

    def _give_up_direct(self, done: int) -> None:
        staged = bytes(self._view[done : self._fill])
        self._position = self._stage_offset + done
        self._close_direct()
        self._write_buffered([memoryview(staged)])

    def _close_direct(self) -> None:
        if self._direct is not None:
            os.close(self._direct)
            self._direct = None
            self._view.release()
            self._stage.close()

    def _sync(self) -> None:
        if self._direct is not None:
            self._write_blocks()
            if self._direct is not None and self._fill:
                os.pwrite(self._fd, self._view[: self._fill], self._stage_offset)
        # The file's data and the size that reaches it, however written, and the disk's cache: fdatasync
        # leaves out only what reading the bytes back does not need (the times). After an early flush in flight,
        # whose failure is this one's too.
        self._drop_waiting_flush()
        with self._flushing:
            if self._flush_failure is not None:
                raise self._flush_failure
            os.fdatasync(self._fd)
            self._flushed_to = self._position

    async def checkpoint(self) -> Durable:
        await _in_thread(self._partial_dir, self._serially, self._sync)
        return Durable()

    async def commit(self, *, final: bool) -> Durable:
        return await asyncio.to_thread(self._commit_now, final)

    def blocking_commit(self) -> Callable[[bool], Durable]:
        return self._commit_now

    def _commit_now(self, final: bool) -> Durable:
        _translated(self._partial_dir, self._serially, self._sync_and_close)
        return Durable()

    def _sync_and_close(self) -> None:
        try:
            self._sync()
        finally:
            self._close()

    def _close(self) -> None:
        self._closed = True
        try:
            self._close_direct()
        finally:
            self._drop_waiting_flush()
            with self._flushing:  # an early flush still at work on the descriptor
                os.close(self._fd)  # also lets go of the writer's lock

    def _close_when_idle(self) -> None:
        with self._serial:
            if not self._closed:
                self._close()

    async def cleanup(self) -> None:
        return None  # an append-only file leaves nothing behind

    async def rollback(self) -> None:
        # No truncation here: this writer may have lost its lease, and the next writer truncates to
        # the database's offset itself when it opens the file.
        await asyncio.to_thread(self._close_when_idle)


class FilesystemStore:
    kind = "filesystem"

    def __init__(
        self,
        root: Path,
        *,
        direct_io: bool = True,
        flush_threads: int = 64,
        create: bool = True,
        fault_point: Callable[[str], None] | None = None,
    ) -> None:
        """`create`: make the store's directories if they are missing — only for a new deployment. Where evidence was
        stored before, a missing directory is a volume not mounted: making an empty store in its place would take
        uploads onto the wrong disk and have every stored object called missing, so the store is unavailable instead.
        `fault_point`: called where the store calls the disk (the service hands in its fault points: core/faults.py).
        `flush_threads`: early flushes at once (one per upload being written): threads made as needed, up to this; past
        it, a flush waits for a thread (and is dropped if its chunk ends first: the acknowledging fsync covers it)."""
        self.root = root.resolve()
        self.direct_io = direct_io
        self.flushers = ThreadPoolExecutor(max_workers=flush_threads, thread_name_prefix="store-flush")
        self.fault_point = fault_point or _no_fault
        self.partial_dir = self.root / ".uploads"
        if create:
            self.partial_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("key escapes the store root")
        return path

    def _require_volume(self) -> None:
        """Where a file not found could mean the volume is not mounted: then the store is unavailable and nothing is
        judged about the file (missing, deleted, lost)."""
        if not self.partial_dir.is_dir():
            raise StoreUnavailable(f"{self.partial_dir} is not a directory (is the store's volume mounted?)")

    def _partial(self, upload_id: str) -> Path:
        return self.partial_dir / f"{upload_id}.part"

    async def begin(self, upload_id: str, key: str, metadata: dict[str, str]) -> str | None:
        def create() -> None:
            fd = os.open(self._partial(upload_id), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640)
            os.close(fd)

        await _in_thread(self.partial_dir, create)
        return None

    async def open_writer(self, target: UploadTarget, offset: int) -> FilesystemChunkWriter:
        def open_at() -> FilesystemChunkWriter:
            path = self._partial(target.upload_id)
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                self._require_volume()
                raise StoredObjectMismatch(f"the partial file of upload {target.upload_id} is missing") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise WriterBusy(target.upload_id) from None
            try:
                # The database is the truth about the offset: bytes past it (a crash between fsync and
                # commit, a writer that lost its lease) are not acknowledged, so drop them before appending.
                size = os.fstat(fd).st_size
                if size < offset:
                    raise StoredObjectMismatch(
                        f"the partial file of upload {target.upload_id} has {size} bytes, fewer than the {offset} acknowledged"
                    )
                if size != offset:
                    os.ftruncate(fd, offset)
                    os.fsync(fd)
                direct_fd = _open_direct(path) if self.direct_io else None
                if direct_fd is None:
                    return FilesystemChunkWriter(fd, offset, self.partial_dir, flushers=self.flushers, fault_point=self.fault_point)
                head_start = offset - offset % BLOCK  # direct writes resume from the block the offset is in
                try:
                    head = os.pread(fd, offset - head_start, head_start)
                    if len(head) != offset - head_start:
                        raise RuntimeError(f"partial file of upload {target.upload_id} changed while it was opened")
                    return FilesystemChunkWriter(
                        fd, offset, self.partial_dir, direct_fd=direct_fd, head=head, flushers=self.flushers, fault_point=self.fault_point
                    )
                except BaseException:
                    os.close(direct_fd)
                    raise
            except BaseException:
                os.close(fd)
                raise

        return await _in_thread(self.partial_dir, open_at)

    async def finish(self, target: UploadTarget, size: int, metadata: dict[str, str]) -> str | None:
        def place() -> None:
            final = self._path(target.key)
            final.parent.mkdir(parents=True, exist_ok=True)
            partial = self._partial(target.upload_id)
            if partial.exists():
                if partial.stat().st_size != size:
                    raise StoredObjectMismatch(f"partial file of {target.upload_id} has {partial.stat().st_size} bytes, not {size}")
                # link() refuses to replace an existing file, unlike rename(): evidence is never overwritten.
                try:
                    os.link(partial, final)
                except FileExistsError as exc:
                    if not os.path.samefile(partial, final):  # not an earlier attempt of this same upload
                        raise ObjectExists(target.key) from exc
                _write_sidecar(final, metadata)
                _fsync_dir(final.parent)
                os.unlink(partial)
                _fsync_dir(self.partial_dir)
            elif final.exists():
                # An earlier attempt placed it and then stopped before its record was committed.
                sidecar = _read_sidecar(final)
                if sidecar.get("upload-id", target.upload_id) != target.upload_id:
                    raise ObjectExists(target.key)
                if final.stat().st_size != size:
                    raise StoredObjectMismatch(f"{target.key} has {final.stat().st_size} bytes, not {size}")
                _write_sidecar(final, metadata)
                _fsync_dir(final.parent)
            else:
                self._require_volume()
                raise StoredObjectMismatch(f"upload {target.upload_id} has neither a partial file nor a placed object")

        await _in_thread(self.partial_dir, place)
        return None

    async def abort(self, target: UploadTarget) -> None:
        await _in_thread(self.partial_dir, self._partial(target.upload_id).unlink, True)

    async def read_received(self, target: UploadTarget, start: int, end: int) -> bytes:
        """From the partial file, never past `end` (the database's offset: bytes beyond it are not acknowledged,
        and a writer may be truncating them). A read takes no lock, so a writer is never held up by a viewer."""

        def read() -> bytes:
            try:
                fd = os.open(self._partial(target.upload_id), os.O_RDONLY)
            except FileNotFoundError:
                self._require_volume()
                raise ReceivedBytesGone(f"upload {target.upload_id} has no partial file (it ended)") from None
            try:
                data = os.pread(fd, end - start, start) if end > start else b""
            finally:
                os.close(fd)
            if len(data) != max(end - start, 0):
                raise ReceivedBytesGone(f"partial file of upload {target.upload_id} is shorter than {end}")
            return data

        return await _in_thread(self.partial_dir, read)

    async def stat(self, key: str) -> ObjectStat | None:
        def stat() -> ObjectStat | None:
            path = self._path(key)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                self._require_volume()
                return None
            return ObjectStat(size=size, metadata=_read_sidecar(path))

        return await _in_thread(self.partial_dir, stat)

    async def read(self, key: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        handle = await _in_thread(self.partial_dir, io.FileIO, self._path(key), "rb")  # unbuffered, as the reads are large
        try:
            await _in_thread(self.partial_dir, handle.seek, start)
            remaining = end - start
            while remaining > 0:
                chunk = await _in_thread(self.partial_dir, handle.read, min(READ_CHUNK, remaining))
                if not chunk:
                    raise RuntimeError(f"object {key} is shorter than expected")
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def probe_location(self, key: str) -> str:
        return str(self._path(key))

    async def presigned_url(self, key: str, filename: str | None, content_type: str | None = None) -> str | None:
        return None

    async def put_record(self, key: str, body: bytes, retain_until: datetime | None = None) -> str | None:
        def write() -> None:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o440)
            except FileExistsError as exc:
                raise ObjectExists(key) from exc
            try:
                os.write(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(path.parent)

        await _in_thread(self.partial_dir, write)
        return None

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        def place() -> None:
            final = self._path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
            shutil.copyfile(path, temporary)
            with open(temporary, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, final)
            _fsync_dir(final.parent)

        await _in_thread(self.partial_dir, place)

    async def read_bytes(self, key: str) -> bytes | None:
        try:
            return await _in_thread(self.partial_dir, self._path(key).read_bytes)
        except FileNotFoundError:
            return None

    async def list_keys(self, prefix: str) -> list[str]:
        def walk() -> list[str]:
            base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
            self._require_volume()  # not "no objects"
            if not base.exists():
                return []
            return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

        return await _in_thread(self.partial_dir, walk)

    async def delete(self, key: str) -> None:
        def remove() -> None:
            path = self._path(key)
            self._require_volume()  # never recorded as deleted while out of sight
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".meta.json").unlink(missing_ok=True)

        await _in_thread(self.partial_dir, remove)

    async def object_lock_enabled(self) -> bool:
        # A filesystem has no write-once lock the service's own user could not undo; evidence files
        # are protected by the database's policy and checked by fixity runs.
        return False

    async def retain(self, key: str, version: str | None, until: datetime) -> datetime:
        raise NotImplementedError("the filesystem store has no object lock")

    async def legal_hold(self, key: str, version: str | None, on: bool) -> None:
        raise NotImplementedError("the filesystem store has no object lock")

    async def ping(self) -> None:
        def reachable() -> bool:
            # The uploads' directory, under the root: missing when the volume is not mounted (or was taken away).
            return self.partial_dir.is_dir() and os.access(self.partial_dir, os.W_OK | os.X_OK)

        if not await asyncio.to_thread(reachable):
            raise StoreUnavailable(f"{self.partial_dir} is not a writable directory (is the store's volume mounted?)")

    async def close(self) -> None:
        self.flushers.shutdown(wait=False)  # idle threads end; a flush at work finishes (its writer waits for it)
