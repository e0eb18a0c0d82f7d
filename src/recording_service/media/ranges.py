"""HTTP range requests (RFC 9110 §14): single ranges, suffix ranges and multipart/byteranges."""

from dataclasses import dataclass

from ..core.problems import Problem
from ..core.values import plain_digits

MAX_RANGES = 16


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive

    @property
    def length(self) -> int:
        return self.end - self.start

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


def parse_range(header: str | None, size: int) -> list[ByteRange] | None:
    """None means "send the whole representation" (no header, or one we must ignore)."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges: list[ByteRange] = []
    for item in spec.split(","):
        first, dash, last = item.strip().partition("-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if first == "":
            if not plain_digits(last):
                return None
            suffix = int(last)
            if suffix == 0:
                continue
            ranges.append(ByteRange(max(0, size - suffix), size))
            continue
        if not plain_digits(first) or (last and not plain_digits(last)):
            return None
        start = int(first)
        end = min(int(last) + 1, size) if last else size
        if last and int(last) < start:
            return None
        if start >= size:
            continue
        ranges.append(ByteRange(start, end))
    if not ranges:
        raise Problem(
            416, "range-not-satisfiable", f"No requested range lies within the {size} bytes.", headers={"Content-Range": f"bytes */{size}"}
        )
    if len(ranges) > MAX_RANGES:
        return None
    return _coalesce(ranges)


def _coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    if len(ranges) == 1:
        return ranges
    ordered = sorted(ranges, key=lambda r: r.start)
    merged = [ordered[0]]
    for item in ordered[1:]:
        if item.start <= merged[-1].end:
            merged[-1] = ByteRange(merged[-1].start, max(merged[-1].end, item.end))
        else:
            merged.append(item)
    return merged
