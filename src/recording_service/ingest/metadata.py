"""Upload metadata: the same fields on both upload paths (tus Upload-Metadata, multipart form fields)."""

import base64
import binascii
import difflib
import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from ..core.problems import Problem
from ..core.values import sane_time

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
KNOWN_KEYS = {
    "filename",
    "sha256",
    "content_type",
    "device_id",
    "officer_ids",
    "recorded_at",
    "dock_id",
    "flag",
    "case_number",
    "device_serial",  # the camera's 产品序号, as body-camera systems name it: the same as device_id
    "unit_code",  # 单位代码 of the officer's unit
}
# Names other tus clients use for the same things (tus-js-client, Uppy), and the body-camera systems' names for
# keys we have (GA/T 947 docks: 警号 as officer_number, the capture start as capture_start).
ALIASES = {
    "name": "filename",
    "filetype": "content_type",
    "type": "content_type",
    "officer_number": "officer_ids",
    "capture_start": "recorded_at",
}
MAX_METADATA_BYTES = 16 * 1024


class Flag(StrEnum):
    scheduled = "scheduled"  # 定时
    manual = "manual"  # 手动
    important = "important"  # 重要文件
    event = "event"  # 事件


class UploadMetadata(BaseModel):
    filename: str | None = None
    sha256: str | None = None
    content_type: str | None = None
    device_id: str | None = None
    officer_ids: list[str] = Field(default_factory=list)
    recorded_at: datetime | None = None
    dock_id: str | None = None
    flag: Flag | None = None
    case_number: str | None = None
    device_serial: str | None = None
    unit_code: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)


def _bad(detail: str, key: str | None = None) -> Problem:
    extra: dict[str, Any] = {"field": key} if key else {}  # not one of Problem's own keywords
    return Problem(400, "invalid-metadata", detail, **extra)


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def _identifier(key: str, value: str, limit: int = 128) -> str:
    value = value.strip()
    if not value or len(value) > limit or _has_control(value):
        raise _bad(f"'{key}' must be 1-{limit} printable characters.", key)
    return value


def _squashed(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


_KNOWN_SQUASHED = {_squashed(key): key for key in KNOWN_KEYS | set(ALIASES)}


def _look_alike(key: str) -> str | None:
    """The known key an unknown one looks like a misspelling of (case, separators, one letter)."""
    squashed = _squashed(key)
    if squashed in _KNOWN_SQUASHED:
        return ALIASES.get(_KNOWN_SQUASHED[squashed], _KNOWN_SQUASHED[squashed])
    close = difflib.get_close_matches(squashed, list(_KNOWN_SQUASHED), n=1, cutoff=0.85)
    return ALIASES.get(_KNOWN_SQUASHED[close[0]], _KNOWN_SQUASHED[close[0]]) if close else None


def validate_fields(fields: dict[str, str]) -> UploadMetadata:
    """Check and normalise decoded metadata; unknown keys are kept verbatim in `extra`."""
    meta = UploadMetadata()
    for raw_key, value in fields.items():
        if "\x00" in value or "\x00" in raw_key:
            raise _bad(f"metadata '{raw_key}' contains a NUL character.", raw_key)
        key = ALIASES.get(raw_key, raw_key)
        if key in KNOWN_KEYS and raw_key != key and key in fields:
            continue  # the canonical key wins over an alias
        if not value and key in KNOWN_KEYS:
            continue
        if key == "filename":
            # Kept as metadata only; never used as a path, so separators and odd characters are harmless.
            if len(value) > 512:
                raise _bad("'filename' is longer than 512 characters.", key)
            meta.filename = value
        elif key == "sha256":
            if not SHA256_HEX.match(value.strip()):
                raise _bad("'sha256' must be 64 hexadecimal characters (the SHA-256 of the whole file).", key)
            meta.sha256 = value.strip().lower()
        elif key == "content_type":
            if not MIME.match(value.strip()):
                raise _bad("'content_type' must be a MIME type such as video/mp4.", key)
            meta.content_type = value.strip().lower()
        elif key in ("device_id", "dock_id", "case_number", "device_serial"):
            setattr(meta, key, _identifier(key, value))
        elif key == "unit_code":
            meta.unit_code = _identifier(key, value, 64)
        elif key == "officer_ids":
            ids = [_identifier(key, part, 64) for part in value.split(",") if part.strip()]
            if len(ids) > 50:
                raise _bad("'officer_ids' lists more than 50 officers.", key)
            meta.officer_ids = ids
        elif key == "recorded_at":
            meta.recorded_at = parse_timestamp(value, key)
        elif key == "flag":
            try:
                meta.flag = Flag(value.strip())
            except ValueError:
                raise _bad("'flag' must be one of scheduled, manual, important, event.", key) from None
        else:
            if _has_control(raw_key) or len(raw_key) > 64:
                raise _bad("metadata keys must be short printable names.")
            meant = _look_alike(raw_key)
            if meant:
                # A misspelt `sha256` would silently skip the hash check: refuse rather than keep it as extra.
                raise _bad(f"Unknown metadata key '{raw_key}': did you mean '{meant}'? Nothing was stored.", raw_key)
            meta.extra[raw_key] = value
    if meta.device_serial:
        if meta.device_id and meta.device_id != meta.device_serial:
            raise _bad(
                f"'device_serial' ({meta.device_serial}) and 'device_id' ({meta.device_id}) name different devices: "
                "they are the same field (the camera's 产品序号); send one.",
                "device_serial",
            )
        meta.device_id = meta.device_serial
    return meta


def parse_timestamp(value: str, key: str) -> datetime:
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise _bad(f"'{key}' must be an ISO 8601 timestamp with an offset, e.g. 2026-11-24T09:30:00+08:00.", key) from None
    if parsed.tzinfo is None:
        raise _bad(f"'{key}' needs a UTC offset (e.g. +08:00): a camera's local time alone is ambiguous.", key)
    if not sane_time(parsed):
        raise _bad(f"'{key}' must lie between 1970 and 2200 (a camera with an unset clock: leave it out).", key)
    return parsed


def decode_tus_metadata(header: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs (a key may stand alone)."""
    if not header or not header.strip():
        return {}
    if len(header) > MAX_METADATA_BYTES:
        raise _bad("Upload-Metadata is too large.")
    fields: dict[str, str] = {}
    for pair in header.split(","):
        pieces = pair.strip().split(" ")
        if len(pieces) > 2 or not pieces[0]:
            raise _bad("Upload-Metadata must be comma-separated 'key base64value' pairs.")
        key = pieces[0]
        if key in fields:
            raise _bad(f"Upload-Metadata repeats the key '{key}'.", key)
        encoded = pieces[1] if len(pieces) == 2 else ""
        try:
            fields[key] = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _bad(f"Upload-Metadata value of '{key}' is not valid base64-encoded UTF-8.", key) from None
    return fields
