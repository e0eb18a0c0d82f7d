"""bench/cluster.py (`make bench-cluster`) at a small scale: three replicas and two job workers on PostgreSQL and
SeaweedFS behind HAProxy, three docks uploading through it over slow links while a replica is killed (SIGKILL, then
SIGTERM) and each worker once. The script's own checks must all pass (it exits 1 otherwise): every upload complete
with its SHA-256, one media per file, each probed once, bytes read back, `audit verify`, the public pages answering.

It needs PostgreSQL (127.0.0.1:5432, `make postgres`), SeaweedFS, HAProxy (`make haproxy`) and ffmpeg: without one
of them it fails, never skips."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .support.servers import postgres_available

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "BENCH_CLUSTER_DOCKS": "3",
    "BENCH_CLUSTER_MIN_MIB": "8",
    "BENCH_CLUSTER_MAX_MIB": "16",
    "BENCH_CLUSTER_LINK_MIB": "2",  # a dock's upload lasts seconds: long enough for the kills
    "BENCH_CLUSTER_KILL_EVERY": "2",
    "BENCH_CLUSTER_MAX_KILLS": "2",
    "BENCH_CLUSTER_LEASE": "10",  # a SIGKILLed replica's hold on an upload runs out in 10 s, not the default 60
    "BENCH_CLUSTER_JOB_STALLED": "10",  # a probe lost with a SIGKILLed worker is handed on after 10 s
}


@pytest.mark.xdist_group("postgres-s3")
def test_cluster_loses_nothing_when_replicas_and_workers_are_killed(tmp_path):
    reason = postgres_available()
    assert reason is None, f"the cluster test needs PostgreSQL on 127.0.0.1:5432 (`make postgres`): {reason}"
    env = {**os.environ, **SMALL, "BENCH_CLUSTER_WORK": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cluster.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert (tmp_path / "cluster.json").exists(), run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads((tmp_path / "cluster.json").read_text())
    failed = {name: outcome["detail"] for name, outcome in figures["checks"].items() if not outcome["ok"]}
    assert not failed and run.returncode == 0, (failed, run.stdout[-3000:], run.stderr[-3000:])
    assert figures["uploads"] == figures["files"] == 3
    # The kills happened under load: a SIGKILL and a SIGTERM of replicas, each worker once.
    assert (figures["kills"]["SIGKILL"], figures["kills"]["SIGTERM"]) == (1, 1)
    assert figures["kills"]["workers"] == ["SIGKILL worker-1", "SIGTERM worker-2"]
    assert figures["duplicate_media"] == 0
    assert figures["probes"] == {
        "media": 3,
        "described_once": 3,
        "never": 0,
        "more_than_once": 0,
        "statuses": {"ready": 3},
        "not_ready": [],
    }
    assert figures["polls"]["total"] > 0 and figures["polls"]["unexplained"] == 0
    assert not (tmp_path / "cluster" / "docks").exists()  # the recordings are cleaned up
