"""Webhooks against hostile receivers and URLs (issue 23): no delivery to the service's own host or the agency's
network however the address is spelled, checked again at every send; a slow receiver holds no other
receiver's delivery; a huge answer is not read; the delivery log tells a caller no more than a coarse outcome."""

import socket
import threading
import time
import uuid
from contextlib import contextmanager

import httpx

from .support.api import assert_problem
from .support.publishing import Receiver, published, with_profile
from .support.servers import WEBHOOKS_TO_LOOPBACK, ServiceProcess, create_postgres_database, drop_postgres_database

MiB = 1024 * 1024
OUTCOMES = {"unreachable", "refused-address", "timeout"}


class RawReceiver:
    """A receiver on 127.0.0.1 that reads each request whole, then answers as `answer(connection, state)` does
    (in a thread per connection)."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.state: dict = {"requests": 0}
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            while len(body) < length:
                body += connection.recv(65536)
            self.state["requests"] += 1
            self.answer(connection, self.state)

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()


@contextmanager
def own_database(leg, tmp_path):
    """A database of the test's own: every instance on a database delivers what is due there."""
    database = (
        create_postgres_database() if leg.name.startswith("postgres") else f"sqlite:///{tmp_path / f'hooks-{uuid.uuid4().hex[:6]}.db'}"
    )
    try:
        yield database
    finally:
        if database.startswith("postgres"):
            drop_postgres_database(database)


def service_on(leg, tmp_path, database: str, **env: str) -> ServiceProcess:
    return ServiceProcess(
        {**leg.service.env, "RECORDING_WEBHOOK_RETRY_SECONDS": "1", "RECORDING_DATABASE_URL": database, **env}, tmp_path
    ).start()


def client(service: ServiceProcess, role: str, agency: str) -> httpx.Client:
    return httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {service.token(role, agency)}"}, timeout=60)


def attempted(admin: httpx.Client, hook_id: str, attempts: int = 1, timeout: float = 90) -> dict:
    """The endpoint's newest delivery once it has had `attempts` attempts."""
    deadline = time.monotonic() + timeout
    while True:
        items = admin.get(f"/api/v1/webhooks/{hook_id}/deliveries").json()["items"]
        if items and items[0]["attempts"] >= attempts:
            return items[0]
        assert time.monotonic() < deadline, items
        time.sleep(0.3)


def register(admin: httpx.Client, url: str, events=("publication.published",)) -> dict:
    created = admin.post("/api/v1/webhooks", json={"url": url, "events": list(events)})
    assert created.status_code == 201, created.text
    return created.json()


def test_a_webhook_to_the_services_own_host_its_network_or_a_metadata_address_is_refused_however_spelled(leg):
    receiver = Receiver(failures=0)
    port = receiver.url.split(":")[2].split("/")[0]
    agency = with_profile(leg, f"SSRF{uuid.uuid4().hex[:4].upper()}")
    refused = [
        f"http://localhost:{port}/hook",
        f"http://127.0.0.1:{port}/hook",
        f"http://127.1:{port}/hook",
        f"http://0x7f000001:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://0177.0.0.1:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://[::]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://10.0.0.8/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.10/hook",
        "http://100.64.0.1/hook",
        "http://[fd00::1]/hook",
        "http://224.0.0.251/hook",
        "http://[ff02::1]/hook",
        "http://240.0.0.1/hook",
        "http://255.255.255.255/hook",
        "https://192.0.2.7/hook",
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/hook",
    ]  # NAT64 of 169.254.169.254
    try:
        with leg.client(leg.token("admin", agency)) as admin:
            for url in refused:
                body = assert_problem(
                    admin.post("/api/v1/webhooks", json={"url": url, "events": ["publication.published"]}), 422, "webhook-address-refused"
                )
                assert "public addresses only" in body["detail"], (url, body)
            body = assert_problem(
                admin.post("/api/v1/webhooks", json={"url": "http://receiver.invalid/hook", "events": ["publication.published"]}),
                422,
                "webhook-host-unresolvable",
            )
            assert admin.get("/api/v1/webhooks").json()["items"] == []
            # A public address is a receiver like any other.
            assert register(admin, "https://93.184.215.14/hook")["url"] == "https://93.184.215.14/hook"
        assert receiver.received == []
    finally:
        receiver.close()


def test_a_delivery_to_an_address_no_longer_allowed_is_refused_at_send_and_never_reaches_the_receiver(leg, tmp_path):
    receiver = Receiver(failures=0)
    try:
        with own_database(leg, tmp_path) as database:
            allowing = service_on(leg, tmp_path, database, **WEBHOOKS_TO_LOOPBACK)
            agency = with_profile(allowing, f"SEND{uuid.uuid4().hex[:4].upper()}")
            try:
                with client(allowing, "admin", agency) as admin:
                    hook = register(admin, receiver.url)
            finally:
                allowing.stop()
            # The operator withdraws the allowance: what was allowed at registration is refused at the next send.
            strict = service_on(leg, tmp_path, database)
            try:
                with client(strict, "admin", agency) as admin, client(strict, "case_system", agency) as http:
                    published(http, admin)
                    delivery = attempted(admin, hook["id"], attempts=2)
                    assert delivery["status"] == "pending"
                    assert [entry["error"] for entry in delivery["log"]][:2] == ["refused-address", "refused-address"]
                    assert [entry["status_code"] for entry in delivery["log"]][:2] == [None, None]
                    assert delivery["last_error"] == "refused-address"
            finally:
                strict.stop()
        assert receiver.received == []
    finally:
        receiver.close()


def test_a_receiver_that_dribbles_its_answer_does_not_hold_another_receivers_delivery(leg, tmp_path):
    fast = Receiver(failures=0)
    answer = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"." * 200 + b"\r\nContent-Length: 0\r\n\r\n"

    def dribble(connection, state):
        """One byte a second, for at most a minute: time enough for the other delivery, unless it waits for this one."""
        state["held"] = True
        for byte in answer[:60]:
            if fast.received:
                state["other_delivered_while_held"] = True
                return
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(1)
        state["released"] = True

    slow = RawReceiver(dribble)
    try:
        with own_database(leg, tmp_path) as database:
            # The attempt's own deadline is set long, so it is not what frees the other delivery.
            service = service_on(leg, tmp_path, database, **WEBHOOKS_TO_LOOPBACK, RECORDING_WEBHOOK_ATTEMPT_SECONDS="300")
            agency = with_profile(service, f"SLOW{uuid.uuid4().hex[:4].upper()}")
            try:
                with client(service, "admin", agency) as admin, client(service, "case_system", agency) as http:
                    register(admin, slow.url, events=["publication.published"])
                    register(admin, fast.url, events=["publication.withdrawn"])
                    pid = published(http, admin)
                    deadline = time.monotonic() + 60
                    while not slow.state.get("held"):
                        assert time.monotonic() < deadline, "the slow receiver never got its delivery"
                        time.sleep(0.2)
                    assert http.post(f"/api/v1/publications/{pid}/withdraw", json={"reason": "决定被撤销"}).status_code == 200
                    # The slow receiver, still answering, sees the other delivery made (or, before the fix, lets
                    # go after a minute with the other one still waiting for it).
                    deadline = time.monotonic() + 120
                    while not ("other_delivered_while_held" in slow.state or "released" in slow.state):
                        assert time.monotonic() < deadline
                        time.sleep(0.2)
                    assert slow.state.get("other_delivered_while_held"), slow.state
                    assert b"publication.withdrawn" in fast.received[0][1]
            finally:
                service.stop()
    finally:
        slow.close()
        fast.close()


def test_a_huge_answer_is_not_read_whole(leg, tmp_path):
    total = 300 * MiB

    def flood(connection, state):
        connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {total}\r\n\r\n".encode())
        chunk, sent = b"x" * 65536, 0
        try:
            while sent < total:
                connection.sendall(chunk)
                sent += len(chunk)
            state["sent_all"] = True
        except OSError:
            state["closed_after"] = sent

    receiver = RawReceiver(flood)
    try:
        with own_database(leg, tmp_path) as database:
            service = service_on(leg, tmp_path, database, **WEBHOOKS_TO_LOOPBACK)
            agency = with_profile(service, f"HUGE{uuid.uuid4().hex[:4].upper()}")
            try:
                with client(service, "admin", agency) as admin, client(service, "case_system", agency) as http:
                    hook = register(admin, receiver.url)
                    published(http, admin)
                    delivery = attempted(admin, hook["id"])
                    assert delivery["status"] == "delivered" and delivery["log"][0]["status_code"] == 200, delivery
                    deadline = time.monotonic() + 60
                    while not ("closed_after" in receiver.state or "sent_all" in receiver.state):
                        assert time.monotonic() < deadline
                        time.sleep(0.2)
                    # The service stopped reading and closed the connection long before the answer's end (what it
                    # did not read is at most what the sockets' buffers hold).
                    assert "sent_all" not in receiver.state and receiver.state["closed_after"] < 64 * MiB, receiver.state
            finally:
                service.stop()
    finally:
        receiver.close()


def test_the_delivery_log_names_a_coarse_outcome_never_the_connection_error(leg, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed_port = probe.getsockname()[1]  # nothing listens there once this closes

    def unavailable(connection, state):
        connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 26\r\n\r\nECONNREFUSED 10.0.0.5:5432")

    def silent(connection, state):
        stopping.wait()

    stopping = threading.Event()
    busy, mute = RawReceiver(unavailable), RawReceiver(silent)
    try:
        with own_database(leg, tmp_path) as database:
            service = service_on(leg, tmp_path, database, **WEBHOOKS_TO_LOOPBACK, RECORDING_WEBHOOK_ATTEMPT_SECONDS="2")
            agency = with_profile(service, f"LOGS{uuid.uuid4().hex[:4].upper()}")
            try:
                with client(service, "admin", agency) as admin, client(service, "case_system", agency) as http:
                    hooks = {
                        "unreachable": register(admin, f"http://127.0.0.1:{closed_port}/hook"),
                        "http-503": register(admin, busy.url),
                        "timeout": register(admin, mute.url),
                    }
                    published(http, admin)
                    for outcome, hook in hooks.items():
                        delivery = attempted(admin, hook["id"], attempts=2)
                        assert delivery["last_error"] == outcome, delivery
                        assert {entry["error"] for entry in delivery["log"]} == {outcome}, delivery
                        assert delivery["last_status_code"] == (503 if outcome == "http-503" else None)
                        text = str(delivery)
                        for raw in ("Connect", "refused", "Errno", "Timeout", "ECONNREFUSED", "10.0.0.5"):
                            assert raw not in text, (raw, delivery)
            finally:
                service.stop()
            # The detail is for the operator, in the server's log.
            assert "ECONNREFUSED 10.0.0.5" in (tmp_path / "service.log").read_text()
    finally:
        stopping.set()
        busy.close()
        mute.close()
