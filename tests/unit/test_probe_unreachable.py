"""What ffprobe is asked and when its failure is the recording's. Found by bench/cluster.py (20 docks uploading to
SeaweedFS while replicas and workers were killed): 7 of 20 recordings stayed `probe_failed` with "Connection timed
out" — ffmpeg-python 0.2.0 passed the probe's 60 s as ffprobe's `-timeout 60`, a 60 µs socket timeout for a URL — and
one more when the worker's process group was stopped mid-probe. A store that does not answer, or an ffprobe stopped
by a signal, says nothing about the recording: the probe raises and the job is tried again."""

import socket
from zoneinfo import ZoneInfo

import pytest

from recording_service.media.probe import ProbeInterrupted, probe

from ..support import run_async

TZ = ZoneInfo("Asia/Shanghai")


def test_a_store_that_refuses_the_connection_is_retried_not_recorded():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/evidence/key?X-Amz-Signature=secret"
    with pytest.raises(ProbeInterrupted) as raised:
        run_async(probe(url, "ffprobe", 30, TZ))
    assert "refused" in str(raised.value).lower() and "secret" not in str(raised.value)


def test_an_ffprobe_stopped_by_a_signal_is_retried_not_recorded(tmp_path):
    stopped = tmp_path / "ffprobe"
    stopped.write_text("#!/bin/sh\nkill -TERM $$\n")
    stopped.chmod(0o755)
    with pytest.raises(ProbeInterrupted, match="signal 15"):
        run_async(probe(str(tmp_path / "clip.mp4"), str(stopped), 30, TZ))


def test_the_timeout_is_the_whole_probe_not_a_socket_option(tmp_path):
    slow = tmp_path / "ffprobe"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    result = run_async(probe(str(tmp_path / "clip.mp4"), str(slow), 0.5, TZ))
    assert not result.ok and result.error == "ffprobe did not finish within 0.5 s"


def test_bytes_that_are_not_a_recording_are_still_recorded_as_such(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(b"not a recording at all" * 1000)
    result = run_async(probe(str(path), "ffprobe", 30, TZ))
    assert not result.ok and "Invalid data" in (result.error or "")
