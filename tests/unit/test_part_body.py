"""An S3 part sent from the pieces it arrived in: every read, seek and re-read gives the part's bytes."""

import base64
import io
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from recording_service.storage.s3 import PartBody, crc32_b64, joined

pieces_strategy = st.lists(st.binary(max_size=300), max_size=12)
reads_strategy = st.lists(st.one_of(st.integers(min_value=-1, max_value=400), st.none()), max_size=30)


def read_out(body: PartBody, sizes: list[int | None]) -> bytes:
    out = bytearray()
    for size in sizes:
        out += body.read(size if size is not None else -1)
    while block := body.read(7):
        out += block
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(pieces=pieces_strategy, sizes=reads_strategy, seek_to=st.integers(min_value=0, max_value=4000))
def test_reads_and_seeks_give_the_parts_bytes(pieces, sizes, seek_to):
    whole = b"".join(pieces)
    body = PartBody([memoryview(piece) for piece in pieces])
    assert len(body) == len(whole)
    assert read_out(body, sizes) == whole and body.tell() == len(whole)
    assert body.read() == b""
    # A retry rewinds: the same bytes again, from anywhere.
    assert body.seek(seek_to) == min(seek_to, len(whole))
    assert read_out(body, sizes) == whole[seek_to:]
    assert body.seek(0) == 0 and read_out(body, []) == whole
    assert body.seek(-min(3, len(whole)), io.SEEK_END) == len(whole) - min(3, len(whole))
    assert read_out(body, []) == whole[len(whole) - min(3, len(whole)) :]


@settings(max_examples=200, deadline=None)
@given(pieces=pieces_strategy, size=st.integers(min_value=1, max_value=64))
def test_readinto_never_overfills_the_callers_buffer(pieces, size):
    whole = b"".join(pieces)
    body, out = PartBody([memoryview(piece) for piece in pieces]), bytearray()
    buffer = bytearray(size)
    while count := body.readinto(buffer):
        assert count <= size
        out += buffer[:count]
    assert bytes(out) == whole


@settings(max_examples=200, deadline=None)
@given(pieces=pieces_strategy, start=st.integers(min_value=0, max_value=4000), length=st.integers(min_value=0, max_value=4000))
def test_slices_and_checksums_of_pieces_match_the_joined_bytes(pieces, start, length):
    whole = b"".join(pieces)
    views = [memoryview(piece) for piece in pieces]
    assert joined(views, start, start + length) == whole[start : start + length]
    assert crc32_b64(*views) == crc32_b64(whole)
    assert int.from_bytes(base64.b64decode(crc32_b64(*views)), "big") == zlib.crc32(whole)
