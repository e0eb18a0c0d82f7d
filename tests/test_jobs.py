"""Background jobs (probing) on both legs: claimed once however many workers run, taken over by
another instance when the one running a job dies, retried, and visibly dead when they keep failing.

These tests run on a database and store of their own, so that no other instance's worker takes
their jobs: each one decides which instances run workers."""

import os
import signal
import subprocess
import time

import httpx
import pytest

from .support.api import create, patch
from .support.media import described
from .support.servers import BIN, ServiceProcess, create_postgres_database, drop_postgres_database, free_port


@pytest.fixture
def private(leg, tmp_path):
    """Env for instances on a fresh database and store of the leg's kind; a function to start them."""
    env = dict(leg.service.env)
    database_url = None
    if leg.seaweed is None:
        env.update(RECORDING_DATABASE_URL=f"sqlite:///{tmp_path / 'jobs.db'}", RECORDING_STORAGE_URL=f"file://{tmp_path / 'objects'}")
    else:
        database_url = create_postgres_database()
        bucket = leg.seaweed.create_bucket(f"jobs-{os.urandom(4).hex()}")
        env.update(RECORDING_DATABASE_URL=database_url, RECORDING_STORAGE_URL=f"s3://{bucket}/rs")
    env["RECORDING_JOB_STALLED_SECONDS"] = "4"
    started: list[ServiceProcess] = []

    def start(name: str, wait_ready: bool = True, **overrides: str) -> ServiceProcess:
        workdir = tmp_path / name
        workdir.mkdir()
        service = ServiceProcess({**env, **overrides}, workdir).start(wait_ready=wait_ready)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()
    if database_url:
        drop_postgres_database(database_url)


def upload(service: ServiceProcess, token: str, data: bytes, name: str) -> str:
    with httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        location = create(http, len(data), filename=name).headers["Location"]
        response = patch(http, location, 0, data)
        assert response.status_code == 204, response.text
        return response.headers["Upload-Media-Id"]


def test_a_probe_job_whose_worker_dies_is_taken_over_by_another_instance(leg, private, clips):
    # An API instance that runs no jobs, so the upload is answered with the media still to be probed.
    api = private("api", RECORDING_RUN_WORKER="false")
    token = api.token("dock", "JOBS")
    clip = clips("job-clip.mp4", seconds=2)
    media_id = upload(api, token, clip.read_bytes(), "job-clip.mp4")
    with httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get(f"/api/v1/media/{media_id}").json()["status"] == "processing"

        # A worker instance claims the probe job and dies (SIGKILL) the moment it starts it.
        doomed = private("doomed", wait_ready=False, RECORDING_FAULTS="probe.start:kill")
        doomed.process.wait(60)
        time.sleep(1)
        assert http.get(f"/api/v1/media/{media_id}").json()["status"] == "processing"

        # Another instance's worker takes the job over once the dead one's claim runs out.
        private("rescuer")
        media = described(http, media_id, timeout=90)
    assert media["status"] == "ready" and media["duration_s"] == pytest.approx(2.0, abs=0.1)
    with httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {api.token('auditor', 'JOBS')}"}) as http:
        actions = [e["action"] for e in http.get("/api/v1/audit/events", params={"media_id": media_id}).json()["items"]]
    assert actions.count("media.described") == 1
    dead = api.cli("jobs", "failed")
    assert dead.stdout.strip().splitlines()[-1] == "[]"


def test_many_workers_probe_each_media_once(leg, private, clips):
    """`serve --workers 3` and a separate `recording-service worker`: every media is described exactly once."""
    api = private("api", RECORDING_RUN_WORKER="false")
    token = api.token("dock", "JOBS")
    media_ids = [upload(api, token, clips(f"many-{i}.mp4", seconds=1 + i % 2).read_bytes() + bytes([i]), f"many-{i}.mp4") for i in range(6)]
    workdir = api.workdir / "workers"
    workdir.mkdir()
    env = {**api.env, "RECORDING_RUN_WORKER": "true"}
    processes = [
        subprocess.Popen(
            [str(BIN / "recording-service"), *args],
            env=env,
            cwd=workdir,
            stdout=open(workdir / f"{args[0]}.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for args in (["serve", "--host", "127.0.0.1", "--port", str(free_port()), "--workers", "3"], ["worker"])
    ]
    try:
        with httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {token}"}) as http:
            for media_id in media_ids:
                described(http, media_id, timeout=90)
        with httpx.Client(base_url=api.base_url, headers={"Authorization": f"Bearer {api.token('auditor', 'JOBS')}"}) as http:
            events = http.get("/api/v1/audit/events", params={"action": "media.described", "limit": 100}).json()["items"]
        assert sorted(e["media_id"] for e in events) == sorted(media_ids)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


def test_every_periodic_work_of_the_worker_takes_its_turn(leg, monkeypatch):
    """Each piece of periodic work the worker runs (catch-ups, publication expiry, the statistics following the
    audit log) takes the queue it is handed and finishes its turn. A slip there fails at every turn, is logged
    and retried for ever, and hides behind requests that catch up alone. Webhook deliveries are a loop of their
    own beside it (a slow receiver holds none of this work)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from recording_service.app import job_queue
    from recording_service.core.config import Settings
    from recording_service.core.db import create_engine
    from recording_service.storage import open_store

    from .support import run_async

    for key, value in leg.service.env.items():
        if key.startswith(("RECORDING_", "AWS_")):
            monkeypatch.setenv(key, value)

    async def one_turn_each() -> int:
        settings = Settings()
        engine = create_engine(settings.database_url)
        store = open_store(settings)
        queue = job_queue(settings, async_sessionmaker(engine, expire_on_commit=False), store)
        try:
            for work, _seconds in queue.periodic:
                await work(queue)
            return len(queue.periodic), len(queue.loops)
        finally:
            await queue.close()
            await store.close()
            await engine.dispose()

    # probes, playback copies, photo copies, idle recordings (issue 29), expiry, throttles, statistics, the 关联率's
    # catch-up (issue 27)
    assert run_async(one_turn_each()) == (8, 1)
