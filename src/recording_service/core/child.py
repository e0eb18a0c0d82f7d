"""A function called in a child Python process, for what a long-running server does once and should not carry after.

Migrating (alembic and every migration module), reading the code's migrations (alembic) and reading the signing key
(the signature library) each load megabytes a server never frees; a child takes that memory with it when it exits.
The function is named by its dotted path; its arguments are strings on the child's command line (so nothing secret:
a secret goes by `env`); it returns something JSON can carry, written to a pipe of its own, so whatever the child
prints stays the user's to read. A function that refuses (SystemExit with a message) prints why on stderr, as any
command does.
"""

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

# The child: call the function, write its result (JSON) to the file descriptor it was given.
_CHILD = (
    "import importlib, json, os, sys\n"
    "module, _, name = sys.argv[2].rpartition('.')\n"
    "result = getattr(importlib.import_module(module), name)(*sys.argv[3:])\n"
    "with os.fdopen(int(sys.argv[1]), 'w', encoding='utf-8') as out: json.dump(result, out)\n"
)


class ChildFailed(Exception):
    def __init__(self, returncode: int, stderr: str) -> None:
        super().__init__(stderr.strip()[-300:] or f"the child process exited with status {returncode}")
        self.returncode = returncode


def _argv(result_fd: int, function: str, args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-c", _CHILD, str(result_fd), function, *args]


def _read(read_fd: int) -> str:
    with os.fdopen(read_fd, "r", encoding="utf-8") as result:
        return result.read()


def _decode(written: str) -> Any:
    return json.loads(written or "null")


def call_in_child(function: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    """`function(*args)` in a child; its output and its errors reach the terminal as they come. A child that fails
    ends this process too, with its status: only for commands (`serve` before it serves)."""
    read_fd, write_fd = os.pipe()
    try:
        child = subprocess.Popen(_argv(write_fd, function, args), pass_fds=(write_fd,), env={**os.environ, **(env or {})})
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    written = _read(read_fd)  # read while the child runs (and until it exits): a result of any size
    if child.wait():
        raise SystemExit(child.returncode)  # the child said why
    return _decode(written)


async def call_in_child_async(function: str, *args: str) -> Any:
    """`function(*args)` in a child, from a running server: a failure raises ChildFailed (with the child's stderr)
    and ends nothing else."""
    read_fd, write_fd = os.pipe()
    try:
        child = await asyncio.create_subprocess_exec(
            *_argv(write_fd, function, args), pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    written, (_, err) = await asyncio.gather(asyncio.to_thread(_read, read_fd), child.communicate())
    if child.returncode:
        raise ChildFailed(child.returncode, err.decode(errors="replace"))
    return _decode(written)
