"""S3 object lock on evidence: the store itself refuses to delete footage, even to the service's own
credentials, for as long as the database's retention and legal holds keep it.

Run against SeaweedFS with a lock-enabled (hence versioned) bucket and a shortened retention
catalog, so that locks run out within the test."""

import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from recording_service.core.db import sync_url

from .support.api import create, patch
from .support.audit import cli_json, events
from .support.cases import case_body
from .support.media import upload_bytes
from .support.services import client, private_service

STANDARD_DAYS = 0.0001  # 8.6 s
HORIZON_DAYS = 0.0002  # 17.3 s: locks on kept footage roll forward once less than 8.6 s remain
LOCKED = "AccessDenied"


def no_lock_on_this_leg(leg, *items: dict) -> None:
    """On the filesystem leg: check that media report no store lock, then say plainly the rest did not run."""
    if leg.seaweed is None:
        for item in items:
            assert item["store_locked_until"] is None and item["store_legal_hold"] is False
        pytest.skip(
            "NOT RUN on sqlite-fs: object lock is an S3 feature; the filesystem store has none (its media were checked to report no lock)"
        )


@pytest.fixture
def locked_service(leg, tmp_path, request):
    with private_service(
        leg,
        tmp_path,
        standard_days=STANDARD_DAYS,
        object_lock=True,
        RECORDING_S3_OBJECT_LOCK_MODE=getattr(request, "param", "COMPLIANCE"),
        RECORDING_S3_LOCK_HORIZON_DAYS=str(HORIZON_DAYS),
    ) as service:
        yield service


class Bucket:
    """The evidence bucket seen with the service's own credentials."""

    def __init__(self, leg, service, http):
        self.s3, self.http = leg.seaweed.client(), http
        self.name = service.env["RECORDING_STORAGE_URL"].split("/")[2]

    def key(self, media_id: str) -> str:
        return "rs/" + events(self.http, media_id=media_id, action="media.created")[0]["payload"]["storage_key"]

    def versions(self, prefix: str) -> tuple[list[dict], list[dict]]:
        page = self.s3.list_object_versions(Bucket=self.name, Prefix=prefix)
        return page.get("Versions", []), page.get("DeleteMarkers", [])

    def head(self, media_id: str) -> dict:
        return self.s3.head_object(Bucket=self.name, Key=self.key(media_id))

    def try_delete(self, media_id: str) -> str:
        """Try to remove every version, as someone holding the service's keys could; 'deleted' or the error code."""
        versions, _ = self.versions(self.key(media_id))
        try:
            for version in versions:
                self.s3.delete_object(Bucket=self.name, Key=version["Key"], VersionId=version["VersionId"])
        except Exception as exc:  # botocore ClientError
            return exc.response["Error"]["Code"]
        return "deleted"


def media(http, media_id: str) -> dict:
    return http.get(f"/api/v1/media/{media_id}").json()


def locked_until(http, media_id: str) -> datetime:
    return datetime.fromisoformat(media(http, media_id)["store_locked_until"])


def test_evidence_is_locked_in_the_store_while_policy_keeps_it(leg, locked_service):
    service = locked_service
    agency = "WORM"
    names = ("plain", "important", "bound", "held", "case_held", "foreign_hold")
    content = {name: f"{name} {uuid.uuid4()}".encode() * 200 for name in names}
    with client(leg, service, "dock", agency) as http:
        ids = {name: upload_bytes(http, data, **({"flag": "important"} if name == "important" else {})) for name, data in content.items()}
        no_lock_on_this_leg(leg, *(media(http, media_id) for media_id in ids.values()))
    with client(leg, service, "auditor", agency) as auditor, client(leg, service, "case_system", agency) as writer:
        bucket = Bucket(leg, service, auditor)
        # Stored → locked at once, in the configured mode, until the standard retention ends.
        for name, media_id in ids.items():
            item, head = media(auditor, media_id), bucket.head(media_id)
            uploaded = datetime.fromisoformat(item["uploaded_at"])
            assert head["ObjectLockMode"] == "COMPLIANCE"
            assert head["ObjectLockRetainUntilDate"] == locked_until(auditor, media_id)
            expected = uploaded + timedelta(days=HORIZON_DAYS if name == "important" else STANDARD_DAYS)
            assert abs((locked_until(auditor, media_id) - expected).total_seconds()) < 2, name
            assert locked_until(auditor, media_id) > datetime.now().astimezone(), name
            assert bucket.try_delete(media_id) == LOCKED, name
            assert [e["payload"]["reason"] for e in events(auditor, media_id=media_id, action="media.store_locked")] == ["stored"]

        # Legal holds mirror to the object's legal hold: on the media itself, and on footage of a held case.
        held = auditor.post("/api/v1/holds", json={"media_id": ids["held"], "reason": "行政复议中"}).json()
        case = writer.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = writer.post(
            f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}
        ).json()
        binding = writer.post(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media", json={"media_id": ids["bound"]}).json()
        other = writer.post("/api/v1/cases", json=case_body(procedure="penalty-simple", case_number="卫罚〔2026〕held")).json()
        other_stage = writer.post(
            f"/api/v1/cases/{other['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}
        ).json()
        case_hold = auditor.post("/api/v1/holds", json={"case_id": other["id"], "reason": "诉讼中"}).json()
        # bound after the hold was placed: the binding request mirrors it
        bound = writer.post(f"/api/v1/cases/{other['id']}/stages/{other_stage['id']}/media", json={"media_id": ids["case_held"]})
        assert bound.status_code == 201, bound.text
        for name in ("held", "case_held"):
            assert media(auditor, ids[name])["store_legal_hold"] is True
            assert bucket.s3.get_object_legal_hold(Bucket=bucket.name, Key=bucket.key(ids[name]))["LegalHold"]["Status"] == "ON"
        assert media(auditor, ids["bound"])["store_legal_hold"] is False
        # A legal hold someone set in the bucket directly, which the service does not know of.
        bucket.s3.put_object_legal_hold(Bucket=bucket.name, Key=bucket.key(ids["foreign_hold"]), LegalHold={"Status": "ON"})

        time.sleep(STANDARD_DAYS * 86400 + 1)  # the standard retention (and its lock) has run out
        for name in ("plain", "bound", "held"):
            assert locked_until(auditor, ids[name]) < datetime.now().astimezone()

        dry = cli_json(service.cli("retention", "sweep", "--dry-run"))
        assert sorted(d["media_id"] for d in dry["deleted"]) == sorted([ids["plain"], ids["foreign_hold"]])
        # Footage kept without end (bound; "important" too if its first lock is half spent) is rolled forward.
        assert {c["media_id"] for c in dry["locks_extended"]} - {ids["important"]} == {ids["bound"], ids["case_held"]}
        assert bucket.head(ids["plain"])["ContentLength"] == len(content["plain"])  # a dry run changes nothing

        swept = cli_json(service.cli("retention", "sweep"))
        # Past retention and unlocked: deleted from the bucket, every version, no delete marker left behind.
        assert [d["media_id"] for d in swept["deleted"]] == [ids["plain"]]
        assert bucket.versions(bucket.key(ids["plain"])) == ([], [])
        # Locked by the bucket without the database knowing: the store refuses, the sweep keeps everything.
        refused = [s for s in swept["store_locked"] if s["media_id"] == ids["foreign_hold"]]
        assert refused and "AccessDenied" in refused[0]["store_refused"]
        assert media(auditor, ids["foreign_hold"])["status"] != "deleted"
        assert auditor.get(f"/api/v1/media/{ids['foreign_hold']}/content").content == content["foreign_hold"]
        # Kept without end (bound to a case): the lock was rolled forward a horizon ahead.
        extended = swept["locks_extended"]
        assert {c["media_id"] for c in extended} - {ids["important"]} == {ids["bound"], ids["case_held"]}
        assert {c["reason"] for c in extended} == {"kept"}
        assert locked_until(auditor, ids["bound"]) > datetime.now().astimezone() + timedelta(days=HORIZON_DAYS / 2)
        assert bucket.head(ids["bound"])["ObjectLockRetainUntilDate"] == locked_until(auditor, ids["bound"])
        for name in ("bound", "held", "case_held", "important"):
            assert bucket.try_delete(ids[name]) == LOCKED, name

        # Unbound: past retention now, but its lock is never shortened, so it waits for the lock to run out.
        unbound = writer.delete(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media/{binding['id']}", params={"reason": "误绑定"})
        assert unbound.status_code == 200, unbound.text
        # Hold lifted: the object's legal hold is cleared at once; the case hold keeps its footage held.
        assert auditor.post(f"/api/v1/holds/{held['id']}/lift", json={"reason": "复议终结"}).status_code == 200
        assert media(auditor, ids["held"])["store_legal_hold"] is False
        assert bucket.s3.get_object_legal_hold(Bucket=bucket.name, Key=bucket.key(ids["held"]))["LegalHold"]["Status"] == "OFF"
        swept = cli_json(service.cli("retention", "sweep"))
        assert [d["media_id"] for d in swept["deleted"]] == [ids["held"]]
        waiting = {s["media_id"]: s for s in swept["store_locked"]}
        assert ids["bound"] in waiting and waiting[ids["bound"]]["store_locked_until"]
        assert bucket.try_delete(ids["bound"]) == LOCKED

        time.sleep(max(0.0, (locked_until(auditor, ids["bound"]) - datetime.now().astimezone()).total_seconds()) + 1)
        swept = cli_json(service.cli("retention", "sweep"))
        assert [d["media_id"] for d in swept["deleted"]] == [ids["bound"]]
        for name in ("case_held", "important", "foreign_hold"):
            assert auditor.get(f"/api/v1/media/{ids[name]}/content").content == content[name], name

        # Lifting the case hold clears the legal hold on its footage.
        assert auditor.post(f"/api/v1/holds/{case_hold['id']}/lift", json={"reason": "判决生效"}).status_code == 200
        assert media(auditor, ids["case_held"])["store_legal_hold"] is False
        actions = [e["action"] for e in events(auditor, media_id=ids["case_held"])]
        assert actions.count("media.store_legal_hold") == 2
        assert auditor.get("/api/v1/audit/verify").json()["ok"] is True


def test_versioned_bucket_keeps_one_version_per_evidence_object(leg, locked_service):
    """A lock-enabled bucket keeps versions: rewritten upload tails and the metadata copy made when
    no sha256 was declared must not leave hidden copies of footage behind."""
    service = locked_service
    part = 5 * 1024 * 1024
    data = uuid.uuid4().bytes * (((2 * part) + 123_457) // 16)
    with client(leg, service, "dock", "VERS") as http:
        location = create(http, len(data), filename="chunks.mp4", flag="important").headers["Location"]  # no sha256 declared
        offset = 0
        for size in (1_000_000, 3_000_000, 4_000_000, 2_500_000, len(data)):  # tails rewritten, parts crossed
            chunk = data[offset : offset + size]
            response = patch(http, location, offset, chunk)
            assert response.status_code == 204, response.text
            offset += len(chunk)
            if offset == len(data):
                break
        media_id = response.headers["Upload-Media-Id"]
        item = http.get(f"/api/v1/media/{media_id}").json()
    no_lock_on_this_leg(leg, item)
    with client(leg, service, "auditor", "VERS") as auditor:
        bucket = Bucket(leg, service, auditor)
        versions, markers = bucket.versions(bucket.key(media_id))
        assert len(versions) == 1 and markers == []
        head = bucket.head(media_id)
        assert head["Metadata"]["sha256"] == item["sha256"] and head["ContentLength"] == len(data)
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert bucket.versions("rs/.uploads/") == ([], [])

        # A lock the database lost track of (a crash between locking and recording it, or a store
        # outage at completion) is taken again, and recorded, by the next sweep.
        engine = create_engine(sync_url(service.env["RECORDING_DATABASE_URL"]))
        with engine.begin() as db:
            db.execute(text("UPDATE media SET store_locked_until = NULL WHERE id = :id"), {"id": media_id})
        engine.dispose()
        assert auditor.get(f"/api/v1/media/{media_id}").json()["store_locked_until"] is None
        swept = cli_json(service.cli("retention", "sweep"))
        assert [(c["media_id"], c["reason"]) for c in swept["locks_extended"]] == [(media_id, "kept")]
        assert locked_until(auditor, media_id) == bucket.head(media_id)["ObjectLockRetainUntilDate"]


@pytest.mark.parametrize("locked_service", ["GOVERNANCE"], indirect=True)
def test_governance_mode(leg, locked_service):
    service = locked_service
    with client(leg, service, "dock", "GOV") as http:
        media_id = upload_bytes(http, b"governance " * 1000)
        no_lock_on_this_leg(leg, media(http, media_id))
    with client(leg, service, "auditor", "GOV") as auditor:
        bucket = Bucket(leg, service, auditor)
        assert bucket.head(media_id)["ObjectLockMode"] == "GOVERNANCE"
        assert bucket.try_delete(media_id) == LOCKED  # without the bypass permission the service never uses
