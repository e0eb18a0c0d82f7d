"""Fault points for crash, stall and disk-failure tests.

`RECORDING_FAULTS="point:action,..."` makes this process, on reaching a named point, either die at
once (`kill`: SIGKILL, as a power cut would), stall (`stop`: SIGSTOP, until someone sends SIGCONT)
or, at a point where the disk is called, fail as a failing disk does (`eio`: OSError EIO raised
there), each point once per process. Unset in production, where a fault point costs one dict
lookup. The points sit where a crash, a stall or a failing disk is most dangerous to evidence;
tests name them.
"""

import errno
import os
import signal

_SIGNALS = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP}
_ACTIONS = (*_SIGNALS, "eio")


def _parse(spec: str) -> dict[str, str]:
    points = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        point, _, action = item.partition(":")
        if action not in _ACTIONS:
            raise ValueError(f"RECORDING_FAULTS: unknown action {action!r} for {point!r} (kill, stop or eio)")
        points[point] = action
    return points


_armed = _parse(os.environ.get("RECORDING_FAULTS", ""))


def fault_point(name: str) -> None:
    if _armed and name in _armed:
        action = _armed.pop(name)
        if action == "eio":
            raise OSError(errno.EIO, os.strerror(errno.EIO) + f" (fault point {name})")
        os.kill(os.getpid(), _SIGNALS[action])
