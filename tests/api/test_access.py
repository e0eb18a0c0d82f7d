"""Tokens and roles through the API of the app in this process: every endpoint but the health check and the public
side needs a token; each role reaches what it may. (Agencies and docks with real footage, and the token CLI: tests/test_access.py.)"""

import json
import re
from pathlib import Path

from ..support.api import TUS, assert_problem

OPENAPI = json.loads((Path(__file__).parents[2] / "openapi" / "openapi.json").read_text())
OPERATIONS = ("/healthz", "/livez", "/readyz", "/metrics")
FILED_BY_ANYONE = {"/api/v1/public/complaints"}  # POST: a complaint from the public
ASKED_OR_FILED = {"/api/v1/public/complaints", "/api/v1/public/officers/verify"}  # need a body or a question


def test_every_endpoint_but_healthz_and_the_public_side_needs_a_token(inproc):
    with inproc.client() as anonymous, inproc.client("rst_not-a-real-token") as forged:
        # the probes a proxy or an orchestrator asks, and the scrape (guarded by RECORDING_METRICS_TOKEN when set: see
        # tests/api/test_operations.py), answer without a token
        for probe in OPERATIONS:
            assert anonymous.get(probe).status_code == 200, probe
        checked = 0
        for path, methods in OPENAPI["paths"].items():
            if path in OPERATIONS:
                continue
            if path.startswith("/api/v1/public/"):  # for anyone (资格清单 and the like): GET, and filing a complaint; no token
                concrete = re.sub(r"\{[a-z_]+\}", "0" * 32, path)
                assert set(methods) == ({"post"} if path in FILED_BY_ANYONE else {"get"}), path
                # a list answers; an item that does not exist is a plain 404; a question or a filing without its
                # input is refused as such — never a demand for a token
                expected = 422 if path in ASKED_OR_FILED else 200 if concrete == path else 404
                assert anonymous.request(next(iter(methods)).upper(), concrete).status_code == expected, path
                continue
            concrete = re.sub(r"\{[a-z_]+\}", "0" * 32, path)
            for method in methods:
                for http in (anonymous, forged):
                    response = http.request(method.upper(), concrete, headers=TUS)
                    assert response.status_code == 401, (method, path, response.status_code)
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
                    checked += 1
        assert checked >= 16


def test_roles(inproc):
    with inproc.client(inproc.token("auditor")) as auditor, inproc.client(inproc.token("reviewer")) as reviewer:
        assert_problem(auditor.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "1"}), 403, "forbidden-role")
        assert_problem(reviewer.post("/api/v1/media", files={"file": ("a", b"b")}), 403, "forbidden-role")
        assert auditor.get("/api/v1/media").status_code == 200
    with inproc.client(inproc.token("case_system")) as case_system:
        assert case_system.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "1"}).status_code == 201
