"""Evidence bytes leave the service as what the probe found them to be: a dock's HTML page or an SVG
with script is a download (application/octet-stream, attachment), never a page of the service's
origin; real footage and pictures stay inline and still play. Every route that returns stored
evidence (the API's content, the pages' play links, the case file) carries nosniff and a sandbox CSP."""

import re
import subprocess
import uuid
from email.parser import BytesParser
from email.policy import HTTP

from playwright.sync_api import Browser

from .support import VIEWPORT
from .support.cases import case_body
from .support.media import upload_bytes
from .support.web import create_person, sign_in, signed_in_client, wait_until

AGENCY = "SERVED"
HTML = b"<!doctype html><html><head><title>notice</title></head><body><script>document.title='owned'</script></body></html>"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script>'
    b'<rect width="10" height="10"/></svg>'
)


def assert_evidence_headers(response, served: str, inline: bool) -> None:
    """nosniff and the sandbox on every answer; the type the probe found; a download unless inline."""
    headers = response.headers
    where = f"{response.request.method} {response.request.url} {response.status_code}"
    assert headers["x-content-type-options"] == "nosniff", where
    csp = [d.strip() for d in headers["content-security-policy"].split(";")]
    assert (
        any(d.split()[0] == "sandbox" and "allow-scripts" not in d for d in csp)
        and "default-src 'none'" in csp
        and "media-src 'self'" in csp
    ), where
    assert not any("script" in d for d in csp), where
    content_type = headers.get("content-type", "")
    if response.status_code == 206 and content_type.startswith("multipart/byteranges"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + response.content)
        assert [part.get_content_type() for part in message.iter_parts()] == [served, served], where
    elif response.status_code in (200, 206):
        assert content_type.split(";")[0] == served, where
    assert headers["content-disposition"].startswith("inline" if inline else "attachment"), where


def fetches(http, url: str) -> list:
    """Every way a client asks for stored bytes: whole, headers only, one range, several ranges, conditional."""
    whole = http.get(url)
    etag = whole.headers.get("etag", '"x"')
    return [
        whole,
        http.head(url),
        http.get(url, headers={"Range": "bytes=0-9"}),
        http.get(url, headers={"Range": "bytes=0-4,10-14"}),
        http.get(url, headers={"If-None-Match": etag}),
    ]


def png_bytes(tmp_path) -> bytes:
    path = tmp_path / "still.png"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=1", "-frames:v", "1", str(path)],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


def test_uploaded_pages_and_scripts_are_served_as_downloads_on_every_evidence_route(leg, clips, tmp_path):
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media = {
            # name: (id, the type served, inline)
            "html": (upload_bytes(dock, HTML, filename="notice.html", content_type="text/html"), "application/octet-stream", False),
            "svg": (upload_bytes(dock, SVG, filename="seal.svg", content_type="image/svg+xml"), "application/octet-stream", False),
            # What the dock declares does not decide: the probe found an MP4.
            "mp4": (
                upload_bytes(dock, clips("served.mp4", seconds=1).read_bytes(), filename="served.mp4", content_type="text/html"),
                "video/mp4",
                True,
            ),
            "png": (upload_bytes(dock, png_bytes(tmp_path), filename="still.png", content_type="image/png"), "image/png", True),
        }
        for media_id, served, inline in media.values():
            for response in fetches(dock, f"/api/v1/media/{media_id}/content"):
                assert response.status_code in (200, 206, 304), response.text[:200]
                assert_evidence_headers(response, served, inline)
        assert dock.get(f"/api/v1/media/{media['svg'][0]}/content").content == SVG  # the bytes themselves are untouched
    reviewer = f"served{uuid.uuid4().hex[:6]}"
    create_person(leg, reviewer, "auditor", AGENCY, "孙审看")
    with signed_in_client(leg.url, reviewer) as person:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', person.get(f"/footage/{media['html'][0]}").text).group(1)
        for media_id, served, inline in media.values():
            granted = person.post(f"/footage/{media_id}/play", headers={"X-CSRF-Token": csrf})
            assert granted.status_code == 200, granted.text[:300]
            for response in fetches(person, granted.json()["url"]):
                assert response.status_code in (200, 206, 304), response.text[:200]
                assert_evidence_headers(response, served, inline)
    with leg.client(leg.token("admin", AGENCY)) as admin:
        case = admin.post("/api/v1/cases", json=case_body(procedure="penalty-simple"))
        assert case.status_code == 201, case.text
        case_id = case.json()["id"]
        stage = admin.post(f"/api/v1/cases/{case_id}/stages", json={"stage": "onsite", "started_at": "2026-11-02T10:00:00+08:00"})
        for media_id, _, _ in media.values():
            bound = admin.post(f"/api/v1/cases/{case_id}/stages/{stage.json()['id']}/media", json={"media_id": media_id})
            assert bound.status_code == 201, bound.text
        exported = admin.get(f"/api/v1/cases/{case_id}/export")
        assert exported.status_code == 200
        assert_evidence_headers(exported, "application/zip", inline=False)
    with signed_in_client(leg.url, reviewer) as person:
        assert_evidence_headers(person.get(f"/cases/{case_id}/export"), "application/zip", inline=False)


def test_footage_opened_directly_still_plays_under_the_sandbox(leg, browser: Browser, clips):
    """The sandbox CSP must not stop a browser playing a video opened on its own (Chromium's media document)."""
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media_id = upload_bytes(dock, clips("direct.mp4", seconds=2).read_bytes(), filename="direct.mp4")
    person = f"direct{uuid.uuid4().hex[:6]}"
    create_person(leg, person, "auditor", AGENCY, "周直看")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, leg.url, person, target=f"/footage/{media_id}")
    page.click("aside button.play")
    wait_until(page, "document.getElementById('player').src.includes('/play/')")
    wait_until(page, "document.getElementById('player').readyState >= 2")  # the page's player decodes it
    url = page.evaluate("document.getElementById('player').src")
    response = page.goto(url)
    assert response.headers["content-type"] == "video/mp4" and "sandbox" in response.headers["content-security-policy"]
    video = page.locator("video")
    video.wait_for()
    wait_until(page, "document.querySelector('video').readyState >= 2 && document.querySelector('video').videoWidth === 320")
    context.close()
