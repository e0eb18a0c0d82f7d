"""Evidence safety under stalls, clock skew, kills and races, with two or more instances of the
service on one database and one store.

The stalls and kills are real: a fault point (RECORDING_FAULTS) makes an instance SIGSTOP or SIGKILL
itself at a named moment; the clock skew is real too: libfaketime runs an instance 40 s ahead.
Each test ends by checking the stored object byte for byte and the audit chain.
"""

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from recording_service.core.db import sync_url

from .support.api import TUS, assert_problem, create, patch
from .support.instances import LEASE, client, in_thread, wait_dead, wait_stopped
from .support.media import described

MiB = 1024 * 1024
FAKETIME_LIB = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), Path("/nonexistent/libfaketime.so.1"))


def media_by_sha(http, sha256: str) -> list[dict]:
    return http.get("/api/v1/media", params={"sha256": sha256}).json()["items"]


def chain_ok(leg) -> None:
    with leg.client(leg.token("admin", "*")) as http:
        verdict = http.get("/api/v1/audit/verify").json()
    assert verdict["ok"] is True, verdict


def actions(leg, agency: str, upload_id: str) -> list[str]:
    with leg.client(leg.token("auditor", agency)) as http:
        items = http.get("/api/v1/audit/events", params={"limit": 500}).json()["items"]
    return [e["action"] for e in items if e.get("upload_id") == upload_id]


def retry_until(call, accept, timeout: float = 30):
    """Repeat `call` while it answers 423 (another request still holds the upload)."""
    deadline = time.monotonic() + timeout
    while True:
        response = call()
        if response.status_code != 423 or time.monotonic() > deadline:
            assert accept(response), response.text
            return response
        time.sleep(0.5)


def test_stalled_writer_cannot_damage_what_another_instance_wrote(leg, instances):
    """A request stalls (SIGSTOP) past its lease holding the upload; another instance takes over.
    The stalled one, when it wakes, can neither write, truncate nor complete."""
    token = leg.token("dock", "FENCE")
    data = os.urandom(12 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    stalling = instances("stalling", RECORDING_FAULTS="receive.fed:stop")
    healthy = instances("healthy")
    with client(healthy, token) as b:
        location = create(b, len(data), filename="stall.mp4", sha256=digest).headers["Location"]
        upload_id = location.rsplit("/", 1)[1]
        assert patch(b, location, 0, data[: 6 * MiB]).status_code == 204

        with client(stalling, token) as a:
            thread, stalled = in_thread(patch, a, location, 6 * MiB, data[6 * MiB : 9 * MiB])
            wait_stopped(stalling)  # A holds the upload and has bytes in hand
            time.sleep(float(LEASE) + 1.5)  # A's lease runs out while it is stopped

            # The client gives up on A and resumes through B.
            assert int(b.head(location, headers=TUS).headers["Upload-Offset"]) == 6 * MiB
            first = patch(b, location, 6 * MiB, data[6 * MiB :])
            if leg.seaweed is None:
                # The filesystem store's writer lock is still A's: B may not write beside it.
                assert_problem(first, 423, "upload-locked")
            else:
                assert first.status_code == 204, first.text  # S3: B writes its own tail and parts, and completes
            os.killpg(stalling.process.pid, signal.SIGCONT)
            thread.join(60)
            assert "response" in stalled, stalled
            # A wakes up fenced: its progress is refused, whatever it had in hand.
            assert_problem(stalled["response"], 409, "upload-lease-lost")

        if leg.seaweed is None:
            assert int(b.head(location, headers=TUS).headers["Upload-Offset"]) == 6 * MiB
            final = patch(b, location, 6 * MiB, data[6 * MiB :])
            assert final.status_code == 204, final.text
        status = b.get(location).json()
        assert status["status"] == "completed" and status["sha256"] == digest
        # Anything A might still do later must not touch the evidence either.
        time.sleep(1)
        assert b.get(f"/api/v1/media/{status['media_id']}/content").content == data
        assert len(media_by_sha(b, digest)) == 1
    assert actions(leg, "FENCE", upload_id).count("upload.completed") == 1
    chain_ok(leg)


def held_by_live_writer(leg, upload_id: str, within: float = 30.0) -> None:
    """Wait until the upload's lease is taken (read from the database the service uses, as the fence sees it)."""
    engine = create_engine(sync_url(leg.service.env["RECORDING_DATABASE_URL"]))
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            with engine.connect() as db:
                if db.execute(text("SELECT lease_owner FROM uploads WHERE id = :id"), {"id": upload_id}).scalar():
                    time.sleep(0.3)  # and has begun writing
                    return
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError(f"the live PATCH never took the lease of {upload_id} within {within} s")


@pytest.mark.skipif(not FAKETIME_LIB.exists(), reason="libfaketime is not installed (make test installs Debian's faketime)")
def test_clock_ahead_does_not_steal_a_live_upload(leg, instances):
    """An instance whose clock runs 40 s ahead sees every lease as expired by its own clock. Leases are
    judged by the database's clock (PostgreSQL); on SQLite (one host, no server clock) the fence and
    the store's writer lock keep the live writer's bytes safe."""
    token = leg.token("dock", "FENCE")
    data = os.urandom(10 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    # Leases of 30 s, 40 s behind the other clock: the live body (≈ 5 s) reaches no checkpoint before its end (one
    # comes a quarter of a lease in), so the intruder always finds the offset where the live writer started.
    normal = instances("normal", RECORDING_UPLOAD_LEASE_SECONDS="30")
    ahead = instances(
        "ahead",
        RECORDING_UPLOAD_LEASE_SECONDS="30",
        LD_PRELOAD=str(FAKETIME_LIB),
        FAKETIME="+40s",
        FAKETIME_DONT_FAKE_MONOTONIC="1",
        FAKETIME_NO_CACHE="1",
    )
    with client(ahead, token) as c:
        skewed = c.get("/healthz")
        assert skewed.status_code == 200
    with client(normal, token) as n, client(ahead, token) as c:
        location = create(n, len(data), filename="skew.mp4", sha256=digest).headers["Location"]

        def slow_body():
            for start in range(0, 6 * MiB, MiB // 2):
                yield data[start : start + MiB // 2]
                time.sleep(0.4)

        thread, live = in_thread(
            lambda: n.patch(
                location, content=slow_body(), headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
            )
        )
        # The live request holds the upload (its lease is in the database) before the intruder comes: a fixed
        # sleep was not enough on a loaded machine, where the intruder arrived first and rightly took it.
        held_by_live_writer(leg, location.rsplit("/", 1)[1])
        intruder = patch(c, location, 0, data[: 6 * MiB])
        assert_problem(intruder, 423, "upload-locked")
        thread.join(60)
        response = live["response"]
        if leg.seaweed is not None:
            assert response.status_code == 204, response.text  # the database's clock kept the lease the writer's
        else:
            assert response.status_code in (204, 409), response.text
        offset = int(n.head(location, headers=TUS).headers["Upload-Offset"])
        assert offset in (0, 6 * MiB) if leg.seaweed is None else offset == 6 * MiB
        assert patch(n, location, offset, data[offset:]).status_code == 204
        media_id = n.get(location).json()["media_id"]
        assert n.get(f"/api/v1/media/{media_id}/content").content == data
    chain_ok(leg)


@pytest.mark.parametrize("moment", ["receive.before_commit", "complete.object_placed", "complete.committed"])
def test_kill_at_completion_then_client_retry_finishes_once(leg, instances, moment):
    """SIGKILL at the moments of completion; the client's retry (HEAD, then PATCH at the offset the
    server reports) ends with exactly one media record whose object holds the bytes."""
    token = leg.token("dock", "FENCE")
    data = os.urandom(7 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    doomed = instances(f"doomed-{moment}", RECORDING_FAULTS=f"{moment}:kill")
    with client(leg.service, token) as first:
        location = create(first, len(data), filename="kill.mp4", sha256=digest).headers["Location"]
        upload_id = location.rsplit("/", 1)[1]
        assert patch(first, location, 0, data[: 3 * MiB]).status_code == 204
    with client(doomed, token) as a, pytest.raises(httpx.TransportError):
        patch(a, location, 3 * MiB, data[3 * MiB :])
    wait_dead(doomed)
    survivor = instances(f"survivor-{moment}", RECORDING_JOB_STALLED_SECONDS="4")
    with client(survivor, token) as b:
        offset = int(b.head(location, headers=TUS).headers["Upload-Offset"])
        if moment != "receive.before_commit":
            # complete.object_placed: the record was never committed; complete.committed: it was, and
            # only the answer (and the probe job) were lost.
            assert offset == len(data)
            assert b.get(location).json()["status"] == ("receiving" if moment == "complete.object_placed" else "completed")
            finish = retry_until(lambda: patch(b, location, offset, b""), lambda r: r.status_code == 204)
        else:
            assert offset == 3 * MiB  # the last chunk never counted: it is sent again
            finish = retry_until(lambda: patch(b, location, offset, data[offset:]), lambda r: r.status_code == 204)
        assert finish.headers["Upload-Sha256"] == digest
        media_id = finish.headers["Upload-Media-Id"]
        # The same retry again (its answer lost) is answered the same way, and adds nothing.
        again = patch(b, location, len(data), b"")
        assert again.status_code == 204 and again.headers["Upload-Media-Id"] == media_id
        assert [m["id"] for m in media_by_sha(b, digest)] == [media_id]
        assert b.get(f"/api/v1/media/{media_id}/content").content == data
        # Its probe job was queued by nobody if the process died right after the commit: the workers'
        # catch-up queues it.
        # Random bytes are almost always "not media", but ffprobe now and then takes them for MP3 frames:
        # either way the probe ran, which is what is checked here.
        assert described(b, media_id)["status"] in ("probe_failed", "ready")
    assert actions(leg, "FENCE", upload_id).count("upload.completed") == 1
    assert actions(leg, "FENCE", upload_id).count("media.created") == 1
    chain_ok(leg)


def died_at_completion(leg, instances, size: int, filename: str):
    """An upload whose every byte arrived and whose instance died (SIGKILL) once the object was placed, its
    lease run out: (token, data, digest, location, upload_id)."""
    token = leg.token("dock", "FENCE")
    data = os.urandom(size)
    doomed = instances("doomed", RECORDING_FAULTS="complete.object_placed:kill")
    with client(doomed, token) as a:
        location = create(a, len(data), filename=filename).headers["Location"]
        with pytest.raises(httpx.TransportError):
            patch(a, location, 0, data)
    wait_dead(doomed)
    time.sleep(float(LEASE) + 0.5)
    return token, data, hashlib.sha256(data).hexdigest(), location, location.rsplit("/", 1)[1]


def test_uploads_sweep_finishes_a_completion_that_died(leg, instances):
    token, data, digest, location, _ = died_at_completion(leg, instances, 2 * MiB, "sweep.mp4")
    survivor = instances("survivor")
    result = survivor.cli("uploads", "sweep")
    assert '"completed": 1' in result.stdout, result.stdout + result.stderr
    with client(survivor, token) as b:
        status = b.get(location).json()
        assert status["status"] == "completed" and status["sha256"] == digest
        assert b.get(f"/api/v1/media/{status['media_id']}/content").content == data
    chain_ok(leg)


@pytest.mark.parametrize("rival", ["empty-patch", "delete"])
def test_race_at_the_final_offset_has_one_outcome(leg, instances, rival):
    """After a crash left every byte recorded, two clients retry at once: two empty PATCHes at the final
    offset complete once; a DELETE against the PATCH ends either completed or terminated, never both."""
    token, data, digest, location, upload_id = died_at_completion(leg, instances, MiB, "race.mp4")
    one, two = instances("one"), instances("two")
    with client(one, token) as x, client(two, token) as y:
        barrier = threading.Barrier(2)

        def finish(http):
            barrier.wait()
            return patch(http, location, len(data), b"")

        def terminate(http):
            barrier.wait()
            return http.delete(location, headers=TUS)

        first = in_thread(finish, x)
        second = in_thread(finish if rival == "empty-patch" else terminate, y)
        for thread, _ in (first, second):
            thread.join(60)
        answers = sorted(r["response"].status_code for _, r in (first, second))
        final = x.get(location).json()["status"]
        events = actions(leg, "FENCE", upload_id)
        if rival == "empty-patch":
            assert answers in ([204, 204], [204, 423]), answers
            assert final == "completed"
        else:
            assert final in ("completed", "terminated")
            assert answers in ([204, 409], [204, 423], [204, 410]), answers
        assert not ("upload.completed" in events and "upload.terminated" in events), events
        assert events.count("upload.completed") <= 1
        found = media_by_sha(x, digest)
        if final == "completed":
            assert len(found) == 1 and x.get(f"/api/v1/media/{found[0]['id']}/content").content == data
        else:
            assert found == []
    # Whatever the race left in the store that no media record owns, the sweep removes.
    result = one.cli("uploads", "sweep")
    assert result.returncode == 0, result.stderr
    chain_ok(leg)


def test_a_final_patch_that_loses_the_race_to_its_twin_answers_completed(leg, instances):
    """The interleaving behind a rare outcome, made certain: one instance reads the upload as still
    receiving and stalls before taking it; its twin completes it; on waking, the first answers 204 as a
    retried final PATCH does — not 410, which a dock would take for a lost upload."""
    token, data, digest, location, upload_id = died_at_completion(leg, instances, MiB, "twin.mp4")
    slow, quick = instances("slow", RECORDING_FAULTS="finish.before_lease:stop"), instances("quick")
    with client(slow, token) as x, client(quick, token) as y:
        thread, stalled = in_thread(patch, x, location, len(data), b"")
        wait_stopped(slow)
        assert patch(y, location, len(data), b"").status_code == 204
        os.killpg(slow.process.pid, signal.SIGCONT)
        thread.join(60)
        assert stalled["response"].status_code == 204, stalled["response"].text
        assert stalled["response"].headers["Upload-Offset"] == str(len(data))
        assert y.get(location).json()["sha256"] == digest
    assert actions(leg, "FENCE", upload_id).count("upload.completed") == 1
    chain_ok(leg)
