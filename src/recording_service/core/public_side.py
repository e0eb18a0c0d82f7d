"""What guards the public side: a request budget shared by every instance, and how long readers may cache.

The budget is kept in the database (`throttle.spend`, one statement per request): per client address
(`public:<address>`) and per network (`public-net:<address>/24` for IPv4, `/64` for IPv6), the network's
larger. A route declares what one request costs (`public_budget(cost)`): a list or a search spends more of
the budget than one item. Over budget: 429 `rate-limited` with `Retry-After`.
"""

import ipaddress
import math

from fastapi import Depends, Request, params

from .problems import Problem
from .throttle import Budget, spend

PERIOD = 60.0  # the budgets are per minute

# What public requests cost, in units of the per-minute budgets.
ITEM = 1  # one record, one page of a single item
RENDERED = 2  # a drawing or a page rendered around one (a flowchart, a 服务指南)
LIST = 5  # a list, a search or a listing page (filters, pagination, many rows)


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says (RECORDING_TRUSTED_PROXIES, applied by
    the server before the application sees the request)."""
    return request.client.host if request.client else "unknown"


def network_of(address: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) an address belongs to; a name that is no address stands for itself."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


async def spend_public_budget(request: Request, cost: float = ITEM) -> None:
    """Spend `cost` from the client's and its network's budgets, or answer 429."""
    settings = request.app.state.settings
    address = client_address(request)[:100]
    budgets = [
        Budget(f"public:{address}", settings.public_requests_per_minute, PERIOD, cost),
        Budget(f"public-net:{network_of(address)}", settings.public_network_requests_per_minute, PERIOD, cost),
    ]
    wait = await spend(request.app.state.engine, budgets)
    if wait is not None:
        raise Problem(
            429,
            "rate-limited",
            "Too many requests to the public side; try again shortly.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


def public_budget(cost: float = ITEM) -> params.Depends:
    """A route's dependency that spends `cost` of the public budget before the route does any work:
    `@router.get(..., dependencies=[public_budget(LIST)])`."""

    async def public_budget_spent(request: Request) -> None:
        await spend_public_budget(request, cost)

    dependency: params.Depends = Depends(public_budget_spent)
    return dependency


PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}  # readers may keep a page a minute
