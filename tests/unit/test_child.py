"""core.child: a function called in a child Python process, as `serve` migrates and reads its key and readiness reads
the code's migrations."""

import subprocess
import sys

import pytest

from recording_service.core.child import ChildFailed, call_in_child, call_in_child_async

from ..support import run_async


def test_a_childs_result_comes_back_and_what_it_prints_stays_on_the_terminal():
    code = (
        "from recording_service.core.child import call_in_child\n"
        "print('result', call_in_child('os.path.join', 'a', 'b'))\n"
        "print('none', call_in_child('builtins.print', 'the child speaks'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["result a/b", "the child speaks", "none None"]


def test_a_child_that_refuses_ends_the_command_with_its_status_and_its_reason():
    code = "from recording_service.core.child import call_in_child\ncall_in_child('sys.exit', 'no key here')\nprint('not reached')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and done.stdout == "" and done.stderr.strip() == "no key here"


def test_a_secret_goes_by_the_environment():
    assert call_in_child("os.getenv", "RECORDING_TEST_SECRET", env={"RECORDING_TEST_SECRET": "s3cret"}) == "s3cret"


def test_from_a_server_a_failing_child_raises_and_ends_nothing_else():
    assert run_async(call_in_child_async("os.path.basename", "/a/b.txt")) == "b.txt"
    with pytest.raises(ChildFailed) as failed:
        run_async(call_in_child_async("recording_service.no_such_module.function"))
    assert failed.value.returncode == 1 and "ModuleNotFoundError" in str(failed.value)


def test_a_large_result_comes_back_whole():
    """More than a pipe holds (64 KiB): the parent reads while the child writes."""
    code = "from recording_service.core.child import call_in_child\nprint(len(call_in_child('builtins.str', 'x' * 100_000)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "100000"
    assert run_async(call_in_child_async("builtins.str", "字" * 40_000)) == "字" * 40_000
