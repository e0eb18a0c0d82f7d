"""Filesystem store: an append-only partial file per upload, fsynced, linked into place on completion.

The fence: a writer holds an exclusive lock (flock) on the partial file for as long as it has it
open, so a request that lost its lease while stalled still keeps any other writer out until it
closes; and a writer that opens the file drops everything past the database's offset. Bytes
become acknowledged only through the database, whose update is fenced by the lease generation.
"""

import asyncio
import ctypes
import ctypes.util
import fcntl
import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from functools import cache
from pathlib import Path

from .base import Durable, ObjectExists, ObjectStat, StoredObjectMismatch, UploadTarget, WriterBusy

READ_CHUNK = 1024 * 1024
SYNC_FILE_RANGE_WRITE = 2


@cache
def _sync_file_range():
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _read_sidecar(path: Path) -> dict:
    try:
        return json.loads(_sidecar(path).read_text())
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
    def __init__(self, fd: int, start: int) -> None:
        self._fd = fd
        self._durable = start
        self._position = start

    async def write(self, chunks: list[bytes]) -> None:
        await asyncio.to_thread(self._write_all, chunks)

    def _write_all(self, chunks: list[bytes]) -> None:
        start = self._position
        pending = [memoryview(chunk) for chunk in chunks if chunk]
        while pending:
            written = os.writev(self._fd, pending[:IOV_MAX])
            self._position += written
            while pending and written >= pending[0].nbytes:
                written -= pending[0].nbytes
                pending.pop(0)
            if written:
                pending[0] = pending[0][written:]
        start_writeback(self._fd, start, self._position - start)

    async def checkpoint(self) -> Durable:
        await asyncio.to_thread(os.fsync, self._fd)
        self._durable = self._position
        return Durable()

    async def commit(self, *, final: bool) -> Durable:
        await asyncio.to_thread(self._sync_and_close)
        return Durable()

    def _sync_and_close(self) -> None:
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)  # also lets go of the writer's lock

    async def cleanup(self) -> None:
        return None  # an append-only file leaves nothing behind

    async def rollback(self) -> None:
        # No truncation here: this writer may have lost its lease, and the next writer truncates to
        # the database's offset itself when it opens the file.
        await asyncio.to_thread(os.close, self._fd)


class FilesystemStore:
    kind = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.partial_dir = self.root / ".uploads"
        self.partial_dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("key escapes the store root")
        return path

    def _partial(self, upload_id: str) -> Path:
        return self.partial_dir / f"{upload_id}.part"

    async def begin(self, upload_id: str, key: str, metadata: dict[str, str]) -> str | None:
        def create() -> None:
            fd = os.open(self._partial(upload_id), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640)
            os.close(fd)

        await asyncio.to_thread(create)
        return None

    async def open_writer(self, target: UploadTarget, offset: int) -> FilesystemChunkWriter:
        def open_at() -> int:
            fd = os.open(self._partial(target.upload_id), os.O_WRONLY)
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
                    raise RuntimeError(f"partial file of upload {target.upload_id} is shorter than its recorded offset")
                if size != offset:
                    os.ftruncate(fd, offset)
                    os.fsync(fd)
                os.lseek(fd, offset, os.SEEK_SET)
            except BaseException:
                os.close(fd)
                raise
            return fd

        return FilesystemChunkWriter(await asyncio.to_thread(open_at), offset)

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
                raise FileNotFoundError(f"upload {target.upload_id} has neither a partial file nor a placed object")

        await asyncio.to_thread(place)
        return None

    async def abort(self, target: UploadTarget) -> None:
        await asyncio.to_thread(self._partial(target.upload_id).unlink, True)

    async def stat(self, key: str) -> ObjectStat | None:
        def stat() -> ObjectStat | None:
            path = self._path(key)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                return None
            return ObjectStat(size=size, metadata=_read_sidecar(path))

        return await asyncio.to_thread(stat)

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(open, self._path(key), "rb", buffering=0)
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(READ_CHUNK, remaining))
                if not chunk:
                    raise RuntimeError(f"object {key} is shorter than expected")
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def probe_location(self, key: str) -> str:
        return str(self._path(key))

    async def presigned_url(self, key: str, filename: str | None) -> str | None:
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

        await asyncio.to_thread(write)
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

        await asyncio.to_thread(place)

    async def read_bytes(self, key: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            return None

    async def list_keys(self, prefix: str) -> list[str]:
        def walk() -> list[str]:
            base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
            if not base.exists():
                return []
            return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

        return await asyncio.to_thread(walk)

    async def delete(self, key: str) -> None:
        def remove() -> None:
            path = self._path(key)
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".meta.json").unlink(missing_ok=True)

        await asyncio.to_thread(remove)

    async def object_lock_enabled(self) -> bool:
        # A filesystem has no write-once lock the service's own user could not undo; evidence files
        # are protected by the database's policy and checked by fixity runs.
        return False

    async def retain(self, key: str, version: str | None, until: datetime) -> datetime:
        raise NotImplementedError("the filesystem store has no object lock")

    async def legal_hold(self, key: str, version: str | None, on: bool) -> None:
        raise NotImplementedError("the filesystem store has no object lock")

    async def close(self) -> None:
        return None
