"""Photos and scans as cameras and scanners make them: real JPEGs with EXIF (written by Pillow) and real PDFs."""

import io

from PIL import Image, ImageDraw

EXIF_IFD = 0x8769
MAKE, MODEL, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011


def camera_jpeg(
    width: int = 1600,
    height: int = 1200,
    *,
    taken: str | None = "2026:11:03 09:20:15",
    offset: str | None = "+08:00",
    make: str | None = "DSJ",
    model: str | None = "DSJ-V9",
    orientation: int | None = None,
    label: str = "现场照片",
    quality: int = 90,
) -> bytes:
    """A photo with a picture worth zooming into (a grid, shapes, noise-free) and the EXIF a camera writes."""
    picture = Image.new("RGB", (width, height), (236, 240, 245))
    draw = ImageDraw.Draw(picture)
    step = max(16, width // 24)
    for x in range(0, width, step):
        draw.line([(x, 0), (x, height)], fill=(180, 190, 205), width=1)
    for y in range(0, height, step):
        draw.line([(0, y), (width, y)], fill=(180, 190, 205), width=1)
    draw.rectangle([width // 8, height // 8, width // 2, height // 2], fill=(200, 40, 40))
    draw.ellipse([width // 2, height // 2, width - width // 8, height - height // 8], fill=(30, 90, 170))
    draw.text((20, 20), label.encode("ascii", "ignore").decode() or "photo", fill=(0, 0, 0))
    exif = Image.Exif()
    if make:
        exif[MAKE] = make
    if model:
        exif[MODEL] = model
    if orientation:
        exif[ORIENTATION] = orientation
    if taken:
        exif[DATETIME] = taken
        details = exif.get_ifd(EXIF_IFD)
        details[DATETIME_ORIGINAL] = taken
        if offset:
            details[OFFSET_TIME_ORIGINAL] = offset
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def png_photo(width: int = 640, height: int = 480) -> bytes:
    picture = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(picture).rectangle([10, 10, width - 10, height - 10], fill=(20, 120, 60, 200))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def scanned_pdf(pages: int = 2) -> bytes:
    """A scan as a scanner saves it: one picture per page, in a PDF."""
    sheets = []
    for number in range(pages):
        sheet = Image.new("RGB", (850, 1100), "white")
        draw = ImageDraw.Draw(sheet)
        draw.rectangle([60, 60, 790, 140], outline=(0, 0, 0), width=3)
        draw.text((80, 90), f"DECISION page {number + 1}", fill=(0, 0, 0))
        for line in range(20):
            draw.line([(80, 200 + line * 40), (770, 200 + line * 40)], fill=(120, 120, 120), width=2)
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, "PDF", resolution=100, save_all=True, append_images=sheets[1:])
    return out.getvalue()
