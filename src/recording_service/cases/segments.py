"""The segment of footage a binding covers (start and end offsets in seconds into the recording):
checked when it is bound, and made safe when it is read.

A binding is refused (422 `invalid-segment`) unless its offsets are finite, not negative, at most
MAX_OFFSET_S, start before end, and — when the probe measured the recording — within its duration
(with DURATION_TOLERANCE_S for containers that round). Rows stored before these checks may hold
anything a float can: reads never fail on them, they show what is usable and say what was not.
"""

import math
from dataclasses import dataclass

from ..core.problems import Problem

MAX_OFFSET_S = 7 * 24 * 3600.0  # no camera records a week in one file: beyond this an offset is garbage
DURATION_TOLERANCE_S = 0.5


def _problem(start: float | None, end: float | None, duration: float | None) -> tuple[str, str] | None:
    """What is wrong with these offsets (English, Chinese), or None."""
    for name, value, least in (("start_offset_s", start, "≥ 0"), ("end_offset_s", end, "> 0")):
        if value is None:
            continue
        if not math.isfinite(value) or value < 0 or (name == "end_offset_s" and value == 0) or value > MAX_OFFSET_S:
            return (
                f"{name} must be a number of seconds {least} and at most {MAX_OFFSET_S:.0f} (not {value!r}).",
                f"{'起点' if name == 'start_offset_s' else '终点'}偏移量无效（{value!r} 秒）",
            )
    if start is not None and end is not None and end <= start:
        return ("end_offset_s must be after start_offset_s.", f"终点（{end} 秒）不在起点（{start} 秒）之后")
    if duration is not None and math.isfinite(duration):
        if start is not None and start >= duration:
            return (
                f"start_offset_s {start} is not within the recording ({duration} s).",
                f"起点（{start} 秒）超出录像时长（{duration} 秒）",
            )
        if end is not None and end > duration + DURATION_TOLERANCE_S:
            return (
                f"end_offset_s {end} is beyond the end of the recording ({duration} s).",
                f"终点（{end} 秒）超出录像时长（{duration} 秒）",
            )
    return None


def check_segment(start: float | None, end: float | None, duration: float | None) -> None:
    """Refuse offsets that do not describe a part of this recording (422 invalid-segment)."""
    problem = _problem(start, end, duration)
    if problem is not None:
        raise Problem(422, "invalid-segment", problem[0])


@dataclass(frozen=True)
class ReadSegment:
    start_offset_s: float | None
    end_offset_s: float | None
    problem: str | None = None  # set when the stored offsets were not usable: what was wrong
    problem_zh: str | None = None

    @property
    def adjusted(self) -> bool:
        return self.problem is not None


def read_segment(start: float | None, end: float | None, duration: float | None) -> ReadSegment:
    """Stored offsets as they can be shown: unusable ones are dropped (the segment then runs from the
    recording's start or to its end, or is the whole clip), with the reason."""
    problem = _problem(start, end, duration)
    if problem is None:
        return ReadSegment(start, end)
    usable_start = start if start is not None and _problem(start, None, duration) is None else None
    usable_end = end if end is not None and _problem(None, end, duration) is None else None
    if usable_start is not None and usable_end is not None and usable_end <= usable_start:
        usable_start = usable_end = None
    english, chinese = problem
    return ReadSegment(
        usable_start,
        usable_end,
        f"{english} Stored offsets {start!r}–{end!r}; shown as {usable_start}–{usable_end}.",
        f"{chinese}，已按 {usable_start if usable_start is not None else '开头'}—{usable_end if usable_end is not None else '结尾'} 显示",
    )
