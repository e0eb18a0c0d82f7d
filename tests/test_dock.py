"""`recording-dock sync` against the running service: uploads, skips what the server has, resumes an
interrupted upload from its remembered URL, deletes local copies only once verified, stops at once on
Ctrl-C or SIGTERM."""

import hashlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from urllib.parse import urlparse

import httpx
from tusclient import client as tus

from recording_service.dock.sync import STATE_DIR, ContentFingerprint, SharedStorage

from .support.media import described, upload_bytes
from .support.servers import BIN
from .support.slow_link import SlowLink
from .support.waiting import wait_for

AGENCY = "DOCK"
MiB = 1024 * 1024


def dock_sync(leg, directory, token, *args, server=None):
    result = subprocess.run(
        [
            str(BIN / "recording-dock"),
            "sync",
            str(directory),
            "--server",
            server or leg.url,
            "--token",
            token,
            "--json",
            "--retry-delay",
            "1",
            "--min-age",
            "0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.stdout.strip(), f"the dock printed no report (exit {result.returncode}): {result.stderr[-3000:]}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (result.returncode == 0) == (report["failed"] == 0), result.stderr
    return report


def test_dock_sync(leg, clips, tmp_path):
    token = leg.token("dock", AGENCY)
    dock = tmp_path / "dock"
    (dock / "CAM-7").mkdir(parents=True)
    files = {
        "a.mp4": clips("dock-a.mp4", seconds=2).read_bytes(),
        "CAM-7/20261103_101500_0001.MP4": clips("dock-b.mp4", seconds=3).read_bytes(),
        "c.wav": os.urandom(200_000),
    }
    for name, data in files.items():
        (dock / name).write_bytes(data)
    (dock / "CAM-7/20261103_101500_0001.MP4.json").write_text(
        json.dumps(
            {"device_id": "CAM-7", "officer_ids": ["3401001", "3401002"], "recorded_at": "2026-11-03T10:15:00+08:00", "flag": "important"}
        )
    )
    (dock / ".DS_Store").write_bytes(b"not a recording")
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}

    first = dock_sync(leg, dock, token, "--parallel", "2")
    assert (first["uploaded"], first["skipped"], first["failed"]) == (3, 0, 0)
    assert {f["path"]: f["sha256"] for f in first["files"]} == sha
    with leg.client(token) as http:
        for item in first["files"]:
            media = http.get(f"/api/v1/media/{item['media_id']}").json()
            assert media["sha256"] == item["sha256"]
        tagged = http.get(f"/api/v1/media/{next(f['media_id'] for f in first['files'] if f['path'].startswith('CAM-7'))}").json()
    assert tagged["device_id"] == "CAM-7" and tagged["officer_ids"] == ["3401001", "3401002"] and tagged["flag"] == "important"
    assert tagged["recorded_started_at"] == "2026-11-03T10:15:00+08:00" and tagged["filename"] == "20261103_101500_0001.MP4"

    again = dock_sync(leg, dock, token)
    assert (again["uploaded"], again["skipped"], again["failed"]) == (0, 3, 0)
    assert {f["reason"] for f in again["files"]} == {"on the server already"}
    hashes = json.loads((dock / STATE_DIR / "hashes.json").read_text())
    assert sorted(entry[2] for entry in hashes.values()) == sorted(sha.values())  # the next run need not re-read them

    # A file still being copied onto the dock waits (the default --min-age is 60 s).
    (dock / "copying.mp4").write_bytes(b"half a recording")
    result = subprocess.run(
        [str(BIN / "recording-dock"), "sync", str(dock), "--server", leg.url, "--token", token, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    waiting = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0 and (waiting["uploaded"], waiting["skipped"]) == (0, 4)
    assert next(f for f in waiting["files"] if f["path"] == "copying.mp4")["reason"].startswith("still being written")
    (dock / "copying.mp4").unlink()

    # An upload interrupted halfway (the link dropped) is resumed from its remembered URL, not restarted.
    big = dock / "long.mp4"
    big.write_bytes(os.urandom(24 * 1024 * 1024))
    big_sha = hashlib.sha256(big.read_bytes()).hexdigest()
    storage = SharedStorage(dock / STATE_DIR / "uploads.json")
    uploader = tus.TusClient(f"{leg.url}/api/v1/uploads", headers={"Authorization": f"Bearer {token}"}).uploader(
        file_path=str(big),
        chunk_size=4 * 1024 * 1024,
        metadata={"filename": "long.mp4", "sha256": big_sha},
        store_url=True,
        url_storage=storage,
        fingerprinter=ContentFingerprint(big_sha),
    )
    uploader.upload(stop_at=12 * 1024 * 1024)
    storage.close()
    with leg.client(token) as http:
        half = http.get(uploader.url).json()
    assert half["status"] == "receiving" and 0 < half["offset"] < big.stat().st_size
    resumed = dock_sync(leg, dock, token)
    assert (resumed["uploaded"], resumed["skipped"]) == (1, 3)
    with leg.client(token) as http:
        done = http.get(uploader.url).json()  # the same upload, completed
    assert done["status"] == "completed" and done["media_id"] == next(f["media_id"] for f in resumed["files"] if f["path"] == "long.mp4")

    # Local copies go only after the server's record proves the same bytes.
    deleted = dock_sync(leg, dock, token, "--delete-after-verify")
    assert deleted["deleted"] == 4 and deleted["failed"] == 0
    assert sorted(p.name for p in dock.rglob("*") if p.is_file() and STATE_DIR not in p.parts) == [".DS_Store"]


def test_dock_sync_failures_are_counted(leg, tmp_path):
    dock = tmp_path / "dock"
    dock.mkdir()
    (dock / "x.mp4").write_bytes(b"x" * 1000)
    report = dock_sync(leg, dock, "not-a-valid-token", "--retries", "0")
    assert (report["uploaded"], report["failed"]) == (0, 1) and "401" in report["files"][0]["error"]
    assert (dock / "x.mp4").exists()


def test_dock_never_deletes_the_only_good_copy_and_repairs_the_server(leg, clips, tmp_path):
    """The server's copy goes bad (fixity: corrupt, missing). The dock keeps its file while it cannot
    store the bytes again; its next upload repairs the media (a new object, the bad one kept as
    history, status back to ready, audited), and only then is its copy deleted."""
    token = leg.token("dock", "REPAIR")
    dock = tmp_path / "dock"
    dock.mkdir()
    files = {"bad.mp4": clips("repair-bad.mp4", seconds=2).read_bytes(), "gone.mp4": clips("repair-gone.mp4", seconds=3).read_bytes()}
    for name, data in files.items():
        (dock / name).write_bytes(data)
    first = dock_sync(leg, dock, token)
    assert first["uploaded"] == 2
    media_ids = {f["path"]: f["media_id"] for f in first["files"]}
    with leg.client(token) as http:
        for media_id in media_ids.values():
            assert described(http, media_id)["status"] == "ready"
    with leg.client(leg.token("auditor", "REPAIR")) as http:
        keys = {
            e["media_id"]: e["payload"]["storage_key"]
            for e in http.get("/api/v1/audit/events", params={"action": "media.created"}).json()["items"]
        }
    bad_key, gone_key = keys[media_ids["bad.mp4"]], keys[media_ids["gone.mp4"]]
    tampered = b"\0" * 64 + files["bad.mp4"][64:]
    leg.damage(overwrite={bad_key: tampered}, remove=(gone_key,))
    assert leg.service.cli("fixity", "run", check=False).returncode == 1
    with leg.client(token) as http:
        assert {name: http.get(f"/api/v1/media/{i}").json()["status"] for name, i in media_ids.items()} == {
            "bad.mp4": "corrupt",
            "gone.mp4": "missing",
        }

    # A dock that cannot upload (a token that may read but not upload) must keep both files.
    reader = leg.token("reviewer", "REPAIR")
    kept = dock_sync(leg, dock, reader, "--delete-after-verify", "--retries", "0")
    assert (kept["failed"], kept["deleted"]) == (2, 0)
    assert sorted(p.name for p in dock.iterdir() if p.is_file()) == ["bad.mp4", "gone.mp4"]

    repaired = dock_sync(leg, dock, token, "--delete-after-verify")
    assert (repaired["uploaded"], repaired["deleted"], repaired["failed"]) == (2, 2, 0), repaired
    assert {f["path"]: f["reason"] for f in repaired["files"]} == {
        "bad.mp4": "the server's copy was corrupt; uploaded again",
        "gone.mp4": "the server's copy was missing; uploaded again",
    }
    assert {f["path"]: f["media_id"] for f in repaired["files"]} == media_ids  # the same media, not new ones
    with leg.client(leg.token("auditor", "REPAIR")) as http:
        for name, media_id in media_ids.items():
            media = described(http, media_id)  # probed again, from the good bytes
            assert media["status"] == "ready" and media["sha256"] == hashlib.sha256(files[name]).hexdigest()
            assert http.get(f"/api/v1/media/{media_id}/content").content == files[name]
            actions = [e["action"] for e in http.get("/api/v1/audit/events", params={"media_id": media_id}).json()["items"]]
            assert actions.count("media.repaired") == 1
    # The bad object stays as history; the good bytes went to a new object.
    assert leg.object_bytes(bad_key) == tampered
    check = leg.service.cli("fixity", "run", check=False)  # other tests' damaged footage may fail; ours must not
    failures = json.loads(check.stdout.strip().splitlines()[-1])["failures"]
    assert not [f for f in failures if f["media_id"] in media_ids.values()], failures


def test_a_later_sighting_that_says_more_adds_to_the_media(leg):
    token = leg.token("dock", "MERGE")
    data = os.urandom(300_000)
    with leg.client(token) as http:
        first = upload_bytes(http, data, filename="x.mp4", flag="scheduled", officer_ids="3401001")
        again = upload_bytes(
            http,
            data,
            filename="x.mp4",
            flag="important",
            officer_ids="3401001,3401009",
            case_number="濉卫医罚〔2026〕3号",
            device_id="CAM-9",
        )
        weaker = upload_bytes(http, data, filename="x.mp4", flag="manual")
        assert first == again == weaker
        media = http.get(f"/api/v1/media/{first}").json()
    assert media["flag"] == "important" and media["officer_ids"] == ["3401001", "3401009"]
    assert media["case_number"] == "濉卫医罚〔2026〕3号" and media["device_id"] == "CAM-9" and media["sightings"] == 3
    with leg.client(leg.token("auditor", "MERGE")) as http:
        added = [
            e for e in http.get("/api/v1/audit/events", params={"media_id": first}).json()["items"] if e["action"] == "media.metadata_added"
        ]
    assert len(added) == 1 and added[0]["payload"]["flag"] == {"from": "scheduled", "to": "important"}


def test_dock_uploads_recordings_only_and_says_what_it_left(leg, tmp_path):
    token = leg.token("dock", AGENCY)
    dock = tmp_path / "dock"
    dock.mkdir()
    for name in ("a.mp4", "B.MP4", "voice.wav", "firmware.bin", "notes.txt"):
        (dock / name).write_bytes(os.urandom(30_000))
    (dock / "gone.mp4.json").write_text(json.dumps({"device_id": "CAM-1"}))
    report = dock_sync(leg, dock, token)
    assert sorted(f["path"] for f in report["files"] if f["status"] == "uploaded") == ["B.MP4", "a.mp4", "voice.wav"]
    assert sorted(report["ignored"]) == ["firmware.bin", "notes.txt"] and report["orphan_sidecars"] == ["gone.mp4.json"]
    chosen = dock_sync(leg, dock, token, "--include", "*.bin", "--exclude", "voice.*")
    assert [f["path"] for f in chosen["files"] if f["status"] == "uploaded"] == ["firmware.bin"]
    assert sorted(chosen["ignored"]) == ["notes.txt", "voice.wav"]


def test_dock_progress_in_a_terminal(leg, tmp_path):
    """In a terminal the dock shows a bar per file and for the whole run, says where it resumed, and
    ends with a table; the token comes from RECORDING_DOCK_TOKEN."""
    token = leg.token("dock", AGENCY)
    dock = tmp_path / "dock"
    dock.mkdir()
    big = dock / "long.mp4"
    big.write_bytes(os.urandom(20 * 1024 * 1024))
    big_sha = hashlib.sha256(big.read_bytes()).hexdigest()
    (dock / STATE_DIR).mkdir()
    storage = SharedStorage(dock / STATE_DIR / "uploads.json")
    tus.TusClient(f"{leg.url}/api/v1/uploads", headers={"Authorization": f"Bearer {token}"}).uploader(
        file_path=str(big),
        chunk_size=4 * 1024 * 1024,
        metadata={"filename": "long.mp4", "sha256": big_sha},
        store_url=True,
        url_storage=storage,
        fingerprinter=ContentFingerprint(big_sha),
    ).upload(stop_at=10 * 1024 * 1024)
    storage.close()
    (dock / "short.mp4").write_bytes(os.urandom(50_000))
    command = f"{BIN / 'recording-dock'} sync {dock} --server {leg.url} --min-age 0 --retry-delay 1"
    result = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RECORDING_DOCK_TOKEN": token, "COLUMNS": "120", "TERM": "xterm"},
    )
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout)  # what a person reads, without the colour codes
    assert result.returncode == 0, screen[-2000:]
    assert "long.mp4: resumed at 50 %" in screen
    assert "all recordings" in screen and "MB" in screen  # the overall bar, with sizes
    assert "recording-dock sync" in screen and "uploaded 2, skipped 0, failed 0" in screen  # the summary table and line


def start_dock(server, directory, token, *args):
    """`recording-dock sync` in the background, its summary (a table on stderr) wide enough to read."""
    command = [str(BIN / "recording-dock"), "sync", str(directory), "--server", server, "--token", token, "--min-age", "0"]
    return subprocess.Popen(
        [*command, "--retry-delay", "1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def remembered_url(directory, sha256):
    """The upload URL the client keeps for the next run (tuspy's TinyDB file), read while it may be written."""
    try:
        rows = json.loads((directory / STATE_DIR / "uploads.json").read_text())["_default"].values()
    except (OSError, ValueError, KeyError):
        return None
    return next((row["url"] for row in rows if row.get("key") == sha256), None)


def server_offset(leg, token, url):
    with leg.client(token) as http:
        response = http.head(urlparse(url).path, headers={"Tus-Resumable": "1.0.0"})
    response.raise_for_status()
    return int(response.headers["Upload-Offset"])


def ended(process, bound=10):
    """Waits for a signalled client: `bound` guards against a hang, it is no benchmark."""
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the dock client did not stop within {bound} s: {err[-2000:]}") from None
    return time.monotonic() - started, out, err


def settled(link):
    """Waits until the link carries nothing more (what a stall held back has gone through)."""
    while True:
        before = link.sent
        time.sleep(0.3)
        if link.sent == before:
            return


def test_ctrl_c_stops_the_dock_at_once_and_the_next_run_resumes(leg, tmp_path):
    """One Ctrl-C abandons the PATCH in flight (on a dock's link a 16 MiB chunk takes seconds, here
    4), keeps the upload resumable, prints the summary with what resumes next run and exits 130; the
    next run resumes at the server's offset, and the media holds the file's bytes."""
    token = leg.token("dock", AGENCY)
    dock = tmp_path / "dock"
    dock.mkdir()
    data = os.urandom(48 * MiB)
    (dock / "long.mp4").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    with SlowLink(leg.url, rate=4 * MiB) as link:
        process = start_dock(link.url, dock, token)
        try:
            url = wait_for("the upload to be created", lambda: remembered_url(dock, sha), interval=0.05)
            held = wait_for("a first chunk to arrive", lambda: server_offset(leg, token, url), interval=0.05)  # the next one is under way
            process.send_signal(signal.SIGINT)
            seconds, out, err = ended(process)
        finally:
            process.kill()
        assert process.returncode == 130, err
        assert "SIGINT: stopping" in err and "Traceback" not in err
        row = next(line for line in err.splitlines() if "long.mp4" in line)
        assert "will resume" in row and f"{held} of {len(data)} bytes sent; the next run resumes there" in row, err
        assert "stopped by SIGINT: will resume 1, not started 0" in err
        assert server_offset(leg, token, url) == held  # the chunk in flight was abandoned, not finished
        print(f"stopped {seconds:.1f} s after SIGINT, {held // MiB} of {len(data) // MiB} MiB on the server")

        link.rate = None
        report = dock_sync(leg, dock, token, server=link.url)  # the remembered URL goes through the link
    assert (report["uploaded"], report["failed"]) == (1, 0) and "stopped_by" not in report
    assert report["files"][0]["resumed_at"] == held
    with leg.client(token) as http:
        media_id = report["files"][0]["media_id"]
        assert http.get(f"/api/v1/media/{media_id}").json()["sha256"] == sha
        assert hashlib.sha256(http.get(f"/api/v1/media/{media_id}/content").content).hexdigest() == sha
    assert remembered_url(dock, sha) is None


def test_a_stalled_link_still_stops_and_a_second_ctrl_c_quits_at_once(leg, tmp_path):
    """SIGTERM (a service manager) stops the dock as Ctrl-C does, even with its PATCH stuck on a stalled
    link: it reports within seconds (here in --json) and exits 128 + 15. A second Ctrl-C quits at once,
    without the summary. Either way the next run resumes at the server's offset."""
    token = leg.token("dock", AGENCY)
    dock = tmp_path / "dock"
    dock.mkdir()
    data = os.urandom(40 * MiB)
    (dock / "a-stuck.mp4").write_bytes(data)
    (dock / "b-later.mp4").write_bytes(os.urandom(100_000))
    sha = hashlib.sha256(data).hexdigest()
    with SlowLink(leg.url, rate=4 * MiB) as link:
        process = start_dock(link.url, dock, token, "--json")
        try:
            url = wait_for("the upload to be created", lambda: remembered_url(dock, sha), interval=0.05)
            held = wait_for("a first chunk to arrive", lambda: server_offset(leg, token, url), interval=0.05)
            link.rate = 0
            time.sleep(1)  # the client's sends back up
            process.send_signal(signal.SIGTERM)
            seconds, out, err = ended(process)
        finally:
            process.kill()
        assert process.returncode == 128 + signal.SIGTERM, err
        stopped = json.loads(out.strip().splitlines()[-1])
        assert (stopped["stopped_by"], stopped["interrupted"], stopped["not_started"]) == ("SIGTERM", 1, ["b-later.mp4"]), stopped
        assert [(f["path"], f["status"], f["sent"], f["size"]) for f in stopped["files"]] == [
            ("a-stuck.mp4", "interrupted", held, len(data))
        ]
        print(f"stalled link: stopped {seconds:.1f} s after SIGTERM")

        link.rate = None
        settled(link)
        link.rate = 4 * MiB
        before = link.sent
        process = start_dock(link.url, dock, token)
        try:
            wait_for("the next chunk to be under way", lambda: link.sent > before + 2 * MiB, interval=0.05)
            link.rate = 0
            time.sleep(1)
            process.send_signal(signal.SIGINT)
            time.sleep(0.2)
            process.send_signal(signal.SIGINT)
            _, out, err = ended(process)
        finally:
            process.kill()
        assert process.returncode == 130, err
        assert "quit at once" in err and "recording-dock sync" not in err and "stopped by" not in err, err  # no summary

        link.rate = None
        settled(link)
        report = dock_sync(leg, dock, token, server=link.url)
    assert (report["uploaded"], report["failed"]) == (2, 0), report
    stuck = next(f for f in report["files"] if f["path"] == "a-stuck.mp4")
    assert stuck["resumed_at"] == held
    with leg.client(token) as http:
        assert http.get(f"/api/v1/media/{stuck['media_id']}").json()["sha256"] == sha


def test_the_dock_waits_out_an_upload_another_writer_holds(leg, tmp_path):
    """A replica killed mid-PATCH leaves its upload leased until the lease runs out; the dock's next PATCH is answered
    423. The dock waits that out (Retry-After) instead of spending its retries, which on a busy cluster ran out before the
    lease did (bench/cluster.py). Here a live writer holds the upload for a few seconds while the dock resumes it with no
    retries at all: it waits, then resumes at the writer's offset and completes with the file's bytes."""
    token = leg.token("dock", AGENCY)
    dock = tmp_path / "dock"
    dock.mkdir()
    data = os.urandom(40 * MiB)
    (dock / "held.mp4").write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    with SlowLink(leg.url, rate=4 * MiB) as link:
        process = start_dock(link.url, dock, token)
        try:
            url = wait_for("the upload to be created", lambda: remembered_url(dock, sha), interval=0.05)
            wait_for("a first chunk to arrive", lambda: server_offset(leg, token, url), interval=0.05)
            process.send_signal(signal.SIGINT)
            ended(process)
        finally:
            process.kill()
        offset = server_offset(leg, token, url)
        holding = threading.Event()

        def slow_writer():  # the file's own next bytes, a trickle for ~4 s, then the connection is dropped mid-body
            def body():
                for start in range(offset, offset + 8 * 64 * 1024, 64 * 1024):
                    holding.set()
                    yield data[start : start + 64 * 1024]
                    time.sleep(0.5)
                raise ConnectionAbortedError("the writer goes away mid-PATCH")

            headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
            try:
                with leg.client(token) as http:
                    http.patch(urlparse(url).path, content=body(), headers=headers)
            except (httpx.HTTPError, ConnectionAbortedError):
                pass  # dropping the connection is the point

        writer = threading.Thread(target=slow_writer)
        writer.start()
        try:
            holding.wait(10)
            time.sleep(0.5)  # the writer's lease is taken
            link.rate = None
            report = dock_sync(leg, dock, token, "--retries", "0", server=link.url)  # the remembered URL goes through the link
        finally:
            writer.join(30)
    assert (report["uploaded"], report["failed"]) == (1, 0), json.dumps(report["files"])[:1500]
    assert report["files"][0]["resumed_at"] >= offset
    with leg.client(token) as http:
        media_id = report["files"][0]["media_id"]
        assert http.get(f"/api/v1/media/{media_id}").json()["sha256"] == sha
        assert hashlib.sha256(http.get(f"/api/v1/media/{media_id}/content").content).hexdigest() == sha
