"""The public side's budget: shared by every instance (kept in the database), per client address and per
network, and weighted by what a request costs (a list spends more than one item).

Both instances run behind a "proxy" (RECORDING_TRUSTED_PROXIES=127.0.0.1), so the tests speak for several
client addresses through X-Forwarded-For.
"""

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


def test_a_network_has_a_ceiling_above_its_addresses(pair):
    first, second = pair
    for host, server in ((1, first), (2, second), (3, first)):  # 8 + 8 + 8 of the network's 25
        assert [item(server, f"198.18.3.{host}").status_code for _ in range(8)] == [404] * 8
    assert item(second, "198.18.3.4").status_code == 404  # the 25th
    refused = item(first, "198.18.3.5")  # an address that spent nothing, in a network that spent everything
    assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["Retry-After"]) > 0
    assert item(first, "198.18.4.5").status_code == 404  # the next network is another budget
    # IPv6: a /64 is one network
    for host in range(1, 4):
        assert [item(second, f"2001:db8:7:7::{host}").status_code for _ in range(8)] == [404] * 8
    assert item(first, "2001:db8:7:7::99").status_code == 404
    assert_problem(item(first, "2001:db8:7:7:1::1"), 429, "rate-limited")
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
