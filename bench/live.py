"""Live upload of recordings while they are recorded (issue 29, "Measured"): simulated 4G body cameras stream
1080p H.264 fragmented MP4 to the service as 2-second segments at real-time pace, and a supervisor watches.

The camera: a 1080p30 H.264 fMP4 (testsrc2, ~6 Mbit/s, a keyframe and so a fragment every 2 s) made once by
ffmpeg and cached under the work directory, split at its top-level boxes into the init segment (ftyp, moov) and
one moof+mdat per 2 s. Each stream's bytes are its own (a `free` box naming the stream between ftyp and moov:
fragment offsets are moof-relative with default_base_moof, so the file still plays), else the streams would merge
as one recording. A camera creates a tus upload with `Upload-Defer-Length: 1` when it starts recording and sends
segment i as one PATCH at t0 + the segment's end (the first PATCH carries the init segment too), over loopback;
the last PATCH declares `Upload-Length`. The streams of a run start staggered over one segment period, as
cameras switched on at different moments would.

Measured per segment, from its end (the PATCH's scheduled time):
- durable: the PATCH acknowledged (204);
- visible: the footage list (GET /api/v1/media, one request for every stream, every 200 ms, as the list page
  polls) shows the recording's `bytes_received` at or past the segment's end;
- playable: the segment listed in the live HLS playlist (a player per stream, as an auditor's: one audited
  view, the playlist polled every 500 ms; each newly listed fragment is fetched and compared with the camera's).
And the service process's CPU-seconds per stream-minute (/proc/<pid>/stat, the job worker's probes included,
and the watchers' polls: that is the load of watched live streams) and its peak RSS (VmHWM).

Checked afterwards (a failure voids the run: exit status 1, `ok` false in the JSON): every segment acknowledged,
visible and listed; every fetched fragment and init segment the camera's bytes; each upload completed as one media
record, `ready`, with the camera file's SHA-256 and size; the live index holding every fragment and the playlist
ended; every stored evidence object's SHA-256 one of the camera files' (one each).

Two runs, each on a fresh service (SQLite, filesystem store, as the other benchmarks): one stream of
BENCH_LIVE_SECONDS (600) and BENCH_LIVE_STREAMS (20) streams of BENCH_LIVE_CONCURRENT_SECONDS (120) at once.
BENCH_LIVE_RUNS=single,concurrent picks runs; BENCH_LIVE_WORK replaces bench/.work. Figures: printed, and in
WORK/live.json. `make bench-live` runs it alone; `make bench` runs it as the "live" figure of bench/run.py.
"""

import base64
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import run as base  # noqa: E402

MiB = 1024 * 1024
SEGMENT = 2.0  # seconds: -g 60 at 30 frames/s, one fragment per keyframe
SECONDS = int(os.environ.get("BENCH_LIVE_SECONDS", "600"))
STREAMS = int(os.environ.get("BENCH_LIVE_STREAMS", "20"))
CONCURRENT_SECONDS = int(os.environ.get("BENCH_LIVE_CONCURRENT_SECONDS", "120"))
RUNS = [run for run in os.environ.get("BENCH_LIVE_RUNS", "single,concurrent").split(",") if run]
WORK = Path(os.environ.get("BENCH_LIVE_WORK") or base.WORK)
VISIBLE_POLL = 0.2
PLAYLIST_POLL = 0.5
READY_WAIT = 300.0  # seconds to wait, after the last segment, for every record to be probed
AGENCY = "BENCH"
TUS = {"Tus-Resumable": "1.0.0"}
TARGETS = {"visible_p95": 3.0, "playable_max": 10.0}


# ---------------------------------------------------------------------------------------------------- the camera


def camera_file(seconds: int) -> Path:
    """A cached 1080p fMP4 at least `seconds` long (a longer cached one will do: its first fragments are used)."""
    WORK.mkdir(parents=True, exist_ok=True)
    cached = sorted(WORK.glob("live-camera-*s.mp4"), key=lambda p: int(p.stem.split("-")[-1][:-1]))
    for path in cached:
        if int(path.stem.split("-")[-1][:-1]) >= seconds:
            return path
    path = WORK / f"live-camera-{seconds}s.mp4"
    partial = path.with_suffix(".part")
    started = time.perf_counter()
    # ultrafast keeps the encode at ~0.3× real time on 2 cores; testsrc2 at 6 Mbit/s CBR-ish is a body camera's rate
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", str(seconds)]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "6M", "-maxrate", "6M", "-bufsize", "12M", "-pix_fmt", "yuv420p"]
        + ["-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-movflags", "frag_keyframe+empty_moov+default_base_moof"]
        + ["-f", "mp4", str(partial)],
        check=True,
    )
    partial.rename(path)
    base.console.print(f"  encoded {path.name}: {path.stat().st_size / MiB:.0f} MiB in {time.perf_counter() - started:.0f} s")
    return path


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each top-level box."""
    out, position = [], 0
    while position < len(data):
        size, kind = struct.unpack_from(">I4s", data, position)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
        if size < 8 or position + size > len(data):
            raise SystemExit(f"the camera file has a bad box at {position}")
        out.append((kind, position, position + size))
        position += size
    return out


@dataclass(frozen=True)
class Recording:
    ftyp: bytes
    moov: bytes
    fragments: list[bytes]  # moof + mdat, one per 2 s


def split(path: Path, seconds: int) -> Recording:
    """The file's init boxes and its first seconds/2 fragments (anything after the last fragment — ffmpeg's mfra,
    whose offsets the inserted box would make wrong — is left out)."""
    data = path.read_bytes()
    top = boxes(data)
    if [kind for kind, _, _ in top[:2]] != [b"ftyp", b"moov"]:
        raise SystemExit(f"{path} does not start with ftyp, moov")
    fragments: list[bytes] = []
    for (kind, start, _), (next_kind, _, end) in zip(top[2:], top[3:], strict=False):
        if kind == b"moof" and next_kind == b"mdat":
            fragments.append(data[start:end])
    wanted = -(-seconds // int(SEGMENT))
    if len(fragments) < wanted:
        raise SystemExit(f"{path} has {len(fragments)} fragments, not the {wanted} of {seconds} s")
    return Recording(data[top[0][1] : top[0][2]], data[top[1][1] : top[1][2]], fragments[:wanted])


def stream_segments(recording: Recording, stream: int, stamp: int) -> tuple[list[bytes], int]:
    """The PATCH bodies of one stream — the init segment (ftyp, a `free` box unique to the stream, moov) with the
    first fragment, then one fragment each — and where the init segment ends."""
    note = f"recording_service bench/live.py stream {stream:04d} run {stamp}".encode()
    init = recording.ftyp + struct.pack(">I4s", 8 + len(note), b"free") + note + recording.moov
    return [init + recording.fragments[0], *recording.fragments[1:]], len(init)


# ---------------------------------------------------------------------------------------------------- one stream


@dataclass
class Stream:
    index: int
    segments: list[bytes]
    offset: float  # seconds after the run's start at which this camera starts recording
    init_end: int  # the init segment is segments[0][:init_end]
    device_id: str = ""
    ends: list[int] = field(default_factory=list)  # byte offset of each segment's end
    sha256: str = ""
    upload_id: str | None = None
    media_id: str | None = None
    sent_at: list[float] = field(default_factory=list)  # scheduled (monotonic): the segment's end
    durable: list[float | None] = field(default_factory=list)
    visible: list[float | None] = field(default_factory=list)
    playable: list[float | None] = field(default_factory=list)
    retries: int = 0
    error: str | None = None
    fetched_ok: int = 0
    fetched_bad: list[str] = field(default_factory=list)  # what came back instead of the camera's bytes
    ended: bool = False  # the playlist got EXT-X-ENDLIST

    def __post_init__(self) -> None:
        self.device_id = f"LIVE{self.index:04d}"
        total = 0
        for segment in self.segments:
            total += len(segment)
            self.ends.append(total)
        self.sha256 = hashlib.sha256(b"".join(self.segments)).hexdigest()
        count = len(self.segments)
        self.durable, self.visible, self.playable = [None] * count, [None] * count, [None] * count
        self.sent_at = [0.0] * count
        self.started = threading.Event()

    @property
    def size(self) -> int:
        return self.ends[-1]


def metadata(fields: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in fields.items())


def camera(base_url: str, token: str, stream: Stream, t0: float) -> None:
    """Create the upload when recording starts, then each segment as one PATCH at its end (late PATCHes go at once)."""
    headers = {**TUS, "Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
            start = t0 + stream.offset
            time.sleep(max(0.0, start - time.monotonic()))
            answer = client.post(
                "/api/v1/uploads",
                headers={
                    "Upload-Defer-Length": "1",
                    "Upload-Metadata": metadata(
                        {"filename": f"{stream.device_id}.mp4", "device_id": stream.device_id, "content_type": "video/mp4"}
                    ),
                },
            )
            if answer.status_code != 201:
                raise RuntimeError(f"create: {answer.status_code} {answer.text[:300]}")
            url = answer.headers["Location"]
            stream.upload_id = url.rsplit("/", 1)[1]
            stream.started.set()
            offset = 0
            last = len(stream.segments) - 1
            for i, segment in enumerate(stream.segments):
                stream.sent_at[i] = start + (i + 1) * SEGMENT
                time.sleep(max(0.0, stream.sent_at[i] - time.monotonic()))
                end = stream.ends[i]
                for attempt in range(4):
                    patch = {"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}
                    if i == last:
                        patch["Upload-Length"] = str(stream.size)
                    try:
                        answer = client.patch(url, content=segment[offset - (end - len(segment)) :], headers=patch)
                    except httpx.HTTPError as exc:
                        answer = None
                        problem = repr(exc)
                    else:
                        problem = f"{answer.status_code} {answer.text[:300]}"
                    if answer is not None and answer.status_code == 204:
                        offset = int(answer.headers["Upload-Offset"])
                        stream.media_id = stream.media_id or answer.headers.get("Upload-Media-Id")
                        break
                    # resume as a tus client does: ask for the offset, send the rest of the segment
                    stream.retries += 1
                    if attempt == 3:
                        raise RuntimeError(f"PATCH of segment {i}: {problem}")
                    offset = int(client.head(url).headers["Upload-Offset"])
                if offset != end:
                    raise RuntimeError(f"segment {i}: the service acknowledged {offset}, not {end}")
                stream.durable[i] = time.monotonic()
    except Exception as exc:
        stream.error = f"camera: {exc!r}"
        stream.started.set()


def jittered(period: float) -> float:
    """A poll period give or take 10%: both periods divide the 2 s segment, and an exact one would meet every
    segment at the same phase (one lag for all), where a real poller's phase drifts."""
    return period * random.uniform(0.9, 1.1)


def mark(times: list[float | None], ends: list[int], reached: int, now: float) -> None:
    for i, end in enumerate(ends):
        if end > reached:
            break
        if times[i] is None:
            times[i] = now


def footage_watcher(base_url: str, token: str, streams: list[Stream], done: threading.Event, failures: list[str]) -> None:
    """The footage list, every 200 ms: one request shows every stream's record and its bytes so far."""
    by_device = {stream.device_id: stream for stream in streams}
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        while not done.is_set():
            tick = time.monotonic()
            try:
                answer = client.get("/api/v1/media", params={"limit": 500})
                answer.raise_for_status()
                now = time.monotonic()
                for item in answer.json()["items"]:
                    stream = by_device.get(item.get("device_id") or "")
                    if stream is None:
                        continue
                    reached = item["recording"]["bytes_received"] if item.get("recording") else item["size"]
                    mark(stream.visible, stream.ends, reached, now)
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                failures.append(f"footage list: {exc!r}")
            done.wait(max(0.0, jittered(VISIBLE_POLL) - (time.monotonic() - tick)))


def player(base_url: str, token: str, stream: Stream) -> None:
    """An auditor's player: one audited view, then the playlist every 500 ms until it ends; each new fragment (and
    the init segment) fetched as hls.js would, and compared with the camera's bytes."""
    try:
        stream.started.wait()
        if stream.upload_id is None:
            return
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            view = client.post(f"/api/v1/live/{stream.upload_id}/views")
            if view.status_code != 201:
                raise RuntimeError(f"view: {view.status_code} {view.text[:300]}")
            playlist = view.json()["playlist"]
            folder = playlist.rsplit("/", 1)[0]
            init_checked, listed = False, 0
            while True:
                tick = time.monotonic()
                answer = client.get(playlist)
                now = time.monotonic()
                if answer.status_code == 200:
                    lines = answer.text.splitlines()
                    entries = [line for line in lines if line.endswith(".m4s")]
                    for seq in range(listed, len(entries)):
                        if seq < len(stream.playable) and stream.playable[seq] is None:
                            stream.playable[seq] = now
                    if not init_checked and entries:
                        init = client.get(f"{folder}/init.mp4").content
                        init_checked = True
                        if init != stream.segments[0][: stream.init_end]:
                            stream.fetched_bad.append(f"init: {len(init)} bytes, not {stream.init_end}")
                    for seq in range(listed, len(entries)):
                        got = client.get(f"{folder}/{entries[seq]}")
                        if seq < len(stream.segments) and got.status_code == 200 and got.content == fragment_of(stream, seq):
                            stream.fetched_ok += 1
                        else:
                            wanted = len(fragment_of(stream, seq)) if seq < len(stream.segments) else None
                            stream.fetched_bad.append(
                                f"#{seq}: {got.status_code}, {len(got.content)} bytes (not {wanted}) {got.text[:200]!r}"
                            )
                    listed = len(entries)
                    if "#EXT-X-ENDLIST" in lines:
                        stream.ended = True
                        return
                elif answer.status_code != 409:  # 409: the first fragment has not arrived yet
                    raise RuntimeError(f"playlist: {answer.status_code} {answer.text[:300]}")
                if stream.error:
                    return
                time.sleep(max(0.0, jittered(PLAYLIST_POLL) - (time.monotonic() - tick)))
    except Exception as exc:
        stream.error = stream.error or f"player: {exc!r}"


def fragment_of(stream: Stream, seq: int) -> bytes:
    """The camera's bytes of fragment seq (the first PATCH's fragment comes after the init segment)."""
    return stream.segments[0][stream.init_end :] if seq == 0 else stream.segments[seq]


# ---------------------------------------------------------------------------------------------------- a run


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 (nearest rank) and max, in seconds."""
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, -(-len(ordered) * q // 100) - 1))]

    return {"p50": round(rank(50), 3), "p95": round(rank(95), 3), "max": round(ordered[-1], 3), "n": len(ordered)}


def lags(streams: list[Stream], what: str) -> list[float]:
    return [moment - stream.sent_at[i] for stream in streams for i, moment in enumerate(getattr(stream, what)) if moment is not None]


def wait_ready(client: httpx.Client, streams: list[Stream]) -> dict[str, dict]:
    """Each upload's media record once it leaves recording/processing (the job worker probes it), or as it is at the deadline."""
    records: dict[str, dict] = {}
    deadline = time.monotonic() + READY_WAIT
    while True:
        for stream in streams:
            if stream.upload_id is None or stream.device_id in records:
                continue
            if stream.media_id is None:
                stream.media_id = client.get(f"/api/v1/uploads/{stream.upload_id}").json().get("media_id")
            if stream.media_id is None:
                continue
            record = client.get(f"/api/v1/media/{stream.media_id}").json()
            if record.get("status") not in ("recording", "processing") or time.monotonic() > deadline:
                records[stream.device_id] = record
        if len(records) == sum(stream.upload_id is not None for stream in streams) or time.monotonic() > deadline:
            return records
        time.sleep(1)


def stored_objects(root: Path) -> Counter[str]:
    """SHA-256 of every evidence object the filesystem store holds, hashed from the disk (not the store's metadata
    sidecars)."""
    paths = sorted((root / "evidence").rglob("*"))
    return Counter(base.file_sha256(path) for path in paths if path.is_file() and not path.name.endswith(".meta.json"))


def run_one(label: str, count: int, seconds: int) -> dict:
    recording = split(camera_file(seconds), seconds)
    stamp = time.time_ns()
    streams = []
    for index in range(count):
        segments, init_end = stream_segments(recording, index, stamp)
        streams.append(Stream(index, segments, index * SEGMENT / count if count > 1 else 0.0, init_end))
    svc = base.service({}, f"live-{label}")
    pid = svc.process.pid
    failures: list[str] = []
    try:
        cameras = [svc.token("dock", AGENCY, f"camera-{index}") for index in range(count)]
        auditor = svc.token("auditor", AGENCY, "supervisor")
        idle_rss = base.peak_rss(svc)
        load_before = os.getloadavg()
        cpu_before = base.cpu_seconds(pid)
        t0 = time.monotonic() + 1.0
        done = threading.Event()
        threads = [threading.Thread(target=camera, args=(svc.base_url, cameras[s.index], s, t0), daemon=True) for s in streams]
        players = [threading.Thread(target=player, args=(svc.base_url, auditor, s), daemon=True) for s in streams]
        watcher = threading.Thread(target=footage_watcher, args=(svc.base_url, auditor, streams, done, failures), daemon=True)
        for thread in [watcher, *threads, *players]:
            thread.start()
        for thread in threads:
            thread.join()
        last_ack = time.monotonic()
        for thread in players:
            thread.join(timeout=max(5.0, 60.0 - (time.monotonic() - last_ack)))
        # the list shows the last bytes within a poll or two of their PATCH: wait a little for every segment
        settle = time.monotonic() + 30
        while any(moment is None for s in streams for moment in s.visible) and time.monotonic() < settle:
            time.sleep(VISIBLE_POLL)
        done.set()
        watcher.join()
        with httpx.Client(base_url=svc.base_url, headers={"Authorization": f"Bearer {auditor}"}, timeout=60) as client:
            records = wait_ready(client, streams)
            cpu = base.cpu_seconds(pid) - cpu_before
            wall = time.monotonic() - t0
            load_after = os.getloadavg()
            live = {s.device_id: client.get(f"/api/v1/live/{s.upload_id}").json() for s in streams if s.upload_id}
        peak = base.peak_rss(svc)
        objects = stored_objects(svc.workdir / "objects")
    finally:
        svc.stop()
    shutil.rmtree(svc.workdir, ignore_errors=True)  # a run stores up to a few GB of footage

    checks: dict[str, dict] = {}

    def check(name: str, bad: list[str]) -> None:
        checks[name] = {"ok": not bad, "detail": bad[:10]}

    check("cameras and players ran without error", [f"{s.device_id}: {s.error}" for s in streams if s.error])
    check("every segment acknowledged", [f"{s.device_id} #{i}" for s in streams for i, t in enumerate(s.durable) if t is None])
    check(
        "every segment visible in the footage list", [f"{s.device_id} #{i}" for s in streams for i, t in enumerate(s.visible) if t is None]
    )
    check(
        "every segment listed in the live playlist", [f"{s.device_id} #{i}" for s in streams for i, t in enumerate(s.playable) if t is None]
    )
    check(
        "every fetched init and fragment is the camera's bytes, the playlist ended",
        [
            f"{s.device_id}: fetched {s.fetched_ok} of {len(s.segments)}, bad {s.fetched_bad[:5]}, ended {s.ended}"
            for s in streams
            if s.fetched_bad or s.fetched_ok != len(s.segments) or not s.ended
        ],
    )
    check("footage list polls answered", failures)
    media_bad = []
    for s in streams:
        record = records.get(s.device_id) or {}
        if (record.get("status"), record.get("sha256"), record.get("size")) != ("ready", s.sha256, s.size):
            media_bad.append(
                f"{s.device_id}: {record.get('status')} {record.get('sha256')} {record.get('size')}, not ready {s.sha256} {s.size}"
            )
    check("one ready media record each, with the camera file's SHA-256 and size", media_bad)
    check(
        "the live index holds every fragment and has ended",
        [
            f"{device}: {state}"
            for device, state in live.items()
            if state.get("fragments") != len(streams[0].segments) or state.get("live") is not False or state.get("problem")
        ]
        + [f"{s.device_id}: no upload" for s in streams if s.device_id not in live],
    )
    wanted = Counter(s.sha256 for s in streams)
    check(
        "stored evidence objects are the camera files, one each",
        [] if objects == wanted else [f"stored {dict(objects)}, wanted {dict(wanted)}"],
    )

    size = sum(s.size for s in streams)
    return {
        "streams": count,
        "seconds": seconds,
        "segments_per_stream": len(streams[0].segments),
        "segment_seconds": SEGMENT,
        "megabit_per_second": round(streams[0].size * 8 / 1e6 / (len(streams[0].segments) * SEGMENT), 2),
        "bytes": size,
        "lag_seconds": {what: percentiles(lags(streams, what) or [float("nan")]) for what in ("durable", "visible", "playable")},
        "retries": sum(s.retries for s in streams),
        "cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_stream_minute": round(cpu / (count * seconds / 60), 3),
        "wall_seconds": round(wall, 1),
        "peak_rss": peak,
        "idle_rss": idle_rss,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "checks": checks,
        "ok": all(outcome["ok"] for outcome in checks.values()),
    }


def run() -> dict:
    base.WORK = WORK  # the service's working directory goes there too
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": base.machine(), "runs": {}}
    plan = {"single": (1, SECONDS), "concurrent": (STREAMS, CONCURRENT_SECONDS)}
    camera_file(max(plan[name][1] for name in RUNS))  # encoded once, before anything is timed
    for name in RUNS:
        count, seconds = plan[name]
        base.console.print(f"live: {count} stream(s) of {seconds} s 1080p fMP4 in 2 s segments at real-time pace …")
        results["runs"][name] = run_one(name, count, seconds)
    results["ok"] = all(figure["ok"] for figure in results["runs"].values())
    (WORK / "live.json").write_text(json.dumps(results, indent=2))
    return results


def rows(result: dict) -> list[tuple[str, str, str, str, str]]:
    """The figure's rows for bench/run.py's table: figure, service, baseline, ratio, target."""

    def spread(figure: dict) -> str:
        return f"{figure['p50']:.2f} / {figure['p95']:.2f} / {figure['max']:.2f} s"

    out = []
    for figure in result["runs"].values():
        lag = figure["lag_seconds"]
        load = "/".join(f"{value:.1f}" for value in figure["load_average_before"][:1] + figure["load_average_after"][:1])
        out += [
            (
                f"live: {figure['streams']} × {figure['seconds']} s 1080p fMP4 ({figure['megabit_per_second']:.1f} Mbit/s), "
                f"2 s segments, real time; load {load} — lag to durable (204), p50 / p95 / max",
                spread(lag["durable"]),
                "",
                "",
                "",
            ),
            ("  … to visible in the footage list (polled every 200 ms)", spread(lag["visible"]), "", "", "p95 ≤ 3 s"),
            ("  … to playable live (listed in the HLS playlist, polled every 500 ms)", spread(lag["playable"]), "", "", "≤ 10 s"),
            (
                "  service CPU per stream-minute (probes, watchers' polls included)",
                f"{figure['cpu_seconds_per_stream_minute']:.2f} CPU-s",
                "",
                "",
                "",
            ),
            ("  peak RSS of the service (idle before)", base.megabytes(figure["peak_rss"]), base.megabytes(figure["idle_rss"]), "", ""),
            (
                "  checks: SHA-256 of every stored object and record, ready, every fragment",
                "all passed" if figure["ok"] else "FAILED: " + "; ".join(n for n, c in figure["checks"].items() if not c["ok"]),
                "",
                "",
                "",
            ),
        ]
    return out


if __name__ == "__main__":
    from rich.table import Table

    result = run()
    table = Table(title=f"live upload and view ({result['machine']})")
    for column in ("figure", "service", "baseline", "ratio", "target"):
        table.add_column(column)
    for row in rows(result):
        table.add_row(*row)
    base.console.print(table)
    for name, figure in result["runs"].items():
        for check_name, outcome in figure["checks"].items():
            if not outcome["ok"]:
                base.console.print(f"[red]{name}: {check_name} FAILED[/red]: {outcome['detail']}")
    sys.exit(0 if result["ok"] else 1)
