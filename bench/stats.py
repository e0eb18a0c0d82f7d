"""Statistics benchmark (PostgreSQL): 100,000 cases and 1,000,000 footage items over two years and ten
agencies, each statistic read through the HTTP API 20 times, alternating with a plain COUNT(*) over the same
source rows (the cases or the footage of the period) as the baseline. Target: each request ≤ 500 ms p50.

Cases and media are bulk-loaded with COPY (the bench measures reading, not ingest). Their stored figures are
derived with SQL the way the service derives them (footage per day and officer/device/dock with the lag bands;
case figures with plausible spreads), since recomputing 100,000 timelines through the refresh would take the
bench half an hour; the figures' upkeep is exercised by the tests instead.
"""

import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from tests.support.servers import ServiceProcess, create_postgres_database, drop_postgres_database

CASES, MEDIA, AGENCIES, CALLS = 100_000, 1_000_000, 10, 20
PROCEDURES = [
    ("penalty-general", "penalty", 0.35),
    ("penalty-simple", "penalty", 0.15),
    ("inspection-routine", "inspection", 0.35),
    ("coercion-seizure", "coercion", 0.05),
    ("license", "license", 0.10),
]
NAMES = ["cases", "completeness", "findings", "time-limits", "review-scores", "footage", "upload-lag", "fixity", "publications"]
START = datetime(2025, 1, 1, tzinfo=UTC)


def load(database_url: str, token_id: str) -> None:
    rng = random.Random(2026)
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY cases (id, agency, case_number, procedure, title, status, parties, officers, opened_at, retention_class, facts,"
            " created_by, created_at) FROM STDIN"
        ) as copy:
            for n in range(CASES):
                procedure = rng.choices(PROCEDURES, weights=[p[2] for p in PROCEDURES])[0][0]
                opened = START + timedelta(seconds=rng.randrange(0, 700 * 86400))
                copy.write_row(
                    (
                        uuid.uuid4().hex,
                        f"AG{n % AGENCIES}",
                        f"B-{n}",
                        procedure,
                        "bench",
                        rng.choice(["open", "closed", "closed"]),
                        "[]",
                        "[]",
                        opened,
                        "case",
                        "{}",
                        token_id,
                        opened,
                    )
                )
        with cur.copy(
            "COPY media (id, agency, sha256, size, storage_key, status, content_type, filename, device_id, officer_ids,"
            " officer_index, dock_id, recorded_started_at, recorded_ended_at, recorded_at_source, duration_s, created_by,"
            " uploaded_at, store_legal_hold) FROM STDIN"
        ) as copy:
            for n in range(MEDIA):
                agency = n % AGENCIES
                begin = START + timedelta(seconds=rng.randrange(0, 700 * 86400))
                length = rng.uniform(60, 900)
                officers = [f"O{agency}-{rng.randrange(30)}", f"O{agency}-{rng.randrange(30)}"]
                copy.write_row(
                    (
                        uuid.uuid4().hex,
                        f"AG{agency}",
                        os.urandom(32).hex(),
                        rng.randrange(10**7, 10**9),
                        f"evidence/{n}",
                        "ready",
                        "video/mp4",
                        f"{n}.mp4",
                        f"CAM-{agency}-{rng.randrange(40)}",
                        json.dumps(officers, separators=(",", ":")),
                        "," + ",".join(officers) + ",",
                        f"DOCK-{agency}-{rng.randrange(4)}",
                        begin,
                        begin + timedelta(seconds=length),
                        "metadata",
                        length,
                        token_id,
                        begin + timedelta(seconds=length + rng.expovariate(1 / 40000)),
                        False,
                    )
                )
        # The stored figures, derived as the service derives them.
        cur.execute("""
            INSERT INTO stats_case_figures (case_id, agency, procedure, kind, status, opened_on, closed_on, decided_on, complete, findings,
              review_score, review_max, severest_penalty, fine_yuan, confiscated_yuan, license_outcome, license_action, sealing, seizure,
              problems_found, hearing_held, revoked, source_seq, computed_at, computed_on)
            SELECT id, agency, procedure,
              CASE procedure WHEN 'license' THEN 'license' WHEN 'inspection-routine' THEN 'inspection' WHEN 'coercion-seizure' THEN 'coercion'
                   ELSE 'penalty' END,
              status, (opened_at AT TIME ZONE 'Asia/Shanghai')::date,
              CASE WHEN status = 'closed' THEN (opened_at AT TIME ZONE 'Asia/Shanghai')::date + 60 END,
              (opened_at AT TIME ZONE 'Asia/Shanghai')::date + (random() * 90)::int, random() < 0.6, (random() * 4)::int,
              100 - (random() * 40)::int, 100,
              CASE WHEN procedure LIKE 'penalty%%' THEN (ARRAY['warning','fine','confiscation_gains','license_revocation'])[1 + (random() * 3)::int] END,
              CASE WHEN procedure LIKE 'penalty%%' THEN round((random() * 20000)::numeric, 2) ELSE 0 END, 0,
              CASE WHEN procedure = 'license' THEN (ARRAY['granted','refused'])[1 + (random() < 0.1)::int] END,
              CASE WHEN procedure = 'license' THEN 'new' END,
              procedure = 'coercion-seizure', procedure = 'coercion-seizure' AND random() < 0.5, random() < 0.3, random() < 0.05,
              random() < 0.01, 1, now(), current_date
            FROM cases""")
        cur.execute("""
            INSERT INTO stats_case_findings (case_id, kind, code, agency, opened_on, count)
            SELECT f.case_id, k.kind, k.code, f.agency, f.opened_on, 1 + (random() * 2)::int
            FROM stats_case_figures f CROSS JOIN LATERAL (VALUES ('missing_document', ''), ('missing_audio_visual', ''),
              ('time_limit', 'decision_within_90_days'), ('review', 'doc_number_format')) AS k(kind, code)
            WHERE random() < 0.3""")
        lag = "extract(epoch from uploaded_at - recorded_ended_at)"
        bands = ", ".join(
            f"sum(CASE WHEN {lag} {cond} THEN 1 ELSE 0 END)"
            for cond in (
                "<= 3600",
                "> 3600 AND " + lag + " <= 21600",
                "> 21600 AND " + lag + " <= 86400",
                "> 86400 AND " + lag + " <= 259200",
                "> 259200",
            )
        )
        for dimension, key, source in (
            ("device", "coalesce(device_id, '')", "media"),
            ("dock", "coalesce(dock_id, '')", "media"),
            ("officer", "o.officer", "media CROSS JOIN LATERAL json_array_elements_text(officer_ids::json) AS o(officer)"),
        ):
            cur.execute(f"""
                INSERT INTO stats_footage_days (agency, day, dimension, key, clips, seconds, bytes, lag_1h, lag_6h, lag_24h, lag_72h, lag_more)
                SELECT agency, (recorded_started_at AT TIME ZONE 'Asia/Shanghai')::date, '{dimension}', {key}, count(*), sum(duration_s),
                       sum(size), {bands}
                FROM {source} GROUP BY 1, 2, 4 ON CONFLICT DO NOTHING""")
        cur.execute("""
            INSERT INTO stats_fixity_days (agency, day, result, checks)
            SELECT agency, day, 'ok', sum(clips) FROM stats_footage_days WHERE dimension = 'device' GROUP BY agency, day""")
        cur.execute("INSERT INTO stats_watermark (id, seq) SELECT 1, seq FROM audit_head WHERE id = 1")
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def baseline_sql(name: str, agency: str | None) -> str:
    """COUNT(*) over the source rows the statistic summarises: the period's cases, or its footage."""
    where = "AND agency = %(agency)s" if agency else ""
    if name in ("footage", "upload-lag", "fixity"):
        return f"SELECT count(*) FROM media WHERE recorded_started_at >= %(start)s AND recorded_started_at < %(end)s {where}"
    return f"SELECT count(*) FROM cases WHERE opened_at >= %(start)s AND opened_at < %(end)s {where}"


def measure(http: httpx.Client, database_url: str, agency: str | None) -> dict:
    params = {"from": "2025-01-01", "to": "2025-12-31", **({"agency": agency} if agency else {})}
    bounds = {"start": datetime(2024, 12, 31, 16, tzinfo=UTC), "end": datetime(2025, 12, 31, 16, tzinfo=UTC), "agency": agency}
    out = {}
    with psycopg.connect(database_url) as conn:
        for name in NAMES:
            for _ in range(2):  # warm both
                http.get(f"/api/v1/stats/{name}", params=params).raise_for_status()
                conn.execute(baseline_sql(name, agency), bounds).fetchone()
            ours, base = [], []
            for _ in range(CALLS):
                started = time.perf_counter()
                response = http.get(f"/api/v1/stats/{name}", params=params)
                ours.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and response.json()["pending_events"] == 0, response.text[:300]
                started = time.perf_counter()
                rows = conn.execute(baseline_sql(name, agency), bounds).fetchone()[0]
                base.append((time.perf_counter() - started) * 1000)
            out[name] = {
                "p50_ms": statistics.median(ours),
                "baseline_p50_ms": statistics.median(base),
                "source_rows": rows,
                "ratio": statistics.median(ours) / statistics.median(base),
            }
        for _ in range(2):
            http.get("/api/v1/stats/annual-report", params={"year": 2025, **({"agency": agency} if agency else {})}).raise_for_status()
        ours = []
        for _ in range(CALLS):
            started = time.perf_counter()
            http.get("/api/v1/stats/annual-report", params={"year": 2025, **({"agency": agency} if agency else {})}).raise_for_status()
            ours.append((time.perf_counter() - started) * 1000)
        base = []
        for _ in range(CALLS):
            started = time.perf_counter()
            conn.execute(baseline_sql("cases", agency), bounds).fetchone()
            base.append((time.perf_counter() - started) * 1000)
        out["annual-report"] = {
            "p50_ms": statistics.median(ours),
            "baseline_p50_ms": statistics.median(base),
            "ratio": statistics.median(ours) / statistics.median(base),
        }
    return out


def run(workdir: Path) -> dict:
    database_url = create_postgres_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECORDING_", "AWS_"))}
    env.update(RECORDING_DATABASE_URL=database_url, RECORDING_STORAGE_URL=f"file://{workdir / 'objects'}")
    workdir.mkdir(parents=True, exist_ok=True)
    service = ServiceProcess(env, workdir).start()
    try:
        token = service.token("admin", "*")
        with psycopg.connect(database_url) as conn:
            token_id = conn.execute("SELECT id FROM api_tokens LIMIT 1").fetchone()[0]
        started = time.perf_counter()
        load(database_url, token_id)
        loaded_s = time.perf_counter() - started
        with psycopg.connect(database_url) as conn:
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("cases", "media", "stats_case_figures", "stats_case_findings", "stats_footage_days")
            }
        with httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            return {
                "counts": counts,
                "load_s": loaded_s,
                "one_agency": measure(http, database_url, "AG3"),
                "all_agencies": measure(http, database_url, None),
                "period": "2025",
                "today": date.today().isoformat(),
            }
    finally:
        service.stop()
        drop_postgres_database(database_url)


if __name__ == "__main__":
    import sys

    print(json.dumps(run(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rs-bench-stats")), indent=2))
