"""Media helpers: a stored upload, waited for until its probe has run."""

import hashlib
from pathlib import Path

import httpx

from .api import create, patch


def described(http: httpx.Client, media_id: str, timeout: float = 60) -> dict:
    """The media record once its probe job has run (uploads are answered before probing)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        media = http.get(f"/api/v1/media/{media_id}").json()
        if media["status"] != "processing":
            return media
        assert time.monotonic() < deadline, f"media {media_id} still processing after {timeout} s"
        time.sleep(0.2)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def upload_bytes(http, data: bytes, **metadata: str) -> str:
    """Upload and wait until the media is described (its probe job ran)."""
    location = create(http, len(data), **metadata).headers["Location"]
    response = patch(http, location, 0, data)
    assert response.status_code == 204, response.text
    described(http, response.headers["Upload-Media-Id"])
    return response.headers["Upload-Media-Id"]
