"""The transport webhook deliveries are sent through (see addresses): kept apart so httpx is imported only by a
process that sends one."""

from collections.abc import Sequence
from typing import Any

import httpx

from .addresses import DEFAULT_PORTS, Network, checked


class CheckedTransport(httpx.AsyncHTTPTransport):
    """Resolves each request's host once, refuses what `refusal` refuses, and connects to the address it
    checked. Connections are not kept: one to an address made for one host name is never reused for another."""

    def __init__(self, allowed: Sequence[Network] = (), **kwargs: Any) -> None:
        super().__init__(limits=httpx.Limits(max_keepalive_connections=0), **kwargs)
        self.allowed = tuple(allowed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or DEFAULT_PORTS.get(request.url.scheme, 80)
        address = (await checked(host, port, self.allowed))[0]
        if str(address) != host:  # a name: connect to what it resolved to, keep its Host header and TLS name
            request.url = request.url.copy_with(host=str(address))
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
        return await super().handle_async_request(request)
