"""The audit trail as people read it: each action's description in Chinese and an event's payload rendered
with Chinese labels (the `audit` section of the message catalogue, core/messages.yaml). Codes stay what the
chain holds and the API answers; only what people read is translated here."""

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from ..core.messages import AuditWords, messages

HASH = re.compile(r"^[0-9a-f]{64}$")
# An ISO 8601 time with its offset (or Z), as services put times in payloads.
OFFSET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
NONE, YES, NO, EMPTY = "无", "是", "否", "（空）"
SHORT_HASH = 12


def descriptions() -> AuditWords:
    """The audit section of the message catalogue (validated when the service starts)."""
    return messages().audit


def action_name(code: str) -> str:
    return descriptions().action_name(code)


@dataclass(frozen=True)
class Detail:
    """One payload entry as shown: its label, its text, and the full value where the text shortens it."""

    label: str
    text: str
    full: str | None = None


class _Renderer:
    def __init__(self, tz: tzinfo | None, values: dict[str, dict[str, str]], shorten: bool) -> None:
        self.tz, self.values, self.shorten = tz, values, shorten
        self.labels = descriptions().labels

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def text(self, key: str, value: Any) -> tuple[str, str | None]:
        """(text, full value or None)."""
        if value is None:
            return NONE, None
        if isinstance(value, bool):
            return (YES if value else NO), None
        if isinstance(value, (int, float)):
            return str(value), None
        if isinstance(value, str):
            return self.string(key, value)
        if isinstance(value, list):
            if not value:
                return EMPTY, None
            parts = [self.text(key, item) for item in value]
            full = "、".join(f or t for t, f in parts) if any(f for _, f in parts) else None
            return "、".join(t for t, _ in parts), full
        if isinstance(value, dict):
            if not value:
                return EMPTY, None
            entries = [(self.label(str(k)), *self.text(str(k), v)) for k, v in value.items()]
            whole = "，".join(f"{label}：{f or t}" for label, t, f in entries) if any(f for _, _, f in entries) else None
            return "（" + "，".join(f"{label}：{t}" for label, t, _ in entries) + "）", (f"（{whole}）" if whole else None)
        return str(value), None

    def string(self, key: str, value: str) -> tuple[str, str | None]:
        names = self.values.get(key)
        if names and value in names:
            return names[value], None
        if value == "":
            return NONE, None
        if HASH.match(value):
            return (value[:SHORT_HASH] + "…", value) if self.shorten else (value, None)
        if self.tz is not None and OFFSET_TIME.match(value):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S"), None
            except ValueError:
                pass
        return value, None


def details(
    payload: dict[str, Any] | None, tz: tzinfo | None = None, *, names: dict[str, dict[str, str]] | None = None, shorten: bool = True
) -> list[Detail]:
    """An event's payload for people: keys as their Chinese labels, codes as their words (`names` adds the
    catalog's: procedures, document types, stages), None as 无, times in `tz`, hashes shortened (with the
    full value kept in `full`) unless `shorten` is false."""
    table = descriptions().values
    values = {**table, **{key: {**table.get(key, {}), **more} for key, more in (names or {}).items()}}
    renderer = _Renderer(tz, values, shorten)
    out = []
    for key, value in (payload or {}).items():
        text, full = renderer.text(key, value)
        out.append(Detail(renderer.label(key), text, full))
    return out


def details_text(payload: dict[str, Any] | None, tz: tzinfo | None = None, *, names: dict[str, dict[str, str]] | None = None) -> str:
    """The payload as one line for a sheet: 状态：可播放；探测错误：无 (hashes in full)."""
    return "；".join(f"{d.label}：{d.text}" for d in details(payload, tz, names=names, shorten=False))
