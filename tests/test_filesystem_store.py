"""The filesystem store's two ways of writing (past the page cache with O_DIRECT, the default, and
through it) keep every byte: PATCHes of sizes that cut blocks anywhere, a service killed in the
middle of a body and restarted, the upload resumed from what the service says it holds."""

import ctypes
import hashlib
import os
import socket
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .support.api import TUS, assert_problem, create, patch
from .support.environment import clean_env
from .support.servers import ServiceProcess

MiB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_pages(path: Path) -> int:
    """Pages of the file held in the page cache (mincore(2) on a read-only map of it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = path.stat().st_size
    pages = (size + PAGE - 1) // PAGE
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        assert address not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()
        vector = (ctypes.c_ubyte * pages)()
        try:
            assert libc.mincore(address, size, vector) == 0, ctypes.get_errno()
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)
    return sum(byte & 1 for byte in vector)


def read_uncached(path: Path) -> bytes:
    """The file's bytes, leaving the page cache as the service left it (as far as the kernel allows)."""
    with open(path, "rb") as handle:
        data = handle.read()
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return data


def send_half_and_hang(service: ServiceProcess, location: str, token: str, offset: int, body: bytes) -> socket.socket:
    """A PATCH whose Content-Length promises the whole body but only its first half is sent."""
    address = urlsplit(service.base_url)
    connection = socket.create_connection((address.hostname, address.port), timeout=30)
    connection.sendall(
        (
            f"PATCH {location} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
    )
    connection.sendall(body[: len(body) // 2])
    return connection


@pytest.mark.parametrize("direct_io", ["true", "false"])
def test_every_byte_is_kept_across_unaligned_patches_and_a_killed_service(tmp_path, direct_io):
    env = {
        **clean_env(),
        "RECORDING_DATABASE_URL": f"sqlite:///{tmp_path / 'recording.db'}",
        "RECORDING_STORAGE_URL": f"file://{tmp_path / 'objects'}",
        "RECORDING_STORAGE_DIRECT_IO": direct_io,
        "RECORDING_UPLOAD_LEASE_SECONDS": "2",
    }  # the killed process's hold on the upload runs out soon
    service = ServiceProcess(env, tmp_path).start()
    try:
        token = service.token("dock", "A1")
        # Sizes that start and end inside blocks, span the 1 MiB staging buffer, and are one byte long.
        sizes = [1, 4095, 4097, 1, MiB + 3, 3 * MiB, 5000, 2 * MiB - 1, 4096, 777]
        body = os.urandom(sum(sizes) + 3 * MiB + 11)  # the rest goes in the PATCH the kill cuts, then after
        sha = hashlib.sha256(body).hexdigest()
        offset = 0
        with service_client(service, token) as http:
            created = create(http, len(body), filename="cuts.bin", sha256=sha)
            assert created.status_code == 201, created.text
            location = created.headers["Location"]
            partial = tmp_path / "objects" / ".uploads" / f"{location.rsplit('/', 1)[1]}.part"
            for size in sizes:
                answer = patch(http, location, offset, body[offset : offset + size])
                assert answer.status_code == 204, answer.text
                offset += size
                assert int(answer.headers["Upload-Offset"]) == offset
                cached = resident_pages(partial)
                if direct_io == "true":  # past the page cache: at most the block the PATCH ended in went through it
                    assert cached <= 2, (size, cached)
                elif size >= MiB:  # the contrast: through it, the PATCH's pages are all there
                    assert cached >= size // PAGE, (size, cached)
                assert read_uncached(partial) == body[:offset]  # what is acknowledged is on disk, exactly

        # Killed with half of a body received: the upload goes on from what the service holds.
        hanging = send_half_and_hang(service, location, token, offset, body[offset:])
        time.sleep(0.5)
        service.kill()
        hanging.close()
        service.start()
        with service_client(service, token) as http:
            held = int(http.head(location, headers=TUS).headers["Upload-Offset"])
            assert held == offset  # nothing acknowledged was lost; nothing unacknowledged counts
            deadline = time.monotonic() + 30
            while (answer := patch(http, location, held, body[held:])).status_code == 423:  # still held by the dead
                assert time.monotonic() < deadline, "the dead process's hold never ran out"
                time.sleep(0.5)
            assert answer.status_code == 204, answer.text
            assert answer.headers["Upload-Sha256"] == sha
            stored = http.get(f"/api/v1/media/{answer.headers['Upload-Media-Id']}/content")
            assert stored.status_code == 200 and hashlib.sha256(stored.content).hexdigest() == sha
    finally:
        service.stop()


def service_client(service: ServiceProcess, token: str) -> httpx.Client:
    return httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


@pytest.mark.parametrize("direct_io", ["true", "false"])
def test_a_disk_failure_in_an_early_flush_fails_the_chunk(tmp_path, direct_io):
    """The flushes started while a body arrives fail as a disk fails (EIO, staged at the fault point where the store
    calls fdatasync): the chunk is refused as the store's failure, nothing of it is acknowledged, and the upload goes on
    once the disk answers again. Linux tells one fsync of a descriptor about a writeback error, not every one: were the
    early flush's failure not kept, the acknowledging fsync would succeed over bytes the disk never took."""
    env = {
        **clean_env(),
        "RECORDING_DATABASE_URL": f"sqlite:///{tmp_path / 'recording.db'}",
        "RECORDING_STORAGE_URL": f"file://{tmp_path / 'objects'}",
        "RECORDING_STORAGE_DIRECT_IO": direct_io,
        "RECORDING_FAULTS": "store.early_flush:eio",
    }
    service = ServiceProcess(env, tmp_path).start()
    try:
        body = os.urandom(MiB + 5 + 8 * MiB)
        sha = hashlib.sha256(body).hexdigest()
        with service_client(service, service.token("dock", "A1")) as http:
            location = create(http, len(body), filename="flush.bin", sha256=sha).headers["Location"]
            first = patch(http, location, 0, body[: MiB + 5])  # under the early-flush threshold: no early flush
            assert first.status_code == 204, first.text
            failed = patch(http, location, MiB + 5, body[MiB + 5 :])
            assert_problem(failed, 503, "store-unavailable")
            assert http.head(location, headers=TUS).headers["Upload-Offset"] == str(MiB + 5)
            done = patch(http, location, MiB + 5, body[MiB + 5 :])  # the fault fires once: the disk answers again
            assert done.status_code == 204, done.text
            assert done.headers["Upload-Sha256"] == sha
            stored = http.get(f"/api/v1/media/{done.headers['Upload-Media-Id']}/content")
            assert hashlib.sha256(stored.content).hexdigest() == sha
    finally:
        service.stop()


@pytest.mark.parametrize("direct_io", ["true", "false"])
def test_a_chunk_is_not_held_up_by_an_early_flush_waiting_for_a_thread(tmp_path, direct_io):
    """Every early-flush thread is taken (one, here, held at the fault point as by a disk call that hangs): another
    upload's early flush waits for a thread, and its chunk must not wait for it — the acknowledging fsync covers what it
    would have flushed. Two uploads at once: one PATCH is answered, with every byte, while the other's flush is held;
    that one is answered too once the hold ends. Were the waiting flush waited for, neither would be answered before."""
    release = tmp_path / "release"
    env = {
        **clean_env(),
        "RECORDING_DATABASE_URL": f"sqlite:///{tmp_path / 'recording.db'}",
        "RECORDING_STORAGE_URL": f"file://{tmp_path / 'objects'}",
        "RECORDING_STORAGE_DIRECT_IO": direct_io,
        "RECORDING_STORAGE_FLUSH_THREADS": "1",
        "RECORDING_FAULTS": "store.early_flush:hold",
        "RECORDING_FAULTS_RELEASE_FILE": str(release),
    }
    service = ServiceProcess(env, tmp_path).start()
    try:
        token = service.token("dock", "A1")
        bodies = [os.urandom(6 * MiB + 7), os.urandom(6 * MiB + 4099)]  # each past the first early flush
        with service_client(service, token) as http:
            locations = [
                create(http, len(body), filename=f"{n}.bin", sha256=hashlib.sha256(body).hexdigest()).headers["Location"]
                for n, body in enumerate(bodies)
            ]

        def send(n: int) -> httpx.Response:
            # Waits longer than the test below waits for an answer: a PATCH held up is seen as not answered.
            with httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300) as own:
                return patch(own, locations[n], 0, bodies[n])

        pool = ThreadPoolExecutor(max_workers=2)
        try:
            sending = [pool.submit(send, n) for n in range(2)]
            answered, _ = wait(sending, timeout=120, return_when=FIRST_COMPLETED)
            assert len(answered) == 1, "no PATCH was answered while one early flush held the only thread"
            first = sending.index(answered.pop())
            other = 1 - first
            assert not sending[other].done()  # its early flush is held: its acknowledging fsync waits for it
            with service_client(service, token) as http:
                assert http.head(locations[other], headers=TUS).headers["Upload-Offset"] == "0"  # nothing of it acknowledged yet
            release.touch()
            results = {first: sending[first].result(), other: sending[other].result(timeout=120)}
        finally:
            release.touch()  # the held PATCH ends, whatever failed above
            pool.shutdown()
        with service_client(service, token) as http:
            for n, answer in results.items():
                assert answer.status_code == 204, answer.text
                sha = hashlib.sha256(bodies[n]).hexdigest()
                assert answer.headers["Upload-Sha256"] == sha
                stored = http.get(f"/api/v1/media/{answer.headers['Upload-Media-Id']}/content")
                assert hashlib.sha256(stored.content).hexdigest() == sha
    finally:
        service.stop()


@pytest.mark.parametrize("direct_io", [True, False])
def test_a_writer_still_at_work_when_the_store_closes_keeps_every_byte(tmp_path, direct_io):
    """The store closes (the service stops) while a writer still receives: its early flushes can no longer start, and
    the chunk is written and made durable all the same, by the fsync that acknowledges it."""
    from recording_service.storage import UploadTarget
    from recording_service.storage.filesystem import FilesystemStore

    from .support import run_async

    body = os.urandom(5 * MiB + 3)

    async def write_after_close() -> bytes:
        store = FilesystemStore(tmp_path / "objects", direct_io=direct_io)
        target = UploadTarget("upload-1", "evidence/upload-1.bin")
        await store.begin(target.upload_id, target.key, {})
        writer = await store.open_writer(target, 0)
        await writer.write([body[:MiB]])
        await store.close()
        await writer.write([body[MiB : 3 * MiB], body[3 * MiB :]])  # past the early-flush mark: none can start now
        await writer.commit(final=False)
        return await store.read_received(target, 0, len(body))

    assert run_async(write_after_close()) == body
