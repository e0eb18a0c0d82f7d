"""Footage still being recorded (issue 29) in the pages, in Debian's Chromium on both legs: a camera streams a
fragmented MP4 over tus with deferred length; while it arrives the 未关联音像 list and, once bound to a stage, the
case page show it as 录制中 (bytes so far, start, last data) with 实时查看 and no player, and the stage as in
progress rather than missing; after the last PATCH it becomes ordinary footage that plays and a complete record."""

import subprocess
import uuid

import pytest
from playwright.sync_api import Page, expect

from .support.api import TUS, metadata_header, patch
from .support.cases import CaseWalk
from .support.waiting import wait_for
from .support.web import create_person, shots, sign_in, wait_until

AGENCY = "RECP1"


@pytest.fixture(scope="module")
def camera(tmp_path_factory) -> bytes:
    """A body camera's recording: H.264 in 2-second fragments (moof per keyframe), as it streams it."""
    path = tmp_path_factory.mktemp("recording-pages") / "DSJ_RECP01.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "8", "-c:v", "libx264"]
        + ["-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"]
        + ["-movflags", "frag_keyframe+empty_moov+default_base_moof", str(path)],
        check=True,
        timeout=120,
    )
    return path.read_bytes()


def test_a_recording_shows_as_live_in_the_lists_and_the_case_then_as_ordinary_footage(leg, camera, page: Page):
    auditor = f"recaud{uuid.uuid4().hex[:6]}"
    create_person(leg, auditor, "auditor", AGENCY, "周督察")
    first = len(camera) // 3
    with leg.client(leg.token("dock", AGENCY)) as dock:
        metadata = metadata_header(
            filename="DSJ_RECP01_20261103090500.mp4", device_id="RECP01", officer_ids="3401001", recorded_at="2026-11-03T09:05:00+08:00"
        )
        created = dock.post("/api/v1/uploads", headers={**TUS, "Upload-Defer-Length": "1", "Upload-Metadata": metadata})
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        assert patch(dock, location, 0, camera[:first]).status_code == 204
        media_id = dock.get(location).json()["media_id"]
        assert dock.get(f"/api/v1/media/{media_id}").json()["status"] == "recording"

    # Before it is filed: the 未关联音像 list shows it live.
    sign_in(page, leg.url, auditor, target="/unlinked?device_id=RECP01")
    row = page.locator(f'#unlinked-list tr[data-media="{media_id}"]')
    expect(row.locator(".recording-badge")).to_have_text("录制中")
    expect(row.locator("a.live-link")).to_have_attribute("href", f"/media/{media_id}/live")

    with leg.client(leg.token("case_system", AGENCY)) as cases:
        walk = CaseWalk(cases, "penalty-simple")
        walk.stage("onsite", "09:00", "09:40", docs=["onsite_penalty_decision"], media=[(media_id, "现场处罚（边录边传）")])
        assert walk.timeline()["completeness"]["state"] == "recording"

    page.goto(leg.url + f"/cases/{walk.case['id']}")
    expect(page.locator("#findings")).to_contain_text("录制中：1 个环节的音像仍在录制上传")
    expect(page.locator("#stage-onsite .stage-recording")).to_have_text("录制中")
    clip = page.locator(f'#stage-onsite li.clip[data-media="{media_id}"]')
    expect(clip.locator(".recording-badge")).to_have_text("录制中")
    expect(clip.locator(".received")).to_contain_text("已收到")
    expect(clip.locator(".when")).to_have_text("开始 2026-11-03 09:05:00")
    expect(clip.locator("button.play")).to_have_count(0)  # its bytes are not served while it is recorded
    expect(clip.locator(".clip-meta")).to_contain_text("录制完成后计算")
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "case-recording.png"))
        page.locator("#stage-onsite").scroll_into_view_if_needed()
        page.screenshot(path=str(shots() / "case-recording-stage.png"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    clip.locator("a.live-link").click()
    expect(page).to_have_url(leg.url + f"/media/{media_id}/live")
    expect(page.locator("h1")).to_contain_text("实时查看")
    expect(page.locator("#live-badge")).to_have_text("直播中")

    # The camera stops: the last PATCH declares the length; the record becomes the evidence and is described.
    with leg.client(leg.token("dock", AGENCY)) as dock:
        answer = patch(dock, location, first, camera[first:], **{"Upload-Length": str(len(camera))})
        assert answer.status_code == 204, answer.text
        done = wait_for(
            "the recording described", lambda: (m := dock.get(f"/api/v1/media/{media_id}").json())["status"] == "ready" and m, timeout=90
        )
    assert done["sha256"] and done["size"] == len(camera)

    page.goto(leg.url + f"/cases/{walk.case['id']}")
    expect(page.locator("#findings")).to_contain_text("记录完整")
    expect(page.locator("#stage-onsite .stage-recording")).to_have_count(0)
    clip = page.locator(f'#stage-onsite li.clip[data-media="{media_id}"]')
    expect(clip.locator(".recording-badge")).to_have_count(0)
    expect(clip.locator("a.live-link")).to_have_count(0)
    expect(clip.locator(".media-status")).to_have_text("可用")
    expect(clip.locator(".clip-meta code")).to_have_text(done["sha256"][:16] + "…")
    play = clip.locator("button.play")
    expect(play).to_be_enabled()
    play.click()
    wait_until(page, "document.getElementById('player').readyState >= 2")  # the finished recording plays

    page.goto(leg.url + f"/footage/{media_id}")
    expect(page.locator("#recording-state")).to_have_count(0)
    expect(page.locator("h1 .status")).to_have_text("可用")
