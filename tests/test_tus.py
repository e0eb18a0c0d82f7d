"""tus 1.0.0 against the real service, driven by the reference Python client (tuspy) and raw HTTP."""

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from tusclient import client as tus_client
from tusclient.storage.filestorage import FileStorage

from .support.api import TUS, assert_problem, b64, create, metadata_header, patch
from .support.media import described, sha256_of
from .support.storage import storage_key

MiB = 1024 * 1024


def test_discovery(leg):
    with leg.client(leg.token()) as http:
        response = http.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "termination",
        "checksum",
        "expiration",
    }
    assert set(response.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "md5", "sha256"}
    assert int(response.headers["Tus-Max-Size"]) > 0


def test_tuspy_chunked_upload_with_chunk_checksums(leg, random_file):
    path = random_file(12 * MiB + 333, "CAM01_20261124_093015.bin")
    sha = sha256_of(path)
    token = leg.token()
    tus = tus_client.TusClient(leg.url + "/api/v1/uploads", headers={"Authorization": f"Bearer {token}"})
    uploader = tus.uploader(
        str(path),
        chunk_size=2 * MiB,
        upload_checksum=True,
        metadata={"filename": path.name, "sha256": sha, "device_id": "CAM01", "officer_ids": "3301,3302"},
    )
    uploader.upload()
    with leg.client(token) as http:
        status = http.get(uploader.url.replace(leg.url, "")).json()
        assert status["status"] == "completed" and status["offset"] == status["length"] == path.stat().st_size
        assert status["sha256"] == sha
        media = described(http, status["media_id"])
    assert media["sha256"] == sha and media["size"] == path.stat().st_size
    assert media["device_id"] == "CAM01" and media["officer_ids"] == ["3301", "3302"]
    # Random bytes are kept as evidence and described — as not media, except that ffprobe now and then reads a
    # run of random bytes as MP3 or AC-3 frames (about 1 file in 100 here): the probe ran either way.
    assert media["status"] in ("probe_failed", "ready")
    assert media["probe_error"] or media["status"] == "ready"
    key = storage_key(leg, status["id"])
    assert hashlib.sha256(leg.object_bytes(key)).hexdigest() == sha
    assert leg.object_metadata(key)["sha256"] == sha


def test_resume_after_client_is_killed(leg, random_file, tmp_path):
    path = random_file(14 * MiB + 7, "kill.bin")
    sha = sha256_of(path)
    token = leg.token()
    storage = tmp_path / "tus-urls.json"
    child = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).parent / "support" / "tus_child.py"),
            leg.url + "/api/v1/uploads",
            token,
            str(path),
            str(storage),
            str(4 * MiB),
            sha,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr  # it really died (SIGKILL), mid-request
    url = child.stdout.strip().splitlines()[-1]
    with leg.client(token) as http:
        offset = _wait_for_offset(http, url.replace(leg.url, ""), 4 * MiB)
    # Bytes of the interrupted PATCH that arrived are kept (no chunk checksum was sent).
    assert 4 * MiB < offset < path.stat().st_size
    tus = tus_client.TusClient(leg.url + "/api/v1/uploads", headers={"Authorization": f"Bearer {token}"})
    resumed = tus.uploader(
        str(path),
        chunk_size=3 * MiB,
        metadata={"filename": "kill.bin", "sha256": sha},
        store_url=True,
        url_storage=FileStorage(str(storage)),
    )
    assert resumed.url == url and resumed.offset == offset  # tuspy found the upload and asked the server where to go on
    resumed.upload()
    with leg.client(token) as http:
        status = http.get(url.replace(leg.url, "")).json()
    assert status["status"] == "completed" and status["sha256"] == sha


def _wait_for_offset(http, location: str, minimum: int) -> int:
    import time

    deadline = time.monotonic() + 30
    while True:
        response = http.head(location, headers=TUS)
        offset = int(response.headers["Upload-Offset"])
        # The server notices the dead connection, commits what arrived, releases its hold.
        if offset > minimum and http.get(location).json()["status"] == "receiving":
            probe = http.patch(
                location, content=b"", headers={**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
            )
            if probe.status_code == 204:
                return offset
        assert time.monotonic() < deadline, "the interrupted PATCH was never committed"
        time.sleep(0.2)


def test_creation_with_upload_and_sha256_confirmation(leg):
    body = b"small evidence file" * 100
    sha = hashlib.sha256(body).hexdigest()
    with leg.client(leg.token()) as http:
        response = http.post(
            "/api/v1/uploads",
            content=body,
            headers={
                **TUS,
                "Upload-Length": str(len(body)),
                "Content-Type": "application/offset+octet-stream",
                "Upload-Metadata": metadata_header(filename="note.txt", sha256=sha),
                "Upload-Checksum": "md5 " + base64.b64encode(hashlib.md5(body).digest()).decode(),
            },
        )
        assert response.status_code == 201, response.text
        assert response.headers["Upload-Offset"] == str(len(body))
        assert response.headers["Upload-Sha256"] == sha
        assert response.headers["Location"].startswith("/api/v1/uploads/")
        media = http.get(f"/api/v1/media/{response.headers['Upload-Media-Id']}").json()
        assert media["sha256"] == sha


def test_chunk_checksum_mismatch_discards_the_chunk(leg):
    data = bytes(range(256)) * 4096  # 1 MiB
    with leg.client(leg.token()) as http:
        location = create(http, len(data) * 2).headers["Location"]
        good = "sha1 " + base64.b64encode(hashlib.sha1(data).digest()).decode()
        assert patch(http, location, 0, data, **{"Upload-Checksum": good}).status_code == 204
        wrong = "sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
        assert_problem(patch(http, location, len(data), data, **{"Upload-Checksum": wrong}), 460, "checksum-mismatch")
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == str(len(data))
        right = "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()
        done = patch(http, location, len(data), data, **{"Upload-Checksum": right})
        assert done.status_code == 204
        assert done.headers["Upload-Sha256"] == hashlib.sha256(data + data).hexdigest()


def test_declared_sha256_mismatch_rejects_upload(leg):
    data = b"what the camera recorded" * 1000
    declared = hashlib.sha256(b"something else").hexdigest()
    before = leg.stored_object_count()
    with leg.client(leg.token()) as http:
        location = create(http, len(data), sha256=declared, filename="x.mp4").headers["Location"]
        body = assert_problem(patch(http, location, 0, data), 460, "sha256-mismatch")
        assert body["declared_sha256"] == declared
        assert body["received_sha256"] == hashlib.sha256(data).hexdigest()
        status = http.get(location).json()
        assert status["status"] == "rejected" and status["media_id"] is None
        assert status["error"]["code"] == "sha256-mismatch"
        assert http.get("/api/v1/media", params={"sha256": hashlib.sha256(data).hexdigest()}).json()["items"] == []
        assert_problem(http.head(location, headers=TUS), 410)
    assert leg.stored_object_count() == before


def test_same_bytes_twice_are_stored_once(leg):
    data = b"duplicate footage" * 5000
    before = leg.stored_object_count()
    token = leg.token()
    media_ids = []
    with leg.client(token) as http:
        for dock in ("DOCK-1", "DOCK-2"):
            location = create(http, len(data), dock_id=dock, filename=f"{dock}.mp4").headers["Location"]
            response = patch(http, location, 0, data)
            assert response.status_code == 204
            media_ids.append(response.headers["Upload-Media-Id"])
        assert media_ids[0] == media_ids[1]
        media = http.get(f"/api/v1/media/{media_ids[0]}").json()
    assert media["sightings"] == 2 and media["dock_id"] == "DOCK-1"
    assert leg.stored_object_count() == before + 1


def test_termination(leg):
    with leg.client(leg.token()) as http:
        location = create(http, 100).headers["Location"]
        assert patch(http, location, 0, b"x" * 40).status_code == 204
        assert http.delete(location, headers=TUS).status_code == 204
        assert_problem(http.head(location, headers=TUS), 410)
        assert_problem(patch(http, location, 40, b"y" * 60), 410)
        done = create(http, 3).headers["Location"]
        assert patch(http, done, 0, b"abc").status_code == 204
        assert_problem(http.delete(done, headers=TUS), 409, "upload-completed")


def test_expiration_is_announced(leg):
    with leg.client(leg.token()) as http:
        response = create(http, 10)
        assert response.headers["Upload-Expires"].endswith("GMT")
        head = http.head(response.headers["Location"], headers=TUS)
        assert head.headers["Upload-Expires"] == response.headers["Upload-Expires"]
        assert head.headers["Cache-Control"] == "no-store"


def test_expired_upload_answers_410(leg, tmp_path):
    from .support.servers import ServiceProcess

    short = ServiceProcess({**leg.service.env, "RECORDING_UPLOAD_EXPIRY_HOURS": "0.0002"}, tmp_path).start()
    try:
        with leg.client(leg.token()) as http:
            http.base_url = short.base_url
            location = create(http, 10).headers["Location"]
            import time

            time.sleep(1.0)
            assert_problem(patch(http, location, 0, b"x" * 10), 410, "upload-expired")
    finally:
        short.stop()


def test_service_restart_mid_upload_resumes(leg, random_file):
    path = random_file(11 * MiB + 5, "restart.bin")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    token = leg.token()
    with leg.client(token) as http:
        location = create(http, len(data), sha256=sha).headers["Location"]
        first = 6 * MiB + 1234  # past one S3 part, with a tail
        assert patch(http, location, 0, data[:first]).status_code == 204
    leg.service.kill()
    leg.service.start()
    with leg.client(token) as http:
        assert int(http.head(location, headers=TUS).headers["Upload-Offset"]) == first
        response = patch(http, location, first, data[first:])
        assert response.status_code == 204, response.text
        assert response.headers["Upload-Sha256"] == sha


@pytest.mark.parametrize(
    "headers, status, code",
    [
        ({}, 400, "invalid-header"),
        ({"Upload-Length": "-1"}, 400, "invalid-header"),
        ({"Upload-Length": "abc"}, 400, "invalid-header"),
        ({"Upload-Length": str(10**15)}, 413, "upload-too-large"),
        ({"Upload-Length": "10", "Upload-Metadata": "filename not-base64!"}, 400, "invalid-metadata"),
        ({"Upload-Length": "10", "Upload-Metadata": f"recorded_at {b64('yesterday')}"}, 400, "invalid-metadata"),
        ({"Upload-Length": "10", "Upload-Metadata": f"recorded_at {b64('2026-11-24T09:00:00')}"}, 400, "invalid-metadata"),
        ({"Upload-Length": "10", "Upload-Metadata": f"sha256 {b64('abc123')}"}, 400, "invalid-metadata"),
        ({"Upload-Length": "10", "Upload-Metadata": f"flag {b64('urgent')}"}, 400, "invalid-metadata"),
        ({"Upload-Length": "10", "Upload-Metadata": "filename " + b64("cam\x00.mp4")}, 400, "invalid-metadata"),
    ],
)
def test_creation_rejects_bad_input(leg, headers, status, code):
    with leg.client(leg.token()) as http:
        response = http.post("/api/v1/uploads", headers={**TUS, **headers})
    assert_problem(response, status, code)
    assert response.headers["Tus-Resumable"] == "1.0.0"


def test_patch_rejects_bad_input_and_keeps_the_offset(leg):
    with leg.client(leg.token()) as http:
        location = create(http, 100).headers["Location"]
        assert patch(http, location, 0, b"a" * 10).status_code == 204
        assert_problem(patch(http, location, 5, b"b" * 10), 409, "offset-mismatch")
        response = http.patch(
            location, content=b"b" * 10, headers={**TUS, "Upload-Offset": "10", "Content-Type": "application/octet-stream"}
        )
        assert_problem(response, 415)
        assert_problem(patch(http, location, 10, b"c" * 91), 413, "upload-overflow")

        def chunked():  # no Content-Length: the overflow is only seen while streaming
            yield b"d" * 50
            yield b"d" * 50

        response = http.patch(
            location, content=chunked(), headers={**TUS, "Upload-Offset": "10", "Content-Type": "application/offset+octet-stream"}
        )
        assert_problem(response, 413, "upload-overflow")
        assert_problem(patch(http, location, 10, b"e", **{"Upload-Checksum": "sha256 !!notbase64"}), 400, "invalid-checksum")
        assert_problem(patch(http, location, 10, b"e", **{"Upload-Checksum": "crc32 AAAAAA=="}), 400, "unsupported-checksum-algorithm")
        assert_problem(
            http.patch(location, content=b"e", headers={"Upload-Offset": "10", "Content-Type": "application/offset+octet-stream"}), 412
        )
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == "10"
        assert_problem(http.head("/api/v1/uploads/0123456789abcdef0123456789abcdef", headers=TUS), 404)
        assert_problem(patch(http, "/api/v1/uploads/nope", 0, b"x"), 404)


def test_file_name_is_metadata_never_a_path(leg):
    name = "../../etc/passwd\x07\\..\\evil.mp4"
    data = b"not a path" * 10
    with leg.client(leg.token()) as http:
        location = create(http, len(data), filename=name).headers["Location"]
        media_id = patch(http, location, 0, data).headers["Upload-Media-Id"]
        assert http.get(f"/api/v1/media/{media_id}").json()["filename"] == name
    key = storage_key(leg, location.rsplit("/", 1)[1])
    assert ".." not in key and "passwd" not in key


def test_a_body_trickled_in_small_writes_is_stored_byte_for_byte(leg):
    """A PATCH whose body arrives a few hundred bytes at a time with large writes between (small pieces are
    joined before the store keeps them, large ones pass as they came: the order must hold), across S3 part
    boundaries (8 MiB parts, then a tail), stores exactly the bytes sent."""
    import os
    import socket
    import time
    from urllib.parse import urlsplit

    pieces = []
    for round_ in range(6):
        pieces += [os.urandom(700) for _ in range(300)]  # 210 KB trickled
        pieces.append(os.urandom(1536 * 1024 + round_))  # then 1.5 MiB at once
    body = b"".join(pieces)
    sha = hashlib.sha256(body).hexdigest()
    token = leg.token()
    with leg.client(token) as http:
        created = create(http, len(body), filename="trickled.bin", sha256=sha)
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        address = urlsplit(leg.url)
        with socket.create_connection((address.hostname, address.port), timeout=60) as connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.sendall(
                (
                    f"PATCH {location} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
                    f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode()
            )
            for index, piece in enumerate(pieces):
                connection.sendall(piece)
                if index % 25 == 0:
                    time.sleep(0.002)  # let the server read what has come so far: small reads, small pieces
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
        assert head.startswith("http/1.1 204"), head
        assert f"upload-sha256: {sha}" in head
        media_id = next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.startswith("upload-media-id:"))
        stored = http.get(f"/api/v1/media/{media_id}/content")
        assert stored.status_code == 200 and hashlib.sha256(stored.content).hexdigest() == sha
