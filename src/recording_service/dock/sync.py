"""The dock sync client: uploads every recording in a directory tree over tus, resumably, and
proves each file arrived whole before (optionally) deleting the dock's copy.

For each file: SHA-256 locally; already on the server (this dock's media with that hash) → skipped;
else (or when the server's copy is corrupt, missing or deleted, which the upload repairs) a tus upload (tuspy) declaring the hash, so the server refuses anything but these exact bytes,
with per-chunk checksums and retries; its URL is kept in DIR/.recording-dock/ so an interrupted run
resumes where it stopped. A file counts as uploaded only when the server's media record names the
same SHA-256; only then may `--delete-after-verify` remove it.

A run asked to stop (`DockSync.stop`: the command line's first Ctrl-C or SIGTERM) starts no new file,
abandons the PATCH in flight between two slices of its body (a chunk with a checksum is all or nothing
on the server, so its offset stays at the last whole chunk), keeps the remembered URLs, and returns
within STOP_GRACE seconds with what it did and what the next run resumes.
"""

import fnmatch
import hashlib
import json
import os
import socket
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import requests
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError, TusUploadFailed
from tusclient.fingerprint.interface import Fingerprint
from tusclient.request import TusRequest
from tusclient.storage.filestorage import FileStorage
from tusclient.storage.interface import Storage
from tusclient.uploader import Uploader

STATE_DIR = ".recording-dock"
SIDECAR = ".json"  # <file>.json beside a recording: upload metadata (device_id, officer_ids, recorded_at, …)
METADATA_KEYS = ("device_id", "officer_ids", "recorded_at", "content_type", "flag", "case_number")
SKIP_SUFFIXES = (SIDECAR, ".partial", ".tmp")
CHUNK = 16 * 1024 * 1024
SLICE = 64 * 1024  # a chunk's body goes out a slice at a time: a stop abandons it between two
STOP_GRACE = 1.5  # seconds a stopped run waits for work in flight before it reports without it
# Media states in which the server holds no good copy of the bytes: never delete the dock's copy then.
UNSAFE_ON_SERVER = frozenset({"corrupt", "missing", "deleted"})


@dataclass
class FileResult:
    path: str
    status: str  # uploaded, skipped, failed
    reason: str | None = None  # for skipped: on the server already, or still being written
    sha256: str | None = None
    media_id: str | None = None
    error: str | None = None
    deleted: bool = False
    resumed_at: int | None = None  # the byte offset an interrupted upload was continued from
    # Status `interrupted` only (a stop cut the upload short): the bytes the server holds, where the next
    # run resumes, of the file's size.
    sent: int | None = None
    size: int | None = None


@dataclass
class SyncReport:
    uploaded: int = 0
    skipped: int = 0
    failed: int = 0
    deleted: int = 0
    files: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # not recordings by extension (see --include / --exclude)
    orphan_sidecars: list[str] = field(default_factory=list)  # <name>.json beside no recording
    # Only when a stop (a signal, named here) ended the run early: uploads it cut short, which the next run
    # resumes at the server's offset, and the files it never reached.
    stopped_by: str | None = None
    interrupted: int = 0
    not_started: list[str] = field(default_factory=list)

    def add(self, result: FileResult) -> None:
        self.files.append(result)
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.deleted += result.deleted

    def as_json(self) -> dict:
        """The `--json` object: a run that was not stopped says nothing of stopping."""
        data = asdict(self)
        for item in data["files"]:
            for key in ("sent", "size"):
                if item[key] is None:
                    del item[key]
        if self.stopped_by is None:
            for key in ("stopped_by", "interrupted", "not_started"):
                del data[key]
        return data


class Interrupted(Exception):
    """The run was asked to stop: the file at hand is left as it stands (its upload URL stays remembered)."""


@dataclass
class InFlight:
    """How far a worker got with one file; read by the run when a stop leaves the worker behind."""

    sent: int | None = None  # the server's offset, once the upload exists
    size: int = 0


# What a body camera records: video, audio and photos. Anything else on a dock (logs, firmware,
# thumbnails' databases) is left alone unless --include names it.
RECORDING_PATTERNS = tuple(
    f"*.{ext}"
    for ext in (
        "mp4",
        "mov",
        "avi",
        "mkv",
        "ts",
        "m2ts",
        "mts",
        "3gp",
        "wmv",
        "flv",
        "webm",
        "asf",
        "dav",
        "h264",
        "h265",
        "264",
        "265",
        "wav",
        "mp3",
        "aac",
        "m4a",
        "amr",
        "ogg",
        "opus",
        "flac",
        "wma",
        "jpg",
        "jpeg",
        "png",
        "heic",
        "bmp",
        "tif",
        "tiff",
    )
)


def _matches(path: Path, patterns) -> bool:
    name = path.name.lower()
    return any(fnmatch.fnmatch(name, pattern.lower()) for pattern in patterns)


def candidates(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file() and STATE_DIR not in path.parts and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    )


def recordings(directory: Path, include=(), exclude=()) -> tuple[list[Path], list[Path], list[Path]]:
    """The recordings to sync, the files left alone, and sidecars that describe no file."""
    chosen, ignored, orphans = [], [], []
    for path in candidates(directory):
        if path.name.endswith(SIDECAR):
            if not path.with_name(path.name[: -len(SIDECAR)]).exists():
                orphans.append(path)
            continue
        if path.name.endswith(SKIP_SUFFIXES) or _matches(path, exclude) or not _matches(path, (*RECORDING_PATTERNS, *include)):
            ignored.append(path)
            continue
        chosen.append(path)
    return chosen, ignored, orphans


def file_sha256(path: Path, stopping: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            if stopping is not None and stopping.is_set():
                raise Interrupted
            digest.update(block)
    return digest.hexdigest()


class SharedStorage(Storage):
    """tuspy's file storage (TinyDB) for upload URLs, shared by the worker threads under a lock."""

    def __init__(self, path: Path) -> None:
        self._storage = FileStorage(str(path))
        self._lock = threading.Lock()

    def get_item(self, key: str):
        with self._lock:
            return self._storage.get_item(key)

    def set_item(self, key: str, url: str):
        with self._lock:
            self._storage.set_item(key, url)

    def remove_item(self, key: str):
        with self._lock:
            self._storage.remove_item(key)

    def close(self) -> None:
        self._storage.close()


class Progress:
    """What a person at the dock sees; silent unless the command line gives it a terminal."""

    def begin(self, total_bytes: int) -> None: ...

    def skip(self, size: int) -> None: ...

    def start_file(self, name: str, size: int, done: int):
        return None

    def advance(self, task, size: int) -> None: ...

    def end_file(self, task) -> None: ...

    def note(self, text: str) -> None: ...


class HashCache:
    """SHA-256 of files already hashed, by path, size and modification time, so a run over a large
    dock directory does not re-read every recording the server already has."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._entries: dict[str, list] = json.loads(path.read_text())
        except (OSError, ValueError):
            self._entries = {}

    def sha256(self, file: Path, stopping: threading.Event | None = None) -> str:
        stat = file.stat()
        key = str(file)
        with self._lock:
            cached = self._entries.get(key)
        if cached and cached[:2] == [stat.st_size, stat.st_mtime_ns]:
            return cached[2]
        digest = file_sha256(file, stopping)
        with self._lock:
            self._entries[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def save(self) -> None:
        with self._lock:
            live = {key: value for key, value in self._entries.items() if Path(key).exists()}
            partial = self.path.with_name(self.path.name + ".tmp")
            partial.write_text(json.dumps(live))
            os.replace(partial, self.path)


class ContentFingerprint(Fingerprint):
    """Upload URLs are remembered by the file's SHA-256 (already computed), not by name or mtime."""

    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256

    def get_fingerprint(self, fs) -> str:
        return self.sha256


class _SlicedBody:
    """One chunk for requests: its length known (Content-Length, as tus wants), its bytes sent a slice at
    a time, so that a stop abandons the PATCH within a slice (requests then closes the connection)."""

    def __init__(self, data: bytes, stopping: threading.Event) -> None:
        self.data, self.stopping = data, stopping

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self):
        view = memoryview(self.data)
        for start in range(0, len(view), SLICE):
            if self.stopping.is_set():
                raise Interrupted
            yield view[start : start + SLICE]


class _StoppableRequest(TusRequest):
    """tuspy's PATCH (tusclient.request.TusRequest.perform), its body sliced (see _SlicedBody)."""

    def __init__(self, uploader: "_StoppableUploader") -> None:
        super().__init__(uploader)
        self.stopping = uploader.stopping

    def perform(self) -> None:
        try:
            chunk = self.file.read(self._content_length)
            self.add_checksum(chunk)
            response = requests.patch(
                self._url,
                data=_SlicedBody(chunk, self.stopping),
                headers=self._request_headers,
                verify=self.verify_tls_cert,
                stream=True,
                cert=self.client_cert,
            )
            self.status_code = response.status_code
            self.response_content = response.content
            self.response_headers = {k.lower(): v for k, v in response.headers.items()}
        except requests.exceptions.RequestException as error:
            raise TusUploadFailed(error) from error
        finally:
            self.file.close()


LOCKED_WAIT = 150  # seconds a dock waits out an upload another writer holds: over two of the service's default leases


class _StoppableUploader(Uploader):
    """tuspy's uploader (tusclient.uploader.Uploader: its request and its retries) giving way to a stop,
    in the PATCH and in the wait between retries."""

    def __init__(self, *args, stopping: threading.Event, locked_wait: float = LOCKED_WAIT, **kwargs) -> None:
        self.stopping = stopping
        self.locked_wait, self._locked_for = locked_wait, 0.0
        super().__init__(*args, **kwargs)

    def _do_request(self) -> None:
        while True:
            self.request = _StoppableRequest(self)  # type: ignore[assignment]
            try:
                self.request.perform()
                if self.request.status_code == 423 and self._locked_for < self.locked_wait:
                    # Another writer holds the upload — most often a replica killed mid-PATCH, whose lease runs out
                    # by itself (60 s by default): waited out, not spent from the retries a flaky link needs.
                    self._wait_out_lock()
                    try:
                        self.offset = self.get_offset()
                    except TusCommunicationError as err:
                        self._retry_or_cry(err)
                        return
                    continue
                if not 200 <= self.request.status_code < 300:
                    raise TusUploadFailed("", self.request.status_code, self.request.response_content)
            except TusUploadFailed as error:
                self._retry_or_cry(error)
            return

    def _wait_out_lock(self) -> None:
        advised = str(getattr(self.request, "response_headers", {}).get("retry-after", ""))
        delay = min(max(int(advised) if advised.isdigit() else self.retry_delay, 1), 30)
        if self.stopping.wait(delay):
            raise Interrupted
        self._locked_for += delay

    def _retry_or_cry(self, error: Exception) -> None:
        if self.retries <= self._retried:
            raise error
        if self.stopping.wait(self.retry_delay):
            raise Interrupted from error
        self._retried += 1
        try:
            self.offset = self.get_offset()
        except TusCommunicationError as err:
            self._retry_or_cry(err)
        else:
            self._do_request()


def _metadata(path: Path, sha256: str, dock_id: str) -> dict[str, str]:
    metadata = {"filename": path.name, "sha256": sha256, "dock_id": dock_id}
    sidecar = path.with_name(path.name + SIDECAR)
    if sidecar.is_file():
        extra = json.loads(sidecar.read_text(encoding="utf-8"))
        for key in METADATA_KEYS:
            if extra.get(key) is not None:
                value = extra[key]
                metadata[key] = ",".join(value) if isinstance(value, list) else str(value)
    return metadata


class DockSync:
    def __init__(
        self,
        server: str,
        token: str,
        directory: Path,
        *,
        dock_id: str | None = None,
        retries: int = 5,
        retry_delay: int = 5,
        locked_wait: float = LOCKED_WAIT,
        min_age: float = 60,
        include=(),
        exclude=(),
        progress: "Progress | None" = None,
    ) -> None:
        self.include, self.exclude = tuple(include), tuple(exclude)
        self.progress = progress or Progress()
        self.base = server.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.directory = directory
        self.dock_id = dock_id or socket.gethostname()
        self.retries, self.retry_delay, self.locked_wait = retries, retry_delay, locked_wait
        self.min_age = min_age
        state = directory / STATE_DIR
        state.mkdir(exist_ok=True)
        self.storage = SharedStorage(state / "uploads.json")
        self.hashes = HashCache(state / "hashes.json")
        # One connection pool for every worker thread (httpx.Client is thread-safe).
        self.http = httpx.Client(base_url=self.base, headers=self.headers, timeout=120)
        self._stopping = threading.Event()
        self._stopped_by: str | None = None
        self._deadline = 0.0
        self.left_running = False  # a stopped run returned with a worker still busy (a stalled link)

    def stop(self, reason: str) -> None:
        """Ask the run to stop (safe from a signal handler): no new file starts, the upload in flight is
        abandoned and stays resumable, and `run` returns within STOP_GRACE seconds."""
        if self._stopped_by is None:
            self._stopped_by = reason
            self._deadline = time.monotonic() + STOP_GRACE
            self._stopping.set()

    def _on_server(self, sha256: str) -> dict | None:
        response = self.http.get("/api/v1/media", params={"sha256": sha256, "limit": 1})
        response.raise_for_status()
        items = response.json()["items"]
        return items[0] if items else None

    def _uploader(self, path: Path, sha256: str):
        tus_client = tus.TusClient(f"{self.base}/api/v1/uploads", headers=self.headers)

        def make():
            return _StoppableUploader(
                client=tus_client,
                stopping=self._stopping,
                file_path=str(path),
                chunk_size=CHUNK,
                metadata=_metadata(path, sha256, self.dock_id),
                retries=self.retries,
                retry_delay=self.retry_delay,
                locked_wait=self.locked_wait,
                store_url=True,
                url_storage=self.storage,
                fingerprinter=ContentFingerprint(sha256),
                upload_checksum=True,
            )

        try:
            return make()  # resumes from a remembered URL when there is one
        except TusCommunicationError as exc:
            if exc.status_code not in (404, 410):
                raise
            self.storage.remove_item(sha256)  # expired, rejected or terminated: start afresh
            return make()

    def _upload(self, path: Path, sha256: str, result: "FileResult", flight: InFlight) -> str:
        uploader = self._uploader(path, sha256)
        size = flight.size = uploader.get_file_size()
        if uploader.url:
            flight.sent = uploader.offset
        if uploader.url and uploader.offset:
            result.resumed_at = uploader.offset
            self.progress.note(f"{path.name}: resumed at {100 * uploader.offset // max(size, 1)} %")
        task = self.progress.start_file(path.name, size, uploader.offset or 0)
        try:
            if not uploader.url:
                if self._stopping.is_set():
                    raise Interrupted
                uploader.set_url(uploader.create_url())
                uploader.offset = flight.sent = 0
            while uploader.offset < size:
                if self._stopping.is_set():
                    raise Interrupted
                before = uploader.offset
                uploader.upload_chunk()
                flight.sent = uploader.offset
                self.progress.advance(task, uploader.offset - before)
        finally:
            self.progress.end_file(task)
        status = self.http.get(uploader.url)
        status.raise_for_status()
        body = status.json()
        if body.get("status") == "receiving" and body.get("length") is not None and body.get("offset") == body.get("length"):
            # Every byte arrived but the server's completion stopped (tuspy saw the full offset and sent
            # nothing more): a PATCH at the final offset finishes it.
            self._finish(uploader.url, body["offset"])
            status = self.http.get(uploader.url)
            status.raise_for_status()
            body = status.json()
        if body.get("status") != "completed" or not body.get("media_id"):
            raise RuntimeError(f"the server did not complete the upload: {body.get('status')} {body.get('error') or ''}".strip())
        self.storage.remove_item(sha256)
        return body["media_id"]

    def _finish(self, url: str, offset: int) -> None:
        headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
        for _attempt in range(self.retries + 1):
            response = self.http.patch(url, content=b"", headers=headers)
            if response.status_code != 423:  # 423: the server's own hold on the upload has not run out yet
                response.raise_for_status()
                return
            if self._stopping.wait(max(1, self.retry_delay)):
                raise Interrupted
        response.raise_for_status()

    def sync_file(self, path: Path, delete_after_verify: bool, flight: InFlight | None = None) -> FileResult:
        """One file's outcome: uploaded, skipped or failed; after a stop also `interrupted` (an upload the
        next run resumes) or `not_started`."""
        flight = flight or InFlight()
        result = FileResult(path=str(path.relative_to(self.directory)), status="failed")
        try:
            if self._stopping.is_set():
                raise Interrupted
            age = time.time() - path.stat().st_mtime
            if age < self.min_age:
                # A camera may still be copying it onto the dock: a half-copied file would become evidence.
                result.status, result.reason = "skipped", f"still being written (modified {age:.0f} s ago; --min-age {self.min_age:g})"
                return result
            result.sha256 = self.hashes.sha256(path, self._stopping)
            existing = self._on_server(result.sha256)
            if existing and existing["status"] not in UNSAFE_ON_SERVER:
                result.status, result.media_id, result.reason = "skipped", existing["id"], "on the server already"
            else:
                # New, or the server's copy is corrupt, missing or deleted: these bytes repair it.
                result.media_id = self._upload(path, result.sha256, result, flight)
                result.status = "uploaded"
                if existing:
                    result.reason = f"the server's copy was {existing['status']}; uploaded again"
            if delete_after_verify:
                media = self.http.get(f"/api/v1/media/{result.media_id}")
                media.raise_for_status()
                record = media.json()
                # Deleted only when the server's record proves these exact bytes and holds a good copy of
                # them, and the file (re-read, not taken from the hash cache) still holds them.
                if record["sha256"] == result.sha256 and record["status"] not in UNSAFE_ON_SERVER and file_sha256(path) == result.sha256:
                    path.unlink()
                    sidecar = path.with_name(path.name + SIDECAR)
                    sidecar.unlink(missing_ok=True)
                    result.deleted = True
        except Interrupted:
            return self._stopped(result.path, flight, result)
        except Exception as exc:  # one file's failure must not stop the others
            result.status = "failed"
            result.error = f"{type(exc).__name__}: {exc}"
        return result

    @staticmethod
    def _stopped(path: str, flight: InFlight, result: FileResult | None = None) -> FileResult:
        """A file a stop caught: an upload that exists resumes next run, anything short of one is not started."""
        result = result or FileResult(path=path, status="not_started")
        if flight.sent is None:
            result.status = "not_started"
        else:
            result.status, result.sent, result.size = "interrupted", flight.sent, flight.size
        return result

    def _outcome(self, path: Path, future: "Future[FileResult]", flight: InFlight) -> FileResult:
        while not self._stopping.is_set():
            try:
                return future.result(timeout=0.2)
            except TimeoutError:
                continue
        # Stopped: work in flight has until the deadline (an abandoned PATCH ends within a slice; a
        # stalled link may hold it longer), then is reported as far as it got.
        try:
            return future.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except (TimeoutError, CancelledError):
            return self._stopped(str(path.relative_to(self.directory)), InFlight(flight.sent, flight.size))

    def run(self, *, parallel: int = 1, delete_after_verify: bool = False) -> SyncReport:
        report = SyncReport()
        files, ignored, orphans = recordings(self.directory, self.include, self.exclude)
        report.ignored = [str(p.relative_to(self.directory)) for p in ignored]
        report.orphan_sidecars = [str(p.relative_to(self.directory)) for p in orphans]
        self.progress.begin(sum(path.stat().st_size for path in files))
        pool = ThreadPoolExecutor(max_workers=max(1, parallel))
        futures: list[Future[FileResult]] = []
        try:
            flights = [InFlight() for _ in files]
            futures = [pool.submit(self.sync_file, path, delete_after_verify, flight) for path, flight in zip(files, flights)]
            for path, future, flight in zip(files, futures, flights):
                result = self._outcome(path, future, flight)
                if result.status == "not_started":
                    report.not_started.append(result.path)
                    continue
                if result.status == "skipped":
                    self.progress.skip(path.stat().st_size if path.exists() else 0)
                report.add(result)
        finally:
            self.left_running = not all(future.done() for future in futures)
            pool.shutdown(wait=not self.left_running, cancel_futures=True)
            self.storage.close()
            self.hashes.save()
            self.http.close()
        report.stopped_by = self._stopped_by
        return report
