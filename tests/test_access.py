"""Bearer tokens, roles and agencies, through the HTTP API and the real CLI."""

import json
import re
from pathlib import Path

from .support.api import TUS, assert_problem
from .support.media import upload_bytes

OPENAPI = json.loads((Path(__file__).parents[1] / "openapi" / "openapi.json").read_text())


def test_every_endpoint_but_healthz_and_the_public_side_needs_a_token(leg):
    with leg.client() as anonymous, leg.client("rst_not-a-real-token") as forged:
        assert anonymous.get("/healthz").status_code == 200
        checked = 0
        for path, methods in OPENAPI["paths"].items():
            if path == "/healthz":
                continue
            if path.startswith("/api/v1/public/"):  # published for anyone (资格清单 and the like): GET only, no token
                concrete = re.sub(r"\{[a-z_]+\}", "0" * 32, path)
                # a list answers; an item that does not exist is a plain 404, never a demand for a token
                assert set(methods) == {"get"} and anonymous.get(concrete).status_code == (200 if concrete == path else 404), path
                continue
            concrete = re.sub(r"\{[a-z_]+\}", "0" * 32, path)
            for method in methods:
                for http in (anonymous, forged):
                    response = http.request(method.upper(), concrete, headers=TUS)
                    assert response.status_code == 401, (method, path, response.status_code)
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
                    checked += 1
        assert checked >= 16


def test_roles(leg):
    with leg.client(leg.token("auditor")) as auditor, leg.client(leg.token("reviewer")) as reviewer:
        assert_problem(auditor.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "1"}), 403, "forbidden-role")
        assert_problem(reviewer.post("/api/v1/media", files={"file": ("a", b"b")}), 403, "forbidden-role")
        assert auditor.get("/api/v1/media").status_code == 200
    with leg.client(leg.token("case_system")) as case_system:
        assert case_system.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "1"}).status_code == 201


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
