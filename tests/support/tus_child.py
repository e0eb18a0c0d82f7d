"""A dock client that dies mid-upload: tuspy uploads the first STOP_AT bytes in chunks, then a raw
PATCH starts sending more and the process SIGKILLs itself halfway through the request body."""

import http.client
import os
import signal
import sys
import time
from urllib.parse import urlparse

from tusclient import client
from tusclient.storage.filestorage import FileStorage

url, token, path, storage_path, stop_at, sha256 = sys.argv[1:7]
stop_at = int(stop_at)
tus = client.TusClient(url, headers={"Authorization": f"Bearer {token}"})
uploader = tus.uploader(
    path,
    chunk_size=1024 * 1024,
    metadata={"filename": os.path.basename(path), "sha256": sha256},
    store_url=True,
    url_storage=FileStorage(storage_path),
)
uploader.upload(stop_at=stop_at)
print(uploader.url, flush=True)

target = urlparse(uploader.url)
connection = http.client.HTTPConnection(target.hostname, target.port)
size = os.path.getsize(path)
connection.putrequest("PATCH", target.path)
for name, value in {
    "Authorization": f"Bearer {token}",
    "Tus-Resumable": "1.0.0",
    "Upload-Offset": str(uploader.offset),
    "Content-Type": "application/offset+octet-stream",
    "Content-Length": str(size - uploader.offset),
}.items():
    connection.putheader(name, value)
connection.endheaders()
with open(path, "rb") as handle:
    handle.seek(uploader.offset)
    connection.send(handle.read(3 * 1024 * 1024 + 12345))  # part of the rest, then die
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
