"""Faults: the object store or the database goes away mid-work. Clients get 503 with Retry-After,
nothing is lost, nothing half-written, and the work completes once the component returns."""

import hashlib
import os
import subprocess
import time

import httpx
import psycopg
import pytest

from .support.api import TUS, assert_problem, create, patch
from .support.cases import case_body
from .support.servers import (
    BIN,
    POSTGRES_ADMIN_URL,
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    SeaweedFS,
    ServiceProcess,
    create_postgres_database,
    drop_postgres_database,
)

MiB = 1024 * 1024


@pytest.fixture
def private_s3_service(leg, tmp_path):
    if leg.seaweed is None:
        pytest.skip(
            "outages are staged on the postgres-s3 leg (SeaweedFS is stopped, PostgreSQL refuses connections); "
            "SQLite cannot be taken away from a running service (a filesystem store's volume can: staged on the sqlite-fs leg below)"
        )
    seaweed = SeaweedFS(tmp_path / "seaweedfs").start()
    bucket = seaweed.create_bucket("outage")
    database_url = create_postgres_database()
    env = {
        **leg.service.env,
        "RECORDING_DATABASE_URL": database_url,
        "RECORDING_STORAGE_URL": f"s3://{bucket}/rs",
        "RECORDING_S3_ENDPOINT_URL": seaweed.endpoint,
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
    }
    service = ServiceProcess(env, tmp_path).start()
    yield service, seaweed, database_url
    service.stop()
    seaweed.stop()
    drop_postgres_database(database_url)


def test_object_store_outage_mid_upload(leg, private_s3_service):
    service, seaweed, _ = private_s3_service
    data = os.urandom(12 * MiB + 17)
    sha = hashlib.sha256(data).hexdigest()
    with leg.client(service.token("dock", "OUTAGE")) as http:
        http.base_url = service.base_url
        location = create(http, len(data), sha256=sha).headers["Location"]
        assert patch(http, location, 0, data[: 6 * MiB + 5]).status_code == 204
        seaweed.stop()
        failed = patch(http, location, 6 * MiB + 5, data[6 * MiB + 5 :])
        assert_problem(failed, 503, "store-unavailable")
        assert int(failed.headers["Retry-After"]) > 0
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == str(6 * MiB + 5)  # nothing lost
        assert http.get("/api/v1/media", params={"sha256": sha}).json()["items"] == []
        seaweed.start()  # same data directory and ports
        done = patch(http, location, 6 * MiB + 5, data[6 * MiB + 5 :])
        assert done.status_code == 204, done.text
        assert done.headers["Upload-Sha256"] == sha
        assert len(http.get("/api/v1/media", params={"sha256": sha}).json()["items"]) == 1
        assert http.get(f"/api/v1/media/{done.headers['Upload-Media-Id']}/content").content == data


def test_a_wrong_bucket_is_an_unavailable_store_not_missing_footage(leg, private_s3_service):
    """RECORDING_STORAGE_URL naming a bucket that does not exist (a typo in a changed setting): a fixity run stops
    without a verdict instead of calling every stored object missing."""
    service, _, _ = private_s3_service
    data = os.urandom(MiB + 11)
    with leg.client(service.token("dock", "BUCKET")) as http, leg.client(service.token("auditor", "BUCKET")) as auditor:
        http.base_url = auditor.base_url = service.base_url
        location = create(http, len(data), sha256=hashlib.sha256(data).hexdigest()).headers["Location"]
        media_id = patch(http, location, 0, data).headers["Upload-Media-Id"]
        wrong = {**service.env, "RECORDING_STORAGE_URL": "s3://no-such-bucket-here/rs"}
        run = subprocess.run(
            [str(BIN / "recording-service"), "fixity", "run"], env=wrong, cwd=service.workdir, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 3 and "object store is unavailable" in run.stderr, (run.returncode, run.stderr)
        assert auditor.get(f"/api/v1/media/{media_id}").json()["status"] not in ("missing", "corrupt")
        assert auditor.get("/api/v1/audit/events", params={"action": "fixity.missing"}).json()["items"] == []
        assert service.cli("fixity", "run").returncode == 0  # the right bucket: intact


def test_database_outage(leg, private_s3_service):
    service, _, database_url = private_s3_service
    name = database_url.rsplit("/", 1)[1]
    token = service.token("case_system", "DBOUT")
    with leg.client(token) as http:
        http.base_url = service.base_url
        assert http.get("/api/v1/cases").status_code == 200
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        try:
            body = case_body(case_number="DB-OUTAGE-1")
            refused = http.post("/api/v1/cases", json=body)
            assert_problem(refused, 503, "database-unavailable")
            assert refused.headers["Retry-After"]
            assert http.get("/healthz").status_code == 503
            assert http.get("/readyz").status_code == 503
            assert http.get("/livez").status_code == 200  # the process answers: no liveness restart for an outage
        finally:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert http.get("/api/v1/cases", params={"case_number": "DB-OUTAGE-1"}).json()["items"] == []  # nothing half-written
        assert http.post("/api/v1/cases", json=body).status_code == 201
        with leg.client(service.token("auditor", "DBOUT")) as auditor:
            auditor.base_url = service.base_url
            assert auditor.get("/api/v1/audit/verify").json()["ok"] is True


def wait_until_answering(service: ServiceProcess) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(service.base_url + "/livez", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert service.process.poll() is None and time.monotonic() < deadline, "the service did not come up"
        time.sleep(0.2)


@pytest.fixture
def private_fs_service(leg, tmp_path):
    if leg.seaweed is not None:
        pytest.skip("a filesystem store's volume going away is staged on the sqlite-fs leg (the S3 outage is this leg's)")
    objects = tmp_path / "objects"
    env = {
        **leg.service.env,
        "RECORDING_DATABASE_URL": f"sqlite:///{tmp_path / 'recording.db'}",
        "RECORDING_STORAGE_URL": f"file://{objects}",
    }
    service = ServiceProcess(env, tmp_path).start()
    yield service, objects
    service.stop()


def test_filesystem_volume_gone_mid_upload(leg, private_fs_service):
    """The store's volume is unmounted (here: moved away) while a dock uploads: 503 with Retry-After, never a 500; no
    object is called missing; a fixity run stops without a verdict; once the volume is back the upload resumes. A
    partial file deleted under an upload rejects that upload with a reason instead."""
    service, objects = private_fs_service
    unmounted = objects.with_name("objects-unmounted")
    earlier, data = os.urandom(MiB + 3), os.urandom(12 * MiB + 17)
    sha = hashlib.sha256(data).hexdigest()
    with leg.client(service.token("dock", "VOLUME")) as http, leg.client(service.token("auditor", "VOLUME")) as auditor:
        http.base_url = auditor.base_url = service.base_url
        stored = create(http, len(earlier), sha256=hashlib.sha256(earlier).hexdigest()).headers["Location"]
        media_id = patch(http, stored, 0, earlier).headers["Upload-Media-Id"]
        location = create(http, len(data), sha256=sha).headers["Location"]
        assert patch(http, location, 0, data[: 6 * MiB + 5]).status_code == 204

        objects.rename(unmounted)
        try:
            failed = patch(http, location, 6 * MiB + 5, data[6 * MiB + 5 :])
            assert_problem(failed, 503, "store-unavailable")
            assert int(failed.headers["Retry-After"]) > 0
            assert http.head(location, headers=TUS).headers["Upload-Offset"] == str(6 * MiB + 5)
            assert_problem(create(http, 10, filename="new.mp4"), 503, "store-unavailable")
            assert_problem(auditor.get(f"/api/v1/media/{media_id}/content"), 503, "store-unavailable")
            fixity = service.cli("fixity", "run", check=False)
            assert fixity.returncode == 3 and "object store is unavailable" in fixity.stderr, fixity.stderr
            assert auditor.get(f"/api/v1/media/{media_id}").json()["status"] not in ("missing", "corrupt")
            assert not objects.exists()  # the CLI made no empty store in the volume's place
            # A restart meanwhile (the volume still missing) makes none either, and is not ready.
            service.stop()
            service.start(wait_ready=False)
            wait_until_answering(service)
            ready = http.get("/readyz")
            assert ready.status_code == 503 and ready.json()["failed"] == ["store"], ready.text
            assert not objects.exists()
            assert_problem(patch(http, location, 6 * MiB + 5, data[6 * MiB + 5 :]), 503, "store-unavailable")
        finally:
            unmounted.rename(objects)

        assert http.get("/readyz").status_code == 200
        done = patch(http, location, 6 * MiB + 5, data[6 * MiB + 5 :])
        assert done.status_code == 204, done.text
        assert done.headers["Upload-Sha256"] == sha
        assert auditor.get(f"/api/v1/media/{done.headers['Upload-Media-Id']}/content").content == data
        assert service.cli("fixity", "run").returncode == 0
        failures = auditor.get("/api/v1/audit/events", params={"action": "fixity.missing"}).json()["items"]
        assert failures == []

        # Bytes lost under one upload (its partial file deleted): that upload is refused with a reason, nothing else.
        lost = create(http, 3 * MiB, filename="lost.mp4").headers["Location"]
        assert patch(http, lost, 0, os.urandom(MiB)).status_code == 204
        (objects / ".uploads" / f"{lost.rsplit('/', 1)[1]}.part").unlink()
        assert_problem(patch(http, lost, MiB, os.urandom(MiB)), 409, "stored-bytes-mismatch")
        assert http.get(lost).json()["status"] == "rejected"
