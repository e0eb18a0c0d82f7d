"""Photos and scanned documents: what the probe reads of a still picture (Pillow) or a PDF instead of ffprobe.

A camera's JPEG is evidence like footage: its size, its camera and the time the camera says it was taken (EXIF
DateTimeOriginal, with OffsetTimeOriginal when the camera wrote one; without it the time is the agency's local
time, and the time source says so). The bytes are only read, never rewritten: the media's SHA-256 stays the
upload's. A picture that does not decode to its end (a truncated or damaged file) is described as far as it goes
and left `probe_failed` with an error that says so.
"""

import io
import re
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .probe import ProbeResult

IMAGE, DOCUMENT = "image", "document"
# Pillow's format name → the container name the service keeps (ffprobe's, where it has one: delivery and the
# message catalogue know them).
CONTAINERS = {
    "JPEG": "jpeg_pipe",
    "MPO": "jpeg_pipe",  # a JPEG with a second picture appended (some cameras)
    "PNG": "png_pipe",
    "WEBP": "webp_pipe",
    "GIF": "gif",
    "TIFF": "tiff_pipe",
    "AVIF": "avif",
    "HEIF": "heif",
}
# Formats every current browser shows in an <img>; others are viewed through their viewing copy (a JPEG).
BROWSER_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "AVIF"})
# A picture is read whole (Pillow needs the bytes): a larger file is kept but not described.
MAX_IMAGE_BYTES = 256 * 1024 * 1024
# Pillow refuses pictures above twice this many pixels (a decompression bomb); cameras stay far below.
MAX_PIXELS = 200_000_000
# PDFs: the pages are counted in files up to this size (the count needs the whole file).
MAX_PDF_SCAN_BYTES = 64 * 1024 * 1024

_ISO_BRANDS_IMAGE = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"avif", b"avis"}
_EXIF_TIME = re.compile(r"^(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_PDF_VERSION = re.compile(rb"^%PDF-(\d\.\d)")
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")

# EXIF tags (TIFF/EXIF 2.32)
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is: `image`, `document` (a PDF) or None (ffprobe decides)."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")):
        return IMAGE
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGE
    if head[4:8] == b"ftyp" and head[8:12] in _ISO_BRANDS_IMAGE:
        return IMAGE
    if head.startswith(b"%PDF-"):
        return DOCUMENT
    return None


def _text(value: Any, limit: int = 64) -> str | None:
    """An EXIF text as shown: NULs and blanks trimmed, printable, bounded; None when nothing is left."""
    if isinstance(value, str) and value and max(value) <= "\xff":
        value = value.encode("latin-1")  # EXIF ASCII as Pillow read it; Chinese cameras write UTF-8 there
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = "".join(ch for ch in value.replace("\x00", " ") if ch.isprintable()).strip()
    return value[:limit] or None


def exif_time(original: Any, offset: Any, tz: ZoneInfo) -> tuple[datetime | None, str | None]:
    """DateTimeOriginal as a time: with OffsetTimeOriginal (source `exif`), else in the agency's zone
    (source `exif_local`). Unset clocks (before 2000, zeros) and unreadable values give no time."""
    text = _text(original, 40)
    match = _EXIF_TIME.match(text or "")
    if not match:
        return None, None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None, None
    if not 2000 <= moment.year <= 2200:
        return None, None
    offset_match = _EXIF_OFFSET.match(_text(offset, 12) or "")
    if offset_match:
        sign, hours, minutes = offset_match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            return moment.replace(tzinfo=timezone(-delta if sign == "-" else delta)), "exif"
    return moment.replace(tzinfo=tz), "exif_local"


def read_image(data: bytes, tz: ZoneInfo, sniffed_format: str | None = None) -> ProbeResult:
    """Describe a picture from its bytes: format, size as shown (EXIF orientation applied), camera, the time it
    was taken; then decode it whole, so a damaged file is found now rather than by the person who opens it."""
    from PIL import ExifTags, Image, UnidentifiedImageError  # at first use: Pillow stays out of a server that sees no photo

    info: dict[str, Any] = {"format": sniffed_format}
    taken: datetime | None = None
    source: str | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                if picture.width * picture.height > MAX_PIXELS:
                    raise Image.DecompressionBombError(f"{picture.width}×{picture.height} pixels is more than {MAX_PIXELS}")
                exif = picture.getexif()
                details = exif.get_ifd(ExifTags.IFD.Exif)
                orientation = exif.get(ORIENTATION)
                orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None
                width, height = picture.size
                if orientation in (5, 6, 7, 8):  # turned a quarter: shown the other way round
                    width, height = height, width
                taken, source = exif_time(details.get(DATETIME_ORIGINAL), details.get(OFFSET_TIME_ORIGINAL), tz)
                info = {
                    "format": picture.format,
                    "width": width,
                    "height": height,
                    "taken_at": taken.isoformat() if taken else None,
                    "taken_at_offset": source == "exif",
                    "camera_make": _text(exif.get(MAKE)),
                    "camera_model": _text(exif.get(MODEL)),
                    "orientation": orientation,
                    "frames": getattr(picture, "n_frames", 1),
                }
                picture.load()  # decode every byte of the first picture: a truncated or damaged file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return _failed(info, f"picture too large to decode safely: {exc}", taken, source)
    except UnidentifiedImageError:
        reason = "no decoder for HEIF/HEIC pictures is installed" if sniffed_format == "HEIF" else "not a picture Pillow can read"
        return _failed(info, reason, taken, source)
    except Exception as exc:  # truncated, damaged or hostile data: still evidence, just not decodable
        return _failed(info, f"damaged picture: {type(exc).__name__}: {exc}"[:2000], taken, source)
    return ProbeResult(
        ok=True,
        container=CONTAINERS.get(info["format"] or "", (info["format"] or "image").lower()),
        creation_time=taken,
        time_source=source,
        kind=IMAGE,
        image=info,
    )


def _failed(info: dict[str, Any], error: str, taken: datetime | None, source: str | None) -> ProbeResult:
    fmt = info.get("format")
    return ProbeResult(
        ok=False,
        error=error,
        container=CONTAINERS.get(fmt) if fmt else None,
        creation_time=taken,
        time_source=source,
        kind=IMAGE,
        image={key: value for key, value in info.items() if value is not None} or None,
    )


def sniffed_image_format(head: bytes) -> str | None:
    """The format the magic bytes name (for the description of a picture Pillow cannot open)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG"):
        return "PNG"
    if head.startswith(b"GIF8"):
        return "GIF"
    if head[:4] == b"RIFF":
        return "WEBP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head[4:8] == b"ftyp":
        return "AVIF" if head[8:12] in (b"avif", b"avis") else "HEIF"
    return None


def read_pdf(head: bytes, tail: bytes, whole: bytes | None) -> ProbeResult:
    """A PDF as far as the service needs one: its header's version, an end-of-file marker near its end (a
    truncated upload has none) and, when the whole file was read, the pages it declares."""
    version = _PDF_VERSION.match(head)
    if version is None:
        return ProbeResult(ok=False, error="not a PDF (no %PDF- header)")
    if b"%%EOF" not in tail:
        return ProbeResult(ok=False, error="incomplete PDF: no %%EOF marker at its end (truncated or not a PDF)")
    pages = len(_PDF_PAGE.findall(whole)) if whole is not None else 0
    return ProbeResult(
        ok=True,
        container="pdf",
        kind=DOCUMENT,
        document={"format": "PDF", "version": version.group(1).decode(), "pages": pages or None},
    )
