"""S3 store: one multipart upload per tus upload, parts recorded in the database.

tus chunks may be smaller than S3's minimum part size, so bytes past the last full part are
kept as tail segments (tusd's s3store keeps one incomplete part): each checkpoint stores only the
bytes that arrived since the last one, named after the part it will become, its offset in it and the
writer's lease generation. The database records the segments (key, size, CRC32) with the offset, so
a crash between writing a segment and recording it leaves an unread object, a writer that lost its
lease writes segments nobody reads, and a resumed writer checks every byte it reads back.

A recording sent as it is made (`UploadTarget.live`) keeps its segments (not removed as their part is
uploaded), and a part filled from segments gets one more, its closing segment, holding the bytes no
segment held: every byte of such a part stays readable (`read_received`) until the upload ends, when
finish or abort removes the upload's whole `.uploads/` prefix. That is what lets a recording be watched
while it arrives (issue 29): S3 cannot read a multipart part before the object is assembled. Other
uploads remove the segments of an uploaded part once it is recorded, and store no closing segment.

Part k always holds the bytes [(k-1)·P, k·P) of the upload, so a stale writer's late part carries
the same bytes as the current writer's; the CRC32 of every recorded part is checked by the store
when the object is assembled, and the assembled object's composite checksum is checked against the
recorded parts before it counts as stored.
"""

import asyncio
import base64
import dataclasses
import functools
import hashlib
import io
import logging
import re
from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.handlers import add_expect_header
from isal.isal_zlib import crc32

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompleteMultipartUploadOutputTypeDef, HeadObjectOutputTypeDef

from .base import (
    DeleteRefused,
    Durable,
    ObjectExists,
    ObjectStat,
    Part,
    ReceivedBytesGone,
    StoredObjectMismatch,
    StoreUnavailable,
    UploadTarget,
)

log = logging.getLogger(__name__)
R = TypeVar("R")
READ_CHUNK = 1024 * 1024
TAIL_CACHE_BYTES = 64 * 1024 * 1024
READ_AHEAD = 1024 * 1024  # a part is read out in up to this much per read, so the sender makes few system calls
SEGMENT_NAME = re.compile(r"-g(\d+)-(\d{10})$")  # a tail segment's writer generation and offset in its part
FOLDED_CHAINS = 4096  # parts whose segments were listed, remembered per store (a part recorded never changes)


def crc32_b64(*pieces: bytes | bytearray | memoryview) -> str:
    """The base64 CRC32 S3 speaks, of the pieces laid end to end."""
    crc = 0
    for piece in pieces:
        crc = crc32(piece, crc)
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


def composite_crc32(parts: tuple[Part, ...] | list[Part]) -> str:
    """The checksum S3 reports for an object assembled from parts: CRC32 of the parts' CRC32s, '-N'."""
    # Only asked when every part has its checksum (see S3Store._check_assembled).
    joined = b"".join(base64.b64decode(cast(str, part.checksum)) for part in parts)
    return f"{crc32_b64(joined)}-{len(parts)}"


def encode_metadata(metadata: dict[str, str]) -> dict[str, str]:
    # S3 user metadata travels as HTTP headers: ASCII only, so percent-encode (file names are often Chinese).
    return {key: quote(value, safe="") for key, value in metadata.items()}


class TailSegment(TypedDict):
    """A tail segment as recorded in the upload's state: its object, where it sits in the part, its size and CRC32."""

    key: str
    offset: int
    size: int
    crc32: str


class PartBody(io.RawIOBase):
    """A part's bytes as the pieces they arrived in, read in place: the request body's chunks are
    sent to S3 without first being copied into one buffer (on this machine a copy costs as much as
    the SHA-256). Seekable, so botocore can rewind it for a retry."""

    def __init__(self, pieces: list[memoryview] | list[bytes]) -> None:
        super().__init__()
        self._pieces = [memoryview(piece) for piece in pieces]
        self._size = sum(len(piece) for piece in pieces)
        self._position = 0
        self._index = 0  # the piece holding `_position`, and where in it
        self._within = 0

    def __len__(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence] + offset
        if target < 0:
            raise ValueError("negative seek position")
        self._position, self._index, self._within = min(target, self._size), 0, min(target, self._size)
        while self._index < len(self._pieces) and self._within >= len(self._pieces[self._index]):
            self._within -= len(self._pieces[self._index])
            self._index += 1
        return self._position

    def read(self, size: int = -1) -> bytes | memoryview:
        """Up to `size` bytes from one piece (a view, not a copy); empty at the end."""
        return self._next(READ_AHEAD if size is None or size < 0 else max(size, READ_AHEAD))

    def _next(self, size: int) -> bytes | memoryview:
        while self._index < len(self._pieces) and self._within >= len(self._pieces[self._index]):
            self._index, self._within = self._index + 1, 0
        if self._index == len(self._pieces):
            return b""
        piece = self._pieces[self._index]
        end = min(len(piece), self._within + size)
        view = piece[self._within : end]
        self._within = end
        self._position += len(view)
        return view

    # io hands a bytearray or a memoryview; typeshed allows any writable buffer, which has no len() nor slices.
    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = self._next(len(buffer))
        buffer[: len(view)] = view
        return len(view)


def joined(pieces: list[memoryview], start: int, end: int) -> bytes:
    """Bytes [start, end) of the pieces laid end to end."""
    out, position = [], 0
    for piece in pieces:
        if position >= end:
            break
        low, high = max(start - position, 0), min(end - position, len(piece))
        if low < high:
            out.append(piece[low:high])
        position += len(piece)
    return b"".join(out)


class S3ChunkWriter:
    """Gathers the received chunks of one part (references, not copies) and hands the part to an
    upload once full; a few parts upload concurrently while the next one fills. Bytes short of a
    part are made durable as tail segments holding only what arrived since the last checkpoint, so
    many small PATCHes cost what their bytes cost, not the whole pending part each time."""

    def __init__(self, store: "S3Store", target: UploadTarget, tail: bytes, segments: list[TailSegment]) -> None:
        self._store = store
        self._target = target
        self._pieces: list[memoryview] = [memoryview(tail)] if tail else []
        self._fill = len(tail)
        self._durable_fill = len(tail)  # bytes of the part already held by recorded segments
        self._segments = list(segments)
        self._garbage: list[str] = []  # segments of parts now uploaded: removable once that is recorded (not live)
        self._next_part = len(target.parts) + 1
        self._new_parts: list[Part] = []
        self._in_flight: list[asyncio.Task[Part]] = []

    def blocking_write(self) -> None:
        return None  # a part is gathered from the pieces and sent from the event loop

    def blocking_commit(self) -> None:
        return None  # parts are sent from the event loop

    async def write(self, chunks: list[bytes]) -> None:
        # The chunks are immutable bytes: keeping views of them is safe and costs no copy.
        part_size = self._store.part_size
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                take = min(len(view), part_size - self._fill)
                self._pieces.append(view[:take])
                self._fill += take
                view = view[take:]
                if self._fill == part_size:
                    full, self._pieces, self._fill = self._pieces, [], 0
                    await self._start_part(full, closing=self._target.live)

    async def _start_part(self, body: list[memoryview], *, closing: bool = False) -> None:
        """Upload the part; one filled from segments also gets its closing segment (see the module's doc)."""
        number = self._next_part
        self._next_part += 1
        held = self._durable_fill if closing else 0
        if not self._target.live:
            self._garbage += [segment["key"] for segment in self._segments]
        self._segments, self._durable_fill = [], 0
        self._in_flight.append(asyncio.create_task(self._store.upload_part(self._target, number, body, closing_from=held)))
        if len(self._in_flight) > self._store.concurrency:
            self._new_parts.append(await self._in_flight.pop(0))

    async def _drain(self) -> None:
        while self._in_flight:
            self._new_parts.append(await self._in_flight.pop(0))

    def _pending(self) -> bytes:
        return b"".join(self._pieces)

    async def checkpoint(self) -> Durable:
        await self._drain()
        if self._fill > self._durable_fill:
            fresh = joined(self._pieces, self._durable_fill, self._fill)
            self._segments.append(await self._store.put_tail_segment(self._target, self._next_part, self._durable_fill, fresh))
            self._durable_fill = self._fill
            self._store.remember_tail(self._target.upload_id, self._segments, self._pending())
        durable, self._new_parts = self._new_parts, []
        return Durable(durable, {"segments": list(self._segments)} if self._segments else None)

    async def commit(self, *, final: bool) -> Durable:
        nothing_yet = not self._target.parts and not self._new_parts and not self._in_flight and self._next_part == 1
        if final and (self._fill or nothing_yet):
            pieces, self._pieces, self._fill = self._pieces, [], 0
            await self._start_part(pieces)  # the last part may be small (or empty for a 0-byte file)
        return await self.checkpoint()

    async def cleanup(self) -> None:
        """Called once the last checkpoint is recorded: segments of uploaded parts are no longer read. A live
        recording keeps them until it ends (finish and abort remove them all): what a viewer was told about stays
        readable while it arrives."""
        garbage, self._garbage = self._garbage, []
        for key in garbage:
            try:
                await self._store.remove_object(key)
            except Exception as exc:  # left for the upload's final clean-up
                log.info("could not remove tail segment %s now: %s", key, exc)

    async def rollback(self) -> None:
        for task in self._in_flight:
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        self._in_flight.clear()
        # Parts uploaded by this chunk are not recorded; their numbers are reused (and so replaced) later.


class S3Store:
    kind = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str,
        endpoint_url: str | None,
        part_size: int,
        presign_ttl: int,
        concurrency: int = 1,
        lock_mode: str = "COMPLIANCE",
    ) -> None:
        self.bucket = bucket
        self.concurrency = concurrency
        self.lock_mode = lock_mode
        self._object_lock: bool | None = None
        self._versioned: bool | None = None
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = part_size
        self.presign_ttl = presign_ttl
        config = Config(
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            # Parts carry a CRC32 the server verifies, as AWS SDKs do over TLS, instead of a
            # SigV4 SHA-256 of every payload (a second full hash pass on plain-HTTP endpoints).
            s3={"addressing_style": "path", "payload_signing_enabled": False},
            max_pool_connections=32,
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
        # botocore asks for "100 Continue" before sending any file-like body: a round trip per part
        # that saves nothing here (a refused part costs one part's bytes), so parts go out at once.
        self.client.meta.events.unregister("before-call.s3", add_expect_header)
        self._tail_cache: dict[str, tuple[tuple[str, ...], bytes]] = {}
        self._chains: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
        self.endpoint_url = endpoint_url
        self._ping_client: Any = None

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _tail_key(self, upload_id: str, part_number: int) -> str:
        return f"{self.prefix}.uploads/{upload_id}/tail-{part_number:05d}"

    async def _call(self, method: Callable[..., R], **kwargs: Any) -> R:
        try:
            return await asyncio.to_thread(functools.partial(method, **kwargs))
        except (BotoConnectionError, ReadTimeoutError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500 or status == 0:
                raise StoreUnavailable(str(exc)) from exc
            raise
        except BotoCoreError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def begin(self, upload_id: str, key: str, metadata: dict[str, str]) -> str | None:
        response = await self._call(
            self.client.create_multipart_upload,
            Bucket=self.bucket,
            Key=self._key(key),
            Metadata=encode_metadata(metadata),
            ChecksumAlgorithm="CRC32",
        )
        return response["UploadId"]

    async def upload_part(
        self, target: UploadTarget, number: int, pieces: list[memoryview] | list[bytes], *, closing_from: int = 0
    ) -> Part:
        """Upload part `number`; with `closing_from` > 0 (the part was filled from segments up to there) the
        bytes past it are also stored as the part's closing segment, so none of the part is unreadable while
        the upload receives. A closing segment that fails only costs the live view those bytes."""
        closing = None
        if closing_from:
            rest = joined([memoryview(piece) for piece in pieces], closing_from, self.part_size)
            closing = asyncio.create_task(self.put_tail_segment(target, number, closing_from, rest))
        try:
            return await self._upload_part(target, number, pieces)
        finally:
            if closing is not None:
                try:
                    await closing
                except Exception as exc:
                    log.info("closing segment of part %s of upload %s not stored: %s", number, target.upload_id, exc)

    async def _upload_part(self, target: UploadTarget, number: int, pieces: list[memoryview] | list[bytes]) -> Part:
        checksum = await asyncio.to_thread(crc32_b64, *pieces)
        body = PartBody(pieces)
        response = await self._call(
            self.client.upload_part,
            Bucket=self.bucket,
            Key=self._key(target.key),
            UploadId=target.backend_ref,
            PartNumber=number,
            Body=body,
            ContentLength=len(body),
            ChecksumCRC32=checksum,
        )
        return Part(number=number, size=len(body), etag=response["ETag"], checksum=checksum)

    async def put_tail_segment(self, target: UploadTarget, part_number: int, offset: int, body: bytes) -> TailSegment:
        """Store bytes [offset, offset + len) of the part being filled; returns the segment to record.
        Named by the writer's generation, so a writer that lost its lease writes segments nobody reads."""
        key = f"{self._tail_key(target.upload_id, part_number)}-g{target.generation}-{offset:010d}"
        await self._call(self.client.put_object, Bucket=self.bucket, Key=key, Body=body)
        return {"key": key, "offset": offset, "size": len(body), "crc32": await asyncio.to_thread(crc32_b64, body)}

    def remember_tail(self, upload_id: str, segments: list[TailSegment], body: bytes) -> None:
        # Saves reading the segments back on the instance that received the previous chunk; bounded.
        self._tail_cache.pop(upload_id, None)
        self._tail_cache[upload_id] = (tuple(segment["key"] for segment in segments), body)
        while sum(len(b) for _, b in self._tail_cache.values()) > TAIL_CACHE_BYTES:
            self._tail_cache.pop(next(iter(self._tail_cache)))

    async def remove_object(self, key: str) -> None:
        await self._remove(key, exact=True)

    async def _read_all(self, key: str, length: int) -> bytes:
        response = await self._call(self.client.get_object, Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}")
        return (await asyncio.to_thread(response["Body"].read))[:length]

    async def _load_tail(self, target: UploadTarget, length: int) -> tuple[bytes, list[TailSegment]]:
        segments: list[TailSegment] = list((target.state or {}).get("segments", []))
        if not segments:
            # Uploads begun before segments: one tail object per part, only ever grown.
            body = await self._read_all(self._tail_key(target.upload_id, len(target.parts) + 1), length)
            if len(body) < length:
                raise StoredObjectMismatch(f"tail of upload {target.upload_id} is shorter than its recorded offset")
            return body, []
        if sum(segment["size"] for segment in segments) != length:
            raise StoredObjectMismatch(f"tail segments of upload {target.upload_id} do not add up to its recorded offset")
        cached_keys, cached = self._tail_cache.get(target.upload_id, ((), b""))
        if cached_keys == tuple(segment["key"] for segment in segments) and len(cached) == length:
            pieces = [cached[s["offset"] : s["offset"] + s["size"]] for s in segments]
        else:
            pieces = [await self._read_all(segment["key"], segment["size"]) for segment in segments]
        for segment, piece in zip(segments, pieces):
            if len(piece) != segment["size"] or crc32_b64(piece) != segment["crc32"]:
                raise StoredObjectMismatch(f"tail segment {segment['key']} does not hold the recorded bytes")
        return b"".join(pieces), segments

    async def open_writer(self, target: UploadTarget, offset: int) -> S3ChunkWriter:
        tail_length = offset - sum(part.size for part in target.parts)
        tail, segments = await self._load_tail(target, tail_length) if tail_length else (b"", [])
        return S3ChunkWriter(self, target, tail, segments)

    async def read_received(self, target: UploadTarget, start: int, end: int) -> bytes:
        """Bytes past the recorded parts come from the segments the database records; bytes of a recorded part
        from the part's kept segments (the store lists them: at each offset, the latest writer's)."""
        if end <= start:
            return b""
        pieces: list[tuple[int, int, str]] = []  # (upload offset, size, object key)
        position = 0
        for part in sorted(target.parts, key=lambda p: p.number):
            if position < end and start < position + part.size:
                pieces += await self._folded_chain(target.upload_id, part.number, position, part.size)
            position += part.size
        if end > position:
            segments: list[TailSegment] = list((target.state or {}).get("segments", []))
            if not segments:
                raise ReceivedBytesGone(f"upload {target.upload_id} records no segments past its parts")
            pieces += [(position + segment["offset"], segment["size"], segment["key"]) for segment in segments]
        out, at = [], start
        for offset, size, key in sorted(pieces):
            if offset + size <= at or at >= end:
                continue
            if offset > at:
                break  # a hole: not held by any segment
            high = min(end, offset + size)
            out.append(await self._read_range(key, at - offset, high - offset))
            at = high
        if at < end:
            raise ReceivedBytesGone(f"bytes {at}-{end} of upload {target.upload_id} are in no segment")
        return b"".join(out)

    async def _read_range(self, key: str, low: int, high: int) -> bytes:
        try:
            response = await self._call(self.client.get_object, Bucket=self.bucket, Key=key, Range=f"bytes={low}-{high - 1}")
        except ClientError as exc:
            raise ReceivedBytesGone(f"{key}: {exc}") from exc
        body: bytes = await asyncio.to_thread(response["Body"].read)
        if len(body) != high - low:
            raise ReceivedBytesGone(f"{key} is shorter than recorded")
        return body

    async def _folded_chain(self, upload_id: str, number: int, position: int, size: int) -> list[tuple[int, int, str]]:
        """The segments that held part `number`, laid end to end from its start. A writer that lost its lease
        (or whose checkpoint failed) may have left segments nobody recorded, but only at offsets the next writer
        wrote again under a higher generation: at each offset the highest generation is the recorded one."""
        cached = self._chains.get((upload_id, number))
        if cached is not None:
            return cached
        prefix = f"{self._tail_key(upload_id, number)}-g"
        found: dict[int, tuple[int, int, str]] = {}  # offset in the part -> (generation, size, key)
        token: str | None = None
        while True:
            kwargs: dict[str, str] = {"ContinuationToken": token} if token else {}
            page = await self._call(self.client.list_objects_v2, Bucket=self.bucket, Prefix=prefix, **kwargs)
            for item in page.get("Contents", []):
                match = SEGMENT_NAME.search(item["Key"])
                if match is None:
                    continue
                generation, offset = int(match.group(1)), int(match.group(2))
                if offset not in found or found[offset][0] < generation:
                    found[offset] = (generation, item["Size"], item["Key"])
            if not page.get("IsTruncated"):
                break
            token = page["NextContinuationToken"]
        chain, at = [], 0
        while at < size and at in found:
            _generation, length, key = found[at]
            if length <= 0:
                break
            chain.append((position + at, length, key))
            at += length
        if at == size:
            if len(self._chains) >= FOLDED_CHAINS:
                self._chains.pop(next(iter(self._chains)))
            self._chains[(upload_id, number)] = chain
        return chain

    async def versioned(self) -> bool:
        if self._versioned is None:
            status = (await self._call(self.client.get_bucket_versioning, Bucket=self.bucket)).get("Status")
            self._versioned = status in ("Enabled", "Suspended")
        return self._versioned

    async def _remove(self, prefix: str, *, exact: bool) -> int:
        """Delete every object under `prefix` (only the key itself when `exact`), every version of
        it in a versioned bucket: there a plain DELETE only hides the bytes behind a delete marker."""
        if not await self.versioned():
            if exact:
                await self._call(self.client.delete_object, Bucket=self.bucket, Key=prefix)
                return 1
            listing = await self._call(self.client.list_objects_v2, Bucket=self.bucket, Prefix=prefix)
            for listed in listing.get("Contents", []):
                await self._call(self.client.delete_object, Bucket=self.bucket, Key=listed["Key"])
            return len(listing.get("Contents", []))
        removed = 0
        kwargs: dict[str, str] = {}
        while True:
            page = await self._call(self.client.list_object_versions, Bucket=self.bucket, Prefix=prefix, **kwargs)
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if exact and item["Key"] != prefix:
                    continue
                try:
                    await self._call(self.client.delete_object, Bucket=self.bucket, Key=item["Key"], VersionId=item["VersionId"])
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") == "AccessDenied":
                        raise DeleteRefused(f"{item['Key']} version {item['VersionId']}: {exc}") from exc
                    raise
                removed += 1
            if not page.get("IsTruncated"):
                return removed + await self._remove_listed_versions(prefix, exact=exact)
            kwargs = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page.get("NextVersionIdMarker", "")}

    async def _remove_listed_versions(self, prefix: str, *, exact: bool) -> int:
        """What the version listing did not show (SeaweedFS leaves dot-directories such as `.uploads/`
        out of it) is removed version by version through HEAD: each delete of the current version
        exposes the one before it, until the key is gone."""
        removed = 0
        for _round in range(100):
            if exact:
                keys = [prefix] if await self.stat_raw(prefix) else []
            else:
                keys = [
                    item["Key"]
                    for item in (await self._call(self.client.list_objects_v2, Bucket=self.bucket, Prefix=prefix)).get("Contents", [])
                ]
            if not keys:
                return removed
            for key in keys:
                head = await self.stat_raw(key)
                if head is None:
                    continue
                version = {"VersionId": head["VersionId"]} if head.get("VersionId") else {}
                try:
                    await self._call(self.client.delete_object, Bucket=self.bucket, Key=key, **version)
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") == "AccessDenied":
                        raise DeleteRefused(f"{key}: {exc}") from exc
                    raise
                removed += 1
                if not version:
                    return removed  # no version ids to follow: a plain delete is all the store offers
        return removed

    async def stat_raw(self, key: str) -> "HeadObjectOutputTypeDef | None":
        try:
            return await self._call(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if await self._absent(exc):
                return None
            raise

    async def _absent(self, exc: ClientError) -> bool:
        """A 404 is an absent object only where the bucket is there: a HEAD's 404 carries no code, and a bucket that
        does not exist (a wrong name in RECORDING_STORAGE_URL) must make the store unavailable, not every object
        missing. The bucket is asked only after a 404."""
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
            return False
        await self.ping()  # raises StoreUnavailable when the bucket cannot be reached or does not exist
        return True

    async def _delete_tails(self, upload_id: str) -> None:
        await self._remove(f"{self.prefix}.uploads/{upload_id}/", exact=False)
        self._tail_cache.pop(upload_id, None)
        for chain in [c for c in self._chains if c[0] == upload_id]:
            self._chains.pop(chain, None)

    async def _complete(self, target: UploadTarget) -> "CompleteMultipartUploadOutputTypeDef":
        return await self._call(
            self.client.complete_multipart_upload,
            Bucket=self.bucket,
            Key=self._key(target.key),
            UploadId=target.backend_ref,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": p.number, "ETag": p.etag, **({"ChecksumCRC32": p.checksum} if p.checksum else {})} for p in target.parts
                ]
            },
        )

    async def finish(self, target: UploadTarget, size: int, metadata: dict[str, str]) -> str | None:
        key = self._key(target.key)
        stat = await self.stat(target.key)
        completed: HeadObjectOutputTypeDef | CompleteMultipartUploadOutputTypeDef
        if stat is not None:
            # Placed by an earlier attempt that stopped before its record was committed: only this
            # upload's own object is accepted, and only at the recorded size.
            if stat.metadata.get("upload-id") != target.upload_id:
                raise ObjectExists(target.key)
            completed = await self._call(self.client.head_object, Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
            self._check_assembled(target, completed, size, stat.size)
        else:
            if not target.parts:
                # S3 assembles nothing from no parts: a 0-byte file is one empty part.
                target = dataclasses.replace(target, parts=(await self._upload_part(target, 1, []),))
            try:
                completed = await self._complete(target)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchUpload" or await self.stat(target.key) is None:
                    raise
                completed = await self._call(self.client.head_object, Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
            stat = await self.stat(target.key)
            self._check_assembled(target, completed, size, stat.size if stat else None)
            assert stat is not None  # a missing object was refused just above
        wanted = encode_metadata(metadata)
        if any(stat.metadata.get(name) != value for name, value in wanted.items()):
            # The hash was not known when the multipart upload began: rewrite the object's
            # metadata by a server-side copy onto itself (no bytes pass through the service).
            await asyncio.to_thread(
                self.client.copy,
                {"Bucket": self.bucket, "Key": key},
                self.bucket,
                key,
                ExtraArgs={"Metadata": wanted, "MetadataDirective": "REPLACE"},
                Config=TransferConfig(multipart_threshold=5 * 1024**3, multipart_chunksize=512 * 1024**2),
            )
            copied = await self._call(self.client.head_object, Bucket=self.bucket, Key=key)
            if completed.get("VersionId") and completed["VersionId"] != copied.get("VersionId"):
                # In a versioned bucket the copy is a second version: drop the first (not yet locked)
                # rather than keep two copies of the footage.
                await self._call(self.client.delete_object, Bucket=self.bucket, Key=key, VersionId=completed["VersionId"])
            completed = copied
        await self._delete_tails(target.upload_id)
        return completed.get("VersionId")

    @staticmethod
    def _check_assembled(
        target: UploadTarget, response: "HeadObjectOutputTypeDef | CompleteMultipartUploadOutputTypeDef", size: int, stored_size: int | None
    ) -> None:
        """The store's own account of the assembled object must match the recorded parts."""
        if stored_size != size:
            raise StoredObjectMismatch(f"{target.key} has {stored_size} bytes, not {size}")
        reported = response.get("ChecksumCRC32")
        if reported and "-" in reported and all(p.checksum for p in target.parts):
            expected = composite_crc32(target.parts)
            if reported != expected:
                raise StoredObjectMismatch(f"{target.key} was assembled from other parts (CRC32 {reported}, recorded {expected})")

    async def abort(self, target: UploadTarget) -> None:
        if target.backend_ref:
            try:
                await self._call(
                    self.client.abort_multipart_upload, Bucket=self.bucket, Key=self._key(target.key), UploadId=target.backend_ref
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("NoSuchUpload", "404"):
                    raise
        await self._delete_tails(target.upload_id)

    async def stat(self, key: str) -> ObjectStat | None:
        try:
            response = await self._call(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if await self._absent(exc):
                return None
            raise
        return ObjectStat(size=response["ContentLength"], metadata=response.get("Metadata", {}))

    async def read(self, key: str, start: int, end: int) -> AsyncGenerator[bytes, None]:
        if end <= start:
            return
        response = await self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end - 1}")
        body = response["Body"]
        try:
            while True:
                chunk = await asyncio.to_thread(body.read, READ_CHUNK)
                if not chunk:
                    break
                yield chunk
        finally:
            body.close()

    def _presign(self, key: str, filename: str | None = None, content_type: str | None = None) -> str:
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if filename:
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        if content_type:
            params["ResponseContentType"] = content_type
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.presign_ttl)

    async def probe_location(self, key: str) -> str:
        return self._presign(key)

    async def presigned_url(self, key: str, filename: str | None, content_type: str | None = None) -> str | None:
        return self._presign(key, filename, content_type)

    async def object_lock_enabled(self) -> bool:
        if self._object_lock is None:
            try:
                config = (await self._call(self.client.get_object_lock_configuration, Bucket=self.bucket)).get(
                    "ObjectLockConfiguration", {}
                )
            except ClientError:
                config = {}
            self._object_lock = config.get("ObjectLockEnabled") == "Enabled"
            if config.get("Rule", {}).get("DefaultRetention"):
                log.warning(
                    "bucket %s has a default object-lock retention: upload tails and replaced versions will be "
                    "locked too and cannot be cleaned up; the service sets retention on each evidence object itself",
                    self.bucket,
                )
        return self._object_lock

    def _version(self, key: str, version: str | None) -> dict[str, str]:
        return {"Bucket": self.bucket, "Key": self._key(key), **({"VersionId": version} if version else {})}

    async def retain(self, key: str, version: str | None, until: datetime) -> datetime:
        # Whole seconds, rounded up: S3 keeps retention dates to the second.
        until = until.replace(microsecond=0) + (timedelta(seconds=1) if until.microsecond else timedelta())
        head = await self._call(self.client.head_object, **self._version(key, version))
        current, mode = head.get("ObjectLockRetainUntilDate"), head.get("ObjectLockMode") or self.lock_mode
        if current is not None and current >= until:
            return current
        # An object keeps the mode it was locked in (COMPLIANCE cannot be downgraded anyway).
        await self._call(
            self.client.put_object_retention, **self._version(key, version), Retention={"Mode": mode, "RetainUntilDate": until}
        )
        return until

    async def legal_hold(self, key: str, version: str | None, on: bool) -> None:
        await self._call(self.client.put_object_legal_hold, **self._version(key, version), LegalHold={"Status": "ON" if on else "OFF"})

    async def put_record(self, key: str, body: bytes, retain_until: datetime | None = None) -> str | None:
        if await self.stat(key) is not None:
            raise ObjectExists(key)
        extra = {}
        if retain_until is not None and await self.object_lock_enabled():
            extra = {"ObjectLockMode": self.lock_mode, "ObjectLockRetainUntilDate": retain_until}
        checksum = base64.b64encode(hashlib.sha256(body).digest()).decode()
        response = await self._call(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=body,
            ChecksumSHA256=checksum,
            ContentType="application/json",
            **extra,
        )
        return response.get("VersionId")

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.upload_file,
            str(path),
            self.bucket,
            self._key(key),
            ExtraArgs={"ContentType": content_type, "ChecksumAlgorithm": "SHA256"},
        )

    async def read_bytes(self, key: str) -> bytes | None:
        try:
            response = await self._call(self.client.get_object, Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if await self._absent(exc):
                return None
            raise
        return await asyncio.to_thread(response["Body"].read)

    async def list_keys(self, prefix: str) -> list[str]:
        keys, token = [], None
        while True:
            kwargs: dict[str, str] = {"ContinuationToken": token} if token else {}
            page = await self._call(self.client.list_objects_v2, Bucket=self.bucket, Prefix=self._key(prefix), **kwargs)
            keys += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(keys)
            token = page["NextContinuationToken"]

    async def delete(self, key: str) -> None:
        await self._remove(self._key(key), exact=True)

    async def ping(self) -> None:
        # HEAD on the bucket through a client of its own that gives up quickly: readiness is probed every few
        # seconds, and the uploads' client retries (3 attempts, 5 s to connect) would hold a thread for 15 s.
        if self._ping_client is None:
            config = Config(
                signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}, connect_timeout=2, read_timeout=2
            )
            self._ping_client = boto3.session.Session().client("s3", endpoint_url=self.endpoint_url, config=config)
        try:
            await asyncio.to_thread(self._ping_client.head_bucket, Bucket=self.bucket)
        except ClientError as exc:
            raise StoreUnavailable(f"HEAD bucket {self.bucket}: {exc}") from exc
        except (BotoCoreError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        self.client.close()
        if self._ping_client is not None:
            self._ping_client.close()
