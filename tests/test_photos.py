"""Photos and scanned documents as evidence, on both legs: a camera's JPEG uploaded by tus is described (its EXIF
time becomes the recorded time, its camera and size are kept), thumbnailed and given a viewing copy through the
job queue without its bytes changing; a damaged JPEG says so; a scanned PDF opens in Chromium's own viewer; photos
are viewed zoomable in the player panel and counted where a stage expects 现场照片."""

import hashlib
import io
import re
import time
import uuid

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .support.api import assert_problem
from .support.audit import events
from .support.cases import DAY, CaseWalk
from .support.media import upload_bytes
from .support.photos import camera_jpeg, scanned_pdf
from .support.web import create_person, shots, sign_in, wait_until

AGENCY = "PHOTO1"
# What may stand in the photo pages' Chinese text besides identifiers, digests and file names: format names, the
# digest's name, and the test's data (the camera's make, devices, the agency code, CaseWalk's document titles).
NAMES = {"SHA-256", "JPEG", "PDF", "BagIt", "DSJ", "DSJ-V9", "CAM-P", "PHONE-1", "PHOTO1", "onsite_record"}


def english_on(page: Page) -> list[str]:
    """ASCII words of three letters or more in the visible text that are no name, identifier, digest or file name."""
    text = re.sub(r"[\w\-]+\.(jpg|jpeg|pdf|mp4)\b", " ", page.evaluate("document.body.innerText"), flags=re.IGNORECASE)  # file names
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*[A-Za-z0-9]|[A-Za-z]", text)
    return sorted(
        {
            w
            for w in words
            if re.search(r"[A-Za-z]{3,}", w)
            and w not in NAMES
            and not re.search(r"\d", w)  # an identifier or a number with a unit
            and not re.fullmatch(r"[0-9a-f]{8,}…?", w)
        }
    )


def copies_ready(http: httpx.Client, media_id: str, purposes: set[str], timeout: float = 120) -> dict[str, dict]:
    """The photo's derived copies once the job made them (purpose → copy)."""
    deadline = time.monotonic() + timeout
    while True:
        media = http.get(f"/api/v1/media/{media_id}").json()
        copies = {c["purpose"]: c for c in media["image_copies"] or []}
        if set(copies) == purposes and all(c["status"] != "pending" for c in copies.values()):
            return copies
        assert time.monotonic() < deadline, f"copies of {media_id} not made after {timeout} s: {copies}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def people(leg):
    suffix = uuid.uuid4().hex[:6]
    names = {"auditor": f"photoaud{suffix}"}
    create_person(leg, names["auditor"], "auditor", AGENCY, "吴照看")
    return names


@pytest.fixture(scope="module")
def photo_case(leg):
    """A 日常监督检查 with a recording and two photos bound to 现场检查, and a scanned decision bound beside them."""
    with leg.client(leg.token("dock", AGENCY)) as dock:
        photo = camera_jpeg(3000, 2000, taken="2026:11:03 09:20:15", offset="+08:00", make="DSJ", model="DSJ-V9")
        media = {
            "photo": upload_bytes(dock, photo, filename="IMG_0001.JPG", device_id="CAM-P", officer_ids="3401001"),
            "local": upload_bytes(
                dock, camera_jpeg(800, 600, taken="2026:11:03 09:25:00", offset=None), filename="IMG_0002.JPG", device_id="PHONE-1"
            ),
            "scan": upload_bytes(dock, scanned_pdf(2), filename="现场笔录扫描.pdf", content_type="application/pdf"),
        }
        copies_ready(dock, media["photo"], {"thumbnail", "viewing"})
        copies_ready(dock, media["local"], {"thumbnail"})
    return {"media": media, "photo_bytes": photo}


def test_a_camera_jpeg_is_described_from_its_exif_and_keeps_its_bytes(leg, photo_case):
    media_ids = photo_case["media"]
    with leg.client(leg.token("dock", AGENCY)) as dock:
        photo = dock.get(f"/api/v1/media/{media_ids['photo']}").json()
        assert photo["status"] == "ready" and photo["kind"] == "image" and photo["probe_error"] is None
        assert photo["sha256"] == hashlib.sha256(photo_case["photo_bytes"]).hexdigest()
        assert photo["container"] == "jpeg_pipe" and photo["video"] is None and photo["duration_s"] is None
        image = photo["image"]
        assert (image["format"], image["width"], image["height"]) == ("JPEG", 3000, 2000)
        assert (image["camera_make"], image["camera_model"]) == ("DSJ", "DSJ-V9")
        assert image["taken_at"] == "2026-11-03T09:20:15+08:00" and image["taken_at_offset"] is True
        # The EXIF time is the media's recorded time, as a video's creation_time is; a photo is a moment.
        assert photo["recorded_at_source"] == "exif"
        assert photo["recorded_started_at"] == photo["recorded_ended_at"] == "2026-11-03T09:20:15+08:00"
        # Without OffsetTimeOriginal the camera's clock is read as the agency's local time, and said so.
        local = dock.get(f"/api/v1/media/{media_ids['local']}").json()
        assert local["recorded_at_source"] == "exif_local" and local["image"]["taken_at_offset"] is False
        assert local["recorded_started_at"] == "2026-11-03T09:25:00+08:00"
        # The original is served as it was uploaded, inline as the JPEG it is.
        original = dock.get(photo["content_url"])
        assert original.status_code == 200 and original.content == photo_case["photo_bytes"]
        assert original.headers["content-type"] == "image/jpeg" and original.headers["content-disposition"].startswith("inline")
        listed = dock.get("/api/v1/media", params={"kind": "image", "limit": 200}).json()["items"]
        assert {media_ids["photo"], media_ids["local"]} <= {m["id"] for m in listed} and media_ids["scan"] not in {m["id"] for m in listed}


def test_thumbnails_and_viewing_copies_are_derived_stored_and_served_audited(leg, photo_case):
    media_id = photo_case["media"]["photo"]
    with leg.client(leg.token("case_system", AGENCY)) as http:
        copies = {c["purpose"]: c for c in http.get(f"/api/v1/media/{media_id}").json()["image_copies"]}
        sha = hashlib.sha256(photo_case["photo_bytes"]).hexdigest()
        for purpose, side in (("thumbnail", 320), ("viewing", 2048)):
            copy = copies[purpose]
            assert copy["status"] == "ready" and copy["original_sha256"] == sha and copy["sha256"] != sha
            served = http.get(copy["url"])
            assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
            assert hashlib.sha256(served.content).hexdigest() == copy["sha256"] and len(served.content) == copy["size"]
            assert served.headers["x-content-type-options"] == "nosniff" and "sandbox" in served.headers["content-security-policy"]
            with Image.open(io.BytesIO(served.content)) as picture:
                assert picture.format == "JPEG" and max(picture.size) == side and picture.size == (copy["width"], copy["height"])
        # Only a large photo gets a viewing copy; a copy that is not there is a 404, a made one an audited read.
        small = photo_case["media"]["local"]
        assert [c["purpose"] for c in http.get(f"/api/v1/media/{small}").json()["image_copies"]] == ["thumbnail"]
        assert_problem(http.get(f"/api/v1/media/{small}/image-copies/viewing"), 404, "image-copy-not-found")
        assert http.get(f"/api/v1/media/{small}/image-copies/other").status_code == 422
        # The original's bytes did not change: it still hashes to its SHA-256 as stored.
        assert hashlib.sha256(http.get(f"/api/v1/media/{media_id}/content").content).hexdigest() == sha
    with leg.client(leg.token("auditor", AGENCY)) as auditor:
        made = events(auditor, action="media.image_copy_made", media_id=media_id)
        assert sorted(e["payload"]["purpose"] for e in made) == ["thumbnail", "viewing"]
        reads = events(auditor, action="media.copy.read", media_id=media_id)
        assert {e["payload"]["purpose"] for e in reads} == {"thumbnail", "viewing"} and all(
            e["actor"]["role"] == "case_system" for e in reads
        )


def test_a_damaged_jpeg_is_kept_and_says_it_cannot_be_decoded(leg, people, page: Page):
    whole = camera_jpeg(1200, 900, taken="2026:11:03 10:00:00")
    truncated = whole[: len(whole) // 2]
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media_id = upload_bytes(dock, truncated, filename="IMG_BROKEN.JPG")
        media = dock.get(f"/api/v1/media/{media_id}").json()
        assert media["status"] == "probe_failed" and media["kind"] == "image"
        assert media["probe_error"].startswith("damaged picture") and "truncated" in media["probe_error"]
        assert media["sha256"] == hashlib.sha256(truncated).hexdigest() and dock.get(media["content_url"]).content == truncated
        # What was readable is kept: the format, the size, the EXIF time before the damage.
        assert media["image"]["format"] == "JPEG" and media["image"]["width"] == 1200
        assert media["recorded_at_source"] == "exif" and media["recorded_started_at"] == "2026-11-03T10:00:00+08:00"
        assert media["image_copies"] is None
        garbage = upload_bytes(dock, b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, filename="not-really.jpg")
        assert dock.get(f"/api/v1/media/{garbage}").json()["status"] == "probe_failed"
    sign_in(page, leg.url, people["auditor"], target=f"/footage/{media_id}")
    expect(page.locator("h1")).to_contain_text("无法解析")
    expect(page.locator("dd.probe-problem")).to_contain_text("照片数据损坏")
    expect(page.locator("dd.media-kind")).to_have_text("照片")


def test_a_photo_opens_zoomable_in_the_player_panel(leg, people, photo_case, page: Page):
    media = photo_case["media"]
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "inspection-routine")
        walk.stage("inspection", "09:00", "10:00", docs=["onsite_record"], media=[(media["photo"], "门口全景"), (media["local"], None)])
    sign_in(page, leg.url, people["auditor"], target=f"/cases/{walk.case['id']}")
    stage = page.locator("#stage-inspection")
    photos = stage.locator(".clip.photo")
    expect(photos).to_have_count(2)
    expect(stage.locator(".photos-count")).to_contain_text("已关联 2 张可用照片")
    first = photos.filter(has_text="CAM-P")
    expect(first).to_contain_text("拍摄时间 2026-11-03 09:20:15")
    expect(first).to_contain_text("3000×2000")
    expect(first).to_contain_text("DSJ DSJ-V9")
    # The thumbnail is the derived copy, loaded through a signed link.
    thumb = first.locator("img.thumb")
    assert "src=thumbnail" in thumb.get_attribute("src")
    wait_until(page, "Array.from(document.querySelectorAll('img.thumb')).every(i => i.complete && i.naturalWidth > 0)")
    assert page.evaluate("document.querySelector('#stage-inspection .clip.photo img.thumb').naturalWidth") <= 320

    first.locator("button.view").click()
    viewer = page.locator("#viewer")
    expect(viewer).to_be_visible()
    expect(page.locator("#player")).to_be_hidden()
    wait_until(page, "document.getElementById('viewer-image').complete && document.getElementById('viewer-image').naturalWidth > 0")
    assert "src=viewing_copy" in page.evaluate("document.getElementById('viewer-image').src")  # a 3000 px photo: its viewing copy
    expect(page.locator("#player-caption")).to_contain_text("拍摄时间 2026-11-03 09:20:15")

    def width() -> float:
        return page.evaluate("document.getElementById('viewer-image').getBoundingClientRect().width")

    def transform() -> str:
        return page.evaluate("document.getElementById('viewer-image').style.transform")

    fitted = width()
    assert 0 < fitted <= page.evaluate("document.getElementById('viewer-stage').getBoundingClientRect().width") + 1
    viewer.get_by_role("button", name="放大").click()
    assert width() == pytest.approx(fitted * 1.25, rel=0.02)
    box = page.locator("#viewer-stage").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -240)
    wait_until(page, f"document.getElementById('viewer-image').getBoundingClientRect().width > {fitted * 1.5}")
    before = transform()
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2 - 30, steps=5)
    page.mouse.up()
    assert transform() != before and "translate(" in transform()
    dragged = page.evaluate("document.getElementById('viewer-image').getBoundingClientRect().left")
    page.locator("#viewer-stage").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.getElementById('viewer-image').getBoundingClientRect().left") == pytest.approx(dragged - 40, abs=1)
    zoomed = width()
    page.keyboard.press("-")
    assert width() == pytest.approx(zoomed * 0.8, rel=0.02)
    page.keyboard.press("0")
    assert width() == pytest.approx(fitted, rel=0.02)
    page.keyboard.press("1")
    assert width() == pytest.approx(page.evaluate("document.getElementById('viewer-image').naturalWidth"), rel=0.02)
    if leg.name == "sqlite-fs":
        page.locator("#viewer-stage").focus()
        page.keyboard.press("0")
        page.screenshot(path=str(shots() / "case-photo-viewer.png"))

    # A video still plays in the same panel afterwards.
    with leg.client(leg.token("auditor", AGENCY)) as auditor:
        grants = events(auditor, action="media.playback.granted", media_id=media["photo"])
        assert grants and grants[-1]["payload"]["source"] == "viewing_copy" and grants[-1]["actor"]["role"] == "auditor"
        shown = events(auditor, action="media.thumbnail.granted", media_id=media["photo"])
        assert shown and shown[-1]["payload"]["via"] == "page"

    # On the footage page the photo's facts are labelled in Chinese and the small photo is viewed as it is.
    page.goto(leg.url + f"/footage/{media['local']}")
    expect(page.locator("dd.taken-at")).to_contain_text("2026-11-03 09:25:00")
    expect(page.locator("dd.taken-at")).to_contain_text("未记录时区")
    expect(page.locator("dd.dimensions")).to_contain_text("800×600")
    page.locator("aside button.play").click()
    wait_until(page, "document.getElementById('viewer-image').complete && document.getElementById('viewer-image').naturalWidth === 800")
    assert "src=original" in page.evaluate("document.getElementById('viewer-image').src")
    page.get_by_role("button", name="放大").click()
    assert "scale(" in page.evaluate("document.getElementById('viewer-image').style.transform")
    assert english_on(page) == []
    page.goto(leg.url + f"/cases/{walk.case['id']}")
    assert english_on(page) == []


def test_a_scanned_pdf_opens_in_the_browsers_viewer_with_its_hash(leg, people, photo_case, page: Page):
    scan = photo_case["media"]["scan"]
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media = dock.get(f"/api/v1/media/{scan}").json()
        assert media["status"] == "ready" and media["kind"] == "document" and media["container"] == "pdf"
        assert media["document"] == {"format": "PDF", "version": "1.4", "pages": 2}
        served = dock.get(media["content_url"])
        assert served.headers["content-type"] == "application/pdf" and served.headers["content-disposition"].startswith("inline")
    sign_in(page, leg.url, people["auditor"], target=f"/footage/{scan}")
    expect(page.locator("dd.pages")).to_have_text("2")
    assert english_on(page) == []
    page.locator("aside button.play").click()
    frame = page.locator("#document-frame")
    expect(frame).to_be_visible()
    expect(page.locator("#document-hash")).to_have_text(f"SHA-256 {media['sha256']}")
    wait_until(page, "(document.getElementById('document-frame').getAttribute('src') || '').includes('/play/')")
    # Chromium's own PDF viewer opened the document inside the frame (its extension's page is a child frame).
    deadline = time.monotonic() + 30
    while not any(f.url.startswith("chrome-extension://") for f in page.frames):
        assert time.monotonic() < deadline, [f.url for f in page.frames]
        page.wait_for_timeout(200)
    if leg.name == "sqlite-fs":
        page.wait_for_timeout(1500)  # the viewer draws the pages
        page.screenshot(path=str(shots() / "footage-pdf.png"))
    # The same link as the person's browser holds it (its cookies), asked again: a PDF, to be shown inline. (The
    # frame's own response is not read: Chromium's viewer takes it over, and its headers are not always reported.)
    answer = page.request.get(page.evaluate("document.getElementById('document-open').href") + "&again=1")
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline") and answer.body()[:5] == b"%PDF-"


def test_completeness_counts_photos_where_a_stage_expects_them(leg, photo_case, clips):
    media = photo_case["media"]
    with leg.client(leg.token("dock", AGENCY)) as dock:
        recording = upload_bytes(
            dock,
            clips("photo-stage.mp4", seconds=2, creation_time=f"{DAY}T01:10:00Z").read_bytes(),
            filename="photo-stage.mp4",
            device_id="CAM-P",
        )
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "inspection-routine")
        walk.stage("inspection", "09:00", "10:00", docs=["onsite_record"], media=[(recording, None)])
        timeline = walk.timeline()
        inspection = next(s for s in timeline["stages"] if s["stage"] == "inspection")
        assert inspection["photos"] == 0 and inspection["photo_rule"] == {"expect": "recommended", "min": 1}
        recommended = timeline["completeness"]["recommendations"]
        assert [(r["stage"], r["kind"], r["present"]) for r in recommended] == [("inspection", "photos_recommended", 0)]
        assert "建议留存现场照片" in recommended[0]["message_zh"]
        findings = timeline["completeness"]["findings"]
        assert not [f for f in findings if f["kind"] in ("missing_photos", "photos_recommended")]  # a recommendation, never a finding
        walk.bind("inspection", media["photo"])
        timeline = walk.timeline()
        inspection = next(s for s in timeline["stages"] if s["stage"] == "inspection")
        assert inspection["photos"] == 1 and timeline["completeness"]["recommendations"] == []
        bound = {m["media_id"]: m for m in inspection["media"]}
        assert bound[media["photo"]]["kind"] == "image" and bound[media["photo"]]["image"]["camera_model"] == "DSJ-V9"
        assert bound[recording]["kind"] == "video"
        # A photo is no recording: on its own it does not satisfy a stage that must be recorded, nor joins continuity.
        alone = CaseWalk(http, "penalty-simple")
        alone.stage("onsite", "09:00", docs=["onsite_penalty_decision"], media=[(media["photo"], None), (media["scan"], None)])
        unusable = [f for f in alone.timeline()["completeness"]["findings"] if f["kind"] == "unusable_audio_visual"]
        assert len(unusable) == 1 and "image" in unusable[0]["message"] and "照片" in unusable[0]["message_zh"]
        assert set(unusable[0]["media_ids"]) == {media["photo"], media["scan"]}
