from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from sqlalchemy import RowMapping

from ..catalog.schemas import Catalog, RetentionClass
from ..core.config import Settings
from ..core.principals import Principal, Role
from ..core.times import local, local_notes
from ..core.values import RequestModel, sane_date
from ..media.schemas import MediaOut
from .models import Case, CaseStage, Document, DocumentVersion, InterruptionExplanation, LimitAdjustment, MediaBinding
from .segments import MAX_OFFSET_S, read_segment
from .unlinked import UnlinkedItem, UnlinkedSummary

if TYPE_CHECKING:
    from .scans import ScanView

# Party identity numbers are personal data: only the roles that act on or oversee the case see them.
SEES_ID_NUMBERS = frozenset({Role.admin, Role.case_system, Role.auditor})


class PartyKind(StrEnum):
    person = "person"
    organization = "organization"


class Party(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    kind: PartyKind
    id_number: str | None = Field(
        default=None, max_length=64, description="身份证号 / 统一社会信用代码; returned only to roles that need it"
    )
    legal_representative: str | None = Field(
        default=None, max_length=100, description="an organisation's 法定代表人 or 负责人 (published with its decisions)"
    )


class Officer(RequestModel):
    officer_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    certificate_number: str | None = Field(default=None, max_length=64, description="执法证号")


Yuan = Annotated[Decimal, Field(ge=0, le=10**12, max_digits=15, decimal_places=2), PlainSerializer(float, return_type=float)]


class CaseFacts(RequestModel):
    """Facts of the case the statutory limits and the review read (each optional; PATCH sets only what is sent,
    null clears)."""

    violation_ended_on: date | None = Field(
        default=None, description="违法行为终了之日 (or the day it happened): the limitation period runs from it to 立案"
    )
    serious_harm: bool | None = Field(
        default=None, description="涉及公民生命健康安全、金融安全且有危害后果: the limitation period is 5 years instead of 2"
    )
    major_decision: bool | None = Field(default=None, description="重大执法决定: needs a 法制审核 record (legal_review_opinion)")
    fine_yuan: Yuan | None = Field(
        default=None, description="the fine imposed, in yuan (简易程序: at most 200 for a person, 3,000 for an organisation)"
    )
    confiscated_yuan: Yuan | None = Field(default=None, description="没收违法所得, in yuan")
    party_is_minor: bool | None = Field(default=None, description="the party is a minor: the decision is not published")
    state_secret: bool | None = Field(default=None, description="the case involves state secrets: not published")
    personal_privacy: bool | None = Field(default=None, description="the case involves personal privacy: not published")
    penalties: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]] | None = Field(
        default=None,
        max_length=15,
        description="处罚种类 the decision imposed (codes of GET /api/v1/statistics-rules `penalty_kinds`); "
        "the statistics count a decision once, under the most severe",
    )
    license_outcome: Literal["granted", "refused"] | None = Field(default=None, description="准予 or 不予 许可")
    license_action: Literal["new", "change", "renewal"] | None = Field(
        default=None, description="a new licence, a change or a renewal (all count as 许可 / 不予许可 in the annual report)"
    )
    coercion_measures: list[Literal["sealing", "seizure"]] | None = Field(default=None, max_length=2, description="查封 and/or 扣押")
    decision_revoked_on: date | None = Field(default=None, description="the day the decision was revoked (it still counts in its year)")
    violation_facts: str | None = Field(
        default=None, max_length=4000, description="主要违法事实 as the decision states them (a publication's 违法事实, CF_SY)"
    )
    legal_basis: str | None = Field(
        default=None,
        max_length=2000,
        description="处罚依据: the provisions the decision applies (a publication's CF_YJ), e.g. 《医疗机构管理条例》第四十三条",
    )

    @model_validator(mode="after")
    def _sane_date(self) -> Self:
        for name in ("violation_ended_on", "decision_revoked_on"):
            value = getattr(self, name)
            if value is not None and not sane_date(value):
                raise ValueError(f"'{name}' must lie between 1970 and 2200")
        for name in ("penalties", "coercion_measures"):
            value = getattr(self, name)
            if value is not None and len(set(value)) != len(value):
                raise ValueError(f"'{name}' repeats a code")
        return self


class CaseCreate(RequestModel):
    case_number: str = Field(min_length=1, max_length=128, description="案号, unique per agency")
    procedure: str = Field(description="procedure code from GET /api/v1/procedures")
    title: str = Field(min_length=1, max_length=500)
    parties: list[Party] = Field(default_factory=list, max_length=50)
    officers: list[Officer] = Field(default_factory=list, max_length=50)
    opened_at: datetime | None = Field(default=None, description="when the case was opened (default: now), with offset")
    retention_class: str = Field(
        default="case",
        description="retention class (GET /api/v1/retention-classes) of footage "
        "bound to this case once it is closed; `case` is permanent by default; `standard` (footage bound to no case) is refused",
    )
    category: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="执法类别 of the case (e.g. 医疗卫生): officers at its stages must hold it in the register",
    )
    facts: CaseFacts = Field(default_factory=CaseFacts)


class CaseUpdate(RequestModel):
    category: str | None = Field(default=None, min_length=1, max_length=100)
    facts: CaseFacts | None = Field(default=None, description="only the facts sent change; a fact sent as null is cleared")


class CaseOut(BaseModel):
    id: str
    agency: str
    case_number: str
    procedure: str
    title: str
    status: str
    parties: list[Party]
    officers: list[Officer]
    opened_at: datetime
    closed_at: datetime | None
    retention_class: str
    category: str | None = None
    facts: CaseFacts = Field(default_factory=CaseFacts)
    created_at: datetime

    @classmethod
    def of(cls, case: Case, principal: Principal, tz: tzinfo) -> "CaseOut":
        """The case as `principal` may read it: parties' identity numbers only for the roles that see them."""
        parties = [Party.model_validate(p) for p in case.parties]
        if principal.role not in SEES_ID_NUMBERS:
            parties = [party.model_copy(update={"id_number": None}) for party in parties]
        return cls(
            id=case.id,
            agency=case.agency,
            case_number=case.case_number,
            procedure=case.procedure,
            title=case.title,
            status=case.status,
            parties=parties,
            officers=[Officer.model_validate(o) for o in case.officers],
            opened_at=local(case.opened_at, tz),
            closed_at=local(case.closed_at, tz),
            retention_class=case.retention_class,
            category=case.category,
            facts=CaseFacts.model_validate(case.facts or {}),
            created_at=local(case.created_at, tz),
        )


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = None
    total: int = Field(description="how many cases the filters find, on every page together")


class StageOpen(RequestModel):
    stage: str = Field(description="stage code from the case's procedure")
    started_at: datetime | None = Field(default=None, description="with offset; required unless skipped")
    officers: list[str] = Field(default_factory=list, max_length=50, description="officer ids (of the case's officers) present")
    attributes: dict[str, str | bool | int | float | None] = Field(
        default_factory=dict, description='e.g. {"method": "lodged"} on service, {"enforced": true} on execution'
    )
    skipped: bool = False
    note: str | None = Field(default=None, max_length=4000, description="required when skipped: why")


class StageUpdate(RequestModel):
    ended_at: datetime | None = Field(default=None, description="closes the stage")
    note: str | None = Field(default=None, max_length=4000, description="appended to the stage's notes")


class StageNote(BaseModel):
    at: datetime
    by: str
    text: str


class StageOut(BaseModel):
    id: str
    case_id: str
    stage: str
    order: int
    status: str = Field(description="open, closed or skipped")
    started_at: datetime | None
    ended_at: datetime | None
    officers: list[str]
    attributes: dict[str, Any]
    notes: list[StageNote]

    @classmethod
    def of(cls, stage: CaseStage, tz: tzinfo) -> "StageOut":
        return cls(
            id=stage.id,
            case_id=stage.case_id,
            stage=stage.stage,
            order=stage.order,
            status=stage.status,
            started_at=local(stage.started_at, tz),
            ended_at=local(stage.ended_at, tz),
            officers=stage.officers,
            attributes=stage.attributes,
            notes=[StageNote.model_validate(note) for note in local_notes(stage.notes, tz)],
        )


class DocumentStatus(StrEnum):
    draft = "draft"
    signed = "signed"
    issued = "issued"
    served = "served"
    void = "void"  # registered by mistake; needs a reason (change_note) and ends the document's history


# Status only moves forward; `void` may follow any of these.
STATUS_ORDER = {DocumentStatus.draft: 0, DocumentStatus.signed: 1, DocumentStatus.issued: 2, DocumentStatus.served: 3}


class DocumentFieldSet(BaseModel):
    doc_number: str | None = Field(default=None, max_length=128, description="文号, e.g. 濉卫医罚〔2021〕12号")
    title: str = Field(min_length=1, max_length=500)
    status: DocumentStatus = DocumentStatus.draft
    issued_at: datetime | None = None
    signed_at: datetime | None = None
    served_at: datetime | None = None
    signers: list[str] = Field(default_factory=list, max_length=20)
    party_name: str | None = Field(
        default=None,
        max_length=200,
        description="the party (当事人) as the document names it; the review checks it against the case's parties",
    )
    refusal_note: str | None = Field(
        default=None, max_length=2000, description="on a 笔录 the party did not sign: the note that the party refused (拒绝签名的说明)"
    )
    attachment_media_id: str | None = Field(default=None, description="a scan or PDF uploaded through the same ingest")
    text: str | None = Field(
        default=None,
        max_length=200_000,
        description="the document's body as plain text (a decision's "
        "text is what its publication is made from, redacted); not repeated in the timeline",
    )


class DocumentFields(DocumentFieldSet, RequestModel):
    """Document fields as a client sends them (the request checks run on input only)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DocumentCreate(DocumentFields):
    stage_id: str
    doc_type: str = Field(description="document type code from GET /api/v1/document-types")


class DocumentVersionCreate(RequestModel):
    """A new version: the fields sent replace the current version's, the rest carry forward."""

    doc_number: str | None = Field(default=None, max_length=128)
    title: str | None = Field(default=None, min_length=1, max_length=500)
    status: DocumentStatus | None = Field(
        default=None, description="forward only: draft → signed → issued → served; or void (with change_note)"
    )
    issued_at: datetime | None = None
    signed_at: datetime | None = None
    served_at: datetime | None = None
    signers: list[str] | None = Field(default=None, max_length=20)
    party_name: str | None = Field(default=None, max_length=200)
    refusal_note: str | None = Field(default=None, max_length=2000)
    text: str | None = Field(default=None, max_length=200_000)
    attachment_media_id: str | None = None
    change_note: str | None = Field(default=None, max_length=2000, description="why this version replaces the last; required for void")


_VERSION_FIELDS = (
    "version",
    "doc_number",
    "title",
    "status",
    "issued_at",
    "signed_at",
    "served_at",
    "signers",
    "party_name",
    "refusal_note",
    "attachment_media_id",
    "change_note",
    "created_at",
    "created_by",
)
_VERSION_TIMES = ("issued_at", "signed_at", "served_at", "created_at")


def version_fields(source: DocumentVersion | RowMapping, tz: tzinfo) -> dict[str, Any]:
    """A version's fields from an ORM object or a row mapping, times in the agency zone."""
    fields = {name: source[name] if isinstance(source, RowMapping) else getattr(source, name) for name in _VERSION_FIELDS}
    for name in _VERSION_TIMES:
        fields[name] = local(fields[name], tz)
    return fields


class DocumentVersionOut(DocumentFieldSet):
    version: int
    change_note: str | None = None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, version: DocumentVersion, tz: tzinfo) -> "DocumentVersionOut":
        return cls(**version_fields(version, tz), text=version.text)


class DocumentOut(BaseModel):
    id: str
    case_id: str
    stage_id: str
    doc_type: str
    doc_type_name: str
    current: DocumentVersionOut
    version_count: int
    versions: list[DocumentVersionOut] | None = Field(default=None, description="full history (single-document reads)")

    @classmethod
    def of(
        cls,
        document: Document,
        current: DocumentVersion,
        version_count: int,
        catalog: Catalog,
        tz: tzinfo,
        history: list[DocumentVersion] | None = None,
    ) -> "DocumentOut":
        doc_type = catalog.document_type(document.doc_type)
        return cls(
            id=document.id,
            case_id=document.case_id,
            stage_id=document.stage_id,
            doc_type=document.doc_type,
            doc_type_name=doc_type.name_zh if doc_type else document.doc_type,
            current=DocumentVersionOut.of(current, tz),
            version_count=version_count,
            versions=[DocumentVersionOut.of(v, tz) for v in history] if history is not None else None,
        )


class BindingCreate(RequestModel):
    media_id: str
    start_offset_s: float | None = Field(
        default=None, ge=0, le=MAX_OFFSET_S, description="seconds into the recording; before end_offset_s and within its duration"
    )
    end_offset_s: float | None = Field(
        default=None, gt=0, le=MAX_OFFSET_S, description="seconds into the recording; at most its duration (+0.5 s) when known"
    )
    note: str | None = Field(default=None, max_length=4000, description="e.g. why recording was interrupted before this clip")


class BindingOut(BaseModel):
    id: str
    case_id: str
    stage_id: str
    media_id: str
    start_offset_s: float | None
    end_offset_s: float | None
    note: str | None
    created_at: datetime
    unbound_at: datetime | None = None
    unbind_reason: str | None = None

    @classmethod
    def of(cls, binding: MediaBinding, tz: tzinfo) -> "BindingOut":
        segment = read_segment(binding.start_offset_s, binding.end_offset_s, None)  # a legacy row's unusable offsets: None
        return cls(
            id=binding.id,
            case_id=binding.case_id,
            stage_id=binding.stage_id,
            media_id=binding.media_id,
            start_offset_s=segment.start_offset_s,
            end_offset_s=segment.end_offset_s,
            note=binding.note,
            created_at=local(binding.created_at, tz),
            unbound_at=local(binding.unbound_at, tz),
            unbind_reason=binding.unbind_reason,
        )


class InterruptionCreate(RequestModel):
    device_id: str = Field(min_length=1, max_length=128, description="the camera whose recording stopped")
    gap_start: datetime = Field(description="when recording stopped (with offset)")
    gap_end: datetime = Field(description="when it resumed (with offset)")
    reason: str = Field(description="a reason code from GET /api/v1/interruption-reasons (设备故障, 电量耗尽, 存储已满, 其他)")
    text: str | None = Field(default=None, max_length=4000, description="what happened; required for `other`")


class InterruptionOut(BaseModel):
    id: str
    case_id: str
    stage_id: str
    device_id: str
    gap_start: datetime
    gap_end: datetime
    reason: str
    reason_name: str
    text: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, explanation: InterruptionExplanation, catalog: Catalog, tz: tzinfo) -> "InterruptionOut":
        reason = catalog.interruption_reason(explanation.reason)
        return cls(
            id=explanation.id,
            case_id=explanation.case_id,
            stage_id=explanation.stage_id,
            device_id=explanation.device_id,
            gap_start=local(explanation.gap_start, tz),
            gap_end=local(explanation.gap_end, tz),
            reason=explanation.reason,
            reason_name=reason.name_zh if reason else explanation.reason,
            text=explanation.text,
            created_by=explanation.created_by,
            created_at=local(explanation.created_at, tz),
        )


class LimitAdjustmentCreate(RequestModel):
    """An approved extension of a limit (`days`, `approved_on`, `approved_by`) or a period not counted in it
    (`reason`, `paused_from`, `paused_to` — open while it lasts), with the reason in `text`."""

    rule: str = Field(description="a time-limit rule that takes adjustments (GET /api/v1/time-limits)")
    kind: Literal["extension", "pause"]
    days: int | None = Field(default=None, ge=1, le=365, description="extension: days added")
    approved_on: date | None = Field(default=None, description="extension: the day the agency's head approved it")
    approved_by: str | None = Field(default=None, min_length=1, max_length=100, description="extension: who approved it")
    reason: str | None = Field(
        default=None, description="pause: a pause reason code of the rule (hearing, public_notice, testing, appraisal)"
    )
    paused_from: date | None = Field(default=None, description="pause: first day not counted")
    paused_to: date | None = Field(default=None, description="pause: last day not counted; omit while it lasts")
    text: str = Field(min_length=1, max_length=4000, description="why: the circumstances and the approval")
    document_id: str | None = Field(default=None, description="the approval or notice document registered on the case, if any")


class LimitAdjustmentEnd(RequestModel):
    paused_to: date = Field(description="last day not counted")


class LimitAdjustmentOut(BaseModel):
    id: str
    case_id: str
    rule: str
    kind: str
    days: int | None
    approved_on: date | None
    approved_by: str | None
    reason: str | None
    reason_name: str | None = None
    paused_from: date | None
    paused_to: date | None
    text: str
    document_id: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, adjustment: LimitAdjustment, catalog: Catalog, tz: tzinfo) -> "LimitAdjustmentOut":
        reason = catalog.pause_reason(adjustment.reason) if adjustment.reason else None
        return cls(
            id=adjustment.id,
            case_id=adjustment.case_id,
            rule=adjustment.rule,
            kind=adjustment.kind,
            days=adjustment.days,
            approved_on=adjustment.approved_on,
            approved_by=adjustment.approved_by,
            reason=adjustment.reason,
            reason_name=reason.name_zh if reason else None,
            paused_from=adjustment.paused_from,
            paused_to=adjustment.paused_to,
            text=adjustment.text,
            document_id=adjustment.document_id,
            created_by=adjustment.created_by,
            created_at=local(adjustment.created_at, tz),
        )


# --- issue 27: footage bound to no case (GET /api/v1/media/unlinked) ----------------------------------------------


class UnlinkedMediaOut(MediaOut):
    """A media record bound to no case, with its age and when the retention sweep may delete it."""

    age_days: int = Field(description="whole days since upload")
    retention_class: str = Field(description="the retention class that keeps it longest by itself (standard, or important when flagged)")
    retention_ends_on: date | None = Field(
        description="the day (agency time) that class runs out: the retention sweep deletes it from then on unless it is filed "
        "to a case or held; null: kept for ever"
    )
    legal_hold: bool = Field(description="a legal hold (on it, or on a case it was once bound to) keeps it past retention_ends_on")

    @classmethod
    def of_item(cls, item: "UnlinkedItem", settings: Settings, sightings: int) -> "UnlinkedMediaOut":
        base = MediaOut.of(item.media, settings, sightings).model_dump()
        return cls(
            **base,
            age_days=item.age_days,
            retention_class=item.retention.code,
            retention_ends_on=item.retention_ends_on(settings.tz),
            legal_hold=item.legal_hold,
        )


class UnlinkedPage(BaseModel):
    items: list[UnlinkedMediaOut]
    next_cursor: str | None = None


class AgeBandOut(BaseModel):
    from_days: int
    to_days: int | None = Field(description="exclusive; null: no upper end")
    count: int


class UnlinkedSummaryOut(BaseModel):
    as_of: datetime
    total: int = Field(description="footage bound to no case today")
    by_age: list[AgeBandOut] = Field(description="by whole days since upload")
    expiring_within_days: int
    expiring: int = Field(
        description="the retention sweep deletes these within expiring_within_days unless filed (past_retention included)"
    )
    expiring_earliest_on: date | None = Field(description="the first day one of them may be deleted (agency time)")
    past_retention: int = Field(description="already past their retention: the next sweep deletes them")
    retention_class: str = Field(description="the class that keeps unflagged footage bound to no case")
    retention_days: float | None = Field(description="how long that class keeps it (null: for ever)")

    @classmethod
    def of(cls, summary: "UnlinkedSummary", standard: RetentionClass, tz: tzinfo) -> "UnlinkedSummaryOut":
        return cls(
            as_of=local(summary.as_of, tz),
            total=summary.total,
            by_age=[AgeBandOut(from_days=b.from_days, to_days=b.to_days, count=b.count) for b in summary.by_age],
            expiring_within_days=summary.expiring_within_days,
            expiring=summary.expiring,
            expiring_earliest_on=summary.expiring_earliest_at.astimezone(tz).date() if summary.expiring_earliest_at else None,
            past_retention=summary.past_retention,
            retention_class=standard.code,
            retention_days=standard.days,
        )


# --- issue 27: scans of paper documents ---------------------------------------------------------------------


class ScanAttach(RequestModel):
    media_id: str = Field(
        min_length=1, max_length=32, description="an uploaded PDF (content_type application/pdf, bytes starting %PDF-) of this agency"
    )


class DocumentScanOut(BaseModel):
    id: str
    document_id: str
    version: int = Field(description="the document's version when the scan was attached")
    media_id: str
    binding_id: str = Field(description="the scan's binding to the document's stage (keeps it with the case)")
    sha256: str | None
    size: int
    filename: str | None
    attached_by: str
    attached_at: datetime

    @classmethod
    def of(cls, scan: "ScanView", tz: tzinfo) -> "DocumentScanOut":
        return cls(
            id=scan.id,
            document_id=scan.document_id,
            version=scan.version,
            media_id=scan.media_id,
            binding_id=scan.binding_id,
            sha256=scan.sha256,
            size=scan.size,
            filename=scan.filename,
            attached_by=scan.attached_by,
            attached_at=local(scan.attached_at, tz),
        )


class DocumentScanList(BaseModel):
    items: list[DocumentScanOut]
    next_cursor: str | None = None
