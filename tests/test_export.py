"""Case-file export: a BagIt zip with the footage, verified offline by an independent BagIt
implementation (bagit-python) and by `recording-service verify-export`, which also catches a bag
whose manifests were recomputed around a forged audit event."""

import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import bagit
import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .support.audit import events
from .support.cases import DAY, CaseWalk
from .support.export import verify
from .support.media import upload_bytes
from .support.servers import ServiceProcess

AGENCY = "EXP"


def rewrite(source: Path, target: Path, changes: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (or, with None, dropping) the members named in `changes`."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    dst.writestr(info.filename, changes[info.filename])
            else:
                dst.writestr(info, src.read(info.filename))


def test_case_file_export(leg, clips, tmp_path):
    # Two different recordings (the same ffmpeg command would make the same bytes, hence one media).
    recordings = {name: clips(f"exp-{name}.mp4", seconds=seconds) for name, seconds in (("cam1", 2), ("cam2", 3))}
    with leg.client(leg.token("dock", AGENCY)) as dock:
        media = {
            name: upload_bytes(
                dock,
                clip.read_bytes(),
                filename=f"{name}.MP4",
                device_id=f"CAM-{name}",
                officer_ids="3401001,3401002",
                recorded_at=f"{DAY}T10:05:00+08:00",
            )
            for name, clip in recordings.items()
        }
        scan = b"%PDF-1.4 scanned decision " * 200
        media["scan"] = upload_bytes(dock, scan, filename="决定书.pdf", content_type="application/pdf")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "penalty-simple")
        walk.stage("onsite", "10:00", "10:30", docs=["onsite_penalty_decision"], media=[(media["cam1"], None), (media["cam2"], None)])
        attached = http.post(
            f"/api/v1/cases/{walk.case['id']}/documents",
            json={
                "stage_id": walk.stages["onsite"],
                "doc_type": "onsite_penalty_decision",
                "title": "当场处罚决定书(扫描件)",
                "status": "signed",
                "doc_number": "濉卫医罚〔2026〕扫1号",
                "signed_at": f"{DAY}T10:20:00+08:00",
                "attachment_media_id": media["scan"],
            },
        )
        assert attached.status_code == 201, attached.text
        case_id, case_number = walk.case["id"], walk.case["case_number"]

    with leg.client(leg.token("auditor", AGENCY)) as http:
        response = http.get(f"/api/v1/cases/{case_id}/export")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert int(response.headers["content-length"]) == len(response.content)
        exported = tmp_path / "case.zip"
        exported.write_bytes(response.content)
        timeline = http.get(f"/api/v1/cases/{case_id}/timeline").json()
        exports = events(http, case_id=case_id, action="case.exported")
    root = f"case-{case_id}"

    # An independent BagIt implementation accepts the bag.
    with zipfile.ZipFile(exported) as archive:
        archive.extractall(tmp_path / "unpacked")
    bag = bagit.Bag(str(tmp_path / "unpacked" / root))
    bag.validate()
    assert bag.info["External-Identifier"] == case_number and bag.info["Source-Organization"] == AGENCY
    data = tmp_path / "unpacked" / root / "data"
    listing = json.loads((data / "export.json").read_text())
    assert {f["media_id"] for f in listing["footage"]} == set(media.values()) and listing["not_included"] == []
    for name, clip in recordings.items():
        assert (data / "footage" / f"{media[name]}.mp4").read_bytes() == clip.read_bytes()
    assert (data / "footage" / f"{media['scan']}.pdf").read_bytes() == scan
    assert (
        json.loads((data / "media" / f"{media['cam1']}.json").read_text())["sha256"]
        == hashlib.sha256(recordings["cam1"].read_bytes()).hexdigest()
    )
    exported_timeline = json.loads((data / "timeline.json").read_text())
    assert exported_timeline["completeness"] == timeline["completeness"] and len(exported_timeline["stages"]) == len(timeline["stages"])
    assert exported_timeline["case"]["parties"][0]["id_number"]  # an auditor sees identity numbers
    documents = json.loads((data / "documents.json").read_text())
    assert any(d["current"]["attachment_media_id"] == media["scan"] and d["versions"] for d in documents)
    audit_lines = (data / "audit" / "events.jsonl").read_bytes().splitlines()
    assert all(orjson.loads(line)["at"].endswith("+08:00") for line in audit_lines)  # the agency's zone
    assert json.loads((data / "export.json").read_text())["exported_at"].endswith("+08:00")
    assert {"case.created", "media.created", "binding.created"} <= {orjson.loads(line)["action"] for line in audit_lines}

    # The service recorded the export with the digest of the bag's manifest.
    manifest = (tmp_path / "unpacked" / root / "manifest-sha256.txt").read_bytes()
    assert exports[-1]["payload"]["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert response.headers["x-bag-manifest-sha256"] == exports[-1]["payload"]["manifest_sha256"]

    report = verify(leg, exported)
    assert report["ok"] and report["case_number"] == case_number and report["failures"] == []
    assert report["files_checked"] == len(manifest.splitlines()) and report["audit_events_checked"] == len(audit_lines)

    # Changed footage bytes, a missing file, a forged audit event with every manifest recomputed, not a zip.
    footage_member = f"{root}/data/footage/{media['cam1']}.mp4"
    with zipfile.ZipFile(exported) as archive:
        original = archive.read(footage_member)
        events_member = archive.read(f"{root}/data/audit/events.jsonl")
        bag_info = archive.read(f"{root}/bag-info.txt")
    flipped = tmp_path / "flipped.zip"
    rewrite(exported, flipped, {footage_member: original[:100] + bytes([original[100] ^ 1]) + original[101:]})
    failures = verify(leg, flipped)["failures"]
    assert len(failures) == 1 and f"data/footage/{media['cam1']}.mp4" in failures[0]

    dropped = tmp_path / "dropped.zip"
    rewrite(exported, dropped, {f"{root}/data/documents.json": None})
    assert any("documents.json" in f and "not in the bag" in f for f in verify(leg, dropped)["failures"])

    lines = events_member.splitlines()
    forged_event = orjson.loads(lines[0])
    forged_event["payload"]["case_number"] = "伪造"
    lines[0] = orjson.dumps(forged_event, option=orjson.OPT_SORT_KEYS)
    forged_events = b"\n".join(lines) + b"\n"
    new_manifest = b"".join(
        (
            f"{hashlib.sha256(forged_events).hexdigest()}  data/audit/events.jsonl\n".encode()
            if line.endswith(b"data/audit/events.jsonl")
            else line + b"\n"
        )
        for line in manifest.splitlines()
    )
    octets, count = re.search(rb"Payload-Oxum: (\d+)\.(\d+)", bag_info).groups()
    bag_info = bag_info.replace(
        b"Payload-Oxum: " + octets + b"." + count,
        f"Payload-Oxum: {int(octets) + len(forged_events) - len(events_member)}.{int(count)}".encode(),
    )
    with zipfile.ZipFile(exported) as archive:
        signature = archive.read(f"{root}/signature.json")
    tag_manifest = "".join(
        f"{hashlib.sha256(body).hexdigest()}  {name}\n"
        for name, body in (
            ("bag-info.txt", bag_info),
            ("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
            ("manifest-sha256.txt", new_manifest),
            ("signature.json", signature),
        )
    ).encode()
    forged = tmp_path / "forged.zip"  # a bag BagIt alone would accept
    rewrite(
        exported,
        forged,
        {
            f"{root}/data/audit/events.jsonl": forged_events,
            f"{root}/manifest-sha256.txt": new_manifest,
            f"{root}/bag-info.txt": bag_info,
            f"{root}/tagmanifest-sha256.txt": tag_manifest,
        },
    )
    with zipfile.ZipFile(forged) as archive:
        archive.extractall(tmp_path / "forged")
    bagit.Bag(str(tmp_path / "forged" / root)).validate()  # BagIt's checksums are all consistent again...
    failures = verify(leg, forged)["failures"]  # ...but the event no longer matches its hash, nor the signature the bag
    assert failures == [
        f"audit event seq {forged_event['seq']}: its content no longer hashes to its entry_hash",
        "signature.json: the signed statement does not match the bag (manifests, bag-info or audit excerpt changed)",
    ]

    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert "not a readable zip" in verify(leg, junk)["failures"][0]


def test_export_access_and_cli(leg, tmp_path):
    with leg.client(leg.token("dock", AGENCY)) as dock:
        clip_id = upload_bytes(dock, b"cli export footage " * 500, filename="x.mp4")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "penalty-simple")
        walk.stage("onsite", "10:00", media=[(clip_id, None)])
        case_id = walk.case["id"]
    with leg.client(leg.token("reviewer", AGENCY)) as http:
        response = http.get(f"/api/v1/cases/{case_id}/export")
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            case = json.loads(archive.read(f"case-{case_id}/data/case.json"))
        assert all(party["id_number"] is None for party in case["parties"])  # reviewers do not see identity numbers
    with leg.client(leg.token("dock", AGENCY)) as http:
        assert http.get(f"/api/v1/cases/{case_id}/export").status_code == 403
    with leg.client(leg.token("auditor", "OTHER")) as http:
        assert http.get(f"/api/v1/cases/{case_id}/export").status_code == 404

    out = tmp_path / "cli.zip"
    result = leg.service.cli("export", case_id, "--out", str(out))
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["zip_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and summary["footage"] == 1
    assert verify(leg, out)["ok"]
    again = leg.service.cli("export", case_id, "--out", str(out), check=False)
    assert again.returncode == 1 and summary["zip_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()  # never replaced
    assert leg.service.cli("export", "no-such-case", "--out", str(tmp_path / "none.zip"), check=False).returncode == 1


def test_a_perfect_forgery_fails_on_the_signature(leg, clips, tmp_path):
    """A forger edits the last exported audit event, recomputes its hash, the manifest, Payload-Oxum,
    the tag manifest — and signs the result with a key of their own. Only the service's key tells."""
    import base64
    import subprocess

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from recording_service.audit.service import hash_of

    from .support.cases import case_body
    from .support.servers import BIN

    with leg.client(leg.token("dock", AGENCY)) as dock:
        media_id = upload_bytes(dock, clips("forgery.mp4", seconds=1).read_bytes(), filename="forgery.mp4")
    with leg.client(leg.token("case_system", AGENCY)) as http:
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": f"{DAY}T10:00:00+08:00"}).json()
        assert http.post(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media", json={"media_id": media_id}).status_code == 201
    with leg.client(leg.token("auditor", AGENCY)) as http:
        genuine = tmp_path / "genuine.zip"
        genuine.write_bytes(http.get(f"/api/v1/cases/{case['id']}/export").content)
        service_key = http.get("/api/v1/keys").json()["items"][0]
    root = f"case-{case['id']}"
    with zipfile.ZipFile(genuine) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}

    def member(name: str) -> bytes:
        return members[f"{root}/{name}"]

    lines = member("data/audit/events.jsonl").splitlines()
    last = orjson.loads(lines[-1])
    last["payload"] = {**last["payload"], "forged": "伪造的记录"}
    fields = {k: v for k, v in last.items() if k not in ("prev_hash", "entry_hash")}
    # The hash covers the event's time in UTC (the bag shows it in the agency's zone): a forger does as the verifier does.
    from datetime import UTC, datetime

    fields["at"] = datetime.fromisoformat(fields["at"]).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    last["entry_hash"] = hash_of(last["prev_hash"], fields)  # a consistent event
    lines[-1] = orjson.dumps(last, option=orjson.OPT_SORT_KEYS)
    events = b"\n".join(lines) + b"\n"
    manifest = b"".join(
        (
            f"{hashlib.sha256(events).hexdigest()}  data/audit/events.jsonl\n".encode()
            if line.endswith(b"data/audit/events.jsonl")
            else line + b"\n"
        )
        for line in member("manifest-sha256.txt").splitlines()
    )
    bag_info = member("bag-info.txt")
    octets, count = re.search(rb"Payload-Oxum: (\d+)\.(\d+)", bag_info).groups()
    bag_info = bag_info.replace(
        b"Payload-Oxum: " + octets + b"." + count,
        f"Payload-Oxum: {int(octets) + len(events) - len(member('data/audit/events.jsonl'))}.{int(count)}".encode(),
    )
    forger = Ed25519PrivateKey.generate()
    statement = {
        "bag": root,
        "bagit.txt": hashlib.sha256(member("bagit.txt")).hexdigest(),
        "bag-info.txt": hashlib.sha256(bag_info).hexdigest(),
        "manifest-sha256.txt": hashlib.sha256(manifest).hexdigest(),
        "audit_excerpt_last": {"seq": last["seq"], "entry_hash": last["entry_hash"]},
    }
    raw = forger.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = orjson.dumps(
        {
            "algorithm": "Ed25519",
            "key_id": hashlib.sha256(raw).hexdigest()[:16],
            "public_key": base64.b64encode(raw).decode(),
            "statement": statement,
            "signature": base64.b64encode(forger.sign(orjson.dumps(statement, option=orjson.OPT_SORT_KEYS))).decode(),
        }
    )
    tags = {"bag-info.txt": bag_info, "bagit.txt": member("bagit.txt"), "manifest-sha256.txt": manifest, "signature.json": signature}
    tag_manifest = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in tags.items()).encode()
    forged = tmp_path / "forged.zip"
    rewrite(
        genuine,
        forged,
        {
            f"{root}/data/audit/events.jsonl": events,
            f"{root}/manifest-sha256.txt": manifest,
            f"{root}/bag-info.txt": bag_info,
            f"{root}/signature.json": signature,
            f"{root}/tagmanifest-sha256.txt": tag_manifest,
        },
    )

    # On the server, verify-export checks against the service's own key; elsewhere, against the key given.
    assert verify(leg, genuine)["signature_key_pinned"] is True
    refused = verify(leg, forged)
    assert refused["ok"] is False and any("not by the key given" in f for f in refused["failures"]), refused
    elsewhere = tmp_path / "reviewer"
    elsewhere.mkdir()

    def offline(*args: str, exit_code: int | None = None) -> dict:
        result = subprocess.run(
            [str(BIN / "recording-service"), "verify-export", *args],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            env={k: v for k, v in leg.service.env.items() if not k.startswith("RECORDING_")},
            timeout=120,
        )
        assert "Traceback" not in result.stderr, result.stderr
        if exit_code is not None:
            assert result.returncode == exit_code, result.stdout + result.stderr
        return {**json.loads(result.stdout.strip().splitlines()[-1]), "stderr": result.stderr}

    assert offline(str(forged), "--key", service_key["public_key"])["ok"] is False
    pem = tmp_path / "service.pem"
    pem.write_text(leg.service.cli("keys", "show").stdout)
    assert pem.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    pinned = offline(str(genuine), "--key", str(pem))
    assert pinned["ok"] is True and pinned["signed_by"] == service_key["key_id"] and pinned["signature_key_pinned"] is True
    # Without the service's key a re-signed bag is only self-consistent: that is no verdict, so it says
    # so and fails (exit 1) — the genuine bag alike — unless the reviewer accepts it with --allow-unpinned.
    for bag in (forged, genuine):
        unpinned = offline(str(bag), exit_code=1)
        assert unpinned["ok"] is False and unpinned["signature_key_pinned"] is False, unpinned
        assert any("not checked against a trusted key" in f for f in unpinned["failures"]), unpinned
        assert "intact" not in unpinned["stderr"], unpinned["stderr"]
    accepted = offline(str(forged), "--allow-unpinned", exit_code=0)
    assert accepted["ok"] is True and accepted["signature_key_pinned"] is False and accepted["signed_by"] != service_key["key_id"]
    assert "NOT checked against a trusted key" in " ".join(accepted["stderr"].split())  # however the console wraps it


def test_serve_names_the_key_it_signs_with_and_refuses_one_it_cannot_use(tmp_path):
    """The key is read (or made) at start by a child process, so the server carries the signature library only once it
    signs: its id goes to the log, and a key file the service cannot sign with stops it before it serves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECORDING_", "AWS_"))}
    env.update(
        RECORDING_DATABASE_URL=f"sqlite:///{tmp_path}/r.db",
        RECORDING_STORAGE_URL=f"file://{tmp_path}/objects",
        RECORDING_SIGNING_KEY_FILE=str(tmp_path / "keys" / "signing-key.pem"),
    )
    service = ServiceProcess(env, tmp_path).start()  # no key yet: made at start
    try:
        key = httpx.get(service.base_url + "/api/v1/public/keys", timeout=10).json()["items"][0]
    finally:
        service.stop()
    assert f"case files are signed by key {key['key_id']}" in (tmp_path / "service.log").read_text()
    assert oct((tmp_path / "keys" / "signing-key.pem").stat().st_mode & 0o777) == "0o600"

    unusable = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "keys" / "signing-key.pem").write_bytes(unusable)
    result = ServiceProcess(env, tmp_path).cli("serve", "--port", "1", check=False)
    assert result.returncode != 0 and "signing-key.pem does not hold an Ed25519 private key" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "keys" / "signing-key.pem").read_bytes() == unusable  # never replaced by a new key
