"""即时上传 (issue 29, ingest half): footage uploaded while it is still being recorded, over tus creation-defer-length.

A real tus client (tus-js-client in Node, `uploadLengthDeferred`) streams a fragmented MP4 that ffmpeg made while
"the camera" is still writing it; the client is killed and resumed mid-recording. The `recording` media record is
visible through the API before the end, the finished record holds the camera file's exact bytes and SHA-256; an
abandoned recording keeps what arrived (status incomplete, audited), also after its closing is killed mid-way; header
errors are problems and lose nothing; the same bytes as existing media merge into it with the case binding; a close while a
segment is still arriving leaves the recording open, and two closes at once close it once."""

import hashlib
import http.client as http_client
import io
import json
import os
import signal
import subprocess
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from .support.api import TUS, assert_problem, metadata_header, patch
from .support.cases import CaseWalk
from .support.media import described
from .support.servers import BIN
from .support.storage import storage_key
from .support.waiting import wait_for

MiB = 1024 * 1024
NODE_MODULES = Path("/work/main/web-vendor/node_modules")
CLIENT = Path(__file__).parent / "support" / "tus_growing.js"
AGENCY = "LIVE"


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory) -> Path:
    """A camera's fragmented MP4 (moof per keyframe), larger than an S3 part (5 MiB in the tests)."""
    path = tmp_path_factory.mktemp("camera") / "DSJ_LIVE01_20261124093015.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25,noise=alls=9:allf=t", "-t", "8"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50"]
        + ["-movflags", "frag_keyframe+empty_moov+default_base_moof", str(path)],
        check=True,
        timeout=120,
    )
    assert path.stat().st_size > 5 * MiB
    return path


def create_deferred(http, **metadata: str):
    headers = {**TUS, "Upload-Defer-Length": "1"}
    if metadata:
        headers["Upload-Metadata"] = metadata_header(**metadata)
    response = http.post("/api/v1/uploads", headers=headers)
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def start_client(leg, token: str, path: Path, url_file: Path, metadata: dict, upload_url: str | None = None) -> subprocess.Popen:
    if not (NODE_MODULES / "tus-js-client").is_dir():
        pytest.fail("tus-js-client is missing: run `make web-vendor/node_modules/.package-lock.json` in /work/main")
    args = ["node", str(CLIENT), leg.url + "/api/v1/uploads", token, str(path), str(MiB), str(url_file), json.dumps(metadata)]
    return subprocess.Popen(
        args + ([upload_url] if upload_url else []),
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def recording_of(http, upload_id: str) -> dict | None:
    media_id = http.get(f"/api/v1/uploads/{upload_id}").json()["media_id"]
    return http.get(f"/api/v1/media/{media_id}").json() if media_id else None


def test_a_streamed_recording_killed_and_resumed_ends_as_the_camera_file(leg, camera_file, tmp_path):
    data = camera_file.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    token = leg.token("dock", AGENCY)
    growing, url_file = tmp_path / camera_file.name, tmp_path / "upload-url"
    metadata = {
        "filename": camera_file.name,
        "device_id": "LIVE01",
        "officer_ids": "3401001,3401002",
        "recorded_at": "2026-11-24T09:30:15+08:00",
        "sha256": sha,  # a camera that knows its file's hash at the end declares it; checked at completion
    }
    written = 0

    def camera_writes(upto: int) -> None:
        nonlocal written
        with open(growing, "ab") as handle:
            handle.write(data[written:upto])
        written = upto

    camera_writes(int(2.5 * MiB))
    client = start_client(leg, token, growing, url_file, metadata)
    with leg.client(token) as http:
        try:
            upload_id = wait_for("the upload's URL", lambda: url_file.exists() and url_file.read_text().rsplit("/", 1)[-1])
            # The record appears with the first acknowledged bytes, in state recording, bindable and listed.
            first = wait_for("a recording record", lambda: (m := recording_of(http, upload_id)) and m["size"] >= 2 * MiB and m)
            assert first["status"] == "recording" and first["sha256"] is None
            assert first["device_id"] == "LIVE01" and first["officer_ids"] == ["3401001", "3401002"]
            assert first["recorded_started_at"].startswith("2026-11-24T09:30:15")
            assert first["recording"]["bytes_received"] == first["size"] and first["recording"]["upload_id"] == upload_id
            assert first["recording"]["started_at"] and first["recording"]["last_received_at"]
            listed = http.get("/api/v1/media", params={"status": "recording", "device_id": "LIVE01"}).json()["items"]
            assert [m["id"] for m in listed] == [first["id"]]
            assert_problem(http.get(f"/api/v1/media/{first['id']}/content"), 409, "media-recording")
            head = http.head(f"/api/v1/uploads/{upload_id}", headers=TUS)
            assert head.headers["Upload-Defer-Length"] == "1" and "Upload-Length" not in head.headers

            # The camera's client dies mid-recording (SIGKILL) while the camera keeps writing.
            client.send_signal(signal.SIGKILL)
            client.wait(30)
            camera_writes(int(4.5 * MiB))
            client = start_client(leg, token, growing, url_file, metadata, upload_url=leg.url + f"/api/v1/uploads/{upload_id}")
            later = wait_for("more bytes after the resume", lambda: (m := recording_of(http, upload_id)) and m["size"] >= 4 * MiB and m)
            assert later["id"] == first["id"] and later["status"] == "recording"
            assert later["recording"]["bytes_received"] > first["recording"]["bytes_received"]

            camera_writes(len(data))
            (tmp_path / (camera_file.name + ".done")).touch()  # the camera stops recording
            output, _ = client.communicate(timeout=120)
            assert client.returncode == 0, output
        finally:
            if client.poll() is None:
                client.kill()
                print(client.communicate()[0])  # what the client said, for a failure's report
        status = http.get(f"/api/v1/uploads/{upload_id}").json()
        assert status["status"] == "completed" and status["length"] == len(data) and status["sha256"] == sha
        assert status["length_deferred"] is True and status["media_id"] == first["id"]
        media = described(http, first["id"])
        assert media["status"] == "ready" and media["sha256"] == sha and media["size"] == len(data)
        assert media["recording"] is None and media["recording_outcome"] == "completed"
        assert hashlib.sha256(http.get(f"/api/v1/media/{media['id']}/content").content).hexdigest() == sha
    assert hashlib.sha256(leg.object_bytes(storage_key(leg, upload_id))).hexdigest() == sha
    with leg.client(leg.token("auditor", AGENCY)) as http:
        events = http.get("/api/v1/audit/events", params={"media_id": first["id"], "limit": 100}).json()["items"]
    actions = [e["action"] for e in events]
    assert actions.count("media.recording_started") == 1 and "media.created" in actions
    assert actions.index("media.recording_started") < actions.index("media.created")


def test_an_abandoned_recording_keeps_its_bytes_and_says_so(leg, camera_file):
    data = camera_file.read_bytes()
    kept = data[: 3 * MiB + 12345]  # the camera broke here
    token = leg.token("dock", AGENCY)
    with leg.client(token) as http:
        location = create_deferred(http, filename="DSJ_LIVE02.mp4", device_id="LIVE02", sha256=hashlib.sha256(data).hexdigest())
        upload_id = location.rsplit("/", 1)[-1]
        for offset in range(0, len(kept), MiB):  # ~1 MiB PATCHes, as a camera sends segments
            assert patch(http, location, offset, kept[offset : offset + MiB]).status_code == 204
        recording = recording_of(http, upload_id)
        assert recording["status"] == "recording" and recording["size"] == len(kept)

        # The job that closes idle recordings dies (kill -9) just after placing the object; a rerun finishes it.
        env = {**leg.service.env, "RECORDING_FAULTS": "complete.object_placed:kill", "RECORDING_UPLOAD_LEASE_SECONDS": "2"}
        killed = subprocess.run(
            [str(BIN / "recording-service"), "uploads", "close-idle-recordings", "--idle-minutes", "0", "--upload", upload_id],
            env=env,
            cwd=leg.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        late = patch(http, location, len(kept), b"more")
        body = assert_problem(late, 410, "recording-abandoned")
        assert body["bytes_kept"] == len(kept) and body["media_id"] == recording["id"]

        def rerun():
            result = leg.service.cli("uploads", "close-idle-recordings", "--idle-minutes", "0", "--upload", upload_id)
            return upload_id in json.loads(result.stdout)["closed"]

        wait_for("the rerun to close the recording", rerun)
        media = described(http, recording["id"])
        kept_sha = hashlib.sha256(kept).hexdigest()
        assert media["status"] == "incomplete" and media["sha256"] == kept_sha and media["size"] == len(kept)
        assert media["recording_outcome"] == "abandoned"
        assert hashlib.sha256(leg.object_bytes(storage_key(leg, upload_id))).hexdigest() == kept_sha
        status = http.get(f"/api/v1/uploads/{upload_id}").json()
        assert status["status"] == "completed" and status["abandoned_at"] and status["length"] == len(kept)
        # Late requests hear what happened, and nothing changes.
        assert_problem(patch(http, location, len(kept), b"more"), 410, "recording-abandoned")
        assert_problem(http.head(location, headers=TUS), 410)
        assert http.get(f"/api/v1/media/{media['id']}").json()["size"] == len(kept)
    with leg.client(leg.token("auditor", AGENCY)) as http:
        events = http.get("/api/v1/audit/events", params={"media_id": media["id"], "action": "media.recording_abandoned"}).json()["items"]
    assert len(events) == 1
    assert events[0]["payload"]["bytes_kept"] == len(kept) and events[0]["payload"]["sha256"] == kept_sha
    assert events[0]["payload"]["last_received_at"]


def _trickled_patch(leg, location: str, token: str, offset: int, data: bytes, held_until: threading.Event | None = None) -> int:
    """A segment whose body arrives in two halves (a camera on a weak 4G link): with `held_until`, the second half
    waits for that event, a byte every half second meanwhile (so the body never stalls long enough to be ended),
    and the request holds the upload all along. Returns the answer's status."""
    target = urlparse(leg.url)
    connection = http_client.HTTPConnection(target.hostname, target.port, timeout=60)
    connection.putrequest("PATCH", location)
    headers = {**TUS, "Authorization": f"Bearer {token}", "Upload-Offset": str(offset), "Content-Length": str(len(data))}
    for name, value in {**headers, "Content-Type": "application/offset+octet-stream"}.items():
        connection.putheader(name, value)
    connection.endheaders()
    sent = len(data) // 2
    connection.send(data[:sent])
    deadline = time.monotonic() + 120
    while held_until is not None and not held_until.wait(0.5):
        assert time.monotonic() < deadline and sent < len(data) - 1, "held too long"
        connection.send(data[sent : sent + 1])
        sent += 1
    connection.send(data[sent:])
    status = connection.getresponse().status
    connection.close()
    return status


def test_two_closing_jobs_at_once_and_a_camera_still_sending(leg, camera_file):
    """A close while a segment is still arriving leaves the recording to the camera; two closes at once (two job
    workers, or a worker and the operator) close it once: one object, one audit event, the bytes acknowledged."""
    data = camera_file.read_bytes()
    kept = data[: 2 * MiB + 5555]  # bytes of its own: another test's would merge
    token = leg.token("dock", AGENCY)
    close = [str(BIN / "recording-service"), "uploads", "close-idle-recordings", "--idle-minutes", "0", "--upload"]
    with leg.client(token) as http:
        location = create_deferred(http, filename="DSJ_LIVE06.mp4", device_id="LIVE06")
        upload_id = location.rsplit("/", 1)[-1]
        for offset in range(0, 2 * MiB, MiB):
            assert patch(http, location, offset, kept[offset : offset + MiB]).status_code == 204
        closed_meanwhile = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            segment = pool.submit(_trickled_patch, leg, location, token, 2 * MiB, kept[2 * MiB :], closed_meanwhile)
            time.sleep(1.0)  # the first half is in; the request holds the upload until the close has run
            try:
                during = leg.service.cli(*close[1:], upload_id)
                assert not segment.done(), f"the segment ended before the close ran: nothing was tested ({segment.result()})"
            finally:
                closed_meanwhile.set()
            assert json.loads(during.stdout)["closed"] == [], during.stdout
            assert segment.result(timeout=60) == 204
        assert recording_of(http, upload_id)["size"] == len(kept)  # the camera's segment, whole, and still recording

        runs = [
            subprocess.Popen(
                [*close, upload_id], env=leg.service.env, cwd=leg.workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        closed = sorted(upload_id in json.loads(stdout)["closed"] for stdout, _ in outputs)
        assert closed == [False, True], outputs
        media = described(http, recording_of(http, upload_id)["id"])  # once the kept bytes are probed
        kept_sha = hashlib.sha256(kept).hexdigest()
        assert media["status"] == "incomplete" and media["sha256"] == kept_sha and media["size"] == len(kept)
        assert hashlib.sha256(leg.object_bytes(storage_key(leg, upload_id))).hexdigest() == kept_sha
        assert_problem(patch(http, location, len(kept), b"late"), 410, "recording-abandoned")
    with leg.client(leg.token("auditor", AGENCY)) as auditor:
        events = auditor.get("/api/v1/audit/events", params={"media_id": media["id"]}).json()["items"]
        actions = [e["action"] for e in events]
        assert actions.count("media.recording_abandoned") == 1 and actions.count("media.recording_started") == 1


def test_upload_length_header_errors_lose_nothing_and_an_empty_patch_ends_the_recording(leg, camera_file):
    data = camera_file.read_bytes()[: 6 * MiB + 777]
    token = leg.token("dock", AGENCY)
    with leg.client(token) as http:
        both = http.post("/api/v1/uploads", headers={**TUS, "Upload-Defer-Length": "1", "Upload-Length": "10"})
        assert_problem(both, 400, "invalid-header")
        location = create_deferred(http, filename="DSJ_LIVE03.mp4")
        for offset in range(0, 2 * MiB, MiB):
            assert patch(http, location, offset, data[offset : offset + MiB]).status_code == 204
        assert_problem(
            patch(http, location, 2 * MiB, data[2 * MiB : 3 * MiB], **{"Upload-Length": "100"}), 400, "upload-length-below-offset"
        )
        assert_problem(patch(http, location, 2 * MiB, b"", **{"Upload-Length": str(10**17)}), 413, "upload-too-large")
        head = http.head(location, headers=TUS)
        assert head.headers["Upload-Offset"] == str(2 * MiB) and head.headers["Upload-Defer-Length"] == "1"
        # The length declared with a PATCH that carries bytes; once set it cannot change.
        declared = {"Upload-Length": str(len(data))}
        assert patch(http, location, 2 * MiB, data[2 * MiB : 3 * MiB], **declared).status_code == 204
        head = http.head(location, headers=TUS)
        assert head.headers["Upload-Length"] == str(len(data)) and "Upload-Defer-Length" not in head.headers
        changed = patch(http, location, 3 * MiB, data[3 * MiB : 4 * MiB], **{"Upload-Length": str(len(data) + 1)})
        assert_problem(changed, 400, "upload-length-changed")
        assert_problem(patch(http, location, 3 * MiB, data[3 * MiB :] + b"x"), 413)
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == str(3 * MiB)
        for offset in range(3 * MiB, len(data), MiB):
            assert patch(http, location, offset, data[offset : offset + MiB], **declared).status_code == 204
        status = http.get(location).json()
        assert status["status"] == "completed" and status["sha256"] == hashlib.sha256(data).hexdigest()

        # A client that learns the end only after its last bytes ends with an empty PATCH at the offset (the bytes
        # short of an S3 part are still the store's tail then).
        short = data[: 2 * MiB + 4321]
        location = create_deferred(http, filename="DSJ_LIVE04.mp4")
        for offset in range(0, len(short), MiB):
            assert patch(http, location, offset, short[offset : offset + MiB]).status_code == 204
        ended = patch(http, location, len(short), b"", **{"Upload-Length": str(len(short))})
        assert ended.status_code == 204, ended.text
        status = http.get(location).json()
        assert status["status"] == "completed" and status["sha256"] == hashlib.sha256(short).hexdigest()
        assert hashlib.sha256(leg.object_bytes(storage_key(leg, status["id"]))).hexdigest() == status["sha256"]
        # The retried final PATCH (its answer lost) is answered the same.
        assert patch(http, location, len(short), b"", **{"Upload-Length": str(len(short))}).status_code == 204


def test_a_recording_of_bytes_already_stored_merges_into_that_media_with_its_binding(leg, camera_file):
    data = camera_file.read_bytes()[: 2 * MiB + 99]
    sha = hashlib.sha256(data).hexdigest()
    token = leg.token("dock", AGENCY)
    with leg.client(token) as http, leg.client(leg.token("case_system", AGENCY)) as cases:
        location = create_deferred(http, filename="DSJ_LIVE05.mp4", device_id="LIVE05")
        upload_id = location.rsplit("/", 1)[-1]
        assert patch(http, location, 0, data[:MiB]).status_code == 204
        recording = recording_of(http, upload_id)
        walk = CaseWalk(cases, "penalty-general")
        walk.stage("filing", "08:00", "08:30", docs=("case_filing_form",))
        walk.stage("investigation", "09:00")
        binding_id = walk.bind("investigation", recording["id"], "现场检查（录制中）")
        # A case file exported meanwhile leaves the recording out and lists it (never exported as if complete).
        exported = cases.get(f"/api/v1/cases/{walk.case['id']}/export")
        assert exported.status_code == 200, exported.text
        with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
            listing = json.loads(archive.read(f"case-{walk.case['id']}/data/export.json"))
        assert listing["footage"] == []
        assert [(m["media_id"], m["status"]) for m in listing["not_included"]] == [(recording["id"], "recording")]
        in_progress = [m for s in walk.timeline()["stages"] for m in s["media"]]
        assert [(m["media_id"], m["status"], m["sha256"]) for m in in_progress] == [(recording["id"], "recording", None)]
        # Meanwhile the dock uploads the same camera file whole.
        dock = http.post("/api/v1/media", files={"file": ("DSJ_LIVE05.mp4", data)}, data={"device_id": "LIVE05", "dock_id": "D1"})
        assert dock.status_code == 201, dock.text
        existing = dock.json()
        assert patch(http, location, MiB, data[MiB:], **{"Upload-Length": str(len(data))}).status_code == 204
        status = http.get(location).json()
        assert status["status"] == "completed" and status["media_id"] == existing["id"] and status["sha256"] == sha
        merged = http.get(f"/api/v1/media/{recording['id']}").json()
        assert merged["status"] == "merged" and merged["merged_into"] == existing["id"] and merged["sha256"] is None
        assert_problem(http.get(f"/api/v1/media/{recording['id']}/content"), 409, "media-merged")
        assert http.get(f"/api/v1/media/{existing['id']}").json()["sightings"] == 2
        timeline = walk.timeline()
        bound = [m for s in timeline["stages"] if s["stage"] == "investigation" for m in s["media"]]
        assert [(m["binding_id"], m["media_id"]) for m in bound] == [(binding_id, existing["id"])]
    with leg.client(leg.token("auditor", AGENCY)) as http:
        moved = http.get("/api/v1/audit/events", params={"action": "binding.moved_to_merged", "media_id": existing["id"]}).json()
        merges = http.get("/api/v1/audit/events", params={"action": "media.recording_merged", "media_id": recording["id"]}).json()
    assert moved["items"][0]["payload"]["from_media_id"] == recording["id"]
    assert merges["items"][0]["payload"]["merged_into"] == existing["id"]


def test_patches_that_bring_no_bytes_do_not_keep_a_recording_open(leg, camera_file):
    """A camera that keeps calling but sends nothing (empty PATCHes; a PATCH cut before its first byte) is idle: the
    recording closes when its bytes stopped, and the footage says when that was."""
    data = camera_file.read_bytes()[: MiB + 777]
    token = leg.token("dock", AGENCY)
    with leg.client(token) as http:
        location = create_deferred(http, filename="DSJ_LIVE07.mp4", device_id="LIVE07")
        upload_id = location.rsplit("/", 1)[-1]
        assert patch(http, location, 0, data).status_code == 204
        last_bytes = recording_of(http, upload_id)["recording"]["last_received_at"]
        time.sleep(2.5)
        for _ in range(3):  # each takes and lets go of the upload, and reaches the checkpoint with nothing new
            assert patch(http, location, len(data), b"").status_code == 204
        assert _trickled_patch(leg, location, token, len(data), b"") == 204
        recording = recording_of(http, upload_id)
        assert recording["status"] == "recording" and recording["recording"]["last_received_at"] == last_bytes
        # Idle for 1.5 s: the bytes stopped 2.5 s ago, though the camera called a moment ago.
        result = leg.service.cli("uploads", "close-idle-recordings", "--idle-minutes", "0.025", "--upload", upload_id)
        assert json.loads(result.stdout)["closed"] == [upload_id]
        media = described(http, recording["id"])
        assert media["status"] == "incomplete" and media["size"] == len(data) and media["sha256"] == hashlib.sha256(data).hexdigest()
        assert media["recording_outcome"] == "abandoned"
    with leg.client(leg.token("auditor", AGENCY)) as http:
        events = http.get("/api/v1/audit/events", params={"media_id": media["id"], "action": "media.recording_abandoned"}).json()["items"]
    assert [datetime.fromisoformat(event["payload"]["last_received_at"]) for event in events] == [datetime.fromisoformat(last_bytes)]
