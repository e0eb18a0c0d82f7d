"""The assembled timeline as typed values: what `assemble_timeline` builds and every reader (the review, the
statistics, the export, the pages) reads by attribute.

The classes serialise to the timeline's JSON as they stand: orjson writes a dataclass as an object with its
fields in the order they are declared (base class first), and `plain()` turns one into dicts and lists for the
places that need them (a sorted export, the review's pydantic body). A key the JSON holds only sometimes is a
subclass with the extra fields: a deadline of an adjustable limit, footage since unbound, a time-limit finding
of an adjustable rule. `schemas.py` describes the same shape to OpenAPI.

The case, its stages, findings and deadlines are frozen; the items a case holds by the thousand (footage,
documents, entries) are plain slotted classes, which build as fast as the dicts they replace (a frozen one
takes four times as long).
"""

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from ..cases.schemas import CaseOut, InterruptionOut

_T = TypeVar("_T")


@dataclass(slots=True, frozen=True)
class ProcedureRef:
    code: str
    name_zh: str
    name_en: str


# --- footage ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Segment:
    """The bound part of a recording, as it can be used (`adjusted`: a stored offset was not usable)."""

    start_offset_s: float | None
    end_offset_s: float | None
    adjusted: bool
    problem: str | None
    problem_zh: str | None


@dataclass(slots=True, kw_only=True)
class RecordingProgress:
    """Footage still arriving (status recording, issue 29): how far it has come."""

    bytes_received: int
    started_at: datetime | None
    last_received_at: datetime | None
    upload_id: str | None


@dataclass(slots=True, kw_only=True)
class TimelineMedia:
    binding_id: str
    media_id: str
    sha256: str | None  # None while still recording (issue 29)
    size: int
    filename: str | None
    status: str
    device_id: str | None
    officer_ids: list[str]
    duration_s: float | None
    recorded_started_at: datetime | None
    recorded_ended_at: datetime | None
    segment: Segment | None
    note: str | None
    content_url: str
    fixity_checked_at: datetime | None
    bound_at: datetime
    upload_lag_s: float | None
    kind: str | None = None  # video, audio, image (a photo), document (a PDF); None: unknown
    # A photo's facts as the probe read them (format, width, height, taken_at, camera_make, camera_model …).
    image: dict[str, Any] | None = None
    recording: RecordingProgress | None = None  # only while status is recording


@dataclass(slots=True, kw_only=True)
class UnboundMedia(TimelineMedia):
    """Footage once bound to the stage and since unbound (a stage's `unbound_media`)."""

    unbound_at: datetime
    unbind_reason: str | None


# --- documents -------------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class DocumentVersionView:
    """A document's current version without its text, times in the agency's zone."""

    version: int
    doc_number: str | None
    title: str
    status: str
    issued_at: datetime | None
    signed_at: datetime | None
    served_at: datetime | None
    signers: list[str]
    party_name: str | None
    refusal_note: str | None
    attachment_media_id: str | None
    change_note: str | None
    created_at: datetime
    created_by: str


@dataclass(slots=True, kw_only=True)
class TimelineDocument:
    id: str
    case_id: str
    stage_id: str
    doc_type: str
    doc_type_name: str
    current: DocumentVersionView
    version_count: int


# --- findings --------------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True, kw_only=True)
class Finding:
    """What the record lacks. Every finding names its stage and kind; each kind adds its own fields (a review
    finding names its `check` before its message, as the JSON always has)."""

    stage: str
    kind: str

    @property
    def code(self) -> str | None:
        """The time-limit rule or review check the finding is under (None for the completeness checks)."""
        return None


@dataclass(slots=True, frozen=True, kw_only=True)
class StageFinding(Finding):
    """A completeness finding with its message (missing_audio_visual has nothing more)."""

    message: str
    message_zh: str


@dataclass(slots=True, frozen=True, kw_only=True)
class MissingDocument(StageFinding):
    kind: str = field(default="missing_document", init=False)
    doc_types: list[str]


@dataclass(slots=True, frozen=True, kw_only=True)
class UnusableFootage(StageFinding):
    kind: str = field(default="unusable_audio_visual", init=False)
    media_ids: list[str]


@dataclass(slots=True, frozen=True, kw_only=True)
class RecordingInProgress(StageFinding):
    """The stage's required audio-visual record is footage still being recorded (issue 29): neither there nor
    missing yet. Listed in `completeness.in_progress`, never among the findings."""

    kind: str = field(default="recording_in_progress", init=False)
    media_ids: list[str]


@dataclass(slots=True, frozen=True, kw_only=True)
class FootageFinding(StageFinding):
    """unknown_recording_time or outside_stage_window: one bound clip."""

    media_id: str
    binding_id: str


@dataclass(slots=True, frozen=True, kw_only=True)
class TooFewOfficers(StageFinding):
    kind: str = field(default="insufficient_officers", init=False)
    required: int
    present: int


@dataclass(slots=True, frozen=True, kw_only=True)
class TooFewPhotos(StageFinding):
    """missing_photos (the catalog requires photos), or photos_recommended (a recommendation, not a finding)."""

    kind: str = "missing_photos"
    required: int
    present: int


@dataclass(slots=True, frozen=True, kw_only=True)
class UncertifiedOfficer(StageFinding):
    kind: str = field(default="uncertified_officer", init=False)
    officer_id: str
    reason: str
    on: str


@dataclass(slots=True, frozen=True, kw_only=True)
class ContinuityGap(StageFinding):
    kind: str = field(default="continuity_gap", init=False)
    device_id: str
    gap_start: datetime
    gap_end: datetime
    gap_s: float
    media_id: str


@dataclass(slots=True, frozen=True, kw_only=True)
class IntegrityFinding(StageFinding):
    kind: str = field(default="integrity", init=False)
    media_id: str


@dataclass(slots=True, frozen=True, kw_only=True)
class LimitMissed(StageFinding):
    """A statutory time limit missed (its dates as ISO strings)."""

    kind: str = field(default="time_limit", init=False)
    rule: str
    start: str
    end: str | None
    due_on: str
    limit_days: int | None
    limit_years: int | None
    count: str
    used_days: int
    provisional: bool

    @property
    def code(self) -> str | None:
        return self.rule


@dataclass(slots=True, frozen=True, kw_only=True)
class AdjustableLimitMissed(LimitMissed):
    """A missed limit that takes extensions and pauses: the days counted of each."""

    extension_days: int
    paused_days: int


@dataclass(slots=True, frozen=True, kw_only=True)
class AmountOverLimit(Finding):
    """A fine above what the simple procedure allows for this party (a `time_limit` finding by its rule)."""

    kind: str = field(default="time_limit", init=False)
    rule: str
    message: str
    message_zh: str
    amount_yuan: float
    max_yuan: float
    party_kind: str
    provisional: bool

    @property
    def code(self) -> str | None:
        return self.rule


@dataclass(slots=True, frozen=True, kw_only=True)
class ReviewFinding(Finding):
    """What a case-file reviewer checks (service_witness and legal_review have nothing more)."""

    kind: str = field(default="review", init=False)
    check: str
    message: str
    message_zh: str

    @property
    def code(self) -> str | None:
        return self.check


@dataclass(slots=True, frozen=True, kw_only=True)
class StageOrderFinding(ReviewFinding):
    earlier_stage: str


@dataclass(slots=True, frozen=True, kw_only=True)
class DocumentNumberFinding(ReviewFinding):
    """doc_number_format or doc_number_duplicate."""

    document_id: str
    doc_number: str


@dataclass(slots=True, frozen=True, kw_only=True)
class DocumentFinding(ReviewFinding):
    """party_name or record_signature."""

    document_id: str


@dataclass(slots=True, frozen=True, kw_only=True)
class PartyFinding(ReviewFinding):
    party_index: int


@dataclass(slots=True, frozen=True)
class Completeness:
    complete: bool
    findings: list[Finding]
    # What the catalog recommends and the record lacks (photos_recommended): shown, never making it incomplete.
    recommendations: list[Finding] = field(default_factory=list)
    # Stages whose required footage is still being recorded (issue 29): the record is not complete, nor is anything
    # missing yet. `state` says which: complete, incomplete (findings) or recording (no findings, something in progress).
    in_progress: list[Finding] = field(default_factory=list)
    state: str = "complete"

    @staticmethod
    def of(findings: list[Finding], recommendations: list[Finding], in_progress: list[Finding]) -> "Completeness":
        state = "incomplete" if findings else "recording" if in_progress else "complete"
        return Completeness(state == "complete", findings, recommendations, in_progress, state)


# --- time limits -----------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True, kw_only=True)
class Deadline:
    rule: str
    name_zh: str
    name_en: str
    basis: str
    stage: str
    start: date
    end: date | None
    due_on: date
    limit_days: int | None
    limit_years: int | None
    count: str
    direction: str
    used_days: int
    provisional: bool
    state: str


@dataclass(slots=True, frozen=True, kw_only=True)
class AdjustableDeadline(Deadline):
    """The limit of a rule that takes approved extensions and pauses."""

    extension_days: int
    paused_days: int
    paused_now: bool
    late_extensions: list[str]


# --- entries ---------------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Entry:
    """One moment of the case in time order: stage_opened, stage_closed or stage_skipped as it stands."""

    at: datetime
    kind: str
    stage: str


@dataclass(slots=True, kw_only=True)
class DocumentEntry(Entry):
    """document_issued, document_signed or document_served."""

    document_id: str
    doc_type: str
    doc_number: str | None


@dataclass(slots=True, kw_only=True)
class RecordingEntry(Entry):
    kind: str = field(default="recording", init=False)
    media_id: str
    device_id: str | None
    ended_at: datetime | None


@dataclass(slots=True, kw_only=True)
class UnboundEntry(Entry):
    kind: str = field(default="footage_unbound", init=False)
    media_id: str
    reason: str | None


@dataclass(slots=True, kw_only=True)
class InterruptionEntry(Entry):
    kind: str = field(default="interruption", init=False)
    device_id: str
    ended_at: datetime
    reason: str
    reason_name: str
    text: str | None


# --- the whole -------------------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True, kw_only=True)
class TimelineStage:
    id: str | None  # None: the stage has not started
    stage: str
    name: str
    name_en: str
    order: int
    optional: bool
    status: str  # not_started, open, closed or skipped
    started_at: datetime | None
    ended_at: datetime | None
    officers: list[str]
    attributes: dict[str, Any]
    notes: list[dict[str, Any]]
    documents: list[TimelineDocument]
    media: list[TimelineMedia]
    unbound_media: list[UnboundMedia]
    interruptions: list[InterruptionOut]
    findings: list[Finding]
    photos: int = 0  # usable photos bound
    # What the catalog expects of photos here as the stage stands: {"expect": recommended|required, "min": n}.
    photo_rule: dict[str, Any] | None = None
    # Required footage still being recorded here (issue 29): the stage is neither complete nor missing it.
    in_progress: list[Finding] = field(default_factory=list)


@dataclass(slots=True, frozen=True, kw_only=True)
class Timeline:
    case: CaseOut
    procedure: ProcedureRef
    stages: list[TimelineStage]
    entries: list[Entry]
    completeness: Completeness
    deadlines: list[Deadline]


def widened(value: Any, cls: type[_T], **more: Any) -> _T:
    """`value` as its subclass `cls`, with the fields only the subclass has (a deadline of an adjustable rule, footage
    since unbound)."""
    return cls(**{f.name: getattr(value, f.name) for f in fields(value) if f.init}, **more)


def _pydantic(value: object) -> Any:
    """orjson's `default`: the pydantic parts (the case, the interruptions) as their model_dump()."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def plain(value: Any) -> Any:
    """The value with its dataclasses and pydantic models as dicts (field order kept), as the JSON shows it."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def timeline_json(timeline: Timeline, option: int = 0) -> bytes:
    """The timeline as the API sends it (orjson writes the dataclasses natively)."""
    return orjson.dumps(timeline, default=_pydantic, option=option)
