"""Offline verification of an exported case file: needs the zip and nothing else (no database,
no store, no network). Checks the BagIt structure, every payload and tag checksum, the
Payload-Oxum, that each footage file is the one its media record names, and that each exported
audit event still hashes to its recorded `entry_hash` and links to its predecessor where both
are present, and the service's Ed25519 signature over all of it (against the key given with
--key, else the one in the bag, which then proves integrity but not origin). Streams every member,
so a multi-GB bag needs little memory."""

import base64
import hashlib
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ..audit.service import hash_of, utc_text
from .signing import ALGORITHM, SIGNATURE_FILE, key_id_of, signature_valid, statement_of

READ = 1024 * 1024
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt")
Reader = Callable[[str], bytes | None]  # a bag member by its path under the bag's root; None when absent


@dataclass
class ExportCheck:
    file: str
    ok: bool = True
    bag: str | None = None
    case_number: str | None = None
    files_checked: int = 0
    bytes_checked: int = 0
    audit_events_checked: int = 0
    signed_by: str | None = None  # the signing key's id, when the signature holds
    signature_key_pinned: bool = False  # checked against a key given with --key, not only the one in the bag
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        self.failures.append(message)


def _manifest(text: str, report: ExportCheck, name: str) -> dict[str, str]:
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        path = path.lstrip(" ").replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if len(digest) != 64 or not path:
            report.fail(f"{name} line {number} is not '<sha256> <path>'")
            continue
        entries[path] = digest.lower()
    return entries


def _digest(archive: zipfile.ZipFile, member: str) -> tuple[str, int]:
    hasher, size = hashlib.sha256(), 0
    with archive.open(member) as handle:
        while chunk := handle.read(READ):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size


def verify_export(path: Path, pinned_key: bytes | None = None) -> ExportCheck:
    report = ExportCheck(file=str(path))
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.fail(f"not a readable zip file: {exc}")
        return report
    with archive:
        try:
            _check(archive, report, pinned_key)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
            # A damaged archive (a bad CRC, a truncated member) is a failed verification, not a crash.
            report.fail(f"the zip is damaged: {exc}")
    return report


def _check(archive: zipfile.ZipFile, report: ExportCheck, pinned_key: bytes | None) -> None:
    members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
    roots = {name.split("/", 1)[0] for name in members}
    if len(roots) != 1:
        report.fail(f"a bag is one top-level directory; found {sorted(roots)}")
        return
    root = roots.pop()
    report.bag = root

    def read(name: str) -> bytes | None:
        member = f"{root}/{name}"
        return archive.read(member) if member in members else None

    missing_tags = [name for name in TAG_FILES if read(name) is None]
    if missing_tags:
        report.fail(f"tag files missing: {', '.join(missing_tags)}")
        return

    def tag(name: str) -> bytes:
        """A tag file: all of them are present from here on."""
        return archive.read(f"{root}/{name}")

    declaration = tag("bagit.txt").decode("utf-8", "replace")
    if "BagIt-Version:" not in declaration or "Tag-File-Character-Encoding: UTF-8" not in declaration:
        report.fail("bagit.txt does not declare a BagIt version and UTF-8 tag files")
    info = {
        key: value for key, _, value in (line.partition(": ") for line in tag("bag-info.txt").decode("utf-8").splitlines() if ": " in line)
    }
    report.case_number = info.get("External-Identifier")

    tags = _manifest(tag("tagmanifest-sha256.txt").decode("utf-8"), report, "tagmanifest-sha256.txt")
    for name, expected in sorted(tags.items()):
        body = read(name)
        if body is None:
            report.fail(f"{name}: listed in tagmanifest-sha256.txt but not in the bag")
        elif hashlib.sha256(body).hexdigest() != expected:
            report.fail(f"{name}: SHA-256 differs from tagmanifest-sha256.txt")
    for name in ("bag-info.txt", "manifest-sha256.txt"):
        if name not in tags:
            report.fail(f"{name} is not covered by tagmanifest-sha256.txt")

    payload = _manifest(tag("manifest-sha256.txt").decode("utf-8"), report, "manifest-sha256.txt")
    actual_bytes = 0
    for name, expected in sorted(payload.items()):
        member = f"{root}/{name}"
        if member not in members:
            report.fail(f"{name}: listed in manifest-sha256.txt but not in the bag")
            continue
        try:
            digest, size = _digest(archive, member)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            report.fail(f"{name}: damaged in the zip ({exc})")
            continue
        report.files_checked += 1
        report.bytes_checked += size
        actual_bytes += size
        if digest != expected:
            report.fail(f"{name}: SHA-256 is {digest}, the manifest says {expected}")
    for member in sorted(members):
        name = member[len(root) + 1 :]
        if name.startswith("data/") and name not in payload:
            report.fail(f"{name}: in the payload but not in manifest-sha256.txt")
    oxum = info.get("Payload-Oxum", "")
    if oxum != f"{actual_bytes}.{len(payload)}":
        report.fail(f"Payload-Oxum is {oxum!r}; the payload holds {actual_bytes} bytes in {len(payload)} files")

    _check_records(read, payload, report)
    _check_signature(read, root, report, pinned_key)


def _check_signature(read: Reader, root: str, report: ExportCheck, pinned_key: bytes | None) -> None:
    """The service's signature over the manifests and the audit excerpt: without the private key, a
    bag whose events, hashes and manifests were all rewritten consistently still fails here."""
    body = read(SIGNATURE_FILE)
    if body is None:
        report.fail(f"not signed: {SIGNATURE_FILE} is missing")
        return
    signed = orjson.loads(body)
    if signed.get("algorithm") != ALGORITHM:
        report.fail(f"{SIGNATURE_FILE}: unknown algorithm {signed.get('algorithm')!r}")
        return
    lines = (read("data/audit/events.jsonl") or b"").splitlines()
    last = orjson.loads(lines[-1]) if lines else None
    files = {name: read(name) or b"" for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")}
    expected = statement_of(files, bag=root, last_event={"seq": last["seq"], "entry_hash": last["entry_hash"]} if last else None)
    if signed.get("statement") != expected:
        report.fail(f"{SIGNATURE_FILE}: the signed statement does not match the bag (manifests, bag-info or audit excerpt changed)")
        return
    embedded = base64.b64decode(signed.get("public_key", ""))
    public = pinned_key or embedded
    if pinned_key is not None and key_id_of(pinned_key) != signed.get("key_id"):
        report.fail(f"signed by key {signed.get('key_id')}, not by the key given ({key_id_of(pinned_key)})")
        return
    if not signature_valid(public, expected, signed.get("signature", "")):
        report.fail(f"{SIGNATURE_FILE}: the signature is not valid")
        return
    report.signed_by, report.signature_key_pinned = key_id_of(public), pinned_key is not None


def _utc_form(value: object) -> object:
    """Exported events show their time in the agency's zone; their hash covers the UTC form."""
    if not isinstance(value, str):
        return value
    try:
        return utc_text(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return value


def _check_records(read: Reader, payload: dict[str, str], report: ExportCheck) -> None:
    """What BagIt cannot know: footage is the media it claims to be, and the audit events are intact."""
    export = read("data/export.json")
    if export is None:
        report.fail("data/export.json is missing")
        return
    listing = orjson.loads(export)
    for item in listing.get("footage", []):
        record = read(f"data/media/{item['media_id']}.json")
        if record is None:
            report.fail(f"media {item['media_id']}: no data/media record")
            continue
        media = orjson.loads(record)
        if media.get("sha256") != item["sha256"] or payload.get(item["path"]) != media.get("sha256"):
            report.fail(f"{item['path']}: the manifest, export.json and the media record disagree on its SHA-256")
        if media.get("size") != item["size"]:
            report.fail(f"{item['path']}: size differs from the media record")

    previous: dict[str, Any] | None = None
    for number, line in enumerate((read("data/audit/events.jsonl") or b"").splitlines(), 1):
        event = orjson.loads(line)
        fields = {k: v for k, v in event.items() if k not in ("prev_hash", "entry_hash")}
        fields["at"] = _utc_form(fields.get("at"))
        report.audit_events_checked += 1
        if hash_of(event["prev_hash"], fields) != event["entry_hash"]:
            report.fail(f"audit event seq {event.get('seq')}: its content no longer hashes to its entry_hash")
        if previous is not None and event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["entry_hash"]:
            report.fail(f"audit event seq {event['seq']}: prev_hash does not match event {previous['seq']}")
        if previous is not None and event["seq"] <= previous["seq"]:
            report.fail(f"audit events out of order at line {number}")
        previous = event
