"""More instances of the service on a leg's database and store, and the means to stall, kill and watch them
(fault points: RECORDING_FAULTS). Used by the fencing tests and wherever a moment inside another instance must be
held open."""

import os
import signal
import threading
import time

import httpx
import psutil
import pytest

from .servers import ServiceProcess

LEASE = "3"  # seconds: short, so take-overs happen within a test


@pytest.fixture
def instances(leg, tmp_path):
    """Start more instances of the service on the leg's database and store (each with its own env overrides)."""
    started: list[ServiceProcess] = []

    def start(name: str, **env: str) -> ServiceProcess:
        workdir = tmp_path / name
        workdir.mkdir()
        service = ServiceProcess({**leg.service.env, "RECORDING_UPLOAD_LEASE_SECONDS": LEASE, **env}, workdir).start()
        started.append(service)
        return service

    yield start
    for service in started:
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGCONT)
        service.stop()


def client(service: ServiceProcess, token: str) -> httpx.Client:
    return httpx.Client(base_url=service.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def wait_stopped(service: ServiceProcess, timeout: float = 30) -> None:
    """Until the instance has stopped itself at its fault point."""
    process = psutil.Process(service.process.pid)
    deadline = time.monotonic() + timeout
    while process.status() != psutil.STATUS_STOPPED:
        assert time.monotonic() < deadline, "the instance never reached its fault point"
        time.sleep(0.05)


def wait_dead(service: ServiceProcess, timeout: float = 30) -> None:
    service.process.wait(timeout)


def in_thread(function, *args):
    result: dict = {}

    def run():
        try:
            result["response"] = function(*args)
        except Exception as exc:  # the connection to a killed instance
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result
