"""`make bench-cluster`: the service as a cluster, under failure (issue 28, "Proven here").

Starts a fresh PostgreSQL database, SeaweedFS (S3, a bucket with object lock), migrates once, then three API
replicas (`serve --no-job-worker`, one port each, one signing key file, one database and bucket), two job workers
(`recording-service worker`) and HAProxy in front, its configuration generated from deploy/haproxy/haproxy.cfg (the
reference: timeouts, retries, redispatch, forwarding headers, leastconn, the health check) with the replicas on
loopback ports and a fast check (a replica that dies leaves the pool within about a second).

Load, all through the proxy:
- docks (threads), each the real dock client (recording_service.dock.sync.DockSync, as `recording-dock sync` runs
  it, with its default retries) over a directory of recordings of MIN..MAX MiB: a short real H.264 clip followed by
  a `free` box of random bytes and a marker unique to the file, so every file probes as footage and has its own
  SHA-256. A dock
  whose run ends with a file not uploaded runs again (as its timer would), resuming from the remembered upload;
- a poller: GET /public/publications and /healthz every 0.5 s, counting failures and latency;
- a killer: every KILL_EVERY seconds one random replica, SIGKILL and SIGTERM in turn, restarted after a short
  pause (one replica down at a time); and each job worker killed and restarted once while footage arrives.

Checks afterwards (exit status 1 when any fails): every file one media record with its SHA-256 and size, no
other media; every media described (probed) once (one `media.described` audit event each) and `ready`; no job
dead; a sample read back through the content endpoint hashes right; stored objects = media; every replica
serves the same signing key; `recording-service audit verify` passes; the public pages answered throughout.

Figures: printed and in bench/.work/cluster.json: uploads, bytes, kills by signal, resumes (HEADs for the
offset, failed PATCHes, dock re-runs), PATCH time p50/p95/max as HAProxy measured it, total time, poll failures.

Scale by environment: BENCH_CLUSTER_DOCKS (20), BENCH_CLUSTER_MIN_MIB (64), BENCH_CLUSTER_MAX_MIB (512),
BENCH_CLUSTER_FILES (recordings per dock, 1), BENCH_CLUSTER_KILL_EVERY (seconds, 5), BENCH_CLUSTER_MAX_KILLS
(replica kills at most; unset: no limit), BENCH_CLUSTER_LINK_MIB (each dock's uplink in MiB/s; unset: no limit),
BENCH_CLUSTER_LEASE (RECORDING_UPLOAD_LEASE_SECONDS) and BENCH_CLUSTER_JOB_STALLED (RECORDING_JOB_STALLED_SECONDS;
unset: the service's defaults), BENCH_CLUSTER_READBACK (media read back whole through the proxy, 3),
BENCH_CLUSTER_WORK (instead of bench/.work), BENCH_CLUSTER_KEEP=1 (keep WORK/cluster: the recordings, the logs).
The recordings and the store's data are removed afterwards; the logs stay when a check failed.
"""

import hashlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from recording_service.dock.sync import DockSync  # noqa: E402
from recording_service.export.signing import load_signing_key  # noqa: E402
from tests.support.environment import clean_env  # noqa: E402
from tests.support.servers import (  # noqa: E402
    BIN,
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    SeaweedFS,
    ServiceProcess,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    postgres_available,
)
from tests.support.slow_link import SlowLink  # noqa: E402

MiB = 1024 * 1024
WORK = Path(os.environ.get("BENCH_CLUSTER_WORK") or ROOT / "bench" / ".work")
HERE = WORK / "cluster"
RESULTS = WORK / "cluster.json"
REFERENCE_PROXY = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
AGENCY = "CLUSTER"
REPLICAS = 3
WORKERS = 2
POLL_EVERY = 0.5
KILL_PAUSE = 1.0  # seconds a killed replica stays down before it is started again
RERUN_PAUSE = 2.0  # seconds before a dock runs again after a run that left a file not uploaded
console = Console()


def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


@dataclass
class Scale:
    docks: int = env_int("BENCH_CLUSTER_DOCKS", 20) or 20
    min_mib: int = env_int("BENCH_CLUSTER_MIN_MIB", 64) or 64
    max_mib: int = env_int("BENCH_CLUSTER_MAX_MIB", 512) or 512
    files: int = env_int("BENCH_CLUSTER_FILES", 1) or 1
    kill_every: float = env_float("BENCH_CLUSTER_KILL_EVERY", 5.0) or 5.0
    max_kills: int | None = env_int("BENCH_CLUSTER_MAX_KILLS", None)
    link_mib: float | None = env_float("BENCH_CLUSTER_LINK_MIB", None)
    lease: float | None = env_float("BENCH_CLUSTER_LEASE", None)
    job_stalled: float | None = env_float("BENCH_CLUSTER_JOB_STALLED", None)
    readback: int = env_int("BENCH_CLUSTER_READBACK", 3) or 0
    deadline: float = env_float("BENCH_CLUSTER_DEADLINE", 3600.0) or 3600.0
    seed: int = env_int("BENCH_CLUSTER_SEED", 28) or 28


# ---------------------------------------------------------------------------------------------------- processes


@dataclass
class JobWorker:
    """`recording-service worker`: jobs, no HTTP."""

    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen | None = None

    def start(self) -> "JobWorker":
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / "worker.log"
        before = log_path.stat().st_size if log_path.exists() else 0
        log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "recording-service"), "worker"],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while b"job worker running" not in log_path.read_bytes()[before:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"job worker did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    def signal(self, signum: int, wait: float = 30) -> float:
        """Sends the signal to the process group; returns the seconds until the process was gone."""
        assert self.process is not None
        started = time.monotonic()
        os.killpg(self.process.pid, signum)
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.signal(signal.SIGTERM, 15)


@dataclass
class Proxy:
    """HAProxy in the foreground; every line it logs kept with the time it was seen."""

    config: Path
    port: int
    process: subprocess.Popen | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Proxy":
        check = subprocess.run([HAPROXY, "-c", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy -c refused the generated configuration:\n{check.stdout}{check.stderr}")
        self.process = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(self.config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("HAProxy did not answer: " + "\n".join(line for _, line in self.lines[-30:]))
            time.sleep(0.2)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        with open(self.config.with_suffix(".log"), "w") as log:
            for line in self.process.stdout:
                stamp = time.monotonic()
                self.lines.append((stamp, line.rstrip("\n")))
                log.write(f"{stamp:.3f} {line}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


# One line per request, for the figures (set in the generated configuration only).
LOG_FORMAT = "REQ %HM %ST %Ta %Tw %Tc %U %B %tsc %b/%s %HU"


def proxy_config(reference: str, port: int, health_port: int, backends: list[int], check_uri: str) -> str:
    """deploy/haproxy/haproxy.cfg with the addresses of this machine: its settings (timeouts, retries and
    redispatch, forwarding headers, leastconn, the health check) are the reference's; what changes is where it
    listens, the replicas (loopback ports instead of Docker's DNS names), a faster check, and a log line per
    request. Refuses a reference it does not recognise rather than testing something else."""
    text = re.sub(r"\n(?:#[^\n]*\n)*resolvers docker\n(?:[ \t]+.*\n)+", "\n", reference)
    replacements = [
        (r"(?m)^(\s*bind) :8080$", rf'\1 127.0.0.1:{port}\n    log-format "{LOG_FORMAT}"'),
        (r"(?m)^(\s*bind) :8405$", rf"\1 127.0.0.1:{health_port}"),
        (r"(?m)^(\s*http-check send meth GET uri) /readyz( .*)$", rf"\1 {check_uri}\2"),
        # A dead replica (connection refused) is out after two failed checks 250 ms apart, a restarted one back after
        # two good ones; a busy one still has 2 s to answer.
        (r"(?m)^(\s*default-server) .*$", r"\1 inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2\n    timeout check 2s"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            raise RuntimeError(f"deploy/haproxy/haproxy.cfg changed: no single line matches {pattern!r}; update bench/cluster.py")
    servers = "".join(f"    server api-{index + 1} 127.0.0.1:{backend} check\n" for index, backend in enumerate(backends))
    text, count = re.subn(r"(?m)^(\s*server api-\d+ .*\n)+", servers, text)
    if count != 1 or "resolvers" in text:
        raise RuntimeError("deploy/haproxy/haproxy.cfg changed: its server lines or resolvers are not where expected")
    return text


# ---------------------------------------------------------------------------------------------------- the load


def make_clip(path: Path) -> bytes:
    """Two seconds of H.264 in MP4 (moov first): what ffprobe reads of a recording; the random bytes after it
    are the bulk of the file."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)],
        check=True,
        timeout=120,
    )
    return path.read_bytes()


@dataclass
class Recording:
    dock: int
    path: Path
    size: int
    sha256: str
    media_id: str | None = None
    outcome: str | None = None


def make_recordings(scale: Scale, run_id: str) -> list[Recording]:
    """Every dock's files: the clip, then a `free` box holding a marker naming the run, dock and file and the shared
    random bytes (a camera's file as ffprobe sees it, each with its own SHA-256)."""
    rng = random.Random(scale.seed)
    clip = make_clip(HERE / "clip.mp4")
    base = HERE / "random.bin"
    block = 8 * MiB
    with open(base, "wb") as handle:
        for _ in range(0, scale.max_mib * MiB, block):
            handle.write(os.urandom(block))
    recordings = []
    for dock in range(scale.docks):
        directory = HERE / "docks" / f"dock-{dock:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        for number in range(scale.files):
            size = rng.randint(scale.min_mib * MiB, scale.max_mib * MiB)
            path = directory / f"CLUSTER{dock:02d}_{number:03d}.mp4"
            marker = f"cluster {run_id} dock {dock} file {number}".encode().ljust(64, b" ")
            box = size - len(clip)  # the rest of the file is one `free` box: a valid MP4 to the end
            header = struct.pack(">I4s", box, b"free") if box < 2**32 else struct.pack(">I4sQ", 1, b"free", box)
            digest = hashlib.sha256()
            with open(path, "wb") as out, open(base, "rb") as source:
                for part in (clip, header, marker):
                    out.write(part)
                    digest.update(part)
                left = size - len(clip) - len(header) - len(marker)
                while left > 0:
                    data = source.read(min(block, left))
                    out.write(data)
                    digest.update(data)
                    left -= len(data)
            recordings.append(Recording(dock, path, size, digest.hexdigest()))
    base.unlink()
    return recordings


@dataclass
class DockFigures:
    runs: int = 0
    resumed: int = 0  # files a run continued from the server's offset (a remembered upload)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_dock(
    index: int, directory: Path, url: str, token: str, mine: list[Recording], scale: Scale, figures: DockFigures, done: threading.Event
) -> None:
    """The dock client's sync over the directory until every file is on the server: a run that ends with a file
    failed (a replica died under it and the retries ran out) is followed by another, as the dock's timer would."""
    started = time.monotonic()
    link = SlowLink(url, rate=int(scale.link_mib * MiB)) if scale.link_mib else None
    try:
        by_name = {recording.path.name: recording for recording in mine}
        while time.monotonic() - started < scale.deadline:
            figures.runs += 1
            sync = DockSync(link.url if link else url, token, directory, dock_id=f"dock-{index:02d}", min_age=0)
            report = sync.run()
            for result in report.files:
                recording = by_name[Path(result.path).name]
                if result.resumed_at:
                    figures.resumed += 1
                if result.status in ("uploaded", "skipped") and result.media_id:
                    recording.media_id, recording.outcome = result.media_id, result.status
                elif result.error:
                    figures.errors.append(result.error[:300])
            if all(recording.media_id for recording in mine):
                break
            time.sleep(RERUN_PAUSE)
    finally:
        figures.seconds = time.monotonic() - started
        if link:
            link.close()
        done.set()


@dataclass
class Poll:
    at: float
    path: str
    status: int | None
    seconds: float
    error: str | None = None


def poll(proxy_url: str, stop: threading.Event, polls: list[Poll]) -> None:
    """A visitor of the public pages (a new connection each time) and a monitor of /healthz, every half second."""
    while not stop.is_set():
        for path in ("/public/publications", "/healthz"):
            started = time.monotonic()
            try:
                response = httpx.get(proxy_url + path, timeout=10)
                polls.append(Poll(started, path, response.status_code, time.monotonic() - started))
            except httpx.HTTPError as exc:
                polls.append(Poll(started, path, None, time.monotonic() - started, f"{type(exc).__name__}: {exc}"[:200]))
        stop.wait(POLL_EVERY)


@dataclass
class Kill:
    target: str
    signal: str
    at: float
    gone_after: float  # seconds from the signal until the process had exited
    back_after: float  # seconds from the signal until it answered again
    forced: bool = False  # SIGTERM did not end it within the wait; SIGKILL did


def kill_replicas(
    replicas: list[ServiceProcess], scale: Scale, stop: threading.Event, kills: list[Kill], skipped: list[float], rng: random.Random
) -> None:
    """Every KILL_EVERY seconds one running replica, SIGKILL and SIGTERM in turn, each started again after a short
    pause (in its own thread: a start takes seconds, and the next kill does not wait for it). One replica is always
    left running: a tick that finds only one is skipped (and counted)."""
    down: set[int] = set()
    lock = threading.Lock()
    restarts: list[threading.Thread] = []

    def kill(number: int, signum: int) -> None:
        replica = replicas[number]
        assert replica.process is not None
        at = time.monotonic()
        os.killpg(replica.process.pid, signum)
        forced = False
        try:
            replica.process.wait(60 if signum == signal.SIGTERM else 10)
        except subprocess.TimeoutExpired:
            forced = True  # SIGTERM did not end it within a minute
            os.killpg(replica.process.pid, signal.SIGKILL)
            replica.process.wait(10)
        gone = time.monotonic() - at
        time.sleep(KILL_PAUSE)
        replica.start()
        with lock:
            kills.append(Kill(f"api-{number + 1}", signal.Signals(signum).name, at, gone, time.monotonic() - at, forced))
            down.discard(number)

    sent = 0
    next_at = time.monotonic() + scale.kill_every
    while not stop.wait(max(0.0, next_at - time.monotonic())):
        next_at += scale.kill_every
        if scale.max_kills is not None and sent >= scale.max_kills:
            break
        with lock:
            running = [number for number in range(len(replicas)) if number not in down]
            if len(running) < 2:
                skipped.append(time.monotonic())
                continue
            number = rng.choice(running)
            down.add(number)
        signum = signal.SIGKILL if sent % 2 == 0 else signal.SIGTERM
        sent += 1
        restarts.append(threading.Thread(target=kill, args=(number, signum), daemon=True))
        restarts[-1].start()
    for thread in restarts:  # every replica running again before the checks
        thread.join(180)


def kill_workers(workers: list[JobWorker], recordings: list[Recording], stop: threading.Event, kills: list[Kill]) -> None:
    """Each job worker once while footage arrives (SIGKILL the first, SIGTERM the second), when a third and
    two thirds of the files are up, so there are probes to run and to lose."""
    plan = [(workers[0], signal.SIGKILL, 1 / 3), (workers[1], signal.SIGTERM, 2 / 3)]
    for number, (worker, signum, share) in enumerate(plan):
        while sum(1 for r in recordings if r.media_id) < max(1, round(share * len(recordings))):
            if stop.wait(0.2):
                return
        at = time.monotonic()
        gone = worker.signal(signum, 60)
        time.sleep(2)
        worker.start()
        kills.append(Kill(f"worker-{number + 1}", signal.Signals(signum).name, at, gone, time.monotonic() - at))


# ---------------------------------------------------------------------------------------------------- the checks


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def get(self, path: str, **params) -> dict:
        for attempt in range(5):  # the checks run with every replica up; a retry only covers a blip
            try:
                response = self.http.get(path, params=params)
                response.raise_for_status()
                return response.json()
            except httpx.HTTPError:
                if attempt == 4:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")

    def every(self, path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            page = self.get(path, **params, limit=500, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def proxy_figures(lines: list[tuple[float, str]], kills: list[Kill]) -> dict:
    """What HAProxy saw: PATCH times and outcomes, HEADs for an offset, how fast a dead replica left the pool."""
    patch_ms, statuses, heads, posts = [], {}, 0, 0
    terminations: dict[str, int] = {}
    cut: dict[str, int] = {}  # PATCHes a replica did not answer, by the kill they were in flight at
    downs: list[tuple[float, str]] = []
    for stamp, line in lines:
        if line.startswith("REQ "):
            parts = line.split()
            method, status, active = parts[1], int(parts[2]), int(parts[3])
            uri = parts[10] if len(parts) > 10 else ""
            if not uri.startswith("/api/v1/uploads"):
                continue
            if method == "PATCH":
                statuses[status] = statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    patch_ms.append(active)
                else:
                    terminations[parts[8]] = terminations.get(parts[8], 0) + 1
                if status < 200 or status >= 500:
                    server, begun = parts[9].split("/")[-1], stamp - active / 1000
                    during = [k.signal for k in kills if k.target == server and begun - 0.5 <= k.at <= stamp + 0.5]
                    key = f"{during[0]} ({status} {parts[8]})" if during else f"no kill of {server} ({status} {parts[8]})"
                    cut[key] = cut.get(key, 0) + 1
            elif method == "HEAD":
                heads += 1
            elif method == "POST":
                posts += 1
        elif m := re.search(r"Server api/(api-\d+) is DOWN", line):
            downs.append((stamp, m.group(1)))
    out_after = []
    for kill in kills:
        if kill.target.startswith("api-"):
            later = [stamp - kill.at for stamp, name in downs if name == kill.target and 0 <= stamp - kill.at < 30]
            if later:
                out_after.append(min(later))
    return {
        "patches": sum(statuses.values()),
        "patch_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failed_patch_terminations": terminations,
        "unanswered_patches": cut,
        "patch_ms": {
            "p50": percentile(patch_ms, 0.5),
            "p95": percentile(patch_ms, 0.95),
            "max": max(patch_ms) if patch_ms else None,
        },
        "heads": heads,
        "creations": posts,
        "marked_down": len(downs),
        "left_pool_after_s": {
            "median": round(statistics.median(out_after), 2) if out_after else None,
            "max": round(max(out_after), 2) if out_after else None,
        },
    }


def read_back(api: Api, media_id: str) -> str:
    digest = hashlib.sha256()
    with api.http.stream("GET", f"/api/v1/media/{media_id}/content") as response:
        response.raise_for_status()
        for block in response.iter_bytes(8 * MiB):
            digest.update(block)
    return digest.hexdigest()


def check(results: dict, recordings: list[Recording], api: Api, replicas: list[ServiceProcess], seaweed, bucket: str, scale: Scale) -> None:
    checks: dict[str, dict] = {}

    def verdict(name: str, ok: bool, detail) -> None:
        checks[name] = {"ok": bool(ok), "detail": detail}

    lost = [r.path.name for r in recordings if not r.media_id]
    verdict("every upload completed", not lost, f"{len(recordings) - len(lost)} of {len(recordings)}" + (f"; lost: {lost}" if lost else ""))

    # The workers describe what arrived: wait for the last probes (a job lost with a killed worker is handed
    # on once job_stalled_seconds have passed).
    deadline = time.monotonic() + 300
    while api.get("/api/v1/media", status="processing", limit=1)["items"] and time.monotonic() < deadline:
        time.sleep(2)
    media = api.every("/api/v1/media")
    by_sha: dict[str, list[dict]] = {}
    for item in media:
        by_sha.setdefault(item["sha256"], []).append(item)
    wrong = []
    for recording in recordings:
        found = by_sha.get(recording.sha256, [])
        if len(found) != 1 or found[0]["size"] != recording.size or (recording.media_id and found[0]["id"] != recording.media_id):
            wrong.append({"file": recording.path.name, "media": [(m["id"], m["size"]) for m in found]})
    duplicates = sum(len(items) - 1 for items in by_sha.values() if len(items) > 1)
    strangers = [item["id"] for item in media if item["sha256"] not in {r.sha256 for r in recordings}]
    verdict("one media per file, its SHA-256 and size", not wrong and not strangers, wrong[:5] or strangers[:5] or f"{len(media)} media")
    results["duplicate_media"] = duplicates
    verdict("no duplicate media", duplicates == 0, duplicates)

    described: dict[str, int] = {}
    for event in api.every("/api/v1/audit/events", action="media.described"):
        described[event["media_id"]] = described.get(event["media_id"], 0) + 1
    created: dict[str, int] = {}
    for event in api.every("/api/v1/audit/events", action="media.created"):
        created[event["media_id"]] = created.get(event["media_id"], 0) + 1
    counts = [described.get(item["id"], 0) for item in media]
    statuses: dict[str, int] = {}
    for item in media:
        statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    results["probes"] = {
        "media": len(media),
        "described_once": counts.count(1),
        "never": counts.count(0),
        "more_than_once": sum(1 for c in counts if c > 1),
        "statuses": statuses,
    }
    verdict("every media probed exactly once (media.described)", counts and all(c == 1 for c in counts), results["probes"])
    not_ready = [
        {"id": m["id"], "size": m["size"], "status": m["status"], "probe_error": m.get("probe_error")}
        for m in media
        if m["status"] != "ready"
    ]
    results["probes"]["not_ready"] = not_ready
    verdict("every media ready", statuses == {"ready": len(media)}, not_ready[:5] or statuses)
    verdict("one media.created per media", all(created.get(item["id"], 0) == 1 for item in media), f"{sum(created.values())} events")

    dead = replicas[0].cli("jobs", "failed", check=False)
    verdict("no job dead", dead.returncode == 0, dead.stdout.strip()[:500] or dead.stderr.strip()[-500:])

    sample = [r for r in recordings if r.media_id][: scale.readback]
    mismatched = [r.path.name for r in sample if read_back(api, r.media_id or "") != r.sha256]
    verdict(f"bytes read back through the proxy ({len(sample)} media)", not mismatched, mismatched or "identical")

    paginator = seaweed.client().get_paginator("list_objects_v2")
    objects = sum(len(page.get("Contents", [])) for page in paginator.paginate(Bucket=bucket, Prefix="rs/evidence/"))
    results["stored_objects"] = objects
    verdict("stored evidence objects = media", objects == len(media), f"{objects} objects, {len(media)} media")

    keys = set()
    for replica in replicas:
        keys.add(httpx.get(replica.base_url + "/api/v1/public/keys", timeout=30).text)
    verdict("every replica serves one signing key", len(keys) == 1, f"{len(keys)} distinct")

    verify = replicas[0].cli("audit", "verify", check=False)
    results["audit_verify"] = verify.stdout.strip()
    verdict("recording-service audit verify", verify.returncode == 0, verify.stdout.strip()[:300] or verify.stderr.strip()[-300:])

    polls = results["polls"]
    verdict(
        "public pages answered throughout (but requests in flight at a SIGKILL)",
        polls["unexplained"] == 0,
        f"{polls['failed']} of {polls['total']} polls failed, {polls['in_flight_at_sigkill']} of them in flight at a SIGKILL"
        + (f": {[f for f in polls['failures'] if not f['explained']][:5]}" if polls["unexplained"] else ""),
    )
    results["checks"] = checks


def poll_figures(polls: list[Poll], kills: list[Kill], lines: list[tuple[float, str]]) -> dict:
    """The polls' outcomes; each failure explained by what HAProxy logged for it (the replica it went to, how it
    ended) and the kills: a request in flight on a replica at the instant of its SIGKILL cannot be answered (the
    reference proxy retries nothing once sent); any other failure is a finding."""
    requests = []
    for stamp, line in lines:
        parts = line.split()
        if line.startswith("REQ ") and len(parts) > 10 and parts[1] == "GET":
            requests.append((stamp - int(parts[3]) / 1000, stamp, int(parts[2]), parts[8], parts[9].split("/")[-1], parts[10]))

    def explain(p: Poll) -> dict:
        seen = [r for r in requests if r[5] == p.path and r[2] != 200 and p.at - 0.5 <= r[0] <= p.at + p.seconds + 0.5]
        if not seen:
            return {"proxy": None, "explained": None}
        begun, ended, status, termination, server, _ = seen[0]
        for kill in kills:
            if kill.target == server and kill.signal == "SIGKILL" and begun - 0.5 <= kill.at <= ended + 0.5:
                return {"proxy": f"{status} {termination} {server}", "explained": f"in flight on {server} at its SIGKILL"}
        return {"proxy": f"{status} {termination} {server}", "explained": None}

    failures = []
    for p in polls:
        if p.status != 200:
            failures.append({"path": p.path, "status": p.status, "error": p.error, "ms": round(p.seconds * 1000)} | explain(p))

    def latency(path: str) -> dict:
        values = [round(p.seconds * 1000) for p in polls if p.status == 200 and p.path == path]
        return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "max": max(values) if values else None}

    return {
        "total": len(polls),
        "failed": len(failures),
        "in_flight_at_sigkill": sum(1 for f in failures if f["explained"]),
        "unexplained": sum(1 for f in failures if not f["explained"]),
        "failures": failures,
        "ms": {path: latency(path) for path in ("/public/publications", "/healthz")},
    }


# ---------------------------------------------------------------------------------------------------- the run


def run(scale: Scale) -> dict:
    reason = postgres_available()
    if reason:
        raise SystemExit(f"bench-cluster needs PostgreSQL on 127.0.0.1:5432 (`make postgres`): {reason}")
    shutil.rmtree(HERE, ignore_errors=True)
    HERE.mkdir(parents=True)
    run_id = uuid.uuid4().hex[:12]
    rng = random.Random(scale.seed)
    console.print(f"recordings: {scale.docks} docks × {scale.files} file(s) of {scale.min_mib}–{scale.max_mib} MiB …")
    phases = {"begin": time.monotonic()}
    recordings = make_recordings(scale, run_id)
    phases["recordings"] = time.monotonic()
    database_url = create_postgres_database()
    seaweed = SeaweedFS(HERE / "seaweedfs")
    replicas: list[ServiceProcess] = []
    workers: list[JobWorker] = []
    proxy: Proxy | None = None
    results: dict = {"scale": scale.__dict__, "machine": machine()}
    try:
        seaweed.start()
        bucket = seaweed.create_bucket(f"cluster-{run_id}", object_lock=True)
        key_file = HERE / "signing-key.pem"
        load_signing_key(key_file)  # one key for every replica, as a Secret would hand it to them
        env = clean_env()
        env.update(
            RECORDING_DATABASE_URL=database_url,
            RECORDING_STORAGE_URL=f"s3://{bucket}/rs",
            RECORDING_S3_ENDPOINT_URL=seaweed.endpoint,
            AWS_ACCESS_KEY_ID=S3_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY,
            AWS_REGION="us-east-1",
            RECORDING_RUN_WORKER="false",  # = serve --no-job-worker
            RECORDING_SIGNING_KEY_FILE=str(key_file),
            RECORDING_TRUSTED_PROXIES="127.0.0.1",
            # Every poll and dock comes from 127.0.0.1: the public budget (shared by the replicas through the
            # database) would rightly refuse one address polling twice a second; it is not what is measured here.
            RECORDING_PUBLIC_REQUESTS_PER_MINUTE="100000",
            RECORDING_PUBLIC_NETWORK_REQUESTS_PER_MINUTE="100000",
        )
        if scale.lease:
            env["RECORDING_UPLOAD_LEASE_SECONDS"] = str(scale.lease)
        if scale.job_stalled:
            env["RECORDING_JOB_STALLED_SECONDS"] = str(scale.job_stalled)
        first = ServiceProcess(env, HERE / "api-1")
        (HERE / "api-1").mkdir()
        first.cli("migrate")  # once, before any replica
        replicas.append(first)
        for index in range(1, REPLICAS):
            (HERE / f"api-{index + 1}").mkdir()
            replicas.append(ServiceProcess(env, HERE / f"api-{index + 1}"))
        workers = [JobWorker(env, HERE / f"worker-{index + 1}") for index in range(WORKERS)]
        with ThreadPoolExecutor(REPLICAS + WORKERS) as pool:  # started side by side, each waited for
            list(pool.map(lambda process: process.start(), replicas + workers))
        check_uri = "/readyz" if httpx.get(replicas[0].base_url + "/readyz", timeout=10).status_code == 200 else "/healthz"
        results["health_check"] = check_uri
        config = HERE / "haproxy.cfg"
        port = free_port()
        config.write_text(proxy_config(REFERENCE_PROXY.read_text(), port, free_port(), [r.port for r in replicas], check_uri))
        proxy = Proxy(config, port).start()
        time.sleep(1.5)  # the first checks mark every replica up
        tokens = [first.token("dock", AGENCY, f"dock-{index:02d}") for index in range(scale.docks)]
        api = Api(proxy.url, first.token("admin", "*", "bench-cluster"))
        console.print(
            f"cluster up: {REPLICAS} replicas, {WORKERS} workers, HAProxy :{port} (checks {check_uri}); "
            f"{len(recordings)} recordings, {sum(r.size for r in recordings) / MiB:.0f} MiB"
        )

        stop = threading.Event()
        polls: list[Poll] = []
        kills: list[Kill] = []
        skipped_kills: list[float] = []
        worker_kills: list[Kill] = []
        figures = [DockFigures() for _ in range(scale.docks)]
        dones = [threading.Event() for _ in range(scale.docks)]
        background = [
            threading.Thread(target=poll, args=(proxy.url, stop, polls), daemon=True),
            threading.Thread(target=kill_replicas, args=(replicas, scale, stop, kills, skipped_kills, rng), daemon=True),
            threading.Thread(target=kill_workers, args=(workers, recordings, stop, worker_kills), daemon=True),
        ]
        docks = [
            threading.Thread(
                target=run_dock,
                args=(
                    index,
                    HERE / "docks" / f"dock-{index:02d}",
                    proxy.url,
                    tokens[index],
                    [r for r in recordings if r.dock == index],
                    scale,
                    figures[index],
                    dones[index],
                ),
                daemon=True,
            )
            for index in range(scale.docks)
        ]
        started = phases["cluster up"] = time.monotonic()
        for thread in background + docks:
            thread.start()
        while not all(done.wait(10) for done in dones):
            up = sum(1 for r in recordings if r.media_id)
            console.print(
                f"  {time.monotonic() - started:6.0f} s: {up}/{len(recordings)} uploaded, {len(kills)} replica kills, "
                f"{sum(1 for p in polls if p.status != 200)} failed polls"
            )
        load_seconds = time.monotonic() - started
        stop.set()
        for thread in background:
            thread.join(300)
        console.print()
        for replica in replicas:  # a restart in progress when the load ended has finished (joined above)
            assert replica.process is not None and replica.process.poll() is None, "a replica is not running"

        results.update(
            uploads=sum(1 for r in recordings if r.media_id),
            files=len(recordings),
            bytes=sum(r.size for r in recordings if r.media_id),
            load_seconds=round(load_seconds, 1),
            throughput_mib_s=round(sum(r.size for r in recordings if r.media_id) / MiB / load_seconds, 1),
            kills={
                "replicas": len(kills),
                "ticks_skipped_one_running": len(skipped_kills),
                "SIGKILL": sum(1 for k in kills if k.signal == "SIGKILL"),
                "SIGTERM": sum(1 for k in kills if k.signal == "SIGTERM"),
                "SIGTERM_forced": sum(1 for k in kills if k.forced),
                "sigterm_exit_s_max": round(max((k.gone_after for k in kills if k.signal == "SIGTERM"), default=0), 2),
                "back_after_s_median": round(statistics.median([k.back_after for k in kills]), 1) if kills else None,
                "workers": [f"{k.signal} {k.target}" for k in worker_kills],
            },
            docks={
                "runs": sum(f.runs for f in figures),
                "reruns": sum(f.runs - 1 for f in figures),
                "resumed_files": sum(f.resumed for f in figures),
                "errors": sorted({error for f in figures for error in f.errors})[:20],
                "seconds_max": round(max(f.seconds for f in figures), 1),
            },
            proxy=proxy_figures(proxy.lines, kills),
            polls=poll_figures(polls, kills, proxy.lines),
            timeline=[k.__dict__ | {"at": round(k.at - started, 1)} for k in kills + worker_kills],
        )
        console.print("checking …")
        phases["load"] = time.monotonic()
        check(results, recordings, api, replicas, seaweed, bucket, scale)
        phases["checks"] = time.monotonic()
        names = list(phases)
        results["phases_s"] = {name: round(phases[name] - phases[before], 1) for before, name in zip(names, names[1:])}
    finally:
        if proxy:
            proxy.stop()
        for process in workers + replicas:
            process.stop()
        seaweed.stop()
        drop_postgres_database(database_url)
    return results


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def report(results: dict) -> None:
    table = Table(title=f"cluster under failure: {REPLICAS} replicas, {WORKERS} workers, HAProxy ({results['machine']})")
    table.add_column("figure")
    table.add_column("value")
    proxy, kills, docks, polls = results["proxy"], results["kills"], results["docks"], results["polls"]
    rows = [
        ("uploads completed", f"{results['uploads']} of {results['files']} ({results['bytes'] / MiB:,.0f} MiB)"),
        ("total time (load) / throughput", f"{results['load_seconds']} s / {results['throughput_mib_s']} MiB/s"),
        (
            "replica kills",
            f"{kills['replicas']} (SIGKILL {kills['SIGKILL']}, SIGTERM {kills['SIGTERM']}; forced {kills['SIGTERM_forced']})",
        ),
        ("worker kills", ", ".join(kills["workers"]) or "none"),
        (
            "killed replica out of the pool after",
            f"median {proxy['left_pool_after_s']['median']} s, max {proxy['left_pool_after_s']['max']} s",
        ),
        ("resumes: HEADs for the offset", str(proxy["heads"])),
        (
            "resumes: PATCHes failed (by status)",
            f"{sum(v for k, v in proxy['patch_statuses'].items() if not k.startswith('2'))} {proxy['patch_statuses']}",
        ),
        ("resumes: dock re-runs / files resumed", f"{docks['reruns']} / {docks['resumed_files']}"),
        ("PATCHes unanswered, by the kill in flight", json.dumps(proxy["unanswered_patches"])),
        ("PATCH time p50 / p95 / max (HAProxy)", "{p50} / {p95} / {max} ms".format(**proxy["patch_ms"])),
        ("public polls failed", f"{polls['failed']} of {polls['total']} ({polls['in_flight_at_sigkill']} in flight at a SIGKILL)"),
        *((f"  {path} p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**figures)) for path, figures in polls["ms"].items()),
        ("replica restart: signal to answering, median", f"{kills['back_after_s_median']} s"),
        ("phases", ", ".join(f"{name} {seconds} s" for name, seconds in results.get("phases_s", {}).items())),
        ("duplicate media", str(results.get("duplicate_media"))),
        ("probes (media.described per media)", json.dumps(results.get("probes"))),
        ("audit verify", results.get("audit_verify", "")[:120]),
    ]
    for row in rows:
        table.add_row(*row)
    for name, outcome in results.get("checks", {}).items():
        mark = "[green]ok[/green]" if outcome["ok"] else "[red]FAILED[/red]"
        table.add_row(f"check: {name}", f"{mark} {str(outcome['detail'])[:200]}")
    console.print(table)


def main() -> None:
    scale = Scale()
    WORK.mkdir(parents=True, exist_ok=True)
    keep = os.environ.get("BENCH_CLUSTER_KEEP") == "1"
    failed = ["the run"]
    try:
        results = run(scale)
        RESULTS.write_text(json.dumps(results, indent=2, default=str))
        report(results)
        failed = [name for name, outcome in results["checks"].items() if not outcome["ok"]]
    finally:
        if not keep:  # the recordings and the store's data go; the logs stay when something failed
            for bulky in (HERE / "docks", HERE / "seaweedfs" / "data", HERE / "random.bin"):
                shutil.rmtree(bulky, ignore_errors=True) if bulky.is_dir() else bulky.unlink(missing_ok=True)
            if not failed:
                shutil.rmtree(HERE, ignore_errors=True)
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/red] (figures in {RESULTS})")
        sys.exit(1)
    console.print(f"figures in {RESULTS}")


if __name__ == "__main__":
    main()
