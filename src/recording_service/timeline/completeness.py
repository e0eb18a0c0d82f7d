"""What the record lacks, stage by stage: the rules of the procedure catalog applied to what happened.

Findings are shown, never hidden: missing documents, missing or unplayable audio-visual record, footage
without a known recording time, too few certified officers, interruptions in whole-process recording,
footage outside the stage's time window, footage whose stored bytes failed a fixity check, and too few
photos where the catalog requires them. Where it only recommends photos, a stage without them gets a
recommendation (`stage_recommendations`), which leaves the record complete.

Photos (kind image) and scanned documents (kind document) are bound like footage but are no audio-visual
record: they never satisfy a stage's recording rule nor join its continuity; photos count toward the stage's
现场照片.

Footage still being recorded (status recording, issue 29) is neither a recording nor a missing one: a stage whose
required record is only such footage is in progress (`stage_in_progress`), and what can only be judged once the
bytes are in (a playable stream, a recording time the file itself may carry) waits for them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..catalog.schemas import AvRule, Stage
from .model import (
    ContinuityGap,
    FootageFinding,
    IntegrityFinding,
    MissingDocument,
    RecordingInProgress,
    StageFinding,
    TooFewOfficers,
    TooFewPhotos,
    UncertifiedOfficer,
    UnusableFootage,
)

COUNTED_DOCUMENT_STATUSES = {"signed", "issued", "served"}  # a draft is not yet part of the record
# Footage counts as an audio-visual record once ffprobe found a playable stream in intact bytes.
USABLE_MEDIA_STATUSES = {"ready"}
RECORDING = "recording"  # footage whose bytes are still arriving (media.models.MediaStatus.recording)
# Bound media that are no recording: a photo, a scanned document.
STILL_KINDS = {"image": "照片", "document": "PDF 文件"}


@dataclass
class Clip:
    binding_id: str
    media_id: str
    device_id: str | None
    start: datetime | None
    end: datetime | None
    note: str | None
    status: str
    kind: str | None = None  # video, audio, image, document (None: unknown)

    @property
    def still(self) -> bool:
        return self.kind in STILL_KINDS

    @property
    def usable_photo(self) -> bool:
        return self.kind == "image" and self.status in USABLE_MEDIA_STATUSES


@dataclass(frozen=True)
class Explained:
    """An explanation recorded for an interruption on one device."""

    device_id: str
    start: datetime
    end: datetime


# Explanations are written by people from clip times: a second either way still covers the gap.
EXPLANATION_SLACK = timedelta(seconds=1)


@dataclass
class StageFacts:
    definition: Stage
    status: str  # not_started, open, closed, skipped
    started_at: datetime | None = None
    ended_at: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    certified_officers: int = 0
    # Officers present who were not certified on the stage's day, by the register: (officer_id, reason, day, reason_zh,
    # who: the officer as people read one, 张三（3401001）).
    uncertified: list[tuple[str, str, date, str, str]] = field(default_factory=list)
    document_types: set[str] = field(default_factory=set)  # types of counted documents
    clips: list[Clip] = field(default_factory=list)
    explanations: list[Explained] = field(default_factory=list)


def stage_findings(
    facts: StageFacts, *, gap_tolerance: timedelta, window_tolerance: timedelta, document_names: dict[str, str] | None = None
) -> list[StageFinding]:
    definition = facts.definition
    code = definition.code
    stage = definition.name_zh
    doc_name = (document_names or {}).get
    if facts.status == "skipped" or (facts.status == "not_started" and definition.optional):
        return []
    findings: list[StageFinding] = []
    attributes = facts.attributes
    for requirement in definition.documents:
        if requirement.when is not None and not requirement.when.holds(attributes):
            continue
        if not facts.document_types.intersection(requirement.one_of):
            names = " / ".join(requirement.one_of)
            names_zh = "或".join(f"《{doc_name(t, t)}》" for t in requirement.one_of)
            findings.append(
                MissingDocument(
                    stage=code,
                    message=f"{code}: no signed, issued or served document of type {names}.",
                    message_zh=f"{stage}：缺少已签批、签发或送达的{names_zh}。",
                    doc_types=requirement.one_of,
                )
            )
    av = definition.av
    av_required = _av_required(facts)
    recordings = [clip for clip in facts.clips if not clip.still]
    if av_required and not facts.clips:
        findings.append(
            StageFinding(
                stage=code,
                kind="missing_audio_visual",
                message=f"{code}: audio-visual record required, none bound.",
                message_zh=f"{stage}：应当进行音像记录，但未关联任何音像。",
            )
        )
    elif av_required and not any(clip.status in USABLE_MEDIA_STATUSES for clip in recordings) and not _recording_only(recordings):
        # Something is bound, but nothing that plays: a photo, a scanned PDF or a truncated file is no recording.
        said = sorted({clip.status for clip in recordings} | {clip.kind for clip in facts.clips if clip.still and clip.kind})
        said_zh = sorted(
            {clip.status for clip in recordings} | {STILL_KINDS[clip.kind] for clip in facts.clips if clip.still and clip.kind}
        )
        findings.append(
            UnusableFootage(
                stage=code,
                message=f"{code}: audio-visual record required; the footage bound is not playable media ({', '.join(said)}).",
                message_zh=f"{stage}：应当进行音像记录，但关联的文件无法播放（{'、'.join(said_zh)}）。",
                media_ids=[clip.media_id for clip in facts.clips],
            )
        )
    photos = definition.photos
    if photos is not None and photos.expect == "required" and photos.applies(attributes):
        counted = photo_count(facts)
        if counted < photos.min:
            findings.append(
                TooFewPhotos(
                    stage=code,
                    message=f"{code}: {photos.min} photo(s) required, {counted} usable bound.",
                    message_zh=f"{stage}：应当留存{photos.label_zh}（不少于 {photos.min} 张），已关联 {counted} 张可用照片。",
                    required=photos.min,
                    present=counted,
                )
            )
    for clip in facts.clips:
        # A scanned paper document has no recording time to know; footage still arriving may carry it in its bytes.
        if clip.start is None and clip.kind != "document" and clip.status != RECORDING:
            findings.append(
                FootageFinding(
                    stage=code,
                    kind="unknown_recording_time",
                    message=f"{code}: footage {clip.media_id} has no known recording time (no metadata, container "
                    "time or camera file name): its place in the timeline and continuity cannot be checked.",
                    message_zh=f"{stage}：音像 {clip.media_id[:8]} 没有可知的录制时间，无法判断其时间位置与连续性。",
                    media_id=clip.media_id,
                    binding_id=clip.binding_id,
                )
            )
    rule = definition.officers
    if rule.min and (rule.when is None or rule.when.holds(attributes)) and facts.certified_officers < rule.min:
        findings.append(
            TooFewOfficers(
                stage=code,
                message=f"{code}: {facts.certified_officers} certified officer(s) present, {rule.min} required.",
                message_zh=f"{stage}：持证执法人员 {facts.certified_officers} 名，应不少于 {rule.min} 名。",
                required=rule.min,
                present=facts.certified_officers,
            )
        )
    for officer_id, reason, day, reason_zh, who in facts.uncertified:
        findings.append(
            UncertifiedOfficer(
                stage=code,
                message=f"{code}: officer {officer_id} was not certified on {day.isoformat()} ({reason}).",
                message_zh=f"{stage}：执法人员 {who} 在 {day.isoformat()} {reason_zh}。",
                officer_id=officer_id,
                reason=reason,
                on=day.isoformat(),
            )
        )
    if av.rule is AvRule.whole_process:
        findings += _continuity_gaps(code, stage, recordings, gap_tolerance, facts.explanations)
    if facts.started_at is not None:
        window_start = facts.started_at - window_tolerance
        window_end = facts.ended_at + window_tolerance if facts.ended_at else None
        for clip in facts.clips:
            if clip.start is None:
                continue
            end = clip.end or clip.start
            if clip.start < window_start or (window_end is not None and end > window_end):
                findings.append(
                    FootageFinding(
                        stage=code,
                        kind="outside_stage_window",
                        message=f"{code}: footage {clip.media_id} was recorded outside the stage's time window.",
                        message_zh=f"{stage}：音像 {clip.media_id[:8]} 的录制时间不在本环节的时间范围内。",
                        media_id=clip.media_id,
                        binding_id=clip.binding_id,
                    )
                )
    for clip in facts.clips:
        if clip.status in ("corrupt", "missing"):
            state = "已损坏（哈希不一致）" if clip.status == "corrupt" else "缺失"
            findings.append(
                IntegrityFinding(
                    stage=code,
                    message=f"{code}: stored bytes of footage {clip.media_id} are {clip.status}.",
                    message_zh=f"{stage}：音像 {clip.media_id[:8]} 的存储对象{state}。",
                    media_id=clip.media_id,
                )
            )
    return findings


def _av_required(facts: StageFacts) -> bool:
    av = facts.definition.av
    return av.rule in (AvRule.required, AvRule.whole_process) or (
        av.rule is AvRule.conditional and av.when is not None and av.when.holds(facts.attributes)
    )


def _recording_only(recordings: list[Clip]) -> bool:
    """No usable footage yet, but some still being recorded: the record is on its way, not missing."""
    return any(clip.status == RECORDING for clip in recordings) and not any(clip.status in USABLE_MEDIA_STATUSES for clip in recordings)


def stage_in_progress(facts: StageFacts) -> list[StageFinding]:
    """The stage's required audio-visual record while it is only footage still being recorded (录制中): shown beside
    the findings, keeping the record from being complete without calling anything missing."""
    definition = facts.definition
    if facts.status == "skipped" or (facts.status == "not_started" and definition.optional) or not _av_required(facts):
        return []
    recordings = [clip for clip in facts.clips if not clip.still]
    if not _recording_only(recordings):
        return []
    arriving = [clip.media_id for clip in recordings if clip.status == RECORDING]
    code, stage = definition.code, definition.name_zh
    return [
        RecordingInProgress(
            stage=code,
            message=f"{code}: the audio-visual record bound is still being recorded ({len(arriving)} item(s)); "
            "completeness is judged once it has arrived.",
            message_zh=f"{stage}：关联的音像仍在录制中（{len(arriving)} 段），录制完成后再判断记录是否完整。",
            media_ids=arriving,
        )
    ]


def photo_count(facts: StageFacts) -> int:
    """Photos bound to the stage that can be looked at (described, intact bytes)."""
    return sum(clip.usable_photo for clip in facts.clips)


def photo_expectation(facts: StageFacts) -> tuple[str, int] | None:
    """(expect, min) when the catalog expects photos of this stage as it stands (its condition holds)."""
    photos = facts.definition.photos
    if photos is None or not photos.applies(facts.attributes):
        return None
    return photos.expect, photos.min


def stage_recommendations(facts: StageFacts) -> list[StageFinding]:
    """What the catalog recommends and the stage lacks: fewer photos than recommended. Shown to reviewers; the
    record stays complete and nothing is scored."""
    definition = facts.definition
    photos = definition.photos
    if (
        facts.status in ("skipped", "not_started")
        or photos is None
        or photos.expect != "recommended"
        or not photos.applies(facts.attributes)
    ):
        return []
    counted = photo_count(facts)
    if counted >= photos.min:
        return []
    return [
        TooFewPhotos(
            stage=definition.code,
            kind="photos_recommended",
            message=f"{definition.code}: {photos.min} photo(s) recommended, {counted} usable bound.",
            message_zh=f"{definition.name_zh}：建议留存{photos.label_zh}（不少于 {photos.min} 张），已关联 {counted} 张可用照片。",
            required=photos.min,
            present=counted,
        )
    ]


def _explained(device: str, start: datetime, end: datetime, explanations: list[Explained]) -> bool:
    return any(e.device_id == device and e.start <= start + EXPLANATION_SLACK and e.end >= end - EXPLANATION_SLACK for e in explanations)


def _continuity_gaps(code: str, stage: str, clips: list[Clip], tolerance: timedelta, explanations: list[Explained]) -> list[ContinuityGap]:
    """Clips of one device must join up; a longer gap is an interruption unless an explanation was
    recorded for that device covering that gap (a note on a binding is not one)."""
    findings: list[ContinuityGap] = []
    by_device: dict[str, list[tuple[datetime, datetime, Clip]]] = {}  # (start, end, clip): the clips with both times
    for clip in clips:
        if clip.start is not None and clip.end is not None:
            by_device.setdefault(clip.device_id or "unknown", []).append((clip.start, clip.end, clip))
    for device, device_clips in sorted(by_device.items()):
        device_clips.sort(key=lambda timed: timed[0])
        reach = device_clips[0][1]
        for start, end, clip in device_clips[1:]:
            if start - reach > tolerance and not _explained(device, reach, start, explanations):
                seconds = round((start - reach).total_seconds(), 1)
                findings.append(
                    ContinuityGap(
                        stage=code,
                        message=f"{code}: recording on device {device} stopped for {seconds} s without an explanation.",
                        message_zh=f"{stage}：设备 {device} 的录像中断 {seconds:g} 秒，未作说明。",
                        device_id=device,
                        gap_start=reach,
                        gap_end=start,
                        gap_s=seconds,
                        media_id=clip.media_id,
                    )
                )
            reach = max(reach, end)
    return findings
