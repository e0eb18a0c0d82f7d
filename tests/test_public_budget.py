"""The public side's budget: shared by every instance (kept in the database), per client address and per
network, and weighted by what a request costs (a list spends more than one item).

Both instances run behind a "proxy" (RECORDING_TRUSTED_PROXIES=127.0.0.1), so the tests speak for several
client addresses through X-Forwarded-For.
"""

import math
import time
import uuid

import httpx
import pytest

from .support.api import assert_problem
from .support.servers import ServiceProcess

BUDGETS = {
    "RECORDING_TRUSTED_PROXIES": "127.0.0.1",
    "RECORDING_PUBLIC_REQUESTS_PER_MINUTE": "10",
    "RECORDING_PUBLIC_NETWORK_REQUESTS_PER_MINUTE": "25",
}


def instance(leg, workdir) -> ServiceProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **leg.service.env,
        **BUDGETS,
        "RECORDING_SIGNING_KEY_FILE": str(leg.workdir / "data" / "signing-key.pem"),
        "RECORDING_RUN_WORKER": "false",
    }
    return ServiceProcess(env, workdir).start()


@pytest.fixture(scope="module")
def pair(leg, tmp_path_factory):
    """Two instances of the service on the leg's one database."""
    servers = [instance(leg, tmp_path_factory.mktemp("public-a")), instance(leg, tmp_path_factory.mktemp("public-b"))]
    yield servers
    for server in servers:
        server.stop()


def item(server: ServiceProcess, client: str) -> httpx.Response:
    """One published item (cost 1): here one that does not exist, which costs the same."""
    return httpx.get(f"{server.base_url}/api/v1/public/publications/{uuid.uuid4().hex}", headers={"X-Forwarded-For": client}, timeout=60)


def listing(server: ServiceProcess, client: str, path: str = "/api/v1/public/publications") -> httpx.Response:
    return httpx.get(server.base_url + path, headers={"X-Forwarded-For": client}, timeout=60)


def test_two_instances_spend_one_budget(pair):
    first, second = pair
    client = "198.18.1.7"
    answers = [item(first if n % 2 else second, client).status_code for n in range(10)]
    assert answers == [404] * 10
    for server in pair:
        refused = item(server, client)
        assert_problem(refused, 429, "rate-limited")
        assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert item(first, "198.18.2.7").status_code == 404  # another client (in another network) has its own


def spend_until_the_network_refuses(servers, addresses: list[str]) -> tuple[int, httpx.Response]:
    """Spend from each address in turn, 8 apiece (below an address's own 10), on alternate instances, until one is
    refused: the refusal is then the network's. How many it let through, and the refusal."""
    started, let_through = time.monotonic(), 0
    for n, address in enumerate(addresses):
        for _ in range(8):
            answer = item(servers[n % 2], address)
            if answer.status_code == 429:
                # The network's 25 a minute come back one every 2.4 s: a slow machine sees a few more let through.
                assert 25 <= let_through <= 25 + math.ceil((time.monotonic() - started) / 2.4), let_through
                return let_through, answer
            assert answer.status_code == 404, answer.text
            let_through += 1
    raise AssertionError(f"the network let {let_through} through and never refused one")


def test_a_network_has_a_ceiling_above_its_addresses(pair):
    first, _ = pair
    _, refused = spend_until_the_network_refuses(pair, [f"198.18.3.{host}" for host in range(1, 9)])
    assert_problem(refused, 429, "rate-limited")  # an address that spent at most 8 of its 10, in a network that spent all
    assert int(refused.headers["Retry-After"]) > 0
    assert item(first, "198.18.4.5").status_code == 404  # the next network is another budget
    # IPv6: a /64 is one network
    _, refused = spend_until_the_network_refuses(pair, [f"2001:db8:7:7::{host}" for host in range(1, 9)])
    assert_problem(refused, 429, "rate-limited")
    assert item(first, "2001:db8:7:8::1").status_code == 404


LISTS = [
    "/api/v1/public/publications",
    "/api/v1/public/matters",
    "/api/v1/public/agencies",
    "/api/v1/public/officers",
    "/public/officers",
    "/public/publications",
    "/public/matters",
    "/public/inspection-matters",
]


@pytest.mark.parametrize("path", LISTS)
def test_a_list_spends_more_of_the_budget_than_an_item(pair, path):
    first, second = pair
    cheap, dear = f"198.19.{10 + LISTS.index(path)}.1", f"198.19.{10 + LISTS.index(path)}.2"  # a network of its own
    assert [item(first, cheap).status_code for _ in range(3)] == [404] * 3
    assert item(second, cheap).status_code == 404  # three items leave room
    assert listing(first, dear, path).status_code == 200
    assert listing(second, dear, path).status_code == 200  # two lists spend all ten
    assert_problem(item(first, dear), 429, "rate-limited")
