"""Fault points for crash, stall and disk-failure tests.

`RECORDING_FAULTS="point:action,..."` makes this process, on reaching a named point, either die at
once (`kill`: SIGKILL, as a power cut would), stall (`stop`: SIGSTOP, until someone sends SIGCONT),
hold only the thread that reached it (`hold`: until the file RECORDING_FAULTS_RELEASE_FILE names
exists; the rest of the process goes on, as beside a disk call that hangs) or, at a point where the
disk is called, fail as a failing disk does (`eio`: OSError EIO raised there), each point once per
process. Unset in production, where a fault point costs one dict
lookup. The points sit where a crash, a stall or a failing disk is most dangerous to evidence;
tests name them.
"""

import errno
import os
import signal
import time
from pathlib import Path

_SIGNALS = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP}
_ACTIONS = (*_SIGNALS, "eio", "hold")
HOLD_POLL_SECONDS = 0.02


def _parse(spec: str, release_file: str = "") -> dict[str, str]:
    points = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        point, _, action = item.partition(":")
        if action not in _ACTIONS:
            raise ValueError(f"RECORDING_FAULTS: unknown action {action!r} for {point!r} (kill, stop, hold or eio)")
        if action == "hold" and not release_file:
            raise ValueError(f"RECORDING_FAULTS: {point!r} is held until RECORDING_FAULTS_RELEASE_FILE exists; set it")
        points[point] = action
    return points


_release_file = os.environ.get("RECORDING_FAULTS_RELEASE_FILE", "")
_armed = _parse(os.environ.get("RECORDING_FAULTS", ""), _release_file)


def fault_point(name: str) -> None:
    if _armed and name in _armed:
        action = _armed.pop(name, None)  # threads may reach a point together: one of them acts
        if action is None:
            return
        if action == "eio":
            raise OSError(errno.EIO, os.strerror(errno.EIO) + f" (fault point {name})")
        if action == "hold":
            release = Path(_release_file)
            while not release.exists():
                time.sleep(HOLD_POLL_SECONDS)
            return
        os.kill(os.getpid(), _SIGNALS[action])
