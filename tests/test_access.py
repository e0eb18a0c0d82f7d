"""Bearer tokens, roles and agencies, through the HTTP API and the real CLI (tokens demanded and roles kept, in the
app in this process: tests/api/test_access.py)."""

import hashlib
import json
import re

from .support.api import TUS, assert_problem
from .support.media import upload_bytes

OFFSET_STREAM = {"Content-Type": "application/offset+octet-stream"}


def test_agencies_and_dock_ownership(leg):
    dock = leg.token("dock", "AG-X", fresh=True)
    with leg.client(dock) as http:
        media_id = upload_bytes(http, b"agency evidence" * 100)
        location = http.get("/api/v1/media", params={"limit": 1}).json()["items"][0]["content_url"]
    other_dock = leg.token("dock", "AG-X", fresh=True)
    with leg.client(other_dock) as http:  # same agency, another dock: not its footage
        assert_problem(http.get(f"/api/v1/media/{media_id}"), 404, "media-not-found")
        assert http.get("/api/v1/media").json()["items"] == []
    with leg.client(leg.token("case_system", "AG-Y")) as http:  # another agency answers 404, not 403
        assert_problem(http.get(f"/api/v1/media/{media_id}"), 404)
        assert_problem(http.get(location), 404)
    for token in (leg.token("case_system", "AG-X"), leg.token("auditor", "AG-X"), leg.token("admin", "*")):
        with leg.client(token) as http:
            assert http.get(f"/api/v1/media/{media_id}").status_code == 200
            assert http.get(location).content == b"agency evidence" * 100
    with leg.client(leg.token("admin", "*")) as http:
        assert_problem(http.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "1"}), 403, "agency-required")


def test_token_cli(leg):
    result = leg.service.cli("token", "create", "--role", "reviewer", "--agency", "AG-Z", "--name", "评查工具")
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("rst_") and " " not in token
    with leg.client(token) as http:
        assert http.get("/api/v1/media").status_code == 200
    assert leg.service.cli("token", "create", "--role", "dock", "--agency", "*", check=False).returncode != 0
    assert leg.service.cli("token", "create", "--role", "janitor", "--agency", "A1", check=False).returncode != 0
    # An agency code with a trailing newline would be a second agency that looks like the first in every listing.
    assert leg.service.cli("token", "create", "--role", "reviewer", "--agency", "AG-Z\n", check=False).returncode != 0


def test_tokens_expire_and_are_revoked(leg):
    import time

    created = leg.service.cli("token", "create", "--role", "auditor", "--agency", "AG-T", "--name", "短期审计", "--expires-in", "10s")
    made_at = time.monotonic()
    brief = created.stdout.strip().splitlines()[-1]
    with leg.client(brief) as http:
        assert http.get("/api/v1/media").status_code == 200
    lasting = leg.service.cli("token", "create", "--role", "dock", "--agency", "AG-T", "--name", "dock-7")
    dock_token = lasting.stdout.strip().splitlines()[-1]
    dock_id = re.search(r"token id: (\w+)", lasting.stdout).group(1)
    with leg.client(dock_token) as http:
        assert http.get("/api/v1/media").status_code == 200

    assert leg.service.cli("token", "revoke", dock_id).returncode == 0
    with leg.client(dock_token) as http:
        assert_problem(http.get("/api/v1/media"), 401, "invalid-token")
    assert leg.service.cli("token", "revoke", dock_id, check=False).returncode == 1  # already revoked
    assert leg.service.cli("token", "revoke", "no-such-token", check=False).returncode == 1
    time.sleep(max(0.0, made_at + 10.5 - time.monotonic()))
    with leg.client(brief) as http:
        assert_problem(http.get("/api/v1/media"), 401, "invalid-token")

    listing = {t["name"]: t for t in json.loads(leg.service.cli("token", "list").stdout.strip().splitlines()[-1])}
    assert listing["短期审计"]["status"] == "expired" and listing["dock-7"]["status"] == "revoked"
    assert all("hash" not in key and "secret" not in key for token in listing.values() for key in token)
    assert leg.service.cli("token", "create", "--role", "dock", "--agency", "AG-T", "--expires-in", "forever", check=False).returncode != 0
    with leg.client(leg.token("admin", "*")) as http:
        revoked = [
            e
            for e in http.get("/api/v1/audit/events", params={"action": "token.revoked"}).json()["items"]
            if e["payload"]["token_id"] == dock_id
        ]
    assert len(revoked) == 1 and revoked[0]["payload"]["name"] == "dock-7"


def test_a_patch_on_another_docks_or_agencys_upload_takes_nothing(leg):
    """A PATCH at the right offset with the right body, from anyone but the upload's dock (or its agency's people, or
    the admin of every agency), is 404 and leaves the upload as it was: not held (the dock goes straight on), offset
    unchanged, nothing written."""
    owner = leg.token("dock", "AG-P", fresh=True)
    body = b"owner's bytes " * 64
    with leg.client(owner) as http:
        location = http.post("/api/v1/uploads", headers={**TUS, "Upload-Length": str(len(body))}).headers["Location"]
        assert http.patch(location, content=body[:100], headers={**TUS, "Upload-Offset": "0", **OFFSET_STREAM}).status_code == 204
    strangers = [leg.token("dock", "AG-P", fresh=True), leg.token("dock", "AG-Q", fresh=True), leg.token("case_system", "AG-Q")]
    for token in strangers:
        with leg.client(token) as http:
            answer = http.patch(location, content=b"x" * 100, headers={**TUS, "Upload-Offset": "100", **OFFSET_STREAM})
            assert_problem(answer, 404, "upload-not-found")
    with leg.client(owner) as http:
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == "100"
        done = http.patch(location, content=body[100:], headers={**TUS, "Upload-Offset": "100", **OFFSET_STREAM})
        assert done.status_code == 204, done.text  # not 423: no stranger holds it
        status = http.get(location).json()
        assert status["status"] == "completed" and status["sha256"] == hashlib.sha256(body).hexdigest()
