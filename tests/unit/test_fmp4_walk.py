"""The live view's box walker (live/fmp4.py) on a camera's real fMP4 (ffmpeg), cut at every kind of place, and on
input that is no fragmented MP4: truncated boxes are "not yet", anything else a NotLive with its reason, never
another exception."""

import struct
import subprocess

import pytest

from recording_service.live.fmp4 import NotLive, walk

from ..support import run_async


@pytest.fixture(scope="module")
def camera(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("fmp4") / "cam.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "20"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0"]
        + ["-movflags", "frag_keyframe+empty_moov+default_base_moof", str(path)],
        check=True,
        timeout=120,
    )
    return path.read_bytes()


def reader(data: bytes, calls: list | None = None):
    async def read(start: int, end: int) -> bytes:
        assert 0 <= start <= end <= len(data), (start, end, len(data))
        if calls is not None:
            calls.append((start, end))
        return data[start:end]

    return read


def walked(data: bytes, received: int | None = None, init=None, position: int = 0, calls=None):
    return run_async(walk(reader(data, calls), len(data) if received is None else received, init, position))


def test_a_camera_file_is_ten_fragments_of_two_seconds(camera):
    result = walked(camera)
    assert result.init is not None and result.init.timescale > 0
    assert len(result.fragments) == 10
    assert [f.duration / result.init.timescale for f in result.fragments] == [2.0] * 10
    assert [f.decode_time for f in result.fragments] == [i * 2 * result.init.timescale for i in range(10)]
    assert result.fragments[0].start == result.init.end
    assert all(a.end == b.start for a, b in zip(result.fragments, result.fragments[1:]))
    assert camera[result.fragments[0].start + 4 : result.fragments[0].start + 8] == b"moof"
    assert result.position == result.fragments[-1].end  # the mfra after it is no fragment


@pytest.mark.parametrize("step", [7919, 65536])
def test_walking_bit_by_bit_finds_the_same_fragments_and_reads_little(camera, step):
    whole = walked(camera)
    init, position, found, calls = None, 0, [], []
    for received in list(range(0, len(camera), step)) + [len(camera)]:
        step = walked(camera, received, init, position, calls)
        if step.init is None:
            assert not step.fragments
            continue
        init, position = step.init, step.position
        found += step.fragments
        assert all(f.end <= received for f in step.fragments)  # nothing past the bytes received
    assert found == whole.fragments
    if step == 65536:  # a PATCH's worth at a time: headers and small windows, never the file's bytes again
        assert sum(end - start for start, end in calls) < len(camera) / 5


@pytest.mark.parametrize(
    "body, code",
    [
        (b"\x00\x01garbage that is no MP4 at all" * 40, "not-mp4"),
        (b"GIF89a" + bytes(200), "not-mp4"),
        (struct.pack(">I4s", 0, b"ftyp") + bytes(100), "not-fragmented"),  # a box running to the end of the file
        (struct.pack(">I4s", 4, b"ftyp") + bytes(100), "not-mp4"),  # smaller than its own header
        (struct.pack(">I4s4sI", 16, b"ftyp", b"isom", 0) + struct.pack(">I4s", 1000, b"mdat") + bytes(992), "not-fragmented"),
    ],
)
def test_what_is_no_fragmented_mp4_is_said_to_be_so(body, code):
    with pytest.raises(NotLive) as refused:
        walked(body)
    assert refused.value.code == code and "无法实时查看" in refused.value.reason


def test_a_plain_mp4_with_its_index_at_the_end_cannot_be_shown_live(tmp_path):
    path = tmp_path / "plain.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
        timeout=60,
    )
    with pytest.raises(NotLive) as refused:
        walked(path.read_bytes())
    assert refused.value.code == "not-fragmented"


def test_cut_anywhere_the_walk_says_not_yet_or_finds_whole_fragments(camera):
    whole = walked(camera).fragments
    for cut in (0, 3, 8, 20, 500, whole[0].start + 4, whole[0].start + 30, whole[0].end - 1, whole[0].end, whole[3].end + 9):
        result = walked(camera[:cut])
        assert result.fragments == [f for f in whole if f.end <= cut]


def test_a_moof_whose_sample_table_overruns_it_is_refused(camera):
    result = walked(camera)
    start = result.fragments[0].start
    damaged = bytearray(camera)
    # the trun's sample count, made huge: its table would run far past the moof
    at = damaged.index(b"trun", start) + 8
    damaged[at : at + 4] = struct.pack(">I", 10_000_000)
    with pytest.raises(NotLive):
        walked(bytes(damaged))
