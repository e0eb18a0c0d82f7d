"""Twenty 64 MiB uploads at once, random chunk sizes, a few clients cutting their connection
mid-chunk: every upload completes with the right SHA-256 and the audit chain still verifies."""

import concurrent.futures
import hashlib
import http.client
import os
import random
import time
from urllib.parse import urlparse

from .support.api import TUS, create

MiB = 1024 * 1024
UPLOADS = 20
SIZE = 64 * MiB


def _cut_connection(base_url: str, location: str, token: str, offset: int, data: bytes) -> None:
    """Start a PATCH that promises `data` and hang up halfway through it."""
    target = urlparse(base_url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    connection.putrequest("PATCH", location)
    for name, value in {
        "Authorization": f"Bearer {token}",
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(len(data)),
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(data[: len(data) // 2])
    connection.sock.close()


def _upload(leg, token: str, index: int) -> tuple[str, str, int]:
    rng = random.Random(index)
    block = os.urandom(MiB)
    data = f"upload {index} {time.time_ns()}".encode().ljust(64, b".") + block * (SIZE // MiB)
    data = data[:SIZE]
    sha = hashlib.sha256(data).hexdigest()
    cuts = 1 if index % 7 == 0 else 0  # uploads 0, 7 and 14 lose their connection once
    made_cuts = 0
    with leg.client(token) as http:
        location = create(http, len(data), sha256=sha, filename=f"cam{index}.mp4").headers["Location"]
        offset = 0
        while offset < len(data):
            chunk = data[offset : offset + rng.randint(256 * 1024, 8 * MiB)]
            if cuts and offset > SIZE // 3:
                cuts -= 1
                made_cuts += 1
                _cut_connection(leg.url, location, token, offset, chunk)
            else:
                response = http.patch(
                    location,
                    content=chunk,
                    headers={**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
                )
                if response.status_code == 204:
                    offset = int(response.headers["Upload-Offset"])
                    if offset == len(data):
                        return sha, response.headers["Upload-Sha256"], made_cuts
                    continue
                assert response.status_code in (409, 423), response.text  # the cut request is still being wound up
            time.sleep(0.2)
            offset = int(http.head(location, headers=TUS).headers["Upload-Offset"])
    raise AssertionError("upload never completed")


def test_twenty_concurrent_uploads_with_disconnects(leg):
    token = leg.token("dock", "CONCURRENT")
    with concurrent.futures.ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        results = list(pool.map(lambda i: _upload(leg, token, i), range(UPLOADS)))
    assert all(expected == received for expected, received, _ in results)
    assert len({sha for sha, _, _ in results}) == UPLOADS
    assert sum(cuts for _, _, cuts in results) == 3
    with leg.client(leg.token("auditor", "CONCURRENT")) as http:
        for sha, _, _ in results:
            assert len(http.get("/api/v1/media", params={"sha256": sha}).json()["items"]) == 1
        assert http.get("/api/v1/audit/verify").json()["ok"] is True
