"""`make bench`: upload throughput and memory, as ratios against baselines run side by side.

1. tus upload of one 1 GiB file into the filesystem store: this service vs the official Node tus
   server (@tus/server + @tus/file-store), same client (tuspy), same chunk size.
   Ten docks at once: 10 concurrent 1 GiB tus uploads (one file and token each), the aggregate
   against the same on the Node server, with the service's peak RSS during them.
   The same at every chunk size docks use: 512 MiB at 8, 32 and 64 MiB chunks (bench/ingest_chunks.py;
   `python bench/run.py chunks` alone), with the service's peak RSS over those uploads.
2. Upload of the same file into SeaweedFS: this service (tus) vs boto3 `upload_file` straight to the
   same SeaweedFS.
3. Peak RSS of the service process (VmHWM) during a 2 GiB and a 256 MiB upload, each on a fresh process.
4. Timeline latency on a small and a large database (bench/timeline.py).
5. Case-file export (BagIt zip, 1 GiB of footage) vs the same footage through the content endpoint (bench/export.py).
6. Live upload (bench/live.py; `python bench/run.py live` alone): 1080p fMP4 cameras streaming 2 s segments at
   real-time pace over tus deferred length, one for 10 minutes and 20 at once for 2; the lag from a segment's end
   to durable, visible and playable live, the service's CPU per stream-minute and peak RSS (no baseline: targets).

Runs alternate between the two sides and the median of each side is compared, so machine noise
hits both alike. Every upload's SHA-256 is checked afterwards (the service's record, the bytes the
Node server or boto3 stored), outside the timing. Nothing here asserts a time; it prints figures
(and bench/.work/results.json).
"""

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tusclient import client as tus_client  # noqa: E402

from tests.support.servers import (  # noqa: E402
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    SeaweedFS,
    ServiceProcess,
    free_port,
)

MiB = 1024 * 1024
GiB = 1024 * MiB
CHUNK = 64 * MiB
REPS = int(os.environ.get("BENCH_REPS", "3"))
CONCURRENT = int(os.environ.get("BENCH_CONCURRENT", "10"))  # docks uploading at once in the shift-change figure
WORK = ROOT / "bench" / ".work"
console = Console()


def ensure_file(name: str, size: int) -> Path:
    path = WORK / name
    if not path.exists() or path.stat().st_size != size:
        with open(path, "wb") as handle:
            for _ in range(size // (8 * MiB)):
                handle.write(os.urandom(8 * MiB))
            handle.write(os.urandom(size % (8 * MiB)))
    return path


def copy_of(path: Path, name: str) -> Path:
    copy = WORK / name
    if not copy.exists() or copy.stat().st_size != path.stat().st_size:
        shutil.copyfile(path, copy)
    return copy


def make_unique(path: Path, run: int) -> str:
    """Change the first bytes so every run is new evidence (no deduplication shortcut), for both sides
    alike; returns the file's SHA-256, which a dock declares (it hashed the file when it copied it off
    the camera, so that is not part of the timed upload)."""
    with open(path, "r+b") as handle:
        handle.write(f"run-{run:08d}-{time.time_ns()}".encode())
    return file_sha256(path)


def sha256_hex(blocks) -> str:
    digest = hashlib.sha256()
    for block in blocks:
        digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return sha256_hex(iter(lambda: handle.read(8 * MiB), b""))


def tus_upload(endpoint: str, path: Path, headers: dict[str, str], sha256: str | None = None) -> tuple[float, str]:
    """Uploads the file; returns the seconds it took and the upload's URL."""
    tus = tus_client.TusClient(endpoint, headers=headers)
    metadata = {"filename": path.name, **({"sha256": sha256} if sha256 else {})}
    uploader = tus.uploader(str(path), chunk_size=CHUNK, metadata=metadata)
    started = time.perf_counter()
    uploader.upload()
    return time.perf_counter() - started, uploader.url


def check_service_upload(url: str, headers: dict[str, str], sha256: str) -> None:
    """Outside the timing: the service must hold the upload complete with the file's SHA-256."""
    status = httpx.get(url, headers=headers, timeout=60).json()
    if status["status"] != "completed" or status["sha256"] != sha256:
        raise SystemExit(f"upload {url} is {status['status']} with SHA-256 {status['sha256']}, not {sha256}: the figures are void")


def check_stored_file(path: Path, sha256: str) -> None:
    """Outside the timing: what the baseline stored must be the file's bytes."""
    if file_sha256(path) != sha256:
        raise SystemExit(f"{path} does not hold the uploaded bytes: the figures are void")


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system, all threads, and children it waited for) of a process; this process when None."""
    if pid is None:
        usage = os.times()
        return usage.user + usage.system + usage.children_user + usage.children_system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def per_gib(seconds: list[float], size: int) -> list[float]:
    return [round(value * GiB / size, 2) for value in seconds]


def service(env_extra: dict[str, str], name: str) -> ServiceProcess:
    workdir = WORK / name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECORDING_", "AWS_"))}
    for knob in ("S3_UPLOAD_CONCURRENCY", "S3_PART_SIZE", "STORAGE_DIRECT_IO"):  # to measure the trade-offs
        if f"BENCH_{knob}" in os.environ:
            env[f"RECORDING_{knob}"] = os.environ[f"BENCH_{knob}"]
    env.update(RECORDING_DATABASE_URL=f"sqlite:///{workdir / 'recording.db'}", RECORDING_STORAGE_URL=f"file://{workdir / 'objects'}")
    env.update(env_extra)
    return ServiceProcess(env, workdir).start()


def peak_rss(process: ServiceProcess) -> int:
    for line in Path(f"/proc/{process.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def node_tus_server(directory: Path, *, durable: bool = False) -> tuple[subprocess.Popen, int]:
    """Node's tus server on the directory; `durable`: each PATCH's bytes fdatasync'ed before its answer."""
    bench = ROOT / "bench"
    if not (bench / "node_modules" / "@tus" / "server").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=bench, check=True)
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        ["node", str(bench / "tus_node_server.mjs"), str(port), str(directory), *(["durable"] if durable else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert "listening" in proc.stdout.readline()
    return proc, port


def median_ratio(baseline: list[float], ours: list[float]) -> float:
    return statistics.median(baseline) / statistics.median(ours)


def bench_against_node(files: list[Path], label: str) -> dict:
    """tus uploads of `files`, all started together, into the filesystem store against the Node server.
    One file is the single-upload figure; ten is the shift change (every dock at once). A fresh service
    process, so its peak RSS is this leg's; each upload has its own dock token and its own file."""
    ours = service({}, f"{label}-service")
    tokens = [ours.token("dock", "BENCH", f"dock-{index}") for index in range(len(files))]
    node_dir = WORK / f"node-{label}"
    node, port = node_tus_server(node_dir)
    times = {"service": [], "node": []}
    cpu = {"service": [], "node": []}  # CPU-seconds of the server process
    idle_rss = peak_rss(ours)
    try:
        for run in range(REPS):
            for side in ("service", "node") if run % 2 == 0 else ("node", "service"):
                sums = [make_unique(file, run * 100 + index * 2 + (side == "node")) for index, file in enumerate(files)]
                pid = ours.process.pid if side == "service" else node.pid

                def one(index: int, side: str = side, sums: list = sums) -> tuple[float, str]:
                    if side == "service":
                        headers = {"Authorization": f"Bearer {tokens[index]}"}
                        return tus_upload(ours.base_url + "/api/v1/uploads", files[index], headers, sums[index])
                    return tus_upload(f"http://127.0.0.1:{port}/files", files[index], {})

                before, started = cpu_seconds(pid), time.perf_counter()
                with ThreadPoolExecutor(len(files)) as pool:
                    urls = [url for _, url in pool.map(one, range(len(files)))]
                times[side].append(time.perf_counter() - started)
                if side == "service":
                    time.sleep(1)  # the probe jobs run after the answer: counted too
                cpu[side].append(cpu_seconds(pid) - before)
                for index, url in enumerate(urls):
                    if side == "service":
                        check_service_upload(url, {"Authorization": f"Bearer {tokens[index]}"}, sums[index])
                    else:
                        check_stored_file(node_dir / url.rsplit("/", 1)[1], sums[index])
                shutil.rmtree(ours.workdir / "objects" / "evidence", ignore_errors=True)
                shutil.rmtree(node_dir, ignore_errors=True)
                node_dir.mkdir()
        rss = peak_rss(ours)
    finally:
        node.terminate()
        ours.stop()
    size = sum(file.stat().st_size for file in files)
    return {
        "times": times,
        "ratio": median_ratio(times["node"], times["service"]),
        "size": size,
        "uploads": len(files),
        "cpu_per_gib": {side: per_gib(values, size) for side, values in cpu.items()},
        "peak_rss": rss,
        "idle_rss": idle_rss,
    }


def bench_s3(file: Path, seaweed: SeaweedFS) -> dict:
    bucket = seaweed.create_bucket(f"bench-{int(time.time())}")
    ours = service(
        {
            "RECORDING_STORAGE_URL": f"s3://{bucket}/svc",
            "RECORDING_S3_ENDPOINT_URL": seaweed.endpoint,
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "AWS_REGION": "us-east-1",
        },
        "s3-service",
    )
    headers = {"Authorization": f"Bearer {ours.token('dock', 'BENCH')}"}
    s3 = seaweed.client()
    times = {"service": [], "boto3": []}
    cpu = {"service": [], "boto3": []}  # the service process's CPU-seconds per upload; boto3's is this process's
    try:
        for run in range(REPS):
            for side in ("service", "boto3") if run % 2 == 0 else ("boto3", "service"):
                sha256 = make_unique(file, 100 + run * 2 + (side == "boto3"))
                if side == "service":
                    before = cpu_seconds(ours.process.pid)
                    seconds, url = tus_upload(ours.base_url + "/api/v1/uploads", file, headers, sha256)
                    times[side].append(seconds)
                    time.sleep(1)
                    cpu[side].append(cpu_seconds(ours.process.pid) - before)
                    check_service_upload(url, headers, sha256)
                else:
                    before = cpu_seconds()
                    started = time.perf_counter()
                    s3.upload_file(str(file), bucket, f"direct/{run}")
                    times[side].append(time.perf_counter() - started)
                    cpu[side].append(cpu_seconds() - before)
                    if sha256_hex(s3.get_object(Bucket=bucket, Key=f"direct/{run}")["Body"].iter_chunks(8 * MiB)) != sha256:
                        raise SystemExit("SeaweedFS does not hold the bytes boto3 uploaded: the figures are void")
    finally:
        ours.stop()
    size = file.stat().st_size
    return {
        "times": times,
        "ratio": median_ratio(times["boto3"], times["service"]),
        "size": size,
        "cpu_per_gib": {side: per_gib(values, size) for side, values in cpu.items()},
    }


def bench_memory(small: Path, large: Path, env_extra: dict[str, str], label: str) -> dict:
    peaks = {}
    for name, file in (("256MiB", small), ("2GiB", large)):
        ours = service(env_extra, f"rss-{label}-{name}")
        try:
            token = ours.token("dock", "BENCH")
            idle = peak_rss(ours)
            sha256 = make_unique(file, int(time.time()))
            headers = {"Authorization": f"Bearer {token}"}
            _, url = tus_upload(ours.base_url + "/api/v1/uploads", file, headers, sha256)
            peaks[name] = {"idle": idle, "peak": peak_rss(ours)}
            check_service_upload(url, headers, sha256)
        finally:
            ours.stop()
            shutil.rmtree(ours.workdir, ignore_errors=True)
    return {"peaks": peaks, "ratio": peaks["2GiB"]["peak"] / peaks["256MiB"]["peak"]}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))) // (1024 * 1024)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {sys.version.split()[0]}"


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]machine[/bold]: {machine()}")
    one = ensure_file("one-gib.bin", GiB)
    small, large = ensure_file("256-mib.bin", 256 * MiB), ensure_file("two-gib.bin", 2 * GiB)
    results = {"machine": machine(), "chunk_size": CHUNK, "reps": REPS}
    only = set(sys.argv[1:]) or {
        "fs",
        "chunks",
        "concurrent",
        "s3",
        "memory",
        "timeline",
        "export",
        "stats",
        "live",
    }  # e.g. `python bench/run.py s3` while working on one
    if "fs" in only:
        console.print("1 GiB tus upload, filesystem store vs Node @tus/server …")
        results["filesystem_vs_node"] = bench_against_node([one], "fs")
    if "chunks" in only:
        from bench import ingest_chunks

        console.print("512 MiB tus uploads at 8, 32 and 64 MiB chunks, filesystem store vs Node @tus/server …")
        results["chunks_vs_node"] = ingest_chunks.run()
    if "concurrent" in only:
        console.print(f"{CONCURRENT} concurrent 1 GiB tus uploads, filesystem store vs Node @tus/server …")
        copies = [one] + [copy_of(one, f"one-gib-{index}.bin") for index in range(1, CONCURRENT)]
        results["concurrent_vs_node"] = bench_against_node(copies, "concurrent")
    seaweed = SeaweedFS(WORK / "seaweedfs").start()
    try:
        if "s3" in only:
            console.print("1 GiB upload into SeaweedFS: service vs boto3 upload_file …")
            results["s3_vs_boto3"] = bench_s3(one, seaweed)
        if "memory" in only:
            console.print("peak RSS, 256 MiB vs 2 GiB uploads …")
            results["memory_filesystem"] = bench_memory(small, large, {}, "fs")
            bucket = seaweed.create_bucket(f"rss-{int(time.time())}")
            results["memory_s3"] = bench_memory(
                small,
                large,
                {
                    "RECORDING_STORAGE_URL": f"s3://{bucket}/svc",
                    "RECORDING_S3_ENDPOINT_URL": seaweed.endpoint,
                    "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
                    "AWS_REGION": "us-east-1",
                },
                "s3",
            )
    finally:
        seaweed.stop()
        shutil.rmtree(WORK / "seaweedfs", ignore_errors=True)
    if "timeline" in only:
        from bench import timeline

        console.print("timeline of a 1,000-item case on PostgreSQL, small vs large database …")
        results["timeline"] = timeline.run(WORK / "timeline")
    if "export" in only:
        from bench import export

        console.print("case-file export of 1 GiB of footage vs the content endpoint …")
        results["export"] = export.run(WORK / "export", service, peak_rss)
    if "stats" in only:
        from bench import stats

        console.print("statistics on PostgreSQL: 100,000 cases, 1,000,000 footage items vs COUNT(*) over the same rows …")
        results["stats"] = stats.run(WORK / "stats")
    if "live" in only:
        from bench import live

        results["live"] = live.run()  # its own figures are in bench/.work/live.json too
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    report(results)
    if not results.get("live", {}).get("ok", True):
        raise SystemExit("the live upload's checks failed (see the table and bench/.work/live.json): its figures are void")


def megabytes(size: int) -> str:
    return f"{size / MiB:.0f} MiB ({size / 1e6:.0f} MB)"


def report(results: dict) -> None:
    def mbps(size: int, seconds: list[float]) -> str:
        return f"{size / MiB / statistics.median(seconds):.0f} MiB/s"

    table = Table(title=f"recording_service benchmarks ({results['machine']}; tuspy, {CHUNK // MiB} MiB chunks, median of {REPS})")
    for column in ("figure", "service", "baseline", "ratio", "target"):
        table.add_column(column)

    def cpu(figure: dict, side: str) -> str:
        return f"{statistics.median(figure['cpu_per_gib'][side]):.2f} CPU-s/GiB"

    if fs := results.get("filesystem_vs_node"):
        table.add_row(
            "tus 1 GiB → filesystem vs Node @tus/server",
            mbps(fs["size"], fs["times"]["service"]),
            mbps(fs["size"], fs["times"]["node"]),
            f"{fs['ratio']:.2f}×",
            "≥ 1.0×",
        )
        table.add_row("  cost per GiB (server process)", cpu(fs, "service"), cpu(fs, "node"), "", "")
    if chunks := results.get("chunks_vs_node"):
        from bench import ingest_chunks

        for row in ingest_chunks.rows(chunks):
            table.add_row(*row)
    if many := results.get("concurrent_vs_node"):
        table.add_row(
            f"{many['uploads']} concurrent 1 GiB tus uploads → filesystem vs Node (aggregate)",
            mbps(many["size"], many["times"]["service"]),
            mbps(many["size"], many["times"]["node"]),
            f"{many['ratio']:.2f}×",
            "≥ 1.0×",
        )
        table.add_row("  cost per GiB (server process)", cpu(many, "service"), cpu(many, "node"), "", "")
        table.add_row(
            f"  peak RSS of the service, {many['uploads']} at once (idle before)",
            megabytes(many["peak_rss"]),
            megabytes(many["idle_rss"]),
            "",
            "≤ 400 MB",
        )
    if s3 := results.get("s3_vs_boto3"):
        table.add_row(
            "1 GiB → SeaweedFS: tus vs boto3 upload_file",
            mbps(s3["size"], s3["times"]["service"]),
            mbps(s3["size"], s3["times"]["boto3"]),
            f"{s3['ratio']:.2f}×",
            "≥ 0.8×",
        )
        table.add_row("  cost per GiB (service process / boto3's)", cpu(s3, "service"), cpu(s3, "boto3"), "", "")
    for label in ("filesystem", "s3"):
        memory = results.get(f"memory_{label}")
        if not memory:
            continue
        big, small = memory["peaks"]["2GiB"]["peak"], memory["peaks"]["256MiB"]["peak"]
        table.add_row(
            f"peak RSS ({label} store): 2 GiB vs 256 MiB upload",
            megabytes(big),
            megabytes(small),
            f"{memory['ratio']:.2f}×",
            "≤ 150 MB, ≤ 1.20×",
        )
    if tl := results.get("timeline"):
        table.add_row(
            "timeline p50 / p95, 1,000 other cases", f"{tl['small']['p50_ms']:.1f} / {tl['small']['p95_ms']:.1f} ms", "", "", "p50 ≤ 50 ms"
        )
        table.add_row(
            f"timeline p50 / p95, +100,000 media ({tl['media_rows']} rows, {tl['cases']} cases)",
            f"{tl['large']['p50_ms']:.1f} / {tl['large']['p95_ms']:.1f} ms",
            f"{tl['small']['p50_ms']:.1f} ms",
            f"{tl['ratio']:.2f}×",
            "≤ 1.5×",
        )
        pg = tl["page"]
        table.add_row(
            f"case page (HTML, {pg['page_bytes'] // 1024} KiB) vs timeline JSON p50, same 1,000-item case",
            f"{pg['page_p50_ms']:.1f} ms",
            f"{pg['json_p50_ms']:.1f} ms",
            f"{pg['ratio']:.2f}×",
            "≤ 2×",
        )
    if ex := results.get("export"):
        table.add_row(
            "case export (BagIt zip, 4 × 256 MiB footage) vs the same footage via /content",
            mbps(ex["footage_bytes"], ex["times"]["export"]),
            mbps(ex["footage_bytes"], ex["times"]["content"]),
            f"{ex['ratio']:.2f}×",
            "",
        )
        table.add_row(
            "peak RSS of the service before / after the exports",
            f"{ex['rss_after'] / MiB:.0f} MiB",
            f"{ex['rss_before'] / MiB:.0f} MiB",
            f"{ex['rss_after'] / ex['rss_before']:.2f}×",
            "",
        )
    if st := results.get("stats"):
        for scope, label in (("one_agency", "one agency"), ("all_agencies", "all 10 agencies")):
            for name, figure in st[scope].items():
                table.add_row(
                    f"stats {name}, a year, {label} ({st['counts']['cases']:,} cases, {st['counts']['media']:,} footage)",
                    f"{figure['p50_ms']:.1f} ms",
                    f"{figure['baseline_p50_ms']:.1f} ms COUNT(*)",
                    f"{figure['ratio']:.2f}×",
                    "p50 ≤ 500 ms",
                )
    if lv := results.get("live"):
        from bench import live

        for row in live.rows(lv):
            table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
