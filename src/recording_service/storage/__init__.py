"""Object stores behind one protocol (`base`): the filesystem (`filesystem`) and S3 (`s3`), chosen by
RECORDING_STORAGE_URL. `open_store` takes any settings object with the fields it needs (`StoreSettings`).

May import: nothing of the service — it knows no records and no settings class.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from .base import (
    ChunkWriter,
    DeleteRefused,
    Durable,
    ObjectExists,
    ObjectStat,
    ObjectStore,
    Part,
    ReceivedBytesGone,
    StoredObjectMismatch,
    StoreUnavailable,
    UploadTarget,
    WriterBusy,
)

__all__ = [
    "ChunkWriter",
    "DeleteRefused",
    "Durable",
    "ObjectExists",
    "ObjectStat",
    "ObjectStore",
    "Part",
    "ReceivedBytesGone",
    "StoreUnavailable",
    "StoredObjectMismatch",
    "UploadTarget",
    "WriterBusy",
    "open_store",
]


class StoreSettings(Protocol):
    """What opening a store reads from the settings (core.config.Settings has it; storage imports nothing above)."""

    @property
    def storage_url(self) -> str: ...

    @property
    def storage_direct_io(self) -> bool: ...

    @property
    def storage_flush_threads(self) -> int: ...

    @property
    def s3_endpoint_url(self) -> str | None: ...

    @property
    def s3_part_size(self) -> int: ...

    @property
    def s3_presigned_ttl_seconds(self) -> int: ...

    @property
    def s3_upload_concurrency(self) -> int: ...

    @property
    def s3_object_lock_mode(self) -> str: ...


def filesystem_root(storage_url: str) -> Path:
    # file:///abs/path or file://./rel/path (relative to the working directory)
    rest = storage_url[len("file://") :]
    return Path(rest)


def open_store(settings: StoreSettings, *, create: bool = True, fault_point: Callable[[str], None] | None = None) -> ObjectStore:
    """`create`: a filesystem store may make its directories (a new deployment; see FilesystemStore). `fault_point`:
    the service's fault points (core/faults.py), for tests that stage a failing disk."""
    url = settings.storage_url
    if url.startswith("file://"):
        from .filesystem import FilesystemStore

        return FilesystemStore(
            filesystem_root(url),
            direct_io=settings.storage_direct_io,
            flush_threads=settings.storage_flush_threads,
            create=create,
            fault_point=fault_point,
        )
    if url.startswith("s3://"):
        from .s3 import S3Store

        parsed = urlparse(url)
        if not parsed.netloc:
            raise ValueError("RECORDING_STORAGE_URL s3://BUCKET[/PREFIX] needs a bucket")
        return S3Store(
            parsed.netloc,
            parsed.path,
            settings.s3_endpoint_url,
            settings.s3_part_size,
            settings.s3_presigned_ttl_seconds,
            settings.s3_upload_concurrency,
            settings.s3_object_lock_mode,
        )
    raise ValueError(f"unsupported RECORDING_STORAGE_URL: {url!r} (use file://PATH or s3://BUCKET[/PREFIX])")
