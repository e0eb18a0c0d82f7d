"""Fixity checks and the sweep of expired uploads, through the CLI, on both stores."""

import hashlib
import json
import time
import uuid
import zipfile

from .support.api import create, patch
from .support.audit import events
from .support.cases import case_body
from .support.export import verify as verify_export_report
from .support.media import described
from .support.servers import ServiceProcess
from .support.storage import storage_key


def upload(http, data: bytes) -> tuple[str, str]:
    """Upload and wait for the probe job (fixity leaves media that are still being described alone)."""
    location = create(http, len(data), filename="evidence.mp4").headers["Location"]
    response = patch(http, location, 0, data)
    assert response.status_code == 204
    described(http, response.headers["Upload-Media-Id"])
    return location.rsplit("/", 1)[1], response.headers["Upload-Media-Id"]


def cli_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_fixity_flags_corrupt_and_missing_objects(leg, tmp_path):
    agency = f"FIX-{uuid.uuid4().hex[:6]}"
    good, bad, gone = (f"{name} {uuid.uuid4()}".encode() * 200 for name in ("good", "bad", "gone"))
    with leg.client(leg.token("dock", agency)) as http:
        _, good_id = upload(http, good)
        bad_upload, bad_id = upload(http, bad)
        gone_upload, gone_id = upload(http, gone)
    with leg.client(leg.token("case_system", agency)) as http:
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}).json()
        http.post(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media", json={"media_id": bad_id})

    first = leg.service.cli("fixity", "run")
    assert cli_json(first)["mismatch"] == 0 and cli_json(first)["ok"] >= 3

    bad_key, gone_key = storage_key(leg, bad_upload), storage_key(leg, gone_upload)
    tampered = b"X" + bad[1:]
    leg.damage(overwrite={bad_key: tampered}, remove=(gone_key,))

    second = leg.service.cli("fixity", "run", check=False)
    assert second.returncode == 1
    summary = cli_json(second)
    failures = {f["media_id"]: f for f in summary["failures"]}
    assert failures[bad_id]["result"] == "mismatch" and failures[bad_id]["actual_sha256"] == hashlib.sha256(tampered).hexdigest()
    assert failures[gone_id]["result"] == "missing"
    assert good_id not in failures

    with leg.client(leg.token("auditor", agency)) as http:
        assert http.get(f"/api/v1/media/{bad_id}").json()["status"] == "corrupt"
        assert http.get(f"/api/v1/media/{gone_id}").json()["status"] == "missing"
        assert http.get(f"/api/v1/media/{good_id}").json()["status"] != "corrupt"
        actions = [e["action"] for e in events(http, media_id=bad_id)]
        assert actions.count("fixity.ok") == 1 and actions[-1] == "fixity.mismatch"
        findings = http.get(f"/api/v1/cases/{case['id']}/timeline").json()["completeness"]["findings"]
        integrity = [f for f in findings if f["kind"] == "integrity"]
        assert [(f["stage"], f["media_id"]) for f in integrity] == [("onsite", bad_id)]
        assert http.get("/api/v1/audit/verify").json()["ok"] is True

    recent = leg.service.cli("fixity", "run", "--older-than", "1", check=False)  # everything was just checked
    assert cli_json(recent)["checked"] == 0 and recent.returncode == 0

    # A case file leaves out footage fixity found corrupt, says so, and still verifies.
    with leg.client(leg.token("auditor", agency)) as http:
        exported = http.get(f"/api/v1/cases/{case['id']}/export")
    assert exported.status_code == 200, exported.text
    (tmp_path / "case.zip").write_bytes(exported.content)
    with zipfile.ZipFile(tmp_path / "case.zip") as archive:
        listing = json.loads(archive.read(f"case-{case['id']}/data/export.json"))
        assert not any(name.startswith(f"case-{case['id']}/data/footage/") for name in archive.namelist())
    assert listing["footage"] == [] and [(m["media_id"], m["status"]) for m in listing["not_included"]] == [(bad_id, "corrupt")]
    assert verify_export_report(leg, tmp_path / "case.zip")["ok"] is True


def test_uploads_sweep_removes_expired_partials(leg, tmp_path):
    short = ServiceProcess({**leg.service.env, "RECORDING_UPLOAD_EXPIRY_HOURS": "0.0002"}, tmp_path).start()
    try:
        with leg.client(leg.token("dock", "SWEEP")) as http:
            http.base_url = short.base_url
            location = create(http, 7 * 1024 * 1024).headers["Location"]
            assert patch(http, location, 0, b"p" * (6 * 1024 * 1024)).status_code == 204  # one S3 part and a tail
            upload_id = location.rsplit("/", 1)[1]
            time.sleep(1.0)
            result = short.cli("uploads", "sweep")
            assert cli_json(result)["expired"] >= 1
            assert http.get(location).json()["status"] == "expired"
    finally:
        short.stop()
    if leg.seaweed is not None:
        s3 = leg.seaweed.client()
        pending = s3.list_multipart_uploads(Bucket=leg.bucket).get("Uploads", [])
        assert not [u for u in pending if u["Key"].endswith(upload_id)]
        assert not s3.list_objects_v2(Bucket=leg.bucket, Prefix=f"rs/.uploads/{upload_id}/").get("Contents")
    else:
        assert not (leg.workdir / "objects" / ".uploads" / f"{upload_id}.part").exists()
    with leg.client(leg.token("auditor", "SWEEP")) as http:
        assert [e["action"] for e in events(http, action="upload.expired") if e["upload_id"] == upload_id] == ["upload.expired"]
