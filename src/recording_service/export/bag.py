"""A case file as a BagIt bag (RFC 8493) in a zip: the complete written and audio-visual record,
footage bytes included, that review tooling can verify offline.

    case-<id>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    case-<id>/signature.json            the service's Ed25519 signature over the manifests and the audit excerpt
    case-<id>/data/case.json            the case (parties' identity numbers only for roles that see them)
    case-<id>/data/timeline.json        stages, documents, bound footage, entries, completeness findings
    case-<id>/data/documents.json       every document with its full version history and its scans (paper, PDF)
    case-<id>/data/review.json          the 案卷评查: the sheet's items scored from the data, the reviewer's items,
                                        评查意见, the sign-off (评查人, time) and every version of it
    case-<id>/data/media/<id>.json      each included media record
    case-<id>/data/footage/<id><ext>    the footage itself
    case-<id>/data/audit/events.jsonl   the chain-of-custody events of the case and its footage
    case-<id>/data/export.json          what is in the bag, what could not be and why, the audit head

Footage checksums in the manifest are the SHA-256 proven at upload, not recomputed while exporting,
so stored bytes that changed since make the bag fail verification instead of being re-certified.
The zip is streamed (zipstream-ng, stored uncompressed: footage does not compress), so its size is
known up front and a multi-GB case costs no disk or memory on the server.
"""

import asyncio
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import PurePosixPath
from typing import Any

import orjson
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from zipstream import ZipStream  # type: ignore[import-untyped]  # zipstream-ng ships no type information

from ..agencies.models import AgencyProfile
from ..agencies.schemas import AgencyOut
from ..agencies.service import get_agency
from ..audit.models import AuditEvent, AuditHead
from ..audit.service import hashed_fields
from ..cases.models import Case, Document, DocumentVersion, MediaBinding
from ..cases.record import document_versions
from ..cases.scans import scans_of_documents
from ..cases.schemas import DocumentOut, DocumentScanOut
from ..catalog.schemas import Catalog
from ..core.config import Settings
from ..core.principals import Principal
from ..media.models import Media, MediaSighting, MediaStatus
from ..media.schemas import MediaOut
from ..review.schemas import CaseReview
from ..review.service import CaseScored, review_of_timeline
from ..storage import ObjectStore
from ..timeline.model import plain
from ..timeline.service import assemble_timeline
from .signing import SIGNATURE_FILE, SigningKey, sign, statement_of

NOT_EXPORTABLE: dict[str, str] = {  # by Media.status (a MediaStatus value)
    MediaStatus.deleted: "deleted by the retention policy (a tombstone remains)",
    MediaStatus.missing: "the stored object is missing (fixity)",
    MediaStatus.corrupt: "the stored bytes no longer match the SHA-256 proven at upload (fixity)",
    MediaStatus.processing: "still being stored",
    # issue 29: left out and listed, never exported as if complete; the case file can be exported again once it ends
    MediaStatus.recording: "still being recorded: its bytes are arriving and have no SHA-256 yet",
    MediaStatus.merged: "a recording whose bytes were already stored as other media (merged_into names it)",
}


def _json(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS) + b"\n"


def _extension(filename: str | None) -> str:
    suffix = PurePosixPath(filename or "").suffix
    return suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", suffix) else ".bin"


def _tag_value(value: str) -> str:
    return " ".join(str(value).split())  # bag-info values are single lines


@dataclass
class Footage:
    media_id: str
    path: str
    size: int
    sha256: str
    storage_key: str


@dataclass
class CaseBag:
    name: str
    files: dict[str, bytes]  # payload and tag files held in memory (JSON, small)
    footage: list[Footage]
    summary: dict[str, Any] = field(default_factory=dict)

    def zip(self, store: ObjectStore, loop: asyncio.AbstractEventLoop) -> ZipStream:
        """The zip, to be iterated in a worker thread: footage is read from the store on `loop`."""
        stream = ZipStream(sized=True)
        order = ["bagit.txt", "bag-info.txt"] + sorted(p for p in self.files if p.startswith("data/"))
        for path in order:
            stream.add(self.files[path], f"{self.name}/{path}")
        for item in self.footage:
            stream.add(_read_through(store, item.storage_key, item.size, loop), f"{self.name}/{item.path}", size=item.size)
        for path in ("manifest-sha256.txt", SIGNATURE_FILE, "tagmanifest-sha256.txt"):
            stream.add(self.files[path], f"{self.name}/{path}")
        return stream


def _read_through(store: ObjectStore, key: str, size: int, loop: asyncio.AbstractEventLoop) -> Iterator[bytes]:
    """The store's async reader, consumed from a worker thread."""
    reader = store.read(key, 0, size)  # an async generator: its own iterator, and closed below
    sent = 0
    try:
        while True:
            try:
                chunk = asyncio.run_coroutine_threadsafe(reader.__anext__(), loop).result()
            except StopAsyncIteration:
                break
            sent += len(chunk)
            yield chunk
    finally:
        asyncio.run_coroutine_threadsafe(reader.aclose(), loop).result()
    if sent != size:
        raise OSError(f"stored object {key} ended after {sent} of {size} bytes")


def _exported_media_ids(case: Case) -> Select[str]:
    """Footage bound to the case, and media attached to any version of its documents."""
    bound = select(MediaBinding.media_id).where(MediaBinding.case_id == case.id, MediaBinding.unbound_at.is_(None))
    attached = select(DocumentVersion.attachment_media_id).where(
        DocumentVersion.case_id == case.id, DocumentVersion.attachment_media_id.is_not(None)
    )
    return select(Media.id).where(Media.agency == case.agency, or_(Media.id.in_(bound), Media.id.in_(attached)))


def organization_info(agency: str, profile: AgencyProfile | None) -> dict[str, str]:
    """Who the case file comes from, in bag-info: the agency's full name (BagIt's Source-Organization) with its
    code beside it; without a profile the code stands in for the name, and the bag says so."""
    if profile is None:
        return {
            "Source-Organization": agency,
            "Organization-Code": agency,
            "Organization-Profile": "none registered: Source-Organization is the agency code (未登记本单位信息)",
        }
    info = {"Source-Organization": profile.name_zh, "Organization-Code": agency, "Organization-USCC": profile.uscc}
    if profile.address:
        info["Organization-Address"] = profile.address
    if profile.phone:
        info["Contact-Phone"] = profile.phone
    info["Organization-Profile"] = f"version {profile.version}"
    return info


def _review_summary(review: CaseScored) -> dict[str, Any]:
    manual = review["manual"]
    return {
        "score": review["score"],
        "max_score": review["max_score"],
        "status": manual["status"],
        "signed_by": manual["signed_by"],
        "signed_at": manual["signed_at"],
        "version": manual["version"],
    }


async def build_case_bag(
    session: AsyncSession, catalog: Catalog, settings: Settings, principal: Principal, case: Case, key: SigningKey
) -> CaseBag:
    name = f"case-{case.id}"
    timeline = await assemble_timeline(session, catalog, settings, principal, case)
    documents = []
    for document in (
        await session.execute(select(Document).where(Document.case_id == case.id).order_by(Document.created_at, Document.id))
    ).scalars():
        history = await document_versions(session, document.id)
        documents.append(DocumentOut.of(document, history[-1], len(history), catalog, settings.tz, history).model_dump(mode="json"))
    # The scans of the signed paper documents (each a media record bound to the document's stage: in the bag below).
    scans = await scans_of_documents(session, [d["id"] for d in documents])
    for entry in documents:
        entry["scans"] = [DocumentScanOut.of(s, settings.tz).model_dump(mode="json") for s in scans.get(entry["id"], [])]

    exported = _exported_media_ids(case)
    media = list(
        (await session.execute(select(Media).where(Media.id.in_(exported)).order_by(Media.recorded_started_at, Media.id))).scalars()
    )
    sightings = dict(
        (
            await session.execute(
                select(MediaSighting.media_id, func.count()).where(MediaSighting.media_id.in_(exported)).group_by(MediaSighting.media_id)
            )
        ).all()
    )
    files: dict[str, bytes] = {
        "data/case.json": _json(timeline.case.model_dump()),
        "data/timeline.json": _json(plain(timeline)),
        "data/documents.json": _json(documents),
    }
    review = await review_of_timeline(session, catalog, settings, case, timeline)
    if review is not None:
        files["data/review.json"] = _json(CaseReview.model_validate(review).model_dump(mode="json"))
    footage: list[Footage] = []
    left_out: list[dict[str, str]] = []
    for item in media:
        files[f"data/media/{item.id}.json"] = _json(MediaOut.of(item, settings, sightings.get(item.id, 0)).model_dump(mode="json"))
        if item.status in NOT_EXPORTABLE or item.sha256 is None:
            left_out.append({"media_id": item.id, "status": item.status, "reason": NOT_EXPORTABLE.get(item.status, "no SHA-256")})
            continue
        footage.append(Footage(item.id, f"data/footage/{item.id}{_extension(item.filename)}", item.size, item.sha256, item.storage_key))

    events = (
        (
            await session.execute(
                select(AuditEvent).where(or_(AuditEvent.case_id == case.id, AuditEvent.media_id.in_(exported))).order_by(AuditEvent.seq)
            )
        )
        .scalars()
        .all()
    )
    # Times in the agency's zone, as everywhere people read them; the verifier hashes their UTC form.
    files["data/audit/events.jsonl"] = b"".join(
        orjson.dumps(
            {
                **hashed_fields(e),
                "at": e.at.astimezone(settings.tz).isoformat(timespec="microseconds"),
                "prev_hash": e.prev_hash,
                "entry_hash": e.entry_hash,
            },
            option=orjson.OPT_SORT_KEYS,
        )
        + b"\n"
        for e in events
    )
    head = await session.get(AuditHead, 1)
    exported_at = datetime.now(UTC)
    profile = await get_agency(session, case.agency)
    files["data/export.json"] = _json(
        {
            "case_id": case.id,
            "case_number": case.case_number,
            "agency": case.agency,
            "exported_at": exported_at.astimezone(settings.tz).isoformat(),
            "agency_profile": AgencyOut.of(profile).model_dump(mode="json") if profile else None,
            "exported_by": {
                ("user_id" if principal.kind == "user" else "token_id"): principal.id,
                "name": principal.name,
                "role": principal.role.value,
            },
            "footage": [{"media_id": f.media_id, "path": f.path, "sha256": f.sha256, "size": f.size} for f in footage],
            "not_included": left_out,
            "audit": {"events": len(events), "head_seq": head.seq if head else 0, "head_hash": head.hash if head else None},
            "complete": timeline.completeness.complete,
            "review": None if review is None else _review_summary(review),
        }
    )

    payload = {path: hashlib.sha256(body).hexdigest() for path, body in files.items()}
    payload.update({f.path: f.sha256 for f in footage})
    payload_bytes = sum(len(body) for body in files.values()) + sum(f.size for f in footage)
    files["manifest-sha256.txt"] = "".join(f"{digest}  {path}\n" for path, digest in sorted(payload.items())).encode()
    files["bagit.txt"] = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    info = {
        **organization_info(case.agency, profile),
        "Bagging-Date": exported_at.astimezone(settings.tz).date().isoformat(),
        "Bag-Software-Agent": f"recording-service {package_version('recording-service')}",
        "External-Identifier": case.case_number,
        "Internal-Sender-Identifier": case.id,
        "External-Description": f"案卷 {case.case_number} {case.title}",
        "Payload-Oxum": f"{payload_bytes}.{len(payload)}",
        "Audit-Head-Seq": str(head.seq if head else 0),
        "Audit-Head-Hash": head.hash if head else "",
        "Case-Complete": str(timeline.completeness.complete).lower(),
    }
    if review is not None:
        info["Review-Score"] = f"{review['score']:g}/{review['max_score']:g}"
        info["Review-Signed"] = str(review["signed"]).lower()
    files["bag-info.txt"] = "".join(f"{key}: {_tag_value(value)}\n" for key, value in info.items()).encode()
    last_event = {"seq": events[-1].seq, "entry_hash": events[-1].entry_hash} if events else None
    files[SIGNATURE_FILE] = sign(key, statement_of(files, bag=name, last_event=last_event))
    files["tagmanifest-sha256.txt"] = "".join(
        f"{hashlib.sha256(files[path]).hexdigest()}  {path}\n"
        for path in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt", SIGNATURE_FILE)
    ).encode()
    summary = {
        "bag": name,
        "payload_files": len(payload),
        "payload_bytes": payload_bytes,
        "footage": len(footage),
        "not_included": [m["media_id"] for m in left_out],
        "manifest_sha256": hashlib.sha256(files["manifest-sha256.txt"]).hexdigest(),
        "audit_head_seq": head.seq if head else 0,
        "signing_key_id": key.key_id,
    }
    return CaseBag(name=name, files=files, footage=footage, summary=summary)
