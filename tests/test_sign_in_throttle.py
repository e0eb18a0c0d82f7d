"""Sign-in under attack: throttled per client and per account, never locked by strangers, the same answer for
names that exist and names that do not, single-use forms, and one set of counts for every instance.

The service runs behind a "proxy" (RECORDING_TRUSTED_PROXIES=127.0.0.1), so each test speaks for several
client addresses through X-Forwarded-For, as a reverse proxy would.
"""

import math
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .support.servers import ServiceProcess
from .support.web import create_person

PASSWORD = "主人的密码-足够长-2026"
LIMITS = {
    "RECORDING_TRUSTED_PROXIES": "127.0.0.1",
    "RECORDING_SIGN_IN_ATTEMPTS": "3",  # the third failure in a row starts the waiting
    "RECORDING_SIGN_IN_FIRST_DELAY_SECONDS": "60",
    "RECORDING_SIGN_IN_MAX_DELAY_MINUTES": "15",
    "RECORDING_SIGN_IN_FRESH_CLIENT_ATTEMPTS": "2",
    "RECORDING_SIGN_IN_REQUESTS_PER_MINUTE": "8",
}


def instance(leg, workdir, extra: dict | None = None) -> ServiceProcess:
    """Another instance on the leg's database and store, with the leg's signing key (every instance shares it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **leg.service.env,
        **LIMITS,
        **(extra or {}),
        "RECORDING_SIGNING_KEY_FILE": str(leg.workdir / "data" / "signing-key.pem"),
        "RECORDING_RUN_WORKER": "false",
    }
    return ServiceProcess(env, workdir).start()


@pytest.fixture(scope="module")
def guarded(leg, tmp_path_factory):
    server = instance(leg, tmp_path_factory.mktemp("guarded"))
    yield server
    server.stop()


_octet = iter(range(1, 250))


def address(net: str = "198.51.100") -> str:
    """A client address no other test in the run speaks for."""
    return f"{net}.{next(_octet)}"


class Browser:
    """One browser at one client address: cookies kept, the form fetched before each post as a page does."""

    def __init__(self, base_url: str, client: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, headers={"X-Forwarded-For": client})

    def form(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.http.get("/login").text).group(1)

    def sign_in(self, username: str, password: str, token: str | None = None) -> httpx.Response:
        """Posts the form; with `token`, that form's token in the field and the cookie, as the page that
        carried it would have sent (whichever instance issued it)."""
        if token is None:
            token = self.form()
        data = {"username": username, "password": password, "csrf_token": token, "next": "/cases"}
        return httpx.post(
            str(self.http.base_url) + "/login",
            data=data,
            timeout=60,
            headers={"X-Forwarded-For": self.http.headers["X-Forwarded-For"], "Cookie": f"rs_login_csrf={token}"},
        )

    def close(self) -> None:
        self.http.close()


def person(leg) -> str:
    name = f"owner{uuid.uuid4().hex[:8]}"
    create_person(leg, name, "auditor", "THR1", "吴主人", PASSWORD)
    return name


def test_a_strangers_wrong_passwords_never_lock_the_owner_out(leg, guarded):
    owner_name = person(leg)
    home = Browser(guarded.base_url, address())
    assert home.sign_in(owner_name, PASSWORD).status_code == 303  # the owner's usual place, known from now on
    stranger = Browser(guarded.base_url, address("203.0.113"))
    answers = [stranger.sign_in(owner_name, f"guess-{n}-xxxxxxxx").status_code for n in range(5)]
    assert answers == [401, 401, 401, 429, 429]  # the third failure starts the waiting, for the stranger
    waiting = stranger.sign_in(owner_name, PASSWORD)
    assert waiting.status_code == 429 and 0 < int(waiting.headers["Retry-After"]) <= 60  # even the right password waits
    assert "rs_session" not in waiting.cookies
    # The owner signs in where they always do, and from a new place that never failed (the fresh allowance).
    assert Browser(guarded.base_url, home.http.headers["X-Forwarded-For"]).sign_in(owner_name, PASSWORD).status_code == 303
    assert Browser(guarded.base_url, address()).sign_in(owner_name, PASSWORD).status_code == 303
    stranger.close()
    home.close()


def mask(text: str, *names: str) -> str:
    text = re.sub(r'value="[A-Za-z0-9_.-]{40,}"', 'value="TOKEN"', text)
    for name in names:
        text = text.replace(name, "NAME")
    return text


def test_unknown_and_existing_names_get_the_same_answers(leg, guarded):
    existing, unknown = person(leg), f"owner{uuid.uuid4().hex[:8]}"
    answers = {}
    for name in (existing, unknown):
        browser = Browser(guarded.base_url, address())
        seen = []
        for n in range(5):
            response = browser.sign_in(name, f"wrong-{n}-password")
            seen.append(
                (
                    response.status_code,
                    response.headers.get("retry-after"),
                    sorted(response.headers.keys()),
                    sorted(response.cookies.keys()),
                    mask(response.text, name),
                )
            )
        answers[name] = seen
        browser.close()
    assert [a[0] for a in answers[existing]] == [401, 401, 401, 429, 429]
    assert answers[existing] == answers[unknown]
    assert "用户名或密码错误" in answers[unknown][0][4] and "秒后再试" in answers[unknown][3][4]


def test_a_burst_from_one_client_is_refused_before_any_password_is_checked(leg, guarded):
    owner_name = person(leg)
    burst = Browser(guarded.base_url, address("192.0.2"))
    # Different names, so no account's count is what stops the burst: the client's budget (8 a minute, one back every
    # 7.5 s) lets 8 through at once, and one more for every 7.5 s the burst takes on a slow machine.
    started, answers = time.monotonic(), []
    while len(answers) < 30 and 429 not in answers:
        answers.append(burst.sign_in(f"nobody{len(answers)}{uuid.uuid4().hex[:6]}", "some-password-123").status_code)
    let_through = answers.index(429)
    assert set(answers[:let_through]) == {401} and 8 <= let_through <= 8 + math.ceil((time.monotonic() - started) / 7.5), answers
    refused = burst.sign_in(owner_name, PASSWORD)  # the right password, but the client's budget is spent
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert "rs_session" not in refused.cookies
    assert Browser(guarded.base_url, address("192.0.2")).sign_in(owner_name, PASSWORD).status_code == 303  # a neighbour is not


def test_a_sign_in_form_is_good_for_one_post(leg, guarded):
    owner_name = person(leg)
    browser = Browser(guarded.base_url, address())
    token = browser.form()
    assert browser.sign_in(owner_name, PASSWORD, token).status_code == 303
    replayed = browser.sign_in(owner_name, PASSWORD, token)  # the same post sent again, cookie and all
    assert replayed.status_code == 403 and "已失效" in replayed.text and "rs_session" not in replayed.cookies
    forged = "A" * 43  # a token of the client's own making, in the field and the cookie alike
    assert browser.sign_in(owner_name, PASSWORD, forged).status_code == 403
    browser.close()


def test_every_instance_sees_the_same_sign_in_counts(leg, guarded, tmp_path):
    other = instance(leg, tmp_path / "second")
    try:
        owner_name = person(leg)
        client = address("203.0.113")
        first, second = Browser(guarded.base_url, client), Browser(other.base_url, client)
        answers = [(first if n % 2 else second).sign_in(owner_name, f"guess-{n}-yyyyyyyy").status_code for n in range(4)]
        assert answers == [401, 401, 401, 429]
        assert first.sign_in(owner_name, PASSWORD).status_code == 429
        # and a form from one instance is spent for the other too
        token = first.form()
        assert second.sign_in(f"nobody{uuid.uuid4().hex[:6]}", "some-password-123", token).status_code == 401
        assert first.sign_in(f"nobody{uuid.uuid4().hex[:6]}", "some-password-123", token).status_code == 403
        first.close()
        second.close()
    finally:
        other.stop()


def test_a_password_reset_ends_the_accounts_waiting(leg, guarded):
    owner_name = person(leg)
    browser = Browser(guarded.base_url, address())
    assert [browser.sign_in(owner_name, f"guess-{n}-zzzzzzzz").status_code for n in range(4)] == [401, 401, 401, 429]
    reset = leg.service.cli("user", "reset-password", owner_name, "--password-stdin", input="新的密码-足够长了-2026\n", check=False)
    assert reset.returncode == 0, reset.stderr
    assert browser.sign_in(owner_name, "新的密码-足够长了-2026").status_code == 303
    browser.close()


def _memory(pid: int) -> dict[str, int]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in bytes."""
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line)
    return {name: int(fields[name].split()[0]) * 1024 for name in ("VmRSS", "VmHWM")}


def test_a_burst_of_sign_ins_hashes_two_at_a_time(leg, guarded):
    """argon2id takes 64 MiB while it runs: twelve sign-ins at once from twelve clients (each within its budget) are
    checked at most two at a time, so the server's peak grows by about two hashes, not by a thread pool's six."""

    pid = guarded.process.pid
    browsers = [Browser(guarded.base_url, address("100.64.0")) for _ in range(12)]
    forms = [browser.form() for browser in browsers]
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) starts again from what is resident now
    before = _memory(pid)
    assert before["VmHWM"] <= before["VmRSS"] + 4 * 2**20
    with ThreadPoolExecutor(len(browsers)) as pool:
        answers = list(
            pool.map(
                lambda pair: pair[0].sign_in(f"nobody{uuid.uuid4().hex[:8]}", "a-wrong-password-1", pair[1]).status_code,
                zip(browsers, forms),
            )
        )
    grew = _memory(pid)["VmHWM"] - before["VmRSS"]
    assert answers == [401] * 12
    assert 60 * 2**20 <= grew < 3 * 64 * 2**20, f"the peak grew by {grew / 2**20:.0f} MiB"
    for browser in browsers:
        browser.close()
