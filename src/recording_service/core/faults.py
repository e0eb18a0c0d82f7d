"""Fault points for crash and stall tests.

`RECORDING_FAULTS="point:action,..."` makes this process, on reaching a named point, either die at
once (`kill`: SIGKILL, as a power cut would) or stall (`stop`: SIGSTOP, until someone sends SIGCONT),
each point once per process. Unset in production, where a fault point costs one dict lookup. The
points sit where a crash or a stall is most dangerous to evidence; tests name them.
"""

import os
import signal

_ACTIONS = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP}


def _parse(spec: str) -> dict[str, signal.Signals]:
    points = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        point, _, action = item.partition(":")
        if action not in _ACTIONS:
            raise ValueError(f"RECORDING_FAULTS: unknown action {action!r} for {point!r} (kill or stop)")
        points[point] = _ACTIONS[action]
    return points


_armed = _parse(os.environ.get("RECORDING_FAULTS", ""))


def fault_point(name: str) -> None:
    if _armed and name in _armed:
        os.kill(os.getpid(), _armed.pop(name))
