"""Two versions of the service side by side: is a change to the ingest path faster, and by how much?

    python bench/versions.py BEFORE [AFTER]      (each a commit, a branch or a checkout's directory; AFTER: this one)

Both versions serve at once (each its own process, database and store), and a 512 MiB tus upload alternates between
them, the side that starts changing from pair to pair; every upload's SHA-256 is checked, outside the timing. It
prints the speed-up of AFTER (the median time of BEFORE over that of AFTER) with each pair's ratio, and both sides'
server CPU. A commit is checked out into a temporary git worktree, removed afterwards.

The three-sided chunk bench (bench/ingest_chunks.py) compares with Node: its ratios move by ±10 % from one run to the
next on a shared machine, more than most changes move them. Here only the change differs, and the pairs say whether
it holds (e.g. the lanes' backlog at 1 MiB instead of 4: "no slower" in the three-sided bench, 16 % slower here).

    BENCH_VERSIONS_CHUNKS=8,64   chunk sizes in MiB
    BENCH_VERSIONS_PAIRS=8       alternating pairs per chunk size
    BENCH_VERSIONS_MIB=512       file size in MiB
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ingest_chunks  # noqa: E402
from bench import run as base  # noqa: E402

MiB = 1024 * 1024
CHUNKS = [int(value) for value in os.environ.get("BENCH_VERSIONS_CHUNKS", "8,64").split(",")]
PAIRS = int(os.environ.get("BENCH_VERSIONS_PAIRS", "8"))
SIZE = int(os.environ.get("BENCH_VERSIONS_MIB", "512")) * MiB


@contextmanager
def source_of(version: str) -> Iterator[Path]:
    """The `src` directory of `version`: a checkout's directory as it is, or a commit checked out for the run."""
    if (Path(version) / "src" / "recording_service").is_dir():
        yield Path(version).resolve() / "src"
        return
    with tempfile.TemporaryDirectory(prefix="bench-version-") as parent:
        worktree = Path(parent) / "checkout"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(worktree), version], check=True)
        try:
            yield worktree / "src"
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)


def compare(before: Path, after: Path) -> list[dict]:
    base.WORK.mkdir(parents=True, exist_ok=True)
    file = base.ensure_file(f"{SIZE // MiB}-mib.bin", SIZE)
    # The service's modules come from each version's src (ahead of the installed package on the path).
    sides = {
        "before": base.service({"PYTHONPATH": str(before)}, "versions-before"),
        "after": base.service({"PYTHONPATH": str(after)}, "versions-after"),
    }
    headers = {side: {"Authorization": f"Bearer {process.token('dock', 'BENCH', 'dock-versions')}"} for side, process in sides.items()}
    figures = []
    serial = 0
    try:
        for chunk_mib in CHUNKS:
            times: dict[str, list[float]] = {"before": [], "after": []}
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            for pair in range(PAIRS):
                for side in ("before", "after") if pair % 2 == 0 else ("after", "before"):
                    serial += 1
                    sha256 = base.make_unique(file, 700_000 + serial)
                    process = sides[side]
                    started_cpu = base.cpu_seconds(process.process.pid)
                    seconds, url = ingest_chunks.upload(process.base_url + "/api/v1/uploads", file, headers[side], sha256, chunk_mib)
                    time.sleep(0.5)  # the probe job after the answer: counted in the CPU figure
                    cpu[side].append(base.cpu_seconds(process.process.pid) - started_cpu)
                    times[side].append(seconds)
                    base.check_service_upload(url, headers[side], sha256)
                    shutil.rmtree(process.workdir / "objects" / "evidence", ignore_errors=True)
            figures.append(
                {
                    "chunk_mib": chunk_mib,
                    "speed_up": statistics.median(times["before"]) / statistics.median(times["after"]),
                    "pairs": [before_s / after_s for before_s, after_s in zip(times["before"], times["after"], strict=True)],
                    "mib_per_s": {side: SIZE / MiB / statistics.median(values) for side, values in times.items()},
                    "cpu_s": {side: statistics.median(values) for side, values in cpu.items()},
                }
            )
    finally:
        for process in sides.values():
            process.stop()
    return figures


def main() -> None:
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    with ExitStack() as stack:
        before = stack.enter_context(source_of(sys.argv[1]))
        after = stack.enter_context(source_of(sys.argv[2])) if len(sys.argv) == 3 else ROOT / "src"
        print(f"before: {before}\nafter:  {after}\n{len(CHUNKS)} chunk sizes, {PAIRS} alternating pairs of {SIZE // MiB} MiB uploads")
        for figure in compare(before, after):
            pairs = " ".join(f"{ratio:.2f}" for ratio in figure["pairs"])
            rates, cpu = figure["mib_per_s"], figure["cpu_s"]
            print(
                f"{figure['chunk_mib']} MiB chunks: after {figure['speed_up']:.3f}x of before "
                f"({rates['after']:.0f} against {rates['before']:.0f} MiB/s; pairs {pairs}); "
                f"server CPU per upload {cpu['after']:.2f} s against {cpu['before']:.2f}"
            )


if __name__ == "__main__":
    main()
