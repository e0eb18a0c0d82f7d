"""对外共享 on both legs: a share opened by an outside browser (a fresh context, no account, no cookies) in Debian's
Chromium — the page lists the files with their SHA-256, the video plays, the download gives the bytes the page names —
every use audited once under the share, then revoked (410); the receipt verifies offline with the CLI and fails when one
byte is changed; the token never reaches the server's log. (The rules: tests/api/test_shares.py.)"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from .support import VIEWPORT
from .support.cases import DAY, CaseWalk
from .support.media import upload_bytes
from .support.web import shots, wait_until

AGENCY = "SHARE1"


@pytest.fixture(scope="module")
def shared_case(leg, clips):
    recorded_at = f"{DAY}T09:10:00+08:00"
    clip = clips("share-inv.mp4", seconds=6, size="320x240", creation_time=recorded_at)
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media_id = upload_bytes(
            dock, clip.read_bytes(), device_id="CAM-S", officer_ids="3401001", recorded_at=recorded_at, filename="share-inv.mp4"
        )
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "penalty-general")
        walk.stage("filing", "08:30", "08:50", docs=["case_filing_form"])
        walk.stage("investigation", "09:00", "10:00", docs=["onsite_record"], media=[(media_id, "现场检查")])
    return {"case": walk.case, "media_id": media_id, "sha256": hashlib.sha256(clip.read_bytes()).hexdigest(), "size": clip.stat().st_size}


def _events(leg, case_id: str) -> list[dict]:
    with leg.client(leg.token("auditor", AGENCY)) as auditor:
        answer = auditor.get("/api/v1/audit/events", params={"case_id": case_id, "limit": 500})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]


def test_an_outside_browser_views_plays_downloads_then_the_share_is_revoked(leg, browser, browser_context_args, shared_case, tmp_path):
    case, media_id = shared_case["case"], shared_case["media_id"]
    expires_at = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    body = {
        "recipient": f"张律师{uuid.uuid4().hex[:4]}",
        "organisation": "安徽某某律师事务所",
        "recipient_kind": "lawyer",
        "purpose": "行政诉讼举证",
        "expires_at": expires_at,
        "permission": "download",
    }
    with leg.client(leg.token("case_system", AGENCY)) as http:
        answer = http.post(f"/api/v1/cases/{case['id']}/shares", json=body)
        assert answer.status_code == 201, answer.text
        share = answer.json()
    token, link = share["token"], leg.url + share["url"]

    outside = browser.new_context(**{**browser_context_args, "viewport": VIEWPORT})  # a fresh browser: no account, no cookies
    try:
        page = outside.new_page()
        played: list[tuple[str, int]] = []
        page.on(
            "response", lambda r: played.append((r.request.headers.get("range", ""), r.status)) if f"/files/{media_id}" in r.url else None
        )
        page.goto(link)
        expect(page.locator("h1")).to_have_text(case["case_number"])
        expect(page.locator(".shared-file")).to_have_count(1)
        expect(page.locator(".shared-file code.sha256")).to_have_text(shared_case["sha256"])
        expect(page.locator(".recipient")).to_contain_text(body["recipient"])
        assert "3406" not in page.content()  # no party's identity number
        page.screenshot(path=str(shots() / f"shared-{leg.name}.png"), full_page=True)
        # The video plays from the service's bytes (range requests), without any account.
        page.evaluate("document.querySelector('.shared-file video').muted = true")
        page.evaluate("document.querySelector('.shared-file video').play()")
        wait_until(page, "document.querySelector('.shared-file video').currentTime > 0.5")
        assert any(status in (200, 206) for _, status in played)
        # The download gives the original's bytes, whose SHA-256 is what the page lists.
        with page.expect_download() as info:
            page.click("a.download")
        saved = tmp_path / "downloaded.mp4"
        info.value.save_as(saved)
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == shared_case["sha256"]
        # The receipt, as the recipient downloads it.
        with page.expect_download() as info:
            page.click("a[href$='/receipt']")
        receipt = tmp_path / "receipt.json"
        info.value.save_as(receipt)
        # The key to check it with, from the page's link: public, no account needed.
        with page.expect_download() as info:
            page.click("a[href='/api/v1/public/keys/signing.pem']")
        published_key = tmp_path / "signing.pem"
        info.value.save_as(published_key)
        # Page views again and more ranges of the same play: audited once per window, not per request.
        page.reload()
        page.request.get(f"{link}/files/{media_id}", headers={"Range": "bytes=0-99"})

        events = _events(leg, case["id"])
        mine = [e for e in events if e["payload"].get("share_id") == share["id"]]
        actions = [e["action"] for e in mine]
        assert actions.count("share.created") == 1
        assert actions.count("share.viewed") == 1 and actions.count("share.media.played") == 1, actions
        assert actions.count("share.media.downloaded") == 1 and actions.count("share.receipt.issued") == 1, actions
        downloaded = next(e for e in mine if e["action"] == "share.media.downloaded")
        assert downloaded["media_id"] == media_id and downloaded["payload"]["size"] == shared_case["size"]
        assert downloaded["actor"]["role"] == "share" and body["recipient"] in downloaded["actor"]["name"]
        with leg.client(leg.token("auditor", AGENCY)) as auditor:
            listed = auditor.get(f"/api/v1/cases/{case['id']}/shares").json()["items"]
        counts = next(s for s in listed if s["id"] == share["id"])["counts"]
        assert counts == {"viewed": 1, "played": 1, "downloaded": 1, "receipt": 1}

        # The receipt verifies offline against the published key, and fails when one byte is changed; the key the page
        # links to is the service's own.
        with leg.client(leg.token("auditor", AGENCY)) as auditor:
            own_key = auditor.get("/api/v1/keys").json()["items"][0]["public_key_pem"]
        assert published_key.read_text() == own_key
        public_key = str(published_key)
        ok = leg.service.cli("verify-receipt", str(receipt), "--key", public_key, check=False)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        data = receipt.read_bytes()
        assert shared_case["sha256"].encode() in data and body["recipient"].encode() in data
        at = data.index(shared_case["sha256"].encode()) + 10
        altered = tmp_path / "altered.json"
        altered.write_bytes(data[:at] + (b"0" if data[at : at + 1] != b"0" else b"1") + data[at + 1 :])
        bad = leg.service.cli("verify-receipt", str(altered), "--key", public_key, check=False)
        assert bad.returncode == 1, bad.stdout
        spaced = tmp_path / "spaced.json"
        spaced.write_bytes(data.replace(b'": "', b'":  "', 1))  # one byte more, no value changed
        assert leg.service.cli("verify-receipt", str(spaced), "--key", public_key, check=False).returncode == 1

        # Revoked: the same browser's next look is a plain 410 page; the file too.
        with leg.client(leg.token("case_system", AGENCY)) as http:
            assert http.post(f"/api/v1/shares/{share['id']}/revoke", json={"reason": "诉讼已结束"}).status_code == 200
        answer = page.goto(link)
        assert answer.status == 410
        expect(page.locator("h1")).to_have_text("链接已撤销")
        assert page.request.get(f"{link}/files/{media_id}").status == 410
        page.screenshot(path=str(shots() / f"shared-revoked-{leg.name}.png"), full_page=True)
    finally:
        outside.close()

    # The token never reached the server's log: its requests are there, redacted.
    log = (leg.workdir / "service.log").read_text(errors="replace")
    assert token not in log
    assert "/shared/<redacted>" in log


def test_share_pages_fit_phones_and_pass_axe(leg, browser, browser_context_args, shared_case):
    """The recipient's page, its access-code form and its 410 page, and the case page's 对外共享 section with its form:
    no sideways scrolling at 390 and 320 px, and nothing serious for axe-core."""
    from .support.a11y import PHONES, axe_violations, overflow
    from .support.web import create_person, sign_in

    case = shared_case["case"]
    admin = f"shareadmin{uuid.uuid4().hex[:6]}"
    create_person(leg, admin, "admin", AGENCY, "钱管理")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        url = f"/api/v1/cases/{case['id']}/shares"
        body = {"recipient": "王法官", "organisation": "某某区人民法院", "recipient_kind": "court", "purpose": "行政诉讼"}
        body["expires_at"] = (datetime.now(UTC) + timedelta(days=7)).isoformat()
        open_share = http.post(url, json=body).json()
        coded = http.post(url, json={**body, "access_code": True}).json()
        revoked = http.post(url, json=body).json()
        assert http.post(f"/api/v1/shares/{revoked['id']}/revoke", json={"reason": "误发"}).status_code == 200

    outside = browser.new_context(**browser_context_args)
    staff = browser.new_context(**browser_context_args)
    try:
        page = outside.new_page()
        person = staff.new_page()
        sign_in(person, leg.url, admin, target=f"/cases/{case['id']}")
        expect(person.locator("#shares h2")).to_have_text("对外共享")
        expect(person.locator("#shares tr.share-revoked")).not_to_have_count(0)
        person.locator("#shares details.share-new summary").click()
        person.locator("#shares").screenshot(path=str(shots() / f"case-shares-{leg.name}.png"))
        pages = [
            (page, leg.url + open_share["url"]),
            (page, leg.url + "/shared/" + coded["token"]),
            (page, leg.url + revoked["url"]),
            (person, f"{leg.url}/cases/{case['id']}#shares"),
        ]
        for where, address in pages:
            for width in (VIEWPORT["width"], *PHONES):
                where.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
                where.goto(address)
                assert overflow(where) is None, (address.replace(leg.url, ""), width, overflow(where))
            assert axe_violations(where) == [], address.replace(leg.url, "")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(leg.url + open_share["url"])
        page.screenshot(path=str(shots() / f"shared-390-{leg.name}.png"), full_page=True)
    finally:
        outside.close()
        staff.close()
