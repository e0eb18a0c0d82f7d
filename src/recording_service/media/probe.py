"""ffprobe (run directly, with a timeout) and the rules for when a recording started."""

import asyncio
import json
import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, overload
from zoneinfo import ZoneInfo

from ..core.config import Settings
from ..storage import filesystem_root
from .models import Media

# Camera file names that carry the recording start in local time, e.g.
#   20261124_093015_0001.MP4, DSJ_A123_20261124093015.mp4, VID_20261124_093015.mp4,
#   2026-11-24_09-30-15.mp4, 2026_1124_093015_012.MOV
FILENAME_TIMESTAMP = re.compile(
    r"(?<!\d)(?P<y>20\d{2})[-_]?(?P<mo>[01]\d)[-_]?(?P<d>[0-3]\d)[-_T ]?(?P<h>[0-2]\d)[-_:]?(?P<mi>[0-5]\d)[-_:]?(?P<s>[0-5]\d)(?!\d)"
)


@dataclass
class ProbeResult:
    ok: bool
    error: str | None = None
    container: str | None = None
    duration_s: float | None = None
    video: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    creation_time: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Where creation_time came from: the container's creation_time, or a photo's EXIF (`exif`: with the camera's
    # UTC offset; `exif_local`: without one, read as the agency's local time).
    time_source: str | None = "container"
    kind: str | None = None  # video, audio, image, document; None: unknown
    image: dict[str, Any] | None = None  # a photo's facts (stills.read_image)
    document: dict[str, Any] | None = None  # a PDF's facts (stills.read_pdf)


def _fps(rate: str | None) -> float | None:
    try:
        value = Fraction(rate) if rate else None
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(value), 3) if value else None


def _creation_time(tags: dict[str, Any], tz: ZoneInfo) -> datetime | None:
    raw = tags.get("creation_time")
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.year < 2000:  # cameras with unset clocks write 1970/1904
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def interpret(data: dict[str, Any], tz: ZoneInfo) -> ProbeResult:
    fmt = data.get("format", {})
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        return ProbeResult(ok=False, error="ffprobe found no audio or video stream")
    container = fmt.get("format_name")
    if container in ("tty", "image2") or (container or "").endswith("_pipe"):  # a still picture (PNG, JPEG, SVG …), or text
        # Not a recording; the container is kept: it says what the bytes are (and whether they may be shown inline).
        return ProbeResult(ok=False, error=f"not a recording (ffprobe reads it as '{container}')", container=container)
    try:
        duration = float(fmt.get("duration")) if fmt.get("duration") is not None else None
    except ValueError:
        duration = None
    return ProbeResult(
        ok=True,
        container=container,
        kind="video" if video is not None else "audio",
        duration_s=round(duration, 3) if duration is not None else None,
        video=None
        if video is None
        else {
            "codec": video.get("codec_name"),
            "width": video.get("width"),
            "height": video.get("height"),
            "fps": _fps(video.get("avg_frame_rate")) or _fps(video.get("r_frame_rate")),
        },
        audio=None
        if audio is None
        else {
            "codec": audio.get("codec_name"),
            "channels": audio.get("channels"),
            "sample_rate": int(audio["sample_rate"]) if audio.get("sample_rate") else None,
        },
        creation_time=_creation_time(fmt.get("tags", {}) or {}, tz),
    )


class ProbeInterrupted(Exception):
    """ffprobe did not get to look at the recording: the store did not answer (an S3 store's URL), or ffprobe was
    stopped (a signal to the worker's whole process group as it shuts down, as systemd and a terminal send it). That says nothing about the recording, so the
    probe job fails and the queue tries it again, instead of recording `probe_failed` for good."""


# ffprobe's last words when reading a URL failed in the network or at the store, not in the file (a 4xx is not here:
# an object that is not there is the fixity check's business).
_UNREACHABLE = re.compile(
    r"Connection (timed out|refused|reset by peer)|Network is unreachable|No route to host|Server returned 5\d\d", re.IGNORECASE
)


async def probe(location: str, ffprobe: str, timeout: float, tz: ZoneInfo) -> ProbeResult:
    """ffprobe on a path or URL, given `timeout` seconds in all. ffprobe is run directly: ffmpeg-python 0.2.0's
    `probe(…, timeout=)` has no timeout of its own and passed it on as ffprobe's `-timeout` option, which for a URL
    is the socket timeout in microseconds — 60 µs, so a busy S3 store made footage `probe_failed` ("Connection timed
    out"), and a hung ffprobe was never ended."""

    def run() -> ProbeResult:
        try:
            done = subprocess.run(
                [ffprobe, "-hide_banner", "-show_format", "-show_streams", "-of", "json", location],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except FileNotFoundError:
            return ProbeResult(ok=False, error=f"ffprobe not found ({ffprobe}); install ffmpeg")
        except subprocess.TimeoutExpired:  # still evidence, just not described
            return ProbeResult(ok=False, error=f"ffprobe did not finish within {timeout:g} s")
        if done.returncode < 0:  # a signal ended it (the worker's process group stopped): not the file's fault
            raise ProbeInterrupted(f"ffprobe was stopped by signal {-done.returncode}")
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            last = (message[-1] if message else "ffprobe failed")[:2000]
            if location.startswith(("http://", "https://")) and _UNREACHABLE.search(last):
                raise ProbeInterrupted(_URL.sub("the stored object", last))  # no presigned URL in a log
            return ProbeResult(ok=False, error=last)
        try:
            data = json.loads(done.stdout)
        except ValueError as exc:  # an unreadable answer: still evidence, just not described
            return ProbeResult(ok=False, error=f"ffprobe failed: {type(exc).__name__}: {exc}"[:2000])
        return interpret(data, tz)

    return await asyncio.to_thread(run)


# Where a probe read the bytes from, as ffprobe and exceptions repeat it: a URL (a presigned S3 link,
# credentials in its query) or an absolute path (the file store's directories).
_URL = re.compile(r"""[A-Za-z][A-Za-z0-9+.-]*://[^\s'"]*?(?=:\s|:$|['"\s\])]|$)""")
_ABSOLUTE_PATH = re.compile(r"""(?:(?<=^)|(?<=[\s'"(\[=]))/[^\s'"]*?(?=:\s|:$|['"\s\])]|$)""")


@overload
def scrub_locations(error: str, media_id: str, location: str | None = None, store_root: str | None = None) -> str: ...
@overload
def scrub_locations(error: str | None, media_id: str, location: str | None = None, store_root: str | None = None) -> str | None: ...
def scrub_locations(error: str | None, media_id: str, location: str | None = None, store_root: str | None = None) -> str | None:
    """A probe error as anyone who may read the media may see it: no storage path, no store URL.
    The exact `location` probed and the file store's root are taken out first (the rest of a path under
    the root stays, relative); any other URL or absolute path becomes `media <id>`."""
    if not error:
        return error
    name = f"media {media_id}"
    if location:
        error = error.replace(location, name)
    if store_root and store_root != "/":
        error = error.replace(store_root.rstrip("/") + "/", "")
    return _ABSOLUTE_PATH.sub(name, _URL.sub(name, error))


def timestamp_from_filename(filename: str | None, tz: ZoneInfo) -> datetime | None:
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    match = FILENAME_TIMESTAMP.search(name)
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(match.group(g)) for g in ("y", "mo", "d", "h", "mi", "s"))
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def recording_window(
    declared: datetime | None, probed: ProbeResult | None, filename: str | None, tz: ZoneInfo
) -> tuple[datetime | None, datetime | None, str | None]:
    """Start from metadata, else the container's creation_time (a photo's EXIF time), else the camera's file name.
    A photo is a moment: it ends when it starts."""
    start, source = None, None
    if declared is not None:
        start, source = declared, "metadata"
    elif probed is not None and probed.creation_time is not None:
        start, source = probed.creation_time, probed.time_source or "container"
    else:
        start = timestamp_from_filename(filename, tz)
        source = "filename" if start else None
    duration = probed.duration_s if probed is not None and probed.ok else None
    if probed is not None and probed.kind == "image":
        duration = 0.0
    end = start + timedelta(seconds=duration) if start is not None and duration is not None else None
    return start, end, source


def store_root(settings: Settings) -> str | None:
    """The file store's directory (what a probe error must not show), None for S3."""
    if not settings.storage_url.startswith("file://"):
        return None
    return str(filesystem_root(settings.storage_url).resolve())


def probe_error_of(media: Media, settings: Settings) -> str | None:
    """The probe error as people and docks may see it: errors stored before they were scrubbed are scrubbed here."""
    return scrub_locations(media.probe_error, media.id, None, store_root(settings))
