"""The tamper-evident audit log: what is recorded, that concurrent writers never fork the chain,
and that edits, deletions and reorderings made directly in the database are caught."""

import concurrent.futures
import json
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from recording_service.core.db import sync_url

from .support.api import assert_problem
from .support.audit import cli_json, events
from .support.cases import case_body
from .support.media import upload_bytes
from .support.servers import ServiceProcess, create_postgres_database, drop_postgres_database


def test_changes_and_reads_are_recorded(leg):
    agency = f"AUD-{uuid.uuid4().hex[:6]}"
    data = f"audited footage {uuid.uuid4()}".encode() * 100
    with leg.client(leg.token("dock", agency)) as dock:
        media_id = upload_bytes(dock, data, filename="a.mp4")
    with leg.client(leg.token("case_system", agency)) as http:
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}).json()
        http.post(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media", json={"media_id": media_id})
        read = http.get(f"/api/v1/cases/{case['id']}/timeline", headers={"X-Request-Id": "review-42"})
        assert read.headers["X-Request-Id"] == "review-42"
        http.get(f"/api/v1/media/{media_id}/content", headers={"Range": "bytes=0-9"})
    with leg.client(leg.token("auditor", agency)) as http:
        by_media = [e["action"] for e in events(http, media_id=media_id)]
        assert by_media[:3] == ["media.created", "upload.completed", "media.described"]
        assert by_media[3:] == ["binding.created", "media.content.read"]
        by_case = events(http, case_id=case["id"])
        assert [e["action"] for e in by_case] == ["case.created", "stage.opened", "binding.created", "timeline.read"]
        timeline_read = by_case[-1]
        assert timeline_read["request_id"] == "review-42" and timeline_read["actor"]["role"] == "case_system"
        assert timeline_read["actor"]["name"] == f"case_system@{agency}"  # who, by name, without a look-up
        assert timeline_read["client_address"] == "127.0.0.1"
        created = events(http, action="media.created", media_id=media_id)[0]
        assert created["payload"]["sha256"] and created["upload_id"]
        everything = events(http)
        # an auditor sees its own agency's events, and the ones every agency shares (the official calendar's, agency "*")
        assert all(e["agency"] in (agency, "*") for e in everything), [(e["action"], e["agency"]) for e in everything]
        for before, after in zip(everything, everything[1:]):
            if after["seq"] == before["seq"] + 1:
                assert after["prev_hash"] == before["entry_hash"]
        verdict = http.get("/api/v1/audit/verify").json()
        # An agency's auditor gets the whole chain's verdict with the agency's own figures.
        assert verdict["ok"] is True and verdict["first_bad_seq"] is None and verdict["agency"] == agency
        assert verdict["checked"] >= len(everything) and verdict["head_seq"] >= everything[-1]["seq"]
    with leg.client(leg.token("admin", "*")) as admin:
        whole = admin.get("/api/v1/audit/verify").json()
        assert whole["ok"] is True and whole["agency"] is None and whole["checked"] == whole["head_seq"] >= verdict["head_seq"]
    with leg.client(leg.token("auditor", f"{agency}-B")) as other:  # another agency's auditor: nothing of the first one's
        assert other.get("/api/v1/audit/verify").json()["checked"] < whole["checked"]
    with leg.client(leg.token("dock", agency)) as dock:
        assert_problem(dock.get("/api/v1/audit/events"), 403)


def test_concurrent_writers_never_fork_the_chain(leg):
    agency = f"CONC-{uuid.uuid4().hex[:6]}"
    case_token, dock_token = leg.token("case_system", agency), leg.token("dock", agency)

    def work(i: int) -> int:
        if i % 2:
            with leg.client(case_token) as http:
                return http.post("/api/v1/cases", json=case_body(case_number=f"C-{agency}-{i}")).status_code
        with leg.client(dock_token) as http:
            upload_bytes(http, f"concurrent {agency} {i}".encode() * 50)
            return 201

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        assert set(pool.map(work, range(48))) == {201}
    with leg.client(leg.token("auditor", agency)) as http:
        verdict = http.get("/api/v1/audit/verify").json()
        assert verdict["ok"] is True, verdict
        mine = events(http)
        assert len([e for e in mine if e["action"] == "case.created"]) == 24
        assert len([e for e in mine if e["action"] == "media.created"]) == 24
    seqs = [e["seq"] for e in mine]
    assert len(seqs) == len(set(seqs))
    result = leg.service.cli("audit", "verify")
    assert json.loads(result.stdout.strip().splitlines()[-1])["ok"] is True


@pytest.fixture
def private_service(leg, tmp_path):
    """A service of the leg's kind with a database and a store of its own, so tampering touches
    nothing else. On S3 the bucket has object lock enabled."""
    if leg.seaweed is None:
        database_url = f"sqlite:///{tmp_path / 'tamper.db'}"
        storage_url = f"file://{tmp_path / 'objects'}"
    else:
        database_url = create_postgres_database()
        storage_url = f"s3://{leg.seaweed.create_bucket(f'locked-{uuid.uuid4().hex[:12]}', object_lock=True)}/rs"
    env = {**leg.service.env, "RECORDING_DATABASE_URL": database_url, "RECORDING_STORAGE_URL": storage_url}
    service = ServiceProcess(env, tmp_path).start()
    yield service, database_url
    service.stop()
    if leg.seaweed is not None:
        drop_postgres_database(database_url)


def test_tampering_is_caught(leg, private_service):
    service, database_url = private_service
    token = service.token("case_system", "TAMPER")
    with leg.client(token) as http:
        http.base_url = service.base_url
        for i in range(6):
            assert http.post("/api/v1/cases", json=case_body(case_number=f"T-{i}")).status_code == 201
    engine = create_engine(sync_url(database_url))
    postgres = engine.dialect.name == "postgresql"

    def verify() -> dict:
        result = service.cli("audit", "verify", check=False)
        verdict = json.loads(result.stdout.strip().splitlines()[-1])
        assert (result.returncode == 0) == verdict["ok"]
        return verdict

    assert verify()["ok"] is True
    with engine.begin() as db, pytest.raises(Exception, match="append-only"):  # the database refuses to rewrite history...
        db.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 2"))
    with engine.begin() as db:  # ...until someone with the rights to do so switches that off
        if postgres:
            db.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            db.execute(text("DROP TRIGGER audit_events_no_update"))
            db.execute(text("DROP TRIGGER audit_events_no_delete"))
    with engine.connect() as db:
        rows = {r.seq: dict(r._mapping) for r in db.execute(text("SELECT * FROM audit_events ORDER BY seq"))}
    payload3 = rows[3]["payload"] if isinstance(rows[3]["payload"], str) else json.dumps(rows[3]["payload"])

    def tamper_and_check(statements, first_bad):
        with engine.begin() as db:
            for statement, params in statements:
                db.execute(text(statement), params)
        verdict = verify()
        assert verdict["ok"] is False and verdict["first_bad_seq"] == first_bad, verdict

    set_payload = "UPDATE audit_events SET payload = " + ("CAST(:p AS json)" if postgres else ":p") + " WHERE seq = 3"
    # An edited event
    tamper_and_check([(set_payload, {"p": payload3.replace("T-", "X-")})], 3)
    with engine.begin() as db:
        db.execute(text(set_payload), {"p": payload3})
    assert verify()["ok"] is True
    # Two events swapped (reordered)
    tamper_and_check(
        [
            ("UPDATE audit_events SET seq = -4 WHERE seq = 4", {}),
            ("UPDATE audit_events SET seq = 4 WHERE seq = 5", {}),
            ("UPDATE audit_events SET seq = 5 WHERE seq = -4", {}),
        ],
        4,
    )
    with engine.begin() as db:
        for statement in (
            "UPDATE audit_events SET seq = -4 WHERE seq = 4",
            "UPDATE audit_events SET seq = 4 WHERE seq = 5",
            "UPDATE audit_events SET seq = 5 WHERE seq = -4",
        ):
            db.execute(text(statement))
    assert verify()["ok"] is True
    # The newest event deleted (the head row still names it), then one in the middle
    last = max(rows)
    tamper_and_check([("DELETE FROM audit_events WHERE seq = :s", {"s": last})], last)
    tamper_and_check([("DELETE FROM audit_events WHERE seq = 5", {})], 5)
    engine.dispose()


def test_checkpoint_catches_a_rewritten_database(leg, private_service, tmp_path):
    from sqlalchemy.orm import Session

    from recording_service.audit.models import GENESIS_HASH, AuditEvent, AuditHead
    from recording_service.audit.service import entry_hash

    service, database_url = private_service
    with leg.client(service.token("case_system", "FORGE")) as http:
        http.base_url = service.base_url
        for i in range(3):
            assert http.post("/api/v1/cases", json=case_body(case_number=f"F-{i}")).status_code == 201
    written = cli_json(service.cli("audit", "checkpoint"))
    assert written["seq"] == 4 and written["key"].startswith("audit/checkpoints/")
    if leg.seaweed is not None:
        s3 = leg.seaweed.client()
        bucket = service.env["RECORDING_STORAGE_URL"].split("/")[2]
        head = s3.head_object(Bucket=bucket, Key=f"rs/{written['key']}")
        assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"].year >= 2036
        with pytest.raises(Exception, match="AccessDenied|locked|retention|WORM|Forbidden"):
            s3.delete_object(Bucket=bucket, Key=f"rs/{written['key']}", VersionId=written["version_id"])
        assert s3.head_object(Bucket=bucket, Key=f"rs/{written['key']}")["ContentLength"] > 0
    else:
        stored = tmp_path / "objects" / written["key"]
        assert json.loads(stored.read_bytes())["hash"] == written["hash"] and not stored.stat().st_mode & 0o222
    assert cli_json(service.cli("audit", "verify"))["ok"] is True

    # A perfect forgery inside the database: change an event, recompute every later hash and the head.
    engine = create_engine(sync_url(database_url))
    with engine.begin() as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            db.execute(text("DROP TRIGGER audit_events_no_update"))
    with Session(engine) as session:
        prev = GENESIS_HASH
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
            if event.seq == 2:
                event.payload = {**event.payload, "case_number": "F-forged"}
            event.prev_hash, event.entry_hash = prev, entry_hash(prev, event)
            prev = event.entry_hash
        session.get(AuditHead, 1).hash = prev
        session.commit()
    engine.dispose()
    result = service.cli("audit", "verify", check=False)
    verdict = cli_json(result)
    assert result.returncode == 1 and verdict["ok"] is False
    assert verdict["first_bad_seq"] == 4 and "rewritten" in verdict["problem"]
