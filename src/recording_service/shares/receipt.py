"""The receipt of a share (共享清单/回执): what was shared, when, by whom, to whom, until when — signed with the key that
signs case files (export/signing.py), so it verifies offline as a case file does.

Format (`recording-service-share-receipt/v1`): one JSON file,

    {"statement": {...what was shared...}, "algorithm": "Ed25519", "key_id": …, "public_key": base64, "signature": base64}

The signature is Ed25519 over the statement's canonical form (keys sorted, no spaces: `export.signing.canonical`).
The file itself is written in one canonical layout (sorted keys, two-space indent, a final newline), and a
verifier requires the file to be exactly that layout of what it holds: so not only a changed value but any
changed byte (a space, a line break) fails, and what a person reads is what was signed.

Check one: `recording-service verify-receipt FILE --key PUBKEY` (the public key from `recording-service keys
show` or GET /api/v1/keys); exit 0 when intact and signed by that key, 1 otherwise.
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ..export.signing import ALGORITHM, SigningKey, canonical, key_id_of, signature_valid

FORMAT = "recording-service-share-receipt/v1"


def layout(document: dict[str, Any]) -> bytes:
    """The one byte layout a receipt file has."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def signed_receipt(key: SigningKey, statement: dict[str, Any]) -> bytes:
    signature = key.private.sign(canonical(statement))
    return layout(
        {
            "statement": statement,
            "algorithm": ALGORITHM,
            "key_id": key.key_id,
            "public_key": base64.b64encode(key.public_raw).decode(),
            "signature": base64.b64encode(signature).decode(),
        }
    )


def statement_of(
    *,
    share: dict[str, Any],
    case: dict[str, Any],
    files: list[dict[str, Any]],
    issued_at: datetime,
    status: str,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "issued_at": issued_at.isoformat(),
        "status_at_issue": status,
        "share": share,
        "case": case,
        "files": files,
        "file_count": len(files),
        "total_bytes": sum(int(f["size"]) for f in files),
    }


@dataclass
class ReceiptReport:
    ok: bool = True
    signed_by: str | None = None
    signature_key_pinned: bool = False
    share_id: str | None = None
    files: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        self.failures.append(message)


def verify_receipt(path: Path, pinned: bytes | None) -> ReceiptReport:
    """Check a receipt file: its layout, its signature over the statement, and (when given) that the key is `pinned`."""
    report = ReceiptReport()
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.fail(f"cannot read {path}: {exc}")
        return report
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        report.fail("not a receipt: the file is not JSON (altered or truncated)")
        return report
    if not isinstance(document, dict) or not isinstance(document.get("statement"), dict):
        report.fail("not a receipt: no statement")
        return report
    statement = document["statement"]
    if statement.get("format") != FORMAT:
        report.fail(f"not a receipt of format {FORMAT}")
    report.share_id = str((statement.get("share") or {}).get("id")) if isinstance(statement.get("share"), dict) else None
    report.files = len(statement.get("files") or [])
    if layout(document) != data:
        report.fail("the file is not byte for byte as it was issued (its layout was changed)")
    if document.get("algorithm") != ALGORITHM:
        report.fail(f"unknown signature algorithm {document.get('algorithm')!r}")
        return report
    try:
        carried = base64.b64decode(str(document.get("public_key", "")), validate=True)
    except (binascii.Error, ValueError):
        report.fail("the public key it carries is not base64")
        return report
    if len(carried) != 32:
        report.fail("the public key it carries is not an Ed25519 key")
        return report
    key = pinned if pinned is not None else carried
    report.signed_by = key_id_of(key)
    report.signature_key_pinned = pinned is not None
    if pinned is not None and carried != pinned:
        report.fail(f"signed by key {key_id_of(carried)}, not by the trusted key {key_id_of(pinned)}")
    if not signature_valid(key, statement, str(document.get("signature", ""))):
        report.fail("the signature does not match the statement: the receipt was altered or not issued by this key")
    return report
