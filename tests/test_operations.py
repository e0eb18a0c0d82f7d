"""Operations on real processes: SIGTERM drains the uploads in flight (each PATCH ends at an acknowledged offset
from which the upload resumes on another instance), structured JSON logs, readiness when a component goes away,
and no state kept in a replica (throttles and sessions shared by two instances of one database)."""

import hashlib
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

import httpx
import psycopg
import pytest

from .support.api import TUS, assert_problem, create, patch
from .support.servers import POSTGRES_ADMIN_URL, ServiceProcess, free_port

MiB = 1024 * 1024
DRAIN_SECONDS = 4


class SlowPatch(threading.Thread):
    """A tus PATCH sent piece by piece on a socket of its own, reading the answer as soon as it comes (as a client
    that reads while it sends does: an early answer stops it sending)."""

    def __init__(self, base_url: str, location: str, token: str, offset: int, body: bytes, piece: int = 32 * 1024, pause: float = 0.05):
        super().__init__(daemon=True)
        self.url, self.location, self.token, self.offset, self.body = urlparse(base_url), location, token, offset, body
        self.piece, self.pause = piece, pause
        self.sent = 0
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._exchange()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _exchange(self) -> None:
        sock = socket.create_connection((self.url.hostname, self.url.port), timeout=60)
        head = (
            f"PATCH {self.location} HTTP/1.1\r\nHost: {self.url.netloc}\r\nAuthorization: Bearer {self.token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {self.offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(self.body)}\r\n\r\n"
        )
        sock.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            readable, _, _ = select.select([sock], [], [], 0 if self.sent < len(self.body) else 60)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            elif self.sent < len(self.body):
                sock.sendall(self.body[self.sent : self.sent + self.piece])
                self.sent += min(self.piece, len(self.body) - self.sent)
                time.sleep(self.pause)
        sock.close()
        lines = answer.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}


def _wait_for(predicate, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not within time")


def test_sigterm_drains_an_upload_in_flight_to_an_acknowledged_offset(leg, tmp_path):
    """A replica told to stop while a dock's PATCH streams slowly: it turns unready at once and refuses new uploads,
    answers the PATCH at the drain deadline with the offset it made durable, exits 0; the dock resumes from that
    offset on another instance of the same database and store, and the file is whole."""
    env = {**leg.service.env, "RECORDING_DRAIN_SECONDS": str(DRAIN_SECONDS), "RECORDING_LOG_FORMAT": "json"}
    replica = ServiceProcess(env, tmp_path).start()
    token = leg.token("dock", "DRAIN")
    data = os.urandom(24 * MiB + 123)
    sha = hashlib.sha256(data).hexdigest()
    with leg.client(token) as http:
        http.base_url = replica.base_url
        location = create(http, len(data), sha256=sha, filename="drain.mp4").headers["Location"]
        # About 0.6 MiB/s: the whole body would take 40 s, far past the drain deadline.
        slow = SlowPatch(replica.base_url, location, token, 0, data)
        slow.start()
        _wait_for(lambda: slow.sent > 1 * MiB)
        assert http.get("/readyz").status_code == 200
        signalled = time.monotonic()
        replica.process.send_signal(signal.SIGTERM)

        # Unready at once (the proxy stops sending), new uploads refused with Retry-After; the PATCH goes on.
        ready = _wait_for(lambda: (r := http.get("/readyz")).status_code == 503 and r, seconds=3)
        assert ready.json()["draining"] is True and "draining" in ready.json()["failed"]
        assert ready.headers["connection"] == "close"
        refused = create(http, 10, filename="late.mp4")
        body = assert_problem(refused, 503, "draining")
        assert int(refused.headers["Retry-After"]) > 0 and body["detail"]
        assert slow.is_alive()  # still sending while the replica drains

        slow.join(DRAIN_SECONDS + 20)
        assert slow.error is None, slow.error
        assert slow.status == 204, slow.headers
        acknowledged = int(slow.headers["upload-offset"])
        assert 0 < acknowledged < slow.sent <= len(data) or 0 < acknowledged <= slow.sent < len(data)
        exit_code = replica.process.wait(DRAIN_SECONDS + 25)
        drained_in = time.monotonic() - signalled
    assert exit_code == 0, (replica.workdir / "service.log").read_text()[-3000:]
    assert drained_in < DRAIN_SECONDS + 15
    log = (replica.workdir / "service.log").read_text()
    assert "the body of PATCH" in log and "drain: done" in log

    # The leg's own instance (same database and store) takes the rest from the acknowledged offset.
    with leg.client(token) as http:
        assert http.head(location, headers=TUS).headers["Upload-Offset"] == str(acknowledged)
        done = patch(http, location, acknowledged, data[acknowledged:])
        assert done.status_code == 204, done.text
        assert done.headers["Upload-Sha256"] == sha
        assert http.get(f"/api/v1/media/{done.headers['Upload-Media-Id']}/content").content == data
    print(
        f"\n[{leg.name}] drain: SIGTERM to exit {drained_in:.1f} s (deadline {DRAIN_SECONDS} s); acknowledged {acknowledged} of {slow.sent} bytes sent"
    )


def test_sigterm_with_nothing_in_flight_exits_at_once(leg, tmp_path):
    replica = ServiceProcess({**leg.service.env, "RECORDING_DRAIN_SECONDS": "30"}, tmp_path).start()
    signalled = time.monotonic()
    replica.process.send_signal(signal.SIGTERM)
    assert replica.process.wait(20) == 0
    assert time.monotonic() - signalled < 10  # not the drain deadline: nothing was in flight


def test_json_logs(leg, tmp_path):
    """RECORDING_LOG_FORMAT=json: every line of the service's output is one JSON object; a request's lines carry its
    id, access lines the route's template; a share link's token is redacted as in text lines."""
    replica = ServiceProcess({**leg.service.env, "RECORDING_LOG_FORMAT": "json"}, tmp_path).start()
    secret = "Zq8" + os.urandom(12).hex()
    try:
        with httpx.Client(base_url=replica.base_url) as http:
            http.get(f"/shared/{secret}", headers={"X-Request-Id": "req-json-1"})
            http.get(f"/login?next=%2Fshared%2F{secret}", headers={"X-Request-Id": "req-json-2"})
            http.get("/api/v1/media/0123456789abcdef", headers={"X-Request-Id": "req-json-3"})
    finally:
        replica.stop()
    text = (replica.workdir / "service.log").read_text()
    assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= line.keys()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.error" in loggers and "recording_service.access" in loggers
    access = {line["request_id"]: line for line in lines if line["logger"] == "recording_service.access"}
    assert access["req-json-1"]["route"] == "/shared/{token}" and "<redacted>" in access["req-json-1"]["message"]
    assert access["req-json-3"] | {"duration_ms": 0} == {
        **access["req-json-3"],
        "method": "GET",
        "route": "/api/v1/media/{media_id}",
        "status": 401,
        "duration_ms": 0,
    }
    assert isinstance(access["req-json-3"]["duration_ms"], float)


def test_readiness_when_the_store_goes_away(leg, tmp_path):
    """The store down: /readyz 503 naming it (then 200 again when it is back). The filesystem store's directory taken
    away (an unmounted volume); SeaweedFS stopped."""
    if leg.seaweed is not None:
        from .support.servers import S3_ACCESS_KEY, S3_SECRET_KEY, SeaweedFS

        seaweed = SeaweedFS(tmp_path / "seaweedfs").start()
        bucket = seaweed.create_bucket("readiness")
        env = {
            **leg.service.env,
            "RECORDING_STORAGE_URL": f"s3://{bucket}/rs",
            "RECORDING_S3_ENDPOINT_URL": seaweed.endpoint,
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        }
        take_away, bring_back = seaweed.stop, seaweed.start
    else:
        objects = tmp_path / "objects"
        (objects / ".uploads").mkdir(parents=True)  # the volume, mounted: a database that holds uploads makes no store
        env = {**leg.service.env, "RECORDING_STORAGE_URL": f"file://{objects}"}
        take_away = lambda: objects.rename(tmp_path / "unmounted")  # noqa: E731
        bring_back = lambda: (tmp_path / "unmounted").rename(objects)  # noqa: E731
    replica = ServiceProcess(env, tmp_path).start()
    try:
        with httpx.Client(base_url=replica.base_url, timeout=30) as http:
            assert http.get("/readyz").json()["store"] is True
            take_away()
            down = http.get("/readyz")
            assert down.status_code == 503
            assert down.json()["failed"] == ["store"] and down.json()["database"] is True and down.json()["detail"]["store"]
            assert http.get("/healthz").status_code == 200  # alive: only not ready
            bring_back()
            _wait_for(lambda: http.get("/readyz").status_code == 200, seconds=30)
    finally:
        replica.stop()
        if leg.seaweed is not None:
            seaweed.stop()


def test_readiness_when_the_database_goes_away(leg, tmp_path):
    if leg.seaweed is None:
        pytest.skip("a SQLite file cannot be taken away from a running service; staged on the postgres-s3 leg")
    from .support.servers import create_postgres_database, drop_postgres_database

    database_url = create_postgres_database()
    replica = ServiceProcess({**leg.service.env, "RECORDING_DATABASE_URL": database_url}, tmp_path).start()
    name = database_url.rsplit("/", 1)[1]
    try:
        with httpx.Client(base_url=replica.base_url, timeout=30) as http:
            assert http.get("/readyz").status_code == 200
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            down = http.get("/readyz")
            assert down.status_code == 503
            assert down.json()["failed"] == ["database"] and down.json()["store"] is True  # the schema was current a moment ago
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            _wait_for(lambda: http.get("/readyz").status_code == 200, seconds=30)
    finally:
        replica.stop()
        drop_postgres_database(database_url)


def test_metrics_of_a_real_upload(leg):
    """The leg's service counts a tus upload's bytes, its PATCH and its completion; scrape time measured."""
    data = os.urandom(3 * MiB + 5)
    sha = hashlib.sha256(data).hexdigest()

    def scrape(http) -> dict[str, float]:
        text = http.get("/metrics").text
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}

    with leg.client(leg.token("dock", "METRICS")) as http:
        before = scrape(http)
        location = create(http, len(data), sha256=sha, filename="m.mp4").headers["Location"]
        assert patch(http, location, 0, data[: 2 * MiB]).status_code == 204
        assert patch(http, location, 2 * MiB, data[2 * MiB :]).status_code == 204
        started = time.perf_counter()
        after = scrape(http)
        scrape_ms = (time.perf_counter() - started) * 1000

    def moved(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert moved("recording_upload_received_bytes_total") >= len(data)
    assert moved("recording_upload_patch_duration_seconds_count") >= 2
    assert moved("recording_uploads_completed_total") >= 1
    assert moved('recording_http_requests_total{method="PATCH",route="/api/v1/uploads/{upload_id}",status="204"}') >= 2
    assert not any(location.rsplit("/", 1)[1] in name for name in after)  # the upload's id is no label
    assert any(name.startswith("recording_jobs_waiting") or name.startswith("recording_webhook") for name in after)
    print(f"\n[{leg.name}] GET /metrics: {scrape_ms:.1f} ms, {len(after)} series")


def test_uvicorn_default_sigterm_for_comparison(leg, tmp_path):
    """What plain uvicorn (no drain) does on SIGTERM with a slow PATCH in flight, recorded for docs/operations.md:
    the listening socket closes at once (a new request is refused a connection, not answered 503), the PATCH in
    flight is waited for whatever its length, and the process then ends by the signal itself (exit status -15)."""
    env = {**leg.service.env}
    port = free_port()
    script = (
        "import uvicorn; from recording_service.app import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='info')"
    )
    log = open(tmp_path / "plain.log", "ab")
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(base + "/healthz"), seconds=60)
        token = leg.token("dock", "PLAIN")
        data = os.urandom(2 * MiB)
        with leg.client(token) as http:
            http.base_url = base
            location = create(http, len(data), filename="plain.mp4").headers["Location"]
        slow = SlowPatch(base, location, token, 0, data, piece=64 * 1024, pause=0.1)  # about 3 s
        slow.start()
        _wait_for(lambda: slow.sent > 256 * 1024)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(httpx.ConnectError):
            httpx.get(base + "/readyz", timeout=3)  # no 503: no answer at all
        slow.join(30)
        assert slow.status == 204 and slow.headers["upload-offset"] == str(len(data))  # waited for, all of it
        assert process.wait(30) == -signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_session_made_on_one_instance_works_on_another(leg, tmp_path):
    """Sessions are rows of the one database and the cookie's signing is derived from the one key file: a person
    signed in through one replica is signed in on every replica, and signing out on one ends it on all. (The public
    budget and the sign-in throttles shared by two instances: tests/test_public_budget.py
    `test_two_instances_spend_one_budget`, tests/test_sign_in_throttle.py `test_every_instance_sees_the_same_sign_in_counts`.)"""
    from .support.web import PASSWORD, create_person, signed_in_client

    env = {**leg.service.env, "RECORDING_SIGNING_KEY_FILE": str(leg.workdir / "data" / "signing-key.pem"), "RECORDING_RUN_WORKER": "false"}
    other = ServiceProcess(env, tmp_path).start()
    username = f"ops{os.urandom(3).hex()}"
    create_person(leg, username, "reviewer", "A1", "运维测试")
    try:
        with signed_in_client(leg.url, username, PASSWORD) as first, httpx.Client(base_url=other.base_url, timeout=60) as second:
            assert first.get("/cases").status_code == 200
            second.cookies.update(first.cookies)  # the same browser, its next request sent to the other replica
            page = second.get("/cases")
            assert page.status_code == 200 and ("运维测试" in page.text or username in page.text)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            assert second.post("/logout", data={"csrf_token": csrf}).status_code == 303
            first.cookies.update(second.cookies)
            again = first.get("/cases", follow_redirects=False)
            assert again.status_code in (302, 303) and "/login" in again.headers["location"]
    finally:
        other.stop()
