"""The one small protocol every object store implements.

The tus logic speaks only to this: it hands a store bytes at an offset and asks it to commit,
roll back, finish or abort. How bytes become durable (an append-only file, S3 multipart parts)
is the store's business, as tusd separates its handler from its s3store.
"""

from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


class StoreUnavailable(Exception):
    """The object store cannot be reached; the request may be retried later."""


class ObjectExists(Exception):
    """Evidence objects are never overwritten."""


class WriterBusy(Exception):
    """Another writer still holds the upload's bytes in the store (a stalled or not yet fenced request)."""


class StoredObjectMismatch(Exception):
    """The object the store assembled is not the bytes that were recorded (size or checksum differ)."""


class ReceivedBytesGone(Exception):
    """Bytes of an upload still in progress that the store can no longer (or cannot yet) give back: S3 folded
    them into a multipart part that was not filled from segments, or the upload ended meanwhile (issue 29)."""


class DeleteRefused(Exception):
    """The store itself refused a deletion (S3 object lock: retention or legal hold still in force)."""


@dataclass(frozen=True)
class Part:
    number: int
    size: int
    etag: str
    checksum: str | None = None  # the store's integrity check for this part (S3: base64 CRC32)


@dataclass(frozen=True)
class UploadTarget:
    upload_id: str
    key: str
    backend_ref: str | None = None
    # Parts already durable (S3); empty for stores that append to one file.
    parts: tuple[Part, ...] = ()
    # The writer's fencing token: the lease generation it holds (it grows at every take-over).
    generation: int = 0
    # What the store recorded at the last checkpoint (S3: which tail object holds the bytes past the
    # last part, and their CRC32), as committed to the database.
    state: dict[str, Any] | None = None
    # A recording sent as it is made (deferred length): the store keeps what it has received readable until the upload
    # ends, for the live view (S3: its tail segments). Other uploads pay nothing for it.
    live: bool = False


@dataclass
class Durable:
    """What a checkpoint made durable: new parts, and the store's state to record with the offset."""

    parts: list[Part] = field(default_factory=list)
    state: dict[str, Any] | None = None


@dataclass
class ObjectStat:
    size: int
    metadata: dict[str, str] = field(default_factory=dict)


class ChunkWriter(Protocol):
    async def write(self, chunks: list[bytes]) -> None:
        """Append these pieces, in order (a list, so the bytes need not be joined into one copy).
        The pieces are immutable bytes, and a writer may keep them until they are stored (S3 sends
        a part from the pieces themselves)."""

    def blocking_write(self) -> Callable[[list[bytes]], None] | None:
        """What `write` does as a blocking call, for a caller that writes from a thread of its own (one call at a
        time, in order; store failures raised as StoreUnavailable); None where writes belong on the event loop."""

    def blocking_commit(self) -> Callable[[bool], Durable] | None:
        """What `commit(final=...)` does as a blocking call, for a caller that runs it in a thread with other work
        that must follow it at once (the record of what it made durable); None where commits belong on the loop."""

    async def checkpoint(self) -> Durable:
        """Make everything written so far durable and keep writing; returns parts made durable since the last call."""

    async def commit(self, *, final: bool) -> Durable:
        """Checkpoint and close; `final` means no more bytes will follow (S3: the last part may be small)."""

    async def cleanup(self) -> None:
        """Called after a checkpoint's record is committed: remove what the store no longer needs."""

    async def rollback(self) -> None:
        """Close without making anything more durable. Never cuts below what was checkpointed: the next
        writer drops whatever lies past the database's offset when it opens."""


class ObjectStore(Protocol):
    kind: str

    async def begin(self, upload_id: str, key: str, metadata: dict[str, str]) -> str | None: ...

    async def open_writer(self, target: UploadTarget, offset: int) -> ChunkWriter:
        """A writer at `offset` (the database's). Raises WriterBusy while an earlier writer of the
        upload can still touch its bytes."""

    async def finish(self, target: UploadTarget, size: int, metadata: dict[str, str]) -> str | None:
        """Turn the finished upload into the evidence object at target.key (never overwriting another
        upload's object). Idempotent: when an earlier attempt already placed this upload's object, it is
        checked and accepted. Raises StoredObjectMismatch when the placed object is not exactly the
        recorded bytes. Returns the object's version where the store keeps versions."""

    async def abort(self, target: UploadTarget) -> None: ...

    async def read_received(self, target: UploadTarget, start: int, end: int) -> bytes:
        """Bytes [start, end) of an upload still receiving, `end` at most the database's offset (the caller's
        to ensure: the store knows no records). For watching a recording while it arrives (issue 29); small
        ranges (a box header, one fragment). Raises ReceivedBytesGone when the store cannot give them."""

    async def stat(self, key: str) -> ObjectStat | None: ...

    def read(self, key: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        """Bytes [start, end) of a stored object."""

    async def probe_location(self, key: str) -> str:
        """A path or URL ffprobe can read without fetching the whole object."""

    async def presigned_url(self, key: str, filename: str | None, content_type: str | None = None) -> str | None: ...

    async def put_record(self, key: str, body: bytes, retain_until: datetime | None = None) -> str | None:
        """Write a small immutable record (never replacing one); under S3 object lock it is retained
        until `retain_until`. Returns the object version where the store keeps versions."""

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a derived file (a playback copy: never evidence, never locked), replacing any at `key`."""

    async def read_bytes(self, key: str) -> bytes | None: ...

    async def list_keys(self, prefix: str) -> list[str]: ...

    async def delete(self, key: str) -> None:
        """Only for objects that never became evidence (a concurrent duplicate) and the retention sweep.
        Removes every stored version; raises DeleteRefused while the store locks any of them."""

    # Write-once locking (S3 object lock). Stores without it answer False and are never asked to lock.
    async def object_lock_enabled(self) -> bool: ...

    async def retain(self, key: str, version: str | None, until: datetime) -> datetime:
        """Keep the object undeletable until at least `until` (never shortens); returns the date in force."""

    async def legal_hold(self, key: str, version: str | None, on: bool) -> None: ...

    async def ping(self) -> None:
        """A cheap call that reaches the store (readiness); raises StoreUnavailable when it does not answer."""

    async def close(self) -> None: ...
