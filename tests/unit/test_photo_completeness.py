"""现场照片 in completeness: photos are counted where a stage expects them (a recommendation or a requirement, as
the catalog marks it), and are never an audio-visual record (no recording rule met, no continuity joined)."""

from datetime import UTC, datetime, timedelta

from recording_service.catalog.schemas import Stage
from recording_service.timeline.completeness import Clip, StageFacts, photo_count, stage_findings, stage_recommendations

AT = datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
TOLERANCE = {"gap_tolerance": timedelta(seconds=30), "window_tolerance": timedelta(minutes=10)}


def stage(**overrides) -> Stage:
    body = {"code": "inspection", "order": 1, "name_zh": "现场检查", "name_en": "On-site inspection", "av": {"rule": "whole_process"}}
    return Stage.model_validate({**body, **overrides})


def clip(n: int, kind: str | None, status: str = "ready", device: str = "CAM", start: int = 0, seconds: int = 60) -> Clip:
    begin = AT + timedelta(seconds=start)
    return Clip(f"b{n}", f"m{n}", device, begin, begin + timedelta(seconds=seconds), None, status, kind)


def facts(definition: Stage, clips: list[Clip], **more) -> StageFacts:
    return StageFacts(definition=definition, status="closed", started_at=AT, ended_at=AT + timedelta(hours=1), clips=clips, **more)


def kinds(findings) -> list[str]:
    return sorted(f.kind for f in findings)


def test_a_required_photo_rule_is_a_finding_until_enough_usable_photos_are_bound():
    required = stage(photos={"expect": "required", "min": 2}, av={"rule": "none"})
    one = facts(required, [clip(1, "image"), clip(2, "image", status="probe_failed"), clip(3, "video")])
    (finding,) = stage_findings(one, **TOLERANCE)
    assert (finding.kind, finding.required, finding.present) == ("missing_photos", 2, 1)
    assert finding.message_zh == "现场检查：应当留存现场照片（不少于 2 张），已关联 1 张可用照片。"
    assert stage_recommendations(one) == []
    two = facts(required, [clip(1, "image"), clip(4, "image", start=120)])
    assert stage_findings(two, **TOLERANCE) == [] and photo_count(two) == 2


def test_a_recommended_photo_rule_is_a_recommendation_never_a_finding():
    recommended = stage(photos={"expect": "recommended"})
    without = facts(recommended, [clip(1, "video")])
    assert stage_findings(without, **TOLERANCE) == []
    (advice,) = stage_recommendations(without)
    assert (advice.kind, advice.present, advice.required) == ("photos_recommended", 0, 1)
    assert stage_recommendations(facts(recommended, [clip(1, "video"), clip(2, "image")])) == []
    # A condition on the stage's attributes, as other rules take one; stages not reached are not told anything.
    conditional = stage(photos={"expect": "recommended", "when": {"attribute": "on_site", "equals": True}})
    assert stage_recommendations(facts(conditional, [])) == []
    assert kinds(stage_recommendations(facts(conditional, [], attributes={"on_site": True}))) == ["photos_recommended"]
    assert stage_recommendations(StageFacts(definition=recommended, status="not_started")) == []


def test_photos_and_documents_are_no_recording_and_join_no_continuity():
    recorded = stage()
    only_stills = facts(recorded, [clip(1, "image"), clip(2, "document")])
    (unusable,) = stage_findings(only_stills, **TOLERANCE)
    assert unusable.kind == "unusable_audio_visual" and "照片" in unusable.message_zh and "PDF 文件" in unusable.message_zh
    # Two recordings 10 minutes apart on one camera: a gap, whatever photos the same camera took in between.
    recordings = [clip(1, "video", seconds=60), clip(2, "video", start=660, seconds=60)]
    photos = [clip(3 + n, "image", start=60 + n * 20, seconds=0) for n in range(30)]
    assert kinds(stage_findings(facts(recorded, recordings + photos), **TOLERANCE)) == ["continuity_gap"]
    assert kinds(stage_findings(facts(recorded, [clip(1, "video"), clip(2, "image", start=5000, seconds=0)]), **TOLERANCE)) == [
        "outside_stage_window"
    ]
