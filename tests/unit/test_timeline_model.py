"""The timeline as typed values: assembled in-process from a migrated SQLite file (no server), it serialises to
the JSON the API has always sent — keys in their order, a key present only where its variant has it."""

from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from recording_service.review.service import review_case
from recording_service.stats.refresh import figures_of
from recording_service.timeline.model import (
    AdjustableDeadline,
    AdjustableLimitMissed,
    AmountOverLimit,
    ContinuityGap,
    Deadline,
    LimitMissed,
    ReviewFinding,
    Timeline,
    UnboundMedia,
    plain,
    timeline_json,
)
from recording_service.timeline.service import assemble_timeline
from tests.support import run_async
from tests.support.timeline_case import build_case, case_of

TOP = ["case", "procedure", "stages", "entries", "completeness", "deadlines"]
STAGE = [
    "id",
    "stage",
    "name",
    "name_en",
    "order",
    "optional",
    "status",
    "started_at",
    "ended_at",
    "officers",
    "attributes",
    "notes",
    "documents",
    "media",
    "unbound_media",
    "interruptions",
    "findings",
    "photos",
    "photo_rule",
    "in_progress",  # issue 29: required footage still being recorded
]
MEDIA = [
    "binding_id",
    "media_id",
    "sha256",
    "size",
    "filename",
    "status",
    "device_id",
    "officer_ids",
    "duration_s",
    "recorded_started_at",
    "recorded_ended_at",
    "segment",
    "note",
    "content_url",
    "fixity_checked_at",
    "bound_at",
    "upload_lag_s",
    "kind",
    "image",
    "recording",  # issue 29: how far footage still being recorded has come (null otherwise)
]
DEADLINE = [
    "rule",
    "name_zh",
    "name_en",
    "basis",
    "stage",
    "start",
    "end",
    "due_on",
    "limit_days",
    "limit_years",
    "count",
    "direction",
    "used_days",
    "provisional",
    "state",
]
ADJUSTED = ["extension_days", "paused_days", "paused_now", "late_extensions"]


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Timeline, dict, dict | None, tuple]:
    async def run(directory: Path) -> tuple[Timeline, dict, dict | None, tuple]:
        built = await build_case(directory)
        async with built.sessions() as session:
            case = await case_of(session, built.case_id)
            timeline = await assemble_timeline(session, built.catalog, built.settings, built.principal, case)
            review, _ = await review_case(session, built.catalog, built.settings, built.principal, case)
            figures = figures_of(built.catalog, case, timeline, built.settings.tz)
        return timeline, orjson.loads(timeline_json(timeline)), review, figures

    return run_async(run(tmp_path_factory.mktemp("timeline")))


def test_the_json_has_the_timelines_keys_in_order(assembled):
    _, body, _, _ = assembled
    assert list(body) == TOP
    assert list(body["procedure"]) == ["code", "name_zh", "name_en"]
    assert list(body["completeness"]) == ["complete", "findings", "recommendations", "in_progress", "state"]
    assert [list(stage) for stage in body["stages"]] == [STAGE] * len(body["stages"])
    investigation = next(stage for stage in body["stages"] if stage["stage"] == "investigation")
    assert [list(m) for m in investigation["media"]] == [MEDIA] * 3
    assert [list(m) for m in investigation["unbound_media"]] == [MEDIA + ["unbound_at", "unbind_reason"]]
    segments = [m["segment"] for m in investigation["media"]]
    assert segments[0] is None and list(segments[1]) == ["start_offset_s", "end_offset_s", "adjusted", "problem", "problem_zh"]
    document = body["stages"][0]["documents"][0]
    assert list(document) == ["id", "case_id", "stage_id", "doc_type", "doc_type_name", "current", "version_count"]
    assert "text" not in document["current"] and list(document["current"])[:4] == ["version", "doc_number", "title", "status"]


def test_entries_and_findings_carry_the_keys_of_their_kind(assembled):
    timeline, body, _, _ = assembled
    shapes = {entry["kind"]: list(entry) for entry in body["entries"]}
    assert shapes["stage_opened"] == ["at", "kind", "stage"]
    assert shapes["document_signed"] == ["at", "kind", "stage", "document_id", "doc_type", "doc_number"]
    assert shapes["recording"] == ["at", "kind", "stage", "media_id", "device_id", "ended_at"]
    assert shapes["interruption"] == ["at", "kind", "stage", "device_id", "ended_at", "reason", "reason_name", "text"]
    assert shapes["footage_unbound"] == ["at", "kind", "stage", "media_id", "reason"]
    assert [entry["at"] for entry in body["entries"]] == sorted(entry["at"] for entry in body["entries"])
    findings = {(f["kind"], f.get("check")): list(f) for f in body["completeness"]["findings"]}
    base = ["stage", "kind", "message", "message_zh"]
    assert findings["missing_document", None] == base + ["doc_types"]
    assert findings["unknown_recording_time", None] == base + ["media_id", "binding_id"]
    assert findings["insufficient_officers", None] == base + ["required", "present"]
    assert findings["review", "party_id_number"] == ["stage", "kind", "check", "message", "message_zh", "party_index"]
    assert findings["review", "doc_number_format"][-2:] == ["document_id", "doc_number"]
    missed = [f for f in timeline.completeness.findings if isinstance(f, LimitMissed)]
    assert missed and all(isinstance(f, AdjustableLimitMissed) for f in missed)
    assert list(findings["time_limit", None])[-2:] == ["extension_days", "paused_days"]
    # Every finding of a stage is among the case's, and the case's findings are all some stage's.
    by_stage = [f for stage in timeline.stages for f in stage.findings]
    assert sorted(map(repr, by_stage)) == sorted(map(repr, timeline.completeness.findings))


def test_deadlines_of_an_adjustable_rule_add_their_adjustments(assembled):
    timeline, body, _, _ = assembled
    adjustable = [d for d in timeline.deadlines if isinstance(d, AdjustableDeadline)]
    assert adjustable
    for deadline, shown in zip(timeline.deadlines, body["deadlines"]):
        assert list(shown) == DEADLINE + (ADJUSTED if isinstance(deadline, AdjustableDeadline) else [])


def test_plain_dicts_and_native_serialisation_agree(assembled):
    timeline, _, review, _ = assembled
    assert timeline_json(timeline) == orjson.dumps(plain(timeline), option=orjson.OPT_NON_STR_KEYS)
    sorted_keys = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
    assert orjson.loads(orjson.dumps(plain(timeline), option=sorted_keys)) == orjson.loads(timeline_json(timeline))
    assert review is not None and review["findings"] == [plain(f) for f in timeline.completeness.findings]
    assert review["deadlines"] == plain(timeline.deadlines)


def test_statistics_read_the_timeline(assembled):
    timeline, _, _, (figures, counted) = assembled
    assert figures["complete"] is False and figures["findings"] == len(timeline.completeness.findings)
    assert counted[("review", "party_id_number")] == 1 and counted[("time_limit", "decision_within_90_days")] == 1


def test_variants_serialise_as_the_json_always_had_them():
    """Shapes the assembled case above does not reach: a plain deadline, a continuity gap, a fine over the limit, a
    limit that takes no adjustments, a review finding with nothing more."""
    deadline = Deadline(
        rule="r",
        name_zh="期限",
        name_en="limit",
        basis="art. 1",
        stage="s",
        start=date(2026, 3, 2),
        end=None,
        due_on=date(2026, 3, 9),
        limit_days=5,
        limit_years=None,
        count="working",
        direction="within",
        used_days=3,
        provisional=False,
        state="running",
    )
    assert list(orjson.loads(orjson.dumps(deadline))) == DEADLINE
    moment = datetime(2026, 3, 2, 9, tzinfo=UTC)
    gap = ContinuityGap(stage="s", message="m", message_zh="z", device_id="CAM", gap_start=moment, gap_end=moment, gap_s=0.0, media_id="x")
    assert orjson.loads(orjson.dumps(gap)) == {
        "stage": "s",
        "kind": "continuity_gap",
        "message": "m",
        "message_zh": "z",
        "device_id": "CAM",
        "gap_start": "2026-03-02T09:00:00+00:00",
        "gap_end": "2026-03-02T09:00:00+00:00",
        "gap_s": 0.0,
        "media_id": "x",
    }
    fine = AmountOverLimit(
        stage="s", rule="r", message="m", message_zh="z", amount_yuan=300.0, max_yuan=200.0, party_kind="person", provisional=False
    )
    assert list(orjson.loads(orjson.dumps(fine))) == [
        "stage",
        "kind",
        "rule",
        "message",
        "message_zh",
        "amount_yuan",
        "max_yuan",
        "party_kind",
        "provisional",
    ]
    assert fine.code == "r" and gap.code is None
    missed = LimitMissed(
        stage="s",
        message="m",
        message_zh="z",
        rule="r",
        start="2026-03-02",
        end=None,
        due_on="2026-03-09",
        limit_days=5,
        limit_years=None,
        count="working",
        used_days=6,
        provisional=False,
    )
    assert list(orjson.loads(orjson.dumps(missed)))[-2:] == ["used_days", "provisional"]
    witness = ReviewFinding(stage="s", check="service_witness", message="m", message_zh="z")
    assert orjson.dumps(witness) == b'{"stage":"s","kind":"review","check":"service_witness","message":"m","message_zh":"z"}'
    assert witness.code == "service_witness"
    assert "unbound_at" in UnboundMedia.__dataclass_fields__
