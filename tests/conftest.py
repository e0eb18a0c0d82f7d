"""Every API test here runs twice, against real components:
sqlite-fs    SQLite + the filesystem store
postgres-s3  PostgreSQL (a fresh database per run) + SeaweedFS (a real S3 server)

These legs are for what needs real processes: tus uploads of real files, ffprobe and ffmpeg, kill -9 and fencing,
browsers, the stores, the CLI, and what the database itself answers (races, locks, constraints, collation, LIKE).
Business rules that only speak HTTP to the API run once, in the test's own process (tests/api, `make test-fast`).
"""

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .support import SUMMARY_SECTIONS, VIEWPORT
from .support.environment import clean_env
from .support.instances import instances  # noqa: F401 (a fixture: more instances of the service on a leg)
from .support.servers import (
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    SeaweedFS,
    ServiceProcess,
    create_postgres_database,
    drop_postgres_database,
    postgres_available,
)

LEGS = ["sqlite-fs", "postgres-s3"]
S3_PART_SIZE = 5 * 1024 * 1024  # the S3 minimum, so modest test files span several parts
_legs_not_run: dict[str, str] = {}
_legs_started: set[str] = set()


def pytest_collection_modifyitems(config, items):
    # With pytest-xdist (`make test` runs `-n 2 --dist loadgroup`), each leg's tests run in one worker, beside
    # the other leg's: a leg's service is started once, and the two legs overlap instead of following each other.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "leg" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(callspec.params["leg"]))


def pytest_sessionfinish(session):
    # An xdist worker hands what the summary needs to the controller, which prints it.
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["legs_not_run"] = dict(_legs_not_run)
        session.config.workeroutput["legs_started"] = sorted(_legs_started)
        session.config.workeroutput["summary_sections"] = list(session.config.stash.get(SUMMARY_SECTIONS, []))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    output = getattr(node, "workeroutput", {})
    _legs_not_run.update(output.get("legs_not_run", {}))
    _legs_started.update(output.get("legs_started", []))
    node.config.stash.setdefault(SUMMARY_SECTIONS, []).extend(tuple(section) for section in output.get("summary_sections", []))


def pytest_terminal_summary(terminalreporter):
    for title, text in terminalreporter.config.stash.get(SUMMARY_SECTIONS, []):
        terminalreporter.section(title)
        terminalreporter.write_line(text)
    terminalreporter.section("test legs")
    for leg in LEGS:
        if leg in _legs_not_run:
            terminalreporter.write_line(f"{leg}: NOT RUN — {_legs_not_run[leg]}", red=True)
        elif leg in _legs_started:
            terminalreporter.write_line(f"{leg}: run")
        else:
            terminalreporter.write_line(f"{leg}: not needed by the selected tests")


@dataclass
class Leg:
    name: str
    service: ServiceProcess
    workdir: Path
    seaweed: SeaweedFS | None = None
    bucket: str | None = None
    _tokens: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.service.base_url

    def client(self, token: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120, **kwargs)

    def token(self, role: str = "dock", agency: str = "A1", *, fresh: bool = False) -> str:
        """A token made by the real CLI; reused per role and agency unless `fresh`."""
        if fresh or (role, agency) not in self._tokens:
            self._tokens[(role, agency)] = self.service.token(role, agency)
        return self._tokens[(role, agency)]

    def object_bytes(self, key: str) -> bytes:
        if self.seaweed is not None:
            return self.seaweed.client().get_object(Bucket=self.bucket, Key=f"rs/{key}")["Body"].read()
        return (self.workdir / "objects" / key).read_bytes()

    def object_metadata(self, key: str) -> dict:
        if self.seaweed is not None:
            return self.seaweed.client().head_object(Bucket=self.bucket, Key=f"rs/{key}")["Metadata"]
        import json

        return json.loads((self.workdir / "objects" / (key + ".meta.json")).read_text())

    def damage(self, *, overwrite: dict[str, bytes] | None = None, remove: tuple[str, ...] = ()) -> None:
        """Change stored objects behind the service's back, as a failing disk or an intruder would."""
        for key, data in (overwrite or {}).items():
            if self.seaweed is not None:
                self.seaweed.client().put_object(Bucket=self.bucket, Key=f"rs/{key}", Body=data)
            else:
                (self.workdir / "objects" / key).write_bytes(data)
        for key in remove:
            if self.seaweed is not None:
                self.seaweed.client().delete_object(Bucket=self.bucket, Key=f"rs/{key}")
            else:
                (self.workdir / "objects" / key).unlink()

    def stored_object_count(self) -> int:
        if self.seaweed is not None:
            paginator = self.seaweed.client().get_paginator("list_objects_v2")
            return sum(1 for page in paginator.paginate(Bucket=self.bucket, Prefix="rs/evidence/") for _ in page.get("Contents", []))
        return sum(1 for p in (self.workdir / "objects" / "evidence").rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=LEGS)
def leg(request, tmp_path_factory):
    name = request.param
    workdir = tmp_path_factory.mktemp(name)
    env = clean_env()
    # Every test on a leg speaks from 127.0.0.1 to one service: the per-client budgets of the public side and of
    # sign-in posts are set out of reach here; the tests of those budgets start instances of their own with
    # small ones and speak for several addresses (tests/test_public_budget.py, tests/test_sign_in_throttle.py).
    env.update(
        RECORDING_PUBLIC_REQUESTS_PER_MINUTE="100000",
        RECORDING_PUBLIC_NETWORK_REQUESTS_PER_MINUTE="100000",
        RECORDING_SIGN_IN_REQUESTS_PER_MINUTE="10000",
        RECORDING_SIGN_IN_FIRST_DELAY_SECONDS="300",
    )  # a wait that does not run out while a browser test looks at it
    database_url = None
    seaweed = bucket = None
    if name == "sqlite-fs":
        env["RECORDING_DATABASE_URL"] = f"sqlite:///{workdir / 'recording.db'}"
        env["RECORDING_STORAGE_URL"] = f"file://{workdir / 'objects'}"
    else:
        reason = postgres_available()
        if reason:
            _legs_not_run[name] = f"no PostgreSQL server reachable ({reason})"
            pytest.skip(f"PostgreSQL + S3 leg NOT RUN: no PostgreSQL server reachable ({reason})")
        seaweed = request.getfixturevalue("seaweed")
        bucket = seaweed.create_bucket(f"evidence-{workdir.name.replace('_', '-').lower()[:40]}")
        database_url = create_postgres_database()
        env.update(
            RECORDING_DATABASE_URL=database_url,
            RECORDING_STORAGE_URL=f"s3://{bucket}/rs",
            RECORDING_S3_ENDPOINT_URL=seaweed.endpoint,
            RECORDING_S3_PART_SIZE=str(S3_PART_SIZE),
            AWS_ACCESS_KEY_ID=S3_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY,
            AWS_REGION="us-east-1",
        )
    service = ServiceProcess(env, workdir).start()
    _legs_started.add(name)
    yield Leg(name, service, workdir, seaweed, bucket)
    service.stop()
    if database_url:
        drop_postgres_database(database_url)


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """Real recordings generated by ffmpeg (cached per session)."""
    directory = tmp_path_factory.mktemp("clips")
    made: dict[tuple, Path] = {}

    def make(
        name: str, seconds: float = 2, creation_time: str | None = None, audio: bool = True, size: str = "320x240", noise: bool = False
    ) -> Path:
        """noise: grain that does not compress, so the file is as large as a camera's (a few MB a second)."""
        key = (name, seconds, creation_time, audio, size, noise)
        if key not in made:
            path = directory / name
            source = f"testsrc=size={size}:rate=25:duration={seconds}" + (",noise=alls=60:allf=t" if noise else "")
            args = ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
            if audio:
                args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
            if creation_time:
                args += ["-metadata", f"creation_time={creation_time}"]
            subprocess.run(args + [str(path)], check=True, timeout=120)
            made[key] = path
        return made[key]

    return make


@pytest.fixture
def random_file(tmp_path):
    def make(size: int, name: str = "random.bin") -> Path:
        path = tmp_path / name
        with open(path, "wb") as handle:
            remaining = size
            while remaining:
                n = min(remaining, 1 << 20)
                handle.write(os.urandom(n))
                remaining -= n
        return path

    return make


# Browser tests (any module): people's pages are checked at 1366×768 in Chinese.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium, never a downloaded browser; the flags keep it off this machine's closed network.
    assert Path("/usr/bin/chromium").exists(), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--autoplay-policy=no-user-gesture-required",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "zh-CN", "timezone_id": "Asia/Shanghai", "accept_downloads": True}
