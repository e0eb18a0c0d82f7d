"""bench/live.py (`make bench-live`, part of `make bench`) at a tiny size, so the script cannot rot: one camera and
then two at once, each streaming 6 s of 1080p fragmented MP4 (three 2 s segments) at real-time pace over tus with a
deferred length, an auditor's player on the live playlist and the footage list polled meanwhile. The script's own
checks must all pass (it exits 1 otherwise): every segment acknowledged, visible and listed, every fetched fragment
the camera's bytes, each upload one `ready` media record with the camera file's SHA-256, the stored objects those
files. No figure is asserted: times are not tested.

SQLite and the filesystem store, as the benchmark; it needs ffmpeg (`make ffmpeg`): without it it fails, never skips."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "BENCH_LIVE_SECONDS": "6",
    "BENCH_LIVE_STREAMS": "2",
    "BENCH_LIVE_CONCURRENT_SECONDS": "6",
}


@pytest.mark.xdist_group("sqlite-fs")
def test_live_bench_streams_cameras_and_checks_every_byte(tmp_path):
    env = {**os.environ, **TINY, "BENCH_LIVE_WORK": str(tmp_path)}
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "live.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert (tmp_path / "live.json").exists(), run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads((tmp_path / "live.json").read_text())
    failed = {
        f"{name}: {check}": outcome["detail"]
        for name, figure in figures["runs"].items()
        for check, outcome in figure["checks"].items()
        if not outcome["ok"]
    }
    assert not failed and run.returncode == 0 and figures["ok"], (failed, run.stdout[-3000:], run.stderr[-3000:])
    assert sorted(figures["runs"]) == ["concurrent", "single"]
    for name, streams in (("single", 1), ("concurrent", 2)):
        figure = figures["runs"][name]
        assert (figure["streams"], figure["segments_per_stream"]) == (streams, 3)
        for what in ("durable", "visible", "playable"):
            assert figure["lag_seconds"][what]["n"] == streams * 3  # a lag for every segment of every stream
        assert figure["cpu_seconds"] > 0 and figure["peak_rss"] > 0
    assert not any(tmp_path.glob("live-*/objects"))  # each run's service directory (its footage) is removed
