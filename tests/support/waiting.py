"""Waiting in a test for something another process does: polled, with a deadline that fails the test by name."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T], timeout: float = 60, interval: float = 0.1) -> T:
    """`check()` until it answers something true, which is returned; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(interval)
    return value
