"""What guards the public side: a per-client request budget, and how long readers may cache."""

import time
from collections import OrderedDict

from fastapi import Request

from .problems import Problem


class RateLimit:
    """A per-client budget for the public side (per instance): `per_minute` requests in any minute."""

    def __init__(self, per_minute: int, clients: int = 10_000) -> None:
        self.per_minute, self.clients = per_minute, clients
        self.seen: OrderedDict[str, list[float]] = OrderedDict()

    def check(self, client: str) -> None:
        now = time.monotonic()
        recent = [t for t in self.seen.pop(client, []) if now - t < 60]
        if len(recent) >= self.per_minute:
            self.seen[client] = recent
            raise Problem(429, "rate-limited", "Too many requests; try again in a minute.",
                          headers={"Retry-After": str(int(60 - (now - recent[0])) + 1)})
        recent.append(now)
        self.seen[client] = recent
        while len(self.seen) > self.clients:
            self.seen.popitem(last=False)


def public_limit(request: Request) -> None:
    limiter = getattr(request.app.state, "public_rate_limit", None)
    if limiter is None:
        limiter = request.app.state.public_rate_limit = RateLimit(request.app.state.settings.public_requests_per_minute)
    limiter.check(request.client.host if request.client else "unknown")


PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}  # readers may keep a page a minute
