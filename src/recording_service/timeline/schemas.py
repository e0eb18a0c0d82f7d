"""The timeline's shape, for the OpenAPI description (the endpoint serialises the dataclasses of model.py)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from ..cases.schemas import CaseOut, DocumentOut, InterruptionOut, StageNote


class Segment(BaseModel):
    start_offset_s: float | None
    end_offset_s: float | None
    adjusted: bool = Field(
        default=False,
        description="the stored offsets were not usable (a row from before they were "
        "checked): the unusable ones are shown as null, `problem` says why",
    )
    problem: str | None = None
    problem_zh: str | None = None


class RecordingProgress(BaseModel):
    bytes_received: int = Field(description="bytes acknowledged so far")
    started_at: datetime | None = Field(description="when its first bytes arrived")
    last_received_at: datetime | None = Field(description="when bytes last arrived")
    upload_id: str | None = Field(description="the tus upload it arrives by (its live view: /api/v1/live/{upload_id})")


class TimelineMedia(BaseModel):
    binding_id: str
    media_id: str
    sha256: str | None = Field(description="null while the footage is still being recorded (status recording)")
    size: int
    filename: str | None
    status: str
    device_id: str | None
    officer_ids: list[str]
    duration_s: float | None
    recorded_started_at: datetime | None = Field(description="start of the bound footage (segment-aware)")
    recorded_ended_at: datetime | None
    segment: Segment | None
    note: str | None
    content_url: str
    fixity_checked_at: datetime | None = Field(
        default=None, description="when the stored bytes were last re-hashed and matched (a mismatch turns status to corrupt or missing)"
    )
    bound_at: datetime
    upload_lag_s: float | None = Field(default=None, description="seconds from the end of the recording to its storage")
    kind: str | None = Field(default=None, description="video, audio, image (a photo) or document (a PDF); null: unknown")
    image: dict[str, Any] | None = Field(
        default=None, description="a photo's facts: format, width, height, taken_at, taken_at_offset, camera_make, camera_model …"
    )
    recording: RecordingProgress | None = Field(default=None, description="only while status is recording: how far it has come")
    unbound_at: datetime | None = Field(default=None, description="only in unbound_media")
    unbind_reason: str | None = None


class Finding(BaseModel):
    stage: str
    kind: str = Field(
        description="missing_document, missing_audio_visual, unusable_audio_visual, unknown_recording_time, "
        "insufficient_officers, uncertified_officer, continuity_gap, outside_stage_window, integrity, missing_photos, "
        "time_limit, review; in recommendations: photos_recommended; in in_progress: recording_in_progress"
    )
    message: str
    message_zh: str = Field(description="the same in Chinese, as the pages show it")
    doc_types: list[str] | None = None
    device_id: str | None = None
    gap_start: datetime | None = None
    gap_end: datetime | None = None
    gap_s: float | None = None
    media_id: str | None = None
    media_ids: list[str] | None = None
    binding_id: str | None = None
    required: int | None = Field(default=None, description="insufficient_officers, missing_photos, photos_recommended: the minimum")
    present: int | None = None
    officer_id: str | None = Field(default=None, description="uncertified_officer: who")
    reason: str | None = Field(
        default=None, description="uncertified_officer: not_registered, outside_validity, suspended, cancelled, revoked or category"
    )
    on: str | None = Field(default=None, description="uncertified_officer: the stage's day (agency time)")
    rule: str | None = Field(default=None, description="time_limit: the rule's code (catalog time_limits.yaml)")
    start: str | None = Field(default=None, description="time_limit: the day the limit ran from (not counted)")
    end: str | None = Field(default=None, description="time_limit: the day the limited event happened (null: not yet)")
    due_on: str | None = Field(default=None, description="time_limit: the due date")
    limit_days: int | None = None
    limit_years: int | None = Field(default=None, description="time_limit: a limit in years (limitation period)")
    count: str | None = Field(default=None, description="time_limit: working, calendar (days) or years")
    used_days: int | None = None
    provisional: bool | None = Field(default=None, description="time_limit: counted Monday–Friday in a year without calendar data")
    extension_days: int | None = Field(default=None, description="time_limit: approved extensions counted")
    paused_days: int | None = Field(default=None, description="time_limit: days not counted (听证, 公告, 检测, 鉴定)")
    amount_yuan: float | None = Field(default=None, description="time_limit simple_procedure_amount: the fine")
    max_yuan: float | None = Field(default=None, description="time_limit simple_procedure_amount: the most this party may be fined")
    party_kind: str | None = None
    check: str | None = Field(
        default=None,
        description="review: stage_order, doc_number_format, doc_number_duplicate, party_name, "
        "party_id_number, record_signature, service_witness or legal_review",
    )
    document_id: str | None = Field(default=None, description="review: the document concerned")
    doc_number: str | None = None
    earlier_stage: str | None = Field(default=None, description="review stage_order: the stage dated after this one")
    party_index: int | None = Field(default=None, description="review party_id_number: which party (0-based)")


class TimelineStage(BaseModel):
    id: str | None
    stage: str
    name: str
    name_en: str
    order: int
    optional: bool
    status: str = Field(description="not_started, open, closed or skipped")
    started_at: datetime | None
    ended_at: datetime | None
    officers: list[str]
    attributes: dict[str, Any]
    notes: list[StageNote]
    documents: list[DocumentOut]
    media: list[TimelineMedia]
    unbound_media: list[TimelineMedia]
    interruptions: list[InterruptionOut] = Field(description="explanations recorded for interruptions in recording")
    findings: list[Finding]
    photos: int = Field(default=0, description="photos (kind image, described, intact) bound to the stage")
    photo_rule: dict[str, Any] | None = Field(
        default=None,
        description="what the catalog expects of photos here as the stage stands: {expect: recommended|required, min}; null: nothing",
    )
    in_progress: list[Finding] = Field(
        default_factory=list,
        description="recording_in_progress: the stage's required audio-visual record is only footage still being recorded",
    )


class Entry(BaseModel):
    at: datetime
    kind: str = Field(
        description="stage_opened, stage_closed, stage_skipped, document_issued, document_signed, "
        "document_served, recording, footage_unbound"
    )
    stage: str


class Completeness(BaseModel):
    complete: bool
    findings: list[Finding]
    recommendations: list[Finding] = Field(
        default_factory=list, description="what the catalog recommends and the record lacks (photos_recommended): never makes it incomplete"
    )
    in_progress: list[Finding] = Field(
        default_factory=list,
        description="stages whose required audio-visual record is only footage still being recorded (recording_in_progress): "
        "neither complete nor missing; `complete` is false while any is listed",
    )
    state: str = Field(
        default="complete",
        description="complete, incomplete (there are findings) or recording (no findings, but required footage is still being recorded)",
    )


class ProcedureRef(BaseModel):
    code: str
    name_zh: str
    name_en: str


class Deadline(BaseModel):
    rule: str
    name_zh: str
    name_en: str
    basis: str
    stage: str
    start: date
    end: date | None
    due_on: date
    limit_days: int | None = Field(description="the limit in days (null for a limit in years)")
    limit_years: int | None = None
    count: str = Field(description="working, calendar or years")
    direction: str = Field(description="within, within_if_any (a party's option), after or not_before")
    used_days: int
    provisional: bool
    state: str = Field(
        description="running (due date ahead), paused (an open pause stops the clock), waiting (a window still "
        "open), lapsed (a party's window closed unused), kept or missed"
    )
    extension_days: int | None = Field(default=None, description="adjustable limits: approved extensions counted")
    paused_days: int | None = Field(default=None, description="adjustable limits: days not counted")
    paused_now: bool | None = None
    late_extensions: list[str] | None = Field(default=None, description="extensions approved after the limit had run out (not counted)")


class Timeline(BaseModel):
    case: CaseOut
    procedure: ProcedureRef
    stages: list[TimelineStage]
    entries: list[Entry]
    completeness: Completeness
    deadlines: list[Deadline] = Field(description="every statutory time limit the record can decide, with its state")
