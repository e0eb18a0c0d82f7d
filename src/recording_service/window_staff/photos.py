"""A window staff member's photo: an uploaded JPEG or PNG, checked by Pillow (what the bytes are, not what the file
is called), of a sensible size, and stored again without what else the file carried (EXIF: the camera, the time,
a GPS position), turned upright as the camera meant it. Decoded in a worker thread: a large image costs CPU."""

import hashlib
import io
from dataclasses import dataclass

import anyio.to_thread

from ..core.messages import problem_text
from ..core.problems import Problem

MAX_PHOTO_BYTES = 768 * 1024  # within the request body limit (RECORDING_MAX_JSON_BODY_BYTES, 1 MiB) with the form around it
MAX_PIXELS = 4096 * 4096  # decoded at most 48 MiB (RGB): larger is no portrait
MIN_SIDE = 32
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class Photo:
    body: bytes
    content_type: str
    extension: str
    sha256: str
    width: int
    height: int


def _invalid() -> Problem:
    return Problem(422, "photo-invalid", "The photo must be a JPEG or PNG image.", detail_zh=problem_text("photo-invalid"))


def too_large(size: int | None = None) -> Problem:
    said = f" ({size} bytes)" if size is not None else ""
    return Problem(
        413,
        "photo-too-large",
        f"A photo is at most {MAX_PHOTO_BYTES} bytes and {MAX_PIXELS} pixels{said}.",
        detail_zh=problem_text("photo-too-large"),
    )


def checked_photo(data: bytes) -> Photo:
    """The photo as it is kept, or a problem: 422 `photo-invalid` (not a JPEG or PNG, damaged, too small), 413
    `photo-too-large`."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # at first use: Pillow stays out of a server that sees no photo

    if len(data) > MAX_PHOTO_BYTES:
        raise too_large(len(data))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise _invalid()
            kind = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise too_large()
            if min(width, height) < MIN_SIDE:
                raise _invalid()
            image.load()
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == "JPEG":
                rgb = upright if upright.mode in ("RGB", "L") else upright.convert("RGB")
                rgb.save(out, format="JPEG", quality=90, optimize=True)
            else:
                upright.save(out, format="PNG", optimize=True)
            width, height = upright.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise _invalid() from None
    body = out.getvalue()
    content_type, extension = FORMATS[kind]
    return Photo(body, content_type, extension, hashlib.sha256(body).hexdigest(), width, height)


async def check_photo(data: bytes) -> Photo:
    return await anyio.to_thread.run_sync(checked_photo, data)
