"""Case-file export throughput: downloading a case's BagIt zip (4 × 256 MiB of footage) vs downloading
the same footage through the plain content endpoint, from the same service, alternating; plus the
service's peak RSS, which must not grow with the case (the zip is streamed)."""

import os
import statistics
import time
from pathlib import Path

import httpx

MiB = 1024 * 1024
CLIPS = 4
CLIP_SIZE = 256 * MiB
REPS = int(os.environ.get("BENCH_REPS", "3"))


def _drain(http: httpx.Client, url: str) -> int:
    received = 0
    with http.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(1024 * 1024):
            received += len(chunk)
    return received


def run(workdir: Path, service_factory, peak_rss) -> dict:
    service = service_factory({}, "export-service")
    try:
        with httpx.Client(
            base_url=service.base_url, timeout=600, headers={"Authorization": f"Bearer {service.token('dock', 'BENCH')}"}
        ) as dock:
            media = []
            for index in range(CLIPS):
                body = f"export bench clip {index} {time.time_ns()}".encode().ljust(64, b".") + os.urandom(CLIP_SIZE - 64)
                created = dock.post("/api/v1/media", files={"file": (f"clip{index}.mp4", body, "video/mp4")})
                created.raise_for_status()
                media.append(created.json()["id"])
        auditor = httpx.Client(
            base_url=service.base_url, timeout=600, headers={"Authorization": f"Bearer {service.token('admin', 'BENCH')}"}
        )
        case = auditor.post("/api/v1/cases", json={"case_number": "BENCH-1", "procedure": "penalty-simple", "title": "bench"})
        case.raise_for_status()
        case_id = case.json()["id"]
        stage = auditor.post(f"/api/v1/cases/{case_id}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"})
        stage.raise_for_status()
        for media_id in media:
            auditor.post(f"/api/v1/cases/{case_id}/stages/{stage.json()['id']}/media", json={"media_id": media_id}).raise_for_status()
        rss_before = peak_rss(service)
        times = {"export": [], "content": []}
        sizes = {}
        for rep in range(REPS):
            for side in ("export", "content") if rep % 2 == 0 else ("content", "export"):
                started = time.perf_counter()
                if side == "export":
                    sizes[side] = _drain(auditor, f"/api/v1/cases/{case_id}/export")
                else:
                    sizes[side] = sum(_drain(auditor, f"/api/v1/media/{media_id}/content") for media_id in media)
                times[side].append(time.perf_counter() - started)
        auditor.close()
        rss_after = peak_rss(service)
    finally:
        service.stop()
    return {
        "times": times,
        "sizes": sizes,
        "footage_bytes": CLIPS * CLIP_SIZE,
        "ratio": statistics.median(times["content"]) / statistics.median(times["export"]),
        "rss_before": rss_before,
        "rss_after": rss_after,
    }
