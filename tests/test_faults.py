"""Faults: the object store or the database goes away mid-work. Clients get 503 with Retry-After,
nothing is lost, nothing half-written, and the work completes once the component returns."""

import hashlib
import os

import psycopg
import pytest

from .support.api import TUS, assert_problem, create, patch
from .support.cases import case_body
from .support.servers import (
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
            "SQLite and the filesystem store cannot be taken away from a running service"
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
        finally:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert http.get("/api/v1/cases", params={"case_number": "DB-OUTAGE-1"}).json()["items"] == []  # nothing half-written
        assert http.post("/api/v1/cases", json=body).status_code == 201
        with leg.client(service.token("auditor", "DBOUT")) as auditor:
            auditor.base_url = service.base_url
            assert auditor.get("/api/v1/audit/verify").json()["ok"] is True
