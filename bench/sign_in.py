"""Sign-in answers for a name that exists and a name that does not: the same time, the same work.

`.venv/bin/python bench/sign_in.py [RUNS]` starts the service on SQLite in a scratch directory, creates one
person, then alternates wrong-password posts for that name and for unknown names (each from its own client
address through a trusted proxy header, with throttling set out of reach so every post reaches the password
check). It prints the median answer time of each side, their ratio, and the service's CPU seconds per post
of each side (an argon2 verification is ~0.05–0.1 s of CPU: it must show on both). Nothing here asserts.
"""

import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support.servers import ServiceProcess  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks (100 Hz)


def post(base: str, client: str, username: str) -> float:
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": client}, timeout=60) as http:
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
        started = time.perf_counter()
        answer = http.post("/login", data={"username": username, "password": "wrong-password-123", "csrf_token": token})
        elapsed = time.perf_counter() - started
    assert answer.status_code == 401, answer.status_code
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        env = {
            "RECORDING_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "RECORDING_STORAGE_URL": f"file://{work / 'objects'}",
            "RECORDING_TRUSTED_PROXIES": "127.0.0.1",
            "RECORDING_SIGN_IN_ATTEMPTS": "1000000",
            "RECORDING_SIGN_IN_REQUESTS_PER_MINUTE": "100000",
            "RECORDING_RUN_WORKER": "false",
            "PATH": "/usr/bin:/bin",
        }
        server = ServiceProcess(env, work).start()
        try:
            server.cli(
                "user",
                "create",
                "--username",
                "benchowner",
                "--role",
                "auditor",
                "--agency",
                "B1",
                "--password-stdin",
                input="the-right-password-2026\n",
            )
            times: dict[str, list[float]] = {"existing": [], "unknown": []}
            cpu: dict[str, float] = {"existing": 0.0, "unknown": 0.0}
            for run in range(runs):
                for side in ("existing", "unknown") if run % 2 else ("unknown", "existing"):
                    name = "benchowner" if side == "existing" else f"nobody{uuid.uuid4().hex[:8]}"
                    before = cpu_seconds(server.process.pid)
                    times[side].append(post(server.base_url, f"10.{run // 200}.{run % 200}.{1 if side == 'existing' else 2}", name))
                    cpu[side] += cpu_seconds(server.process.pid) - before
        finally:
            server.stop()
    existing, unknown = statistics.median(times["existing"]), statistics.median(times["unknown"])
    print(f"posts per side: {runs}")
    print(f"median answer, existing name: {existing * 1000:.1f} ms; unknown name: {unknown * 1000:.1f} ms; ratio {existing / unknown:.2f}")
    print(
        f"service CPU per post, existing name: {cpu['existing'] / runs * 1000:.0f} ms; unknown name: {cpu['unknown'] / runs * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
