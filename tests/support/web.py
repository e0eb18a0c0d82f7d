"""People and pages: accounts made by the CLI, sign-in in the browser or by form, screenshots."""

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

PASSWORD = "审计员的密码-2026"


def create_person(leg, username: str, role: str, agency: str, name: str, password: str = PASSWORD) -> None:
    result = leg.service.cli(
        "user",
        "create",
        "--username",
        username,
        "--role",
        role,
        "--agency",
        agency,
        "--name",
        name,
        "--password-stdin",
        input=password + "\n",
        check=False,
    )
    assert result.returncode == 0, result.stderr


def shots() -> Path:
    directory = Path(os.environ.get("RS_SCREENSHOT_DIR") or "/tmp/rs-screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD, target: str = "/cases") -> None:
    page.goto(base_url + target)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # Until DOMContentLoaded the page's deferred scripts may not have run: a file chosen earlier finds no listener.
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("button[type=submit]")


def wait_until(page: Page, expression: str, timeout: float = 30) -> None:
    """Poll a JavaScript expression (page.wait_for_function compiles strings in the page, which the pages' CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(100)


@contextmanager
def signed_in_client(base_url: str, username: str, password: str = PASSWORD):
    """A browser session without the browser: the sign-in form as a browser submits it."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/cases"})
        assert answer.status_code == 303, answer.text[:300]
        yield client
