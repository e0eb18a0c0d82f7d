"""Timeline benchmark (PostgreSQL): one case with 1,000 bound items (600 clips, 400 documents), read
50 times, first with ~1,000 other cases in the database, then with ~100,000 more media rows bound to
other cases. Cost must not grow with the database: the large/small ratio of p50s is the figure.

The other cases and media are bulk-inserted with SQL (the bench measures reading, not ingest); the
measured case itself is built the same way, then read through the HTTP API as users read it.
"""

import os
import re
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from tests.support.servers import ServiceProcess, create_postgres_database, drop_postgres_database

CALLS = 50
STAGES = ["filing", "investigation", "review", "notification", "hearing", "decision", "service", "execution", "closing", "archiving"]
DOC_TYPES = [
    "case_filing_form",
    "onsite_record",
    "review_record",
    "penalty_prior_notice",
    "hearing_record",
    "penalty_decision",
    "service_receipt",
    "enforcement_application",
    "closing_report",
    "supervision_opinion",
]


def _hex() -> str:
    return uuid.uuid4().hex


_serials = iter(range(1, 10**9))  # 文号 unique across the agency, as real ones are (the review flags repeats)


def seed_case(cur, agency: str, token_id: str, clips: int, documents: int, media_rows: list | None = None) -> str:
    """A penalty-general case with every stage, `documents` documents and `clips` bound clips."""
    case_id, now = _hex(), datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    cur.execute(
        "INSERT INTO cases (id, agency, case_number, procedure, title, status, parties, officers, opened_at, created_by, created_at)"
        " VALUES (%s,%s,%s,'penalty-general','bench case','open','[]',%s,%s,%s,%s)",
        (
            case_id,
            agency,
            f"BENCH-{case_id[:12]}",
            '[{"officer_id":"O1","name":"a","certificate_number":"C1"},{"officer_id":"O2","name":"b","certificate_number":"C2"}]',
            now,
            token_id,
            now,
        ),
    )
    stage_ids = []
    for order, code in enumerate(STAGES, 1):
        stage_id = _hex()
        stage_ids.append(stage_id)
        cur.execute(
            "INSERT INTO case_stages (id, case_id, stage, stage_order, status, started_at, ended_at, officers, attributes, notes,"
            " created_by, created_at) VALUES (%s,%s,%s,%s,'closed',%s,%s,'[\"O1\",\"O2\"]','{}','[]',%s,%s)",
            (stage_id, case_id, code, order, now + timedelta(hours=order), now + timedelta(hours=order, minutes=50), token_id, now),
        )
    docs = [(_hex(), case_id, stage_ids[i % len(stage_ids)], DOC_TYPES[i % len(DOC_TYPES)], token_id, now) for i in range(documents)]
    cur.executemany(
        "INSERT INTO documents (id, case_id, stage_id, doc_type, current_version, created_by, created_at) VALUES (%s,%s,%s,%s,1,%s,%s)",
        docs,
    )
    cur.executemany(
        "INSERT INTO document_versions (id, document_id, case_id, version, doc_number, title, status, signed_at, signers,"
        " created_by, created_at) VALUES (%s,%s,%s,1,%s,'文书','signed',%s,'[]',%s,%s)",
        [(_hex(), d[0], case_id, f"濉卫医罚〔2026〕{next(_serials)}号", now, token_id, now) for d in docs],
    )
    media = media_rows if media_rows is not None else insert_media(cur, agency, token_id, clips, now)
    cur.executemany(
        "INSERT INTO media_bindings (id, case_id, stage_id, media_id, created_by, created_at) VALUES (%s,%s,%s,%s,%s,%s)",
        [(_hex(), case_id, stage_ids[1 + i % 3], media_id, token_id, now) for i, media_id in enumerate(media)],
    )
    return case_id


def insert_media(cur, agency: str, token_id: str, count: int, start: datetime) -> list[str]:
    rows = []
    for i in range(count):
        begin = start + timedelta(hours=2, seconds=10 * i)
        rows.append(
            (
                _hex(),
                agency,
                os.urandom(32).hex(),
                1000 + i,
                f"evidence/{agency}/bench/{i}",
                "ready",
                "video/mp4",
                f"clip{i}.mp4",
                f"CAM-{i % 7}",
                '["O1","O2"]',
                ",O1,O2,",
                begin,
                begin + timedelta(seconds=9),
                "metadata",
                9.0,
                token_id,
                begin,
            )
        )
    cur.executemany(
        "INSERT INTO media (id, agency, sha256, size, storage_key, status, content_type, filename, device_id, officer_ids,"
        " officer_index, recorded_started_at, recorded_ended_at, recorded_at_source, duration_s, created_by, uploaded_at)"
        " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
        rows,
    )
    return [row[0] for row in rows]


def measure(clients: dict[str, tuple[httpx.Client, str]]) -> dict:
    """Alternate calls between the databases so machine noise hits both alike."""
    timings: dict[str, list[float]] = {name: [] for name in clients}
    for http, case_id in clients.values():
        body = http.get(f"/api/v1/cases/{case_id}/timeline").json()  # warm caches once
        assert sum(len(s["media"]) for s in body["stages"]) == 600 and sum(len(s["documents"]) for s in body["stages"]) == 400
    for _ in range(CALLS):
        for name, (http, case_id) in clients.items():
            started = time.perf_counter()
            http.get(f"/api/v1/cases/{case_id}/timeline").raise_for_status()
            timings[name].append((time.perf_counter() - started) * 1000)
    result = {}
    for name, values in timings.items():
        values.sort()
        result[name] = {"p50_ms": statistics.median(values), "p95_ms": values[int(len(values) * 0.95) - 1]}
    return result


def sign_in(base_url: str, username: str, password: str) -> httpx.Client:
    """A person's browser session, through the sign-in form as a browser does it."""
    browser = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
    form = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = browser.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/cases"})
    assert answer.status_code == 303 and "rs_session" in browser.cookies, answer.text[:500]
    return browser


def page_vs_json(service: ServiceProcess, api: httpx.Client, case_id: str) -> dict:
    """The case page of the 1,000-item case against the timeline JSON it is built from, alternating."""
    password = "bench-password-2026"
    service.cli(
        "user",
        "create",
        "--username",
        "bench.auditor",
        "--role",
        "auditor",
        "--agency",
        "BENCH",
        "--name",
        "评测",
        "--password-stdin",
        input=password + "\n",
    )
    browser = sign_in(service.base_url, "bench.auditor", password)
    page = browser.get(f"/cases/{case_id}")
    assert page.status_code == 200 and page.text.count('class="clip ') == 600, page.text[:300]
    timings: dict[str, list[float]] = {"json": [], "page": []}
    for _ in range(CALLS):
        for name, client, path in (("json", api, f"/api/v1/cases/{case_id}/timeline"), ("page", browser, f"/cases/{case_id}")):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            timings[name].append((time.perf_counter() - started) * 1000)
    browser.close()
    result = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "json_p50_ms": result["json"],
        "page_p50_ms": result["page"],
        "ratio": result["page"] / result["json"],
        "page_bytes": len(page.content),
    }


def build(database_url: str, workdir: Path, extra_media_cases: int) -> tuple[ServiceProcess, str, str, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECORDING_", "AWS_"))}
    env.update(RECORDING_DATABASE_URL=database_url, RECORDING_STORAGE_URL=f"file://{workdir / 'objects'}")
    workdir.mkdir(parents=True, exist_ok=True)
    service = ServiceProcess(env, workdir).start()
    token = service.token("auditor", "BENCH")
    with psycopg.connect(database_url) as conn:
        cur = conn.cursor()
        token_id = cur.execute("SELECT id FROM api_tokens LIMIT 1").fetchone()[0]
        case_id = seed_case(cur, "BENCH", token_id, clips=600, documents=400)
        for _ in range(1000):
            seed_case(cur, "BENCH", token_id, clips=3, documents=4)
        for _ in range(extra_media_cases):  # 1,000 clips each, bound to other cases
            media = insert_media(cur, "BENCH", token_id, 1000, datetime(2026, 10, 1, tzinfo=UTC))
            seed_case(cur, "BENCH", token_id, clips=0, documents=2, media_rows=media)
        conn.commit()
        counts = {
            "media_rows": cur.execute("SELECT count(*) FROM media").fetchone()[0],
            "cases": cur.execute("SELECT count(*) FROM cases").fetchone()[0],
        }
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # so autovacuum does not run during the measurement
    return service, token, case_id, counts


def run(workdir: Path) -> dict:
    databases = {"small": create_postgres_database(), "large": create_postgres_database()}
    services = []
    try:
        clients, counts = {}, {}
        for name, extra in (("small", 0), ("large", 100)):
            service, token, case_id, counts[name] = build(databases[name], workdir / name, extra)
            services.append(service)
            clients[name] = (httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60), case_id)
        result = measure(clients)
        result["page"] = page_vs_json(services[0], *clients["small"])
        for http, _ in clients.values():
            http.close()
        return {
            **result,
            "ratio": result["large"]["p50_ms"] / result["small"]["p50_ms"],
            "counts": counts,
            "media_rows": counts["large"]["media_rows"],
            "cases": counts["large"]["cases"],
        }
    finally:
        for service in services:
            service.stop()
        for url in databases.values():
            drop_postgres_database(url)
