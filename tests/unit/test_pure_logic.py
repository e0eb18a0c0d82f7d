"""Pure logic, in process (no servers): quick to run, and the first place a regression shows."""

import base64
import zlib

import pytest

from recording_service.core.deps import on_the_loop
from recording_service.core.faults import _parse
from recording_service.core.principals import Principal, Role
from recording_service.ingest.metadata import Flag, UploadMetadata
from recording_service.media.models import Media
from recording_service.media.service import merge_sighting, officer_index
from recording_service.storage.base import Part
from recording_service.storage.s3 import composite_crc32, crc32_b64


def test_composite_crc32_is_what_s3_reports_for_assembled_parts():
    # SeaweedFS answered 'h37GPQ==-1' for an object assembled from one 5 MiB part of b"a".
    body = b"a" * (5 * 1024 * 1024)
    assert composite_crc32([Part(1, len(body), "etag", crc32_b64(body))]) == "h37GPQ==-1"
    two = [Part(1, 3, "e1", crc32_b64(b"abc")), Part(2, 3, "e2", crc32_b64(b"def"))]
    joined = base64.b64decode(two[0].checksum) + base64.b64decode(two[1].checksum)
    assert composite_crc32(two) == base64.b64encode(zlib.crc32(joined).to_bytes(4, "big")).decode() + "-2"


def test_a_sighting_strengthens_the_flag_and_adds_what_was_unknown():
    media = Media(flag="manual", officer_ids=["A1"], officer_index=officer_index(["A1"]), case_number=None, device_id="CAM-1", dock_id=None)
    added = merge_sighting(
        media, UploadMetadata(flag=Flag.important, officer_ids=["A1", "B2"], case_number="案1", device_id="CAM-2", dock_id="D1")
    )
    assert added == {"flag": {"from": "manual", "to": "important"}, "officer_ids": ["B2"], "case_number": "案1", "dock_id": "D1"}
    assert media.flag == "important" and media.officer_ids == ["A1", "B2"] and media.officer_index == ",A1,B2,"
    assert media.device_id == "CAM-1"  # a known device is never replaced
    assert merge_sighting(media, UploadMetadata(flag=Flag.scheduled, officer_ids=["B2"])) == {}  # weaker: nothing changes
    assert media.flag == "important"


def test_fault_points_parse_and_refuse_unknown_actions():
    assert _parse("a:kill, b:stop, c:eio") == {"a": "kill", "b": "stop", "c": "eio"}
    assert _parse("") == {}
    with pytest.raises(ValueError):
        _parse("a:explode")


def test_a_cursor_on_a_date_key_round_trips_and_is_checked_by_type():
    # The publication queue pages by due date: its next page's cursor must encode (it once raised) and decode.
    from datetime import date

    from recording_service.core.pagination import decode_cursor, encode_cursor
    from recording_service.core.problems import Problem

    cursor = encode_cursor([date(2026, 3, 9), "p1"])
    assert decode_cursor(cursor, [date, str]) == [date(2026, 3, 9), "p1"]
    with pytest.raises(Problem):
        decode_cursor(cursor, [str, str])


def test_a_principal_holds_a_role_whatever_it_was_given():
    # The role is checked by identity (`is Role.dock`) and principals key cached statements: a bare string equal to a
    # role would hash alike and fail those checks.
    given_a_string = Principal(id="t1", name="dock", role="dock", agency="A")  # type: ignore[arg-type]
    assert given_a_string.role is Role.dock
    assert given_a_string == Principal(id="t1", name="dock", role=Role.dock, agency="A")
    with pytest.raises(ValueError):
        Principal(id="t1", name="x", role="superuser", agency="A")  # type: ignore[arg-type]


def test_a_generator_is_refused_as_a_dependency_to_run_on_the_loop():
    def settings_then_cleanup():
        yield 1

    with pytest.raises(TypeError):
        on_the_loop(settings_then_cleanup)
