"""Watching a recording while it arrives (issue 29), on both legs: a camera's fragmented MP4 sent over tus
fragment by fragment, the live HLS playlist growing with it, its segments the camera's own bytes (on S3 too,
where bytes already folded into multipart parts are read from the kept segments), views audited once,
other agencies and roles without playback refused."""

import struct
import subprocess

import pytest

from .support.api import assert_problem, create, patch
from .support.instances import client, in_thread, wait_stopped

AGENCY, OTHER = "LIVE1", "LIVE2"


def camera_file(path, *, seconds: int = 20, noise: int = 0) -> bytes:
    """A body camera's recording: H.264 in 2-second fragments (a keyframe every 50 frames at 25 fps)."""
    source = "testsrc2=size=640x360:rate=25" + (f",noise=alls={noise}:allf=t" if noise else "")
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-t", str(seconds), "-c:v", "libx264"]
        + (["-preset", "ultrafast"] if noise else [])
        + ["-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"]
        + ["-movflags", "frag_keyframe+empty_moov+default_base_moof", str(path)],
        check=True,
        timeout=120,
    )
    return path.read_bytes()


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of the top-level boxes, read here independently of the service's walker."""
    out, position = [], 0
    while position + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, position)
        out.append((kind, position, position + size))
        position += size
    return out


def layout(data: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Where the init segment ends and each fragment's (start, end): moof .. the end of its mdat."""
    listed = boxes(data)
    init_end = next(end for kind, _start, end in listed if kind == b"moov")
    fragments, start = [], init_end
    for kind, _box_start, end in listed:
        if kind == b"mdat":
            fragments.append((start, end))
            start = end
    return init_end, fragments


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    directory = tmp_path_factory.mktemp("live")
    # The second spans several 5 MiB parts on the S3 leg: fragments whose bytes were folded into parts.
    return {"plain": camera_file(directory / "cam.mp4"), "large": camera_file(directory / "large.mp4", seconds=10, noise=8)}


def live_events(http, upload_id: str) -> list[dict]:
    items = http.get("/api/v1/audit/events", params={"action": "media.live_viewed", "limit": 200}).json()["items"]
    return [event for event in items if event["upload_id"] == upload_id]


@pytest.mark.parametrize("name", ["plain", "large"])
def test_the_playlist_grows_with_the_recording_and_serves_its_bytes(leg, recordings, name):
    data = recordings[name]
    init_end, fragments = layout(data)
    assert len(fragments) >= 5
    dock = leg.client(leg.token("dock", AGENCY))
    auditor = leg.client(leg.token("auditor", AGENCY))
    # A recording: its length is declared only at the end, so it stays `receiving` however many fragments arrive.
    created = create(dock, None, filename="DSJ_live.mp4", device_id="CAM-LIVE-7", officer_ids="0100017")
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    upload_id = location.rsplit("/", 1)[1]

    view = auditor.post(f"/api/v1/live/{upload_id}/views")
    assert view.status_code == 201, view.text
    playlist_path = view.json()["playlist"]
    base = playlist_path.rsplit("/", 1)[0]
    assert_problem(auditor.get(playlist_path), 409, "live-not-started")

    offset = 0
    for count, (_start, end) in enumerate(fragments, start=1):
        assert patch(dock, location, offset, data[offset:end]).status_code == 204
        offset = end
        answer = auditor.get(playlist_path)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        text = answer.text
        lines = text.splitlines()
        assert lines[:2] == ["#EXTM3U", "#EXT-X-VERSION:7"]
        assert "#EXT-X-MEDIA-SEQUENCE:0" in lines and '#EXT-X-MAP:URI="init.mp4"' in lines
        assert [line for line in lines if line.endswith(".m4s")] == [f"{seq}.m4s" for seq in range(count)]
        assert [line for line in lines if line.startswith("#EXTINF:")][-1] == "#EXTINF:2.000,"
        assert "#EXT-X-TARGETDURATION:2" in lines
        assert "#EXT-X-ENDLIST" not in lines
        # The newest fragment is readable at once (on S3 from the tail segments).
        newest = auditor.get(f"{base}/{count - 1}.m4s")
        assert newest.status_code == 200 and newest.content == data[fragments[count - 1][0] : fragments[count - 1][1]]
    # Every fragment stays readable while the recording goes on, those folded into S3 parts too.
    assert auditor.get(f"{base}/init.mp4").content == data[:init_end]
    for seq, (start, end) in enumerate(fragments):
        assert auditor.get(f"{base}/{seq}.m4s").content == data[start:end], seq
    state = auditor.get(f"/api/v1/live/{upload_id}").json()
    assert state["live"] and state["playable"] and state["fragments"] == len(fragments) and state["received_bytes"] == offset
    assert state["seconds"] == pytest.approx(2.0 * len(fragments))

    # One audit event for the view, however many requests the player made.
    assert len(live_events(auditor, upload_id)) == 1
    assert auditor.post(f"/api/v1/live/{upload_id}/views").status_code == 201
    assert len(live_events(auditor, upload_id)) == 2


def test_a_completed_recording_ends_its_playlist_and_reads_the_evidence_object(leg, recordings):
    data = recordings["plain"]
    _init_end, fragments = layout(data)
    dock = leg.client(leg.token("dock", AGENCY))
    auditor = leg.client(leg.token("auditor", AGENCY))
    location = create(dock, None, filename="DSJ_done.mp4").headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    playlist_path = auditor.post(f"/api/v1/live/{upload_id}/views").json()["playlist"]
    base = playlist_path.rsplit("/", 1)[0]
    half = fragments[len(fragments) // 2][1]
    assert patch(dock, location, 0, data[:half]).status_code == 204
    assert "#EXT-X-ENDLIST" not in auditor.get(playlist_path).text
    last = patch(dock, location, half, data[half:], **{"Upload-Length": str(len(data))})  # the camera stops: the length at last
    assert last.status_code == 204, last.text
    text = auditor.get(playlist_path).text
    assert text.rstrip().endswith("#EXT-X-ENDLIST")
    assert len([line for line in text.splitlines() if line.endswith(".m4s")]) == len(fragments)
    for seq, (start, end) in enumerate(fragments):
        assert auditor.get(f"{base}/{seq}.m4s").content == data[start:end]
    assert auditor.get(f"/api/v1/live/{upload_id}").json()["live"] is False


def test_other_agencies_roles_without_playback_and_other_viewers_are_refused(leg, recordings):
    data = recordings["plain"]
    _init_end, fragments = layout(data)
    dock = leg.client(leg.token("dock", AGENCY))
    location = create(dock, None, filename="DSJ_private.mp4").headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    assert patch(dock, location, 0, data[: fragments[1][1]]).status_code == 204

    stranger = leg.client(leg.token("auditor", OTHER))
    assert_problem(stranger.post(f"/api/v1/live/{upload_id}/views"), 404, "upload-not-found")
    assert_problem(stranger.get(f"/api/v1/live/{upload_id}"), 404, "upload-not-found")
    assert_problem(stranger.post("/api/v1/live/nosuchupload/views"), 404, "upload-not-found")
    for role in ("dock", "case_system"):
        assert_problem(leg.client(leg.token(role, AGENCY)).post(f"/api/v1/live/{upload_id}/views"), 403, "forbidden-role")

    reviewer = leg.client(leg.token("reviewer", AGENCY))
    playlist_path = reviewer.post(f"/api/v1/live/{upload_id}/views").json()["playlist"]
    assert reviewer.get(playlist_path).status_code == 200
    # The link is the reviewer's: another token of the same agency, or a changed signature, gets 403.
    other = leg.client(leg.token("auditor", AGENCY))
    assert_problem(other.get(playlist_path), 403, "live-link-not-yours")
    assert_problem(reviewer.get(playlist_path.replace("/index.m3u8", "0/index.m3u8")), 403, "live-link-invalid")
    assert_problem(leg.client().get(playlist_path), 401)


def test_a_recording_that_is_not_fragmented_cannot_be_shown_live(leg, tmp_path, recordings):
    plain = tmp_path / "plain.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain)],
        check=True,
        timeout=60,
    )
    dock = leg.client(leg.token("dock", AGENCY))
    auditor = leg.client(leg.token("auditor", AGENCY))
    for body in (plain.read_bytes(), b"\x00\x01garbage that is no MP4 at all" * 100):
        location = create(dock, None, filename="DSJ_odd.mp4").headers["Location"]
        upload_id = location.rsplit("/", 1)[1]
        assert patch(dock, location, 0, body).status_code == 204
        playlist_path = auditor.post(f"/api/v1/live/{upload_id}/views").json()["playlist"]
        problem = assert_problem(auditor.get(playlist_path), 422, "live-not-possible")
        assert "无法实时查看" in problem["detail"]
        state = auditor.get(f"/api/v1/live/{upload_id}").json()
        assert state["playable"] is False and state["problem"] in ("not-fragmented", "not-mp4") and "无法实时查看" in state["problem_zh"]


# --- the page, in Debian's Chromium -----------------------------------------------------------------


@pytest.fixture(scope="module")
def watchers(leg):
    import uuid

    from .support.web import create_person

    suffix = uuid.uuid4().hex[:6]
    names = {"auditor": f"liveaud{suffix}", "stranger": f"livestranger{suffix}"}
    create_person(leg, names["auditor"], "auditor", AGENCY, "周督察")
    create_person(leg, names["stranger"], "auditor", OTHER, "钱外单位")
    return names


def test_the_live_page_plays_while_fragments_arrive_at_real_time_pace(leg, recordings, watchers, page):
    import threading
    import time

    from playwright.sync_api import expect

    from .support.web import shots, sign_in, signed_in_client, wait_until

    data = recordings["plain"]
    _init_end, fragments = layout(data)
    dock = leg.client(leg.token("dock", AGENCY))
    created = create(
        dock,
        None,
        filename="DSJ_A123_20261124093015.mp4",
        device_id="CAM-A123",
        officer_ids="0100017",
        recorded_at="2026-11-24T09:30:15+08:00",
    )
    location = created.headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    first = fragments[1][1]  # the camera has sent its first two fragments when the supervisor opens the page
    assert patch(dock, location, 0, data[:first]).status_code == 204

    with signed_in_client(leg.url, watchers["stranger"]) as stranger:  # (people's roles all play footage: the API refuses the others)
        assert stranger.get(f"/uploads/{upload_id}/live").status_code == 404

    sent = {"offset": first, "error": None}

    def camera():
        # The rest at the camera's pace: one 2-second fragment every 2 seconds.
        try:
            with leg.client(leg.token("dock", AGENCY)) as http:
                for _start, end in fragments[2:]:
                    time.sleep(2)
                    answer = patch(http, location, sent["offset"], data[sent["offset"] : end])
                    assert answer.status_code == 204, answer.text
                    sent["offset"] = end
        except Exception as exc:  # reported by the test below
            sent["error"] = exc

    sender = threading.Thread(target=camera, daemon=True)
    sender.start()
    try:
        sign_in(page, leg.url, watchers["auditor"], target=f"/uploads/{upload_id}/live")
        expect(page.locator("h1")).to_contain_text("实时查看")
        expect(page.locator("#live-badge")).to_have_text("直播中")
        expect(page.locator(".device")).to_have_text("CAM-A123")
        expect(page.locator(".started")).to_have_text("2026-11-24 09:30:15")
        wait_until(page, "document.getElementById('live-player').readyState >= 2", timeout=40)
        begun = page.evaluate("document.getElementById('live-player').currentTime")
        wait_until(page, f"document.getElementById('live-player').currentTime > {begun} + 2", timeout=40)
        assert sent["error"] is None, sent["error"]
        assert sender.is_alive() or sent["offset"] == fragments[-1][1]
        page.wait_for_timeout(3500)  # the page's facts refresh every 3 s
        expect(page.locator("#live-received")).not_to_have_text(f"{first} 字节", timeout=1)
        page.screenshot(path=str(shots() / "live-view.png"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        sender.join(timeout=60)
    assert sent["error"] is None, sent["error"]
    with leg.client(leg.token("auditor", AGENCY)) as auditor:
        events = live_events(auditor, upload_id)
    assert len(events) == 1 and events[0]["payload"]["via"] == "page"  # one view, however many segment requests


def test_a_fragment_asked_for_while_the_recording_completes_waits_for_the_evidence_object(leg, tmp_path, instances):
    """Completing, the store places the evidence object (the received bytes are gone from where they were) a moment
    before the database says the upload is complete. A player asking for a fragment in that moment gets its bytes
    once the completion is recorded, not a 410. The moment is held open here: the completing instance stops
    (SIGSTOP) right after placing the object."""
    import functools
    import os
    import signal

    data = camera_file(tmp_path / "ending.mp4", seconds=8)  # bytes no other test sends (the same bytes would merge)
    _init_end, fragments = layout(data)
    dock = leg.client(leg.token("dock", AGENCY))
    auditor = leg.client(leg.token("auditor", AGENCY))
    location = create(dock, None, filename="DSJ_ending.mp4").headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    half = fragments[len(fragments) // 2][1]
    assert patch(dock, location, 0, data[:half]).status_code == 204
    playlist = auditor.post(f"/api/v1/live/{upload_id}/views").json()["playlist"]
    assert "0.m4s" in auditor.get(playlist).text  # indexed while receiving
    base = playlist.rsplit("/", 1)[0]

    finishing = instances("finishing", RECORDING_FAULTS="complete.object_placed:stop")
    with client(finishing, leg.token("dock", AGENCY)) as camera:
        final = functools.partial(patch, camera, location, half, data[half:], **{"Upload-Length": str(len(data))})
        thread, last = in_thread(final)
        wait_stopped(finishing)  # the object is in place; the database still says receiving
        reader, fragment = in_thread(auditor.get, f"{base}/0.m4s")
        reader.join(timeout=1.0)  # asked in the moment: it waits
        os.killpg(finishing.process.pid, signal.SIGCONT)
        thread.join(timeout=60)
        reader.join(timeout=60)
    assert last["response"].status_code == 204, last["response"].text
    answer = fragment["response"]
    assert answer.status_code == 200, answer.text
    assert answer.content == data[fragments[0][0] : fragments[0][1]]
