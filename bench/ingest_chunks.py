"""Ingest speed at every chunk size docks use: a 512 MiB tus upload at 8, 32 and 64 MiB chunks into the
filesystem store, this service against the official Node tus server (@tus/server + @tus/file-store),
same client (tuspy), side by side.

For each chunk size the runs alternate between the sides (each run starts with the next side in turn) and the
medians are compared, so noise on a shared machine hits all alike; the spread (the ratio of each pair of
neighbouring runs, lowest and highest) is reported beside the median. The service's peak RSS (VmHWM) over all its
uploads is reported too. Every upload's SHA-256 is checked afterwards, outside the timing.

The target compares with Node's file store as it is: it answers a PATCH once the bytes are in the page cache, and
the bench deletes its files before any of them reach the disk. The service answers once they are on disk (fsync).
So a third side, beside the target's row: the same Node server with each PATCH's bytes fdatasync'ed before its
answer ("Node, durable"), the figure that compares like with like.

    BENCH_INGEST_REPS=5          runs per side and chunk size (default BENCH_REPS, else 5)
    BENCH_INGEST_CHUNKS=8,32,64  chunk sizes in MiB
    BENCH_INGEST_MIB=512         file size in MiB

`python bench/ingest_chunks.py` runs it alone; `make bench` runs it as the "chunks" figure of bench/run.py.
"""

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import run as base  # noqa: E402

MiB = 1024 * 1024
REPS = int(os.environ.get("BENCH_INGEST_REPS", os.environ.get("BENCH_REPS", "5")))
CHUNKS = [int(value) for value in os.environ.get("BENCH_INGEST_CHUNKS", "8,32,64").split(",")]
SIZE = int(os.environ.get("BENCH_INGEST_MIB", "512")) * MiB
NODES = ("node", "node_durable")  # Node's file store as it is (the target's), and with each PATCH fdatasync'ed


def run() -> dict:
    base.WORK.mkdir(parents=True, exist_ok=True)
    file = base.ensure_file(f"{SIZE // MiB}-mib.bin", SIZE)
    ours = base.service({}, "chunks-service")
    token = ours.token("dock", "BENCH", "dock-chunks")
    headers = {"Authorization": f"Bearer {token}"}
    nodes = {side: base.node_tus_server(base.WORK / side, durable=side == "node_durable") + (base.WORK / side,) for side in NODES}
    idle_rss = base.peak_rss(ours)
    figures: dict[str, dict] = {}
    serial = 0
    sides = ["service", *NODES]
    try:
        for chunk_mib in CHUNKS:
            times: dict[str, list[float]] = {side: [] for side in sides}
            cpu: dict[str, list[float]] = {side: [] for side in sides}
            for run_index in range(REPS):
                for side in sides[run_index % len(sides) :] + sides[: run_index % len(sides)]:
                    serial += 1
                    sha256 = base.make_unique(file, 500_000 + serial)
                    pid = ours.process.pid if side == "service" else nodes[side][0].pid
                    before = base.cpu_seconds(pid)
                    if side == "service":
                        seconds, url = upload(ours.base_url + "/api/v1/uploads", file, headers, sha256, chunk_mib)
                        time.sleep(0.5)  # the probe job after the answer: counted in the CPU figure
                    else:
                        seconds, url = upload(f"http://127.0.0.1:{nodes[side][1]}/files", file, {}, None, chunk_mib)
                    cpu[side].append(base.cpu_seconds(pid) - before)
                    times[side].append(seconds)
                    if side == "service":
                        base.check_service_upload(url, headers, sha256)
                        shutil.rmtree(ours.workdir / "objects" / "evidence", ignore_errors=True)
                    else:
                        node_dir = nodes[side][2]
                        base.check_stored_file(node_dir / url.rsplit("/", 1)[1], sha256)
                        shutil.rmtree(node_dir, ignore_errors=True)
                        node_dir.mkdir()
            figure = figures[str(chunk_mib)] = {
                "times": times,
                "cpu_per_gib": {side: base.per_gib(values, SIZE) for side, values in cpu.items()},
            }
            for node_side in NODES:
                pairs = [node_time / ours_time for node_time, ours_time in zip(times[node_side], times["service"], strict=True)]
                suffix = "" if node_side == "node" else "_durable"
                figure["ratio" + suffix] = base.median_ratio(times[node_side], times["service"])
                figure["pair_ratios" + suffix] = [round(value, 3) for value in pairs]
            sys.stdout.write(
                f"  {chunk_mib} MiB chunks: {figure['ratio']:.2f}× (pairs {min(figure['pair_ratios']):.2f}–"
                f"{max(figure['pair_ratios']):.2f}); against Node durable {figure['ratio_durable']:.2f}×\n"
            )
            sys.stdout.flush()
        rss = base.peak_rss(ours)
    finally:
        for process, _, _ in nodes.values():
            process.terminate()
        ours.stop()
    return {"size": SIZE, "reps": REPS, "chunks": figures, "peak_rss": rss, "idle_rss": idle_rss}


def upload(endpoint: str, path: Path, headers: dict[str, str], sha256: str | None, chunk_mib: int) -> tuple[float, str]:
    saved = base.CHUNK
    base.CHUNK = chunk_mib * MiB
    try:
        return base.tus_upload(endpoint, path, headers, sha256)
    finally:
        base.CHUNK = saved


def per_patch_cpu(result: dict) -> dict[str, float] | None:
    """What each PATCH costs the server apart from its bytes, in CPU-ms: the CPU per GiB at the smallest chunk size
    minus that at the largest, over the PATCHes per GiB they differ by (the bytes cost both the same). On a machine
    whose cores the client shares, this per-PATCH cost is what the small-chunk ratio follows."""
    sizes = sorted(int(chunk) for chunk in result["chunks"])
    if len(sizes) < 2:
        return None
    small, large = (result["chunks"][str(size)]["cpu_per_gib"] for size in (sizes[0], sizes[-1]))
    patches = 1024 / sizes[0] - 1024 / sizes[-1]
    return {side: 1000 * (statistics.median(small[side]) - statistics.median(large[side])) / patches for side in ("service", "node")}


def rows(result: dict) -> list[tuple[str, str, str, str, str]]:
    """The figure's rows for bench/run.py's table: figure, service, baseline, ratio, target."""
    out = []
    size = result["size"]
    for chunk, figure in result["chunks"].items():
        ours, node = figure["times"]["service"], figure["times"]["node"]
        pairs = figure["pair_ratios"]
        out.append(
            (
                f"tus {size // MiB} MiB at {chunk} MiB chunks → filesystem vs Node @tus/server",
                f"{size / MiB / statistics.median(ours):.0f} MiB/s",
                f"{size / MiB / statistics.median(node):.0f} MiB/s",
                f"{figure['ratio']:.2f}× (pairs {min(pairs):.2f}–{max(pairs):.2f})",
                "≥ 1.0×",
            )
        )
        if "ratio_durable" in figure:
            durable, pairs = figure["times"]["node_durable"], figure["pair_ratios_durable"]
            out.append(
                (
                    "  against Node with each PATCH fdatasync'ed (as the service acknowledges)",
                    f"{size / MiB / statistics.median(ours):.0f} MiB/s",
                    f"{size / MiB / statistics.median(durable):.0f} MiB/s",
                    f"{figure['ratio_durable']:.2f}× (pairs {min(pairs):.2f}–{max(pairs):.2f})",
                    "",
                )
            )
        cpu = figure["cpu_per_gib"]
        out.append(
            (
                "  cost per GiB (server process)",
                f"{statistics.median(cpu['service']):.2f} CPU-s/GiB",
                f"{statistics.median(cpu['node']):.2f} CPU-s/GiB",
                "",
                "",
            )
        )
    if overhead := per_patch_cpu(result):
        out.append(
            (
                "  server CPU per PATCH beyond its bytes (from the smallest and largest chunks)",
                f"{overhead['service']:.1f} ms",
                f"{overhead['node']:.1f} ms",
                "",
                "",
            )
        )
    out.append(
        (
            f"  peak RSS of the service over these uploads (idle before), median of {result['reps']}",
            base.megabytes(result["peak_rss"]),
            base.megabytes(result["idle_rss"]),
            "",
            "≤ 150 MB",
        )
    )
    return out


if __name__ == "__main__":
    from rich.table import Table

    result = run()
    table = Table(title=f"ingest by chunk size ({base.machine()}; tuspy, median of {REPS})")
    for column in ("figure", "service", "baseline", "ratio", "target"):
        table.add_column(column)
    for row in rows(result):
        table.add_row(*row)
    base.console.print(table)
