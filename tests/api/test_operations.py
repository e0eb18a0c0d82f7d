"""GET /readyz and GET /metrics in process: what readiness checks, what the metrics count and how they are labelled,
the metrics token, and a draining app refusing new uploads (SIGTERM itself, on real processes: tests/test_operations.py)."""

import inspect
import shutil
import tempfile
from pathlib import Path

import pytest
from alembic import command

from recording_service.core.metrics import UNMATCHED
from recording_service.core.migrate import alembic_config, lineage

from ..support.api import TUS, assert_problem, create, patch
from ..support.inprocess import in_process


def _series(text: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}


def test_ready(inproc):
    with inproc.client() as http:
        answer = http.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "database": True,
        "store": True,
        "migrations": True,
        "draining": False,
        "failed": [],
        "detail": {},
    }


def test_not_ready_when_the_schema_is_behind_the_code(inproc):
    """A database one migration behind this code (the migration not run): 503 naming the migrations, until it is."""
    config = alembic_config(inproc.settings.database_url)
    command.downgrade(config, "-1")
    with inproc.client() as http:
        behind = http.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["failed"] == ["migrations"] and behind.json()["database"] is True
        assert "behind" in behind.json()["detail"]["migrations"] and lineage().head in behind.json()["detail"]["migrations"]
        command.upgrade(config, "head")
        assert http.get("/readyz").status_code == 200  # a schema not current is looked at again at every probe


def test_ready_when_the_schema_is_a_later_versions(inproc):
    """A rolling upgrade migrates first, then replaces the replicas: the older ones keep serving meanwhile."""

    async def later(sessionmaker, store):
        from sqlalchemy import text

        async with sessionmaker() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = '9999_a_later_version'"))
            await session.commit()

    inproc.run(later)
    with inproc.client() as http:
        assert http.get("/readyz").status_code == 200


def test_not_ready_when_the_store_is_gone(inproc):
    objects = Path(inproc.settings.storage_url.removeprefix("file://"))
    shutil.rmtree(objects)
    with inproc.client() as http:
        answer = http.get("/readyz")
        assert answer.status_code == 503 and answer.json()["failed"] == ["store"] and answer.json()["detail"]["store"]
        objects.joinpath(".uploads").mkdir(parents=True)
        assert http.get("/readyz").status_code == 200


def test_draining(inproc):
    """Once draining: not ready, new uploads refused 503 with Retry-After, other requests answered (and their
    connections closed); an upload in flight is not refused (tests/test_operations.py streams one through SIGTERM)."""
    token = inproc.token("dock", "A1")
    with inproc.client(token) as http:
        location = create(http, 10, filename="a.mp4").headers["Location"]
        inproc.portal.call(lambda: _begin(inproc.app.state.drain))
        ready = http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["failed"] == ["draining"] and ready.json()["draining"] is True
        assert ready.headers["connection"] == "close"
        for refused in (create(http, 10, filename="b.mp4"), patch(http, location, 0, b"0123456789")):
            assert_problem(refused, 503, "draining")
            assert refused.headers["Retry-After"] == "5" and refused.headers["Tus-Resumable"] == "1.0.0"
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == "0"  # nothing was taken
        assert http.get("/api/v1/media").status_code == 200


async def _begin(drain) -> None:
    drain.begin()


def test_metrics_count_requests_by_route_template(inproc):
    token = inproc.token("dock", "A1")
    with inproc.client(token) as http:
        before = _series(http.get("/metrics").text)
        location = create(http, 10, filename="a.mp4").headers["Location"]
        upload_id = location.rsplit("/", 1)[1]
        assert patch(http, location, 0, b"01234").status_code == 204
        assert patch(http, location, 0, b"01234").status_code == 409  # a stale offset: counted by its problem code
        assert patch(http, location, 5, b"56789").status_code == 204
        http.get("/api/v1/media/0123456789abcdef0123456789abcdef")
        http.get("/shared/a-share-token-that-must-not-be-a-label")
        http.get("/no/such/path/abc")
        metrics = http.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = _series(metrics.text)

    def moved(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert moved('recording_http_requests_total{method="PATCH",route="/api/v1/uploads/{upload_id}",status="204"}') == 2
    assert moved('recording_http_requests_total{method="POST",route="/api/v1/uploads",status="201"}') == 1
    assert moved('recording_http_requests_total{method="GET",route="/api/v1/media/{media_id}",status="404"}') == 1
    assert moved('recording_http_requests_total{method="GET",route="/shared/{token}",status="404"}') == 1
    assert moved(f'recording_http_requests_total{{method="GET",route="{UNMATCHED}",status="404"}}') == 1
    assert moved('recording_http_request_duration_seconds_count{method="PATCH",route="/api/v1/uploads/{upload_id}"}') == 3
    assert moved("recording_upload_received_bytes_total") == 10  # the refused PATCH's body was never read
    assert moved("recording_upload_patch_duration_seconds_count") == 3
    assert moved("recording_uploads_completed_total") == 1
    assert moved('recording_uploads_failed_total{code="offset-mismatch"}') == 1
    labels = "\n".join(after)
    for raw in (upload_id, "0123456789abcdef0123456789abcdef", "a-share-token", "/no/such/path"):
        assert raw not in labels
    # The figures read from the database at scrape time.
    assert after["recording_webhook_deliveries_pending"] == 0
    assert after['recording_media_fixity_failing{status="corrupt"}'] == 0
    assert any(name.startswith('recording_jobs_waiting{task="media.probe"}') for name in after)  # the completed upload's probe


@pytest.fixture
def guarded(_scratch, _template):
    workdir = Path(tempfile.mkdtemp(prefix="service-", dir=_scratch))
    try:
        with in_process(workdir, _template, _scratch / "signing-key.pem", metrics_token="s3cret-scrape-token-0123") as service:
            yield service
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_metrics_token(guarded):
    with guarded.client() as http:
        assert_problem(http.get("/metrics"), 401, "metrics-token")
        assert_problem(http.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}), 401, "metrics-token")
        assert http.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token-0123"}).status_code == 200
        assert http.get("/readyz").status_code == 200  # readiness needs no token


def test_alive(inproc):
    """Liveness is the process answering (a database outage: tests/test_faults.py, test_database_outage)."""
    with inproc.client() as http:
        answer = http.get("/livez")
    assert answer.status_code == 200 and answer.json() == {"status": "alive"}
    assert answer.headers["cache-control"] == "no-store"


def _runs_on_the_loop(call) -> bool:
    """What FastAPI awaits on the event loop; anything else it runs in a worker thread (`run_in_threadpool`)."""
    # A function, or an instance whose class's __call__ is (the security schemes, HTTPBearer)
    return any(inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f) for f in (call, type(call).__call__))


def test_no_route_hands_a_dependency_or_itself_to_a_worker_thread(inproc):
    """A plain `def` dependency (reading the app's state, parsing a query) costs every request a hand-off to a thread
    and back; they are registered through `core.deps.on_the_loop`. Every route of the app, every dependency it has."""
    in_threads: set[str] = set()
    routes = 0

    def walk(dependant) -> None:
        for dependency in dependant.dependencies:
            if not _runs_on_the_loop(dependency.call):
                in_threads.add(getattr(dependency.call, "__qualname__", repr(dependency.call)))
            walk(dependency)

    def served_by(routes_of) -> list:
        served = []
        for route in routes_of:
            if hasattr(route, "effective_route_contexts"):  # FastAPI keeps an included router as one entry
                served += route.effective_route_contexts()
            elif hasattr(getattr(route, "app", None), "routes"):  # a mounted application or router
                served += served_by(route.app.routes)
            else:
                served.append(route)
        return served

    for served in served_by(inproc.app.routes):
        dependant = getattr(served, "dependant", None)
        if dependant is None:  # the static files
            continue
        routes += 1
        if not _runs_on_the_loop(dependant.call):
            in_threads.add(f"{served.path}: {dependant.call.__qualname__}")
        walk(dependant)
    assert routes > 100  # the whole app was walked
    assert not in_threads, in_threads
