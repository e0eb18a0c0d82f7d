"""Where a webhook may go: a public address, or one in a network the operator allows
(RECORDING_WEBHOOK_ALLOWED_NETWORKS). Never the service's own host, the agency's private network, a link-local
or cloud metadata address (169.254.169.254), multicast, unspecified or reserved ranges, however the URL
spells them (`localhost`, `127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`, `[::ffff:127.0.0.1]` …):
the host is resolved and every address it resolves to is judged.

The check runs when a receiver is registered and again at every attempt, in the transport that makes the
connection: it resolves the host once, judges the answer and connects to that very address (the Host header and
the TLS server name stay the host's), so a name that resolves differently between the check and the connection
(DNS rebinding) cannot slip through.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}


class RefusedAddress(Exception):
    """The host is or resolves to an address deliveries may not go to."""

    def __init__(self, host: str, address: Address, reason: str) -> None:
        super().__init__(f"{host} resolves to {address}, a {reason} address")
        self.host, self.address, self.reason = host, address, reason


class Unresolvable(Exception):
    """The host's name does not resolve (now)."""


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, Teredo or NAT64 address leads to, if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why deliveries may not go to `address` ('loopback', 'private' …), or None when they may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped, allowed)  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
    if any(address.version == network.version and address in network for network in allowed):
        return None
    inner = _embedded_ipv4(address)
    if inner is not None and (reason := refusal(inner, allowed)) is not None:
        return reason
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    ):
        if flag:
            return reason
    return None


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to now (an address literal, however spelled, is itself)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve: {exc}") from None
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"{host} resolves to no address")
    return addresses


async def checked(host: str, port: int, allowed: Sequence[Network] = ()) -> list[Address]:
    """The addresses `host` resolves to, all of them allowed; RefusedAddress if any is not."""
    addresses = await resolve(host, port)
    for address in addresses:
        reason = refusal(address, allowed)
        if reason is not None:
            raise RefusedAddress(host, address, reason)
    return addresses
