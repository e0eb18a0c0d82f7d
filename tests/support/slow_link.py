"""A dock's uplink in a test: a TCP relay in front of the service that carries the client's bytes at a set
rate, or not at all (a stalled link), while answers come back at full speed.

    with SlowLink(leg.url, rate=4 * MiB) as link:   # link.url instead of leg.url
        link.rate = 0      # stall: the client's sends block once the buffers are full
        link.rate = None   # full speed (what was held back goes on at once)
"""

import socket
import threading
import time
from urllib.parse import urlparse

SLICE = 16 * 1024


class SlowLink:
    def __init__(self, target: str, rate: int | None = None) -> None:
        parsed = urlparse(target)
        self.target = (parsed.hostname, parsed.port)
        self.rate = rate  # bytes per second from the client; None: full speed; 0: stalled
        self.sent = 0  # bytes carried from clients to the service so far
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> "SlowLink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in list(self._sockets):
            _close(sock)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, uplink: bool) -> None:
        try:
            while True:
                if uplink:
                    while self.rate == 0 and not self._closed:
                        time.sleep(0.02)  # stalled: read nothing, so the client's sends back up
                data = source.recv(SLICE)
                if not data:
                    break
                sink.sendall(data)
                if uplink:
                    self.sent += len(data)
                    rate = self.rate
                    if rate:
                        time.sleep(len(data) / rate)
        except OSError:
            pass
        finally:
            # Either side gone: both go (a client that went away mid-body is a disconnect to the service).
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
