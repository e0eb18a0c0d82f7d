from datetime import date, datetime, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr

from ..core.times import local
from ..core.values import RequestModel
from .exchange import RecordProblem
from .models import Publication
from .stored import Kind, Severity

# The record's fields, in our names (the 双公示 codes are the export's business): what a draft may edit.
COMMON_FIELDS = (
    "party_name",
    "party_category",
    "party_code",
    "legal_representative",
    "doc_number",
    "decided_on",
    "authority",
    "authority_code",
    "data_source",
    "data_source_code",
    "note",
)
KIND_FIELDS = {
    "penalty": COMMON_FIELDS
    + (
        "violation_type",
        "violation_facts",
        "basis",
        "penalty_category",
        "penalty_content",
        "fine_wan",
        "confiscated_wan",
        "license_affected",
    ),
    "license": COMMON_FIELDS
    + ("doc_name", "license_category", "certificate_name", "certificate_number", "license_content", "valid_from", "valid_to"),
    "inspection": COMMON_FIELDS + ("inspection_matter", "inspection_result"),
}
# Fields that are not free text (dates, an enum): never passed through the redaction.
UNREDACTED_FIELDS = frozenset({"decided_on", "valid_from", "valid_to", "party_category", "fine_wan", "confiscated_wan"})
PerformanceStatus = Literal["performed", "partly_performed", "not_performed", "enforced", "instalments"]


class PublicationCreate(RequestModel):
    case_id: str
    document_id: str = Field(description="the decision document (行政处罚决定书, 准予/不予许可决定书, or an inspection result)")
    kind: Kind
    severity: Severity
    period_months: int | None = Field(
        default=None, ge=1, le=120, description="how long it stays public, within the severity's range (default: the longest)"
    )
    other_names: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="names of people other than the party (witnesses, patients, complainants) to remove wherever they appear",
    )


class PublicationUpdate(RequestModel):
    # Strict: true is not 1 and "1" is not a number here; _check_field decides what each field takes.
    fields: dict[str, StrictStr | StrictFloat | StrictInt | None] | None = Field(
        default=None, description="fields to change (null clears one)"
    )
    public_text: str | None = Field(
        default=None,
        max_length=200_000,
        description="an edited public text: redacted again before it is kept, so an edit cannot bring personal data back",
    )
    severity: Severity | None = None
    period_months: int | None = Field(default=None, ge=1, le=120)
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="why it was changed; for a published item the 变更说明 shown publicly with the correction (required there)",
    )
    changed_on: date | None = Field(default=None, description="a published item's correction: the day it takes effect (default: today)")


class NoticeCreate(RequestModel):
    method: Literal["in_person", "mail", "electronic", "phone", "in_decision"] = Field(
        description="how the party was told the decision will be published (in_decision: stated in the decision served)"
    )
    notified_at: datetime = Field(description="when (with offset)")
    note: str | None = Field(default=None, max_length=2000)


class AnnotationCreate(RequestModel):
    note: str = Field(min_length=1, max_length=4000, description="what changed: e.g. 经行政复议，变更为罚款人民币5000元")
    changed_on: date | None = Field(default=None, description="the day the decision was changed")


class RevocationCreate(RequestModel):
    revoked_on: date = Field(
        description="the day the decision was revoked or annulled (行政复议, 行政诉讼): the publication "
        "must be withdrawn within 3 working days of it"
    )
    note: str | None = Field(default=None, max_length=2000)


class WithdrawalCreate(RequestModel):
    reason: str = Field(min_length=1, max_length=4000, description="why it is withdrawn (shown to the public)")
    revoked_on: date | None = Field(
        default=None, description="the day the decision was revoked or annulled: the withdrawal is due within 3 working days of it"
    )


class PerformanceCreate(RequestModel):
    status: PerformanceStatus = Field(
        description="履行情况: performed 已履行, partly_performed 部分履行, not_performed 未履行, "
        "enforced 已强制执行, instalments 分期（延期）缴纳"
    )
    on: date = Field(description="the day of the state recorded (not in the future, not before the decision)")
    note: str | None = Field(default=None, max_length=2000, description="shown publicly (redacted like every public field)")


class Redacted(BaseModel):
    field: str = Field(default="public_text", description="where: `public_text` or the name of a public field")
    start: int
    end: int
    kind: str
    rule: str
    confidence: str
    removed: bool
    needs_review: bool
    excerpt: str = Field(description="the original characters (staff only)")


class FieldProblem(BaseModel):
    field: str | None = Field(description="the publication field it concerns (null: the agency profile or the record as a whole)")
    code: str | None = Field(description="the 双公示 field code (CF_…, XK_…) where there is one")
    message: str = Field(description="what is wrong, in Chinese")


class Correction(BaseModel):
    version: int
    changed_on: date
    note: str
    fields: list[str] = Field(description="the fields changed (and `public_text`)")
    at: datetime


class PublicationOut(BaseModel):
    id: str
    agency: str
    case_id: str
    document_id: str
    kind: str
    severity: str
    status: str
    version: int
    fields: dict[str, Any]
    public_text: str | None
    redaction: list[Redacted]
    needs_review: bool = Field(description="the redaction flagged spans a person must look at before approving")
    decided_on: date
    due_on: date
    due_provisional: bool
    overdue: bool
    period_months: int | None
    period_ends_on: date | None
    not_publishable_reason: str | None
    notice: dict[str, Any] | None
    approved_by: str | None
    approved_at: datetime | None
    published_at: datetime | None
    annotations: list[dict[str, Any]]
    corrections: list[Correction] = Field(description="changes made after publication, each a new version with its 变更说明")
    performance: dict[str, Any] | None = Field(description="the latest 履行情况 recorded: status, on, note")
    problems: list[FieldProblem] = Field(description="what the 双公示 field rules refuse: approval waits until it is empty")
    editors: list[str] = Field(description="who drafted or edited it (none of them may approve it)")
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    revoked_on: date | None
    withdraw_due_on: date | None
    expired_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, publication: Publication, tz: tzinfo, *, overdue: bool, problems: list[RecordProblem], editors: set[str]
    ) -> "PublicationOut":
        """The staff view: `overdue`, the field rules' `problems` and the `editors` are the service's to work out."""
        return cls(
            id=publication.id,
            agency=publication.agency,
            case_id=publication.case_id,
            document_id=publication.document_id,
            kind=publication.kind,
            severity=publication.severity,
            status=publication.status,
            version=publication.version,
            fields=publication.fields,
            public_text=publication.public_text,
            redaction=[Redacted.model_validate(span) for span in publication.redaction],
            needs_review=any(span["needs_review"] for span in publication.redaction),
            decided_on=publication.decided_on,
            due_on=publication.due_on,
            due_provisional=publication.due_provisional,
            overdue=overdue,
            period_months=publication.period_months,
            period_ends_on=publication.period_ends_on,
            not_publishable_reason=publication.not_publishable_reason,
            notice=dict(publication.notice) if publication.notice is not None else None,
            approved_by=publication.approved_by,
            approved_at=local(publication.approved_at, tz),
            published_at=local(publication.published_at, tz),
            annotations=[dict(annotation) for annotation in publication.annotations],
            corrections=[Correction.model_validate(correction) for correction in publication.corrections],
            performance=dict(publication.performance[-1]) if publication.performance else None,
            problems=[FieldProblem.model_validate(problem) for problem in problems],
            editors=sorted(editors),
            withdrawn_at=local(publication.withdrawn_at, tz),
            withdrawal_reason=publication.withdrawal_reason,
            revoked_on=publication.revoked_on,
            withdraw_due_on=publication.withdraw_due_on,
            expired_at=local(publication.expired_at, tz),
            created_at=local(publication.created_at, tz),
            updated_at=local(publication.updated_at, tz),
        )


class PublicationPage(BaseModel):
    items: list[PublicationOut]
    next_cursor: str | None = None


class PublicItem(BaseModel):
    """What anyone may read: the redacted record, or for a withdrawn one the notice of its withdrawal."""

    id: str
    kind: str
    status: Literal["published", "annotated", "withdrawn"]
    agency: str
    fields: dict[str, Any] = Field(description="empty once withdrawn")
    public_text: str | None
    decided_on: date
    published_at: datetime | None
    period_ends_on: date | None
    annotations: list[dict[str, Any]]
    corrections: list[dict[str, Any]] = Field(default_factory=list, description="变更说明 of each correction: version, changed_on, note")
    performance: dict[str, Any] | None = Field(default=None, description="履行情况: status, on, note")
    version: int = 1
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    @classmethod
    def of(cls, publication: Publication, tz: tzinfo) -> "PublicItem":
        """What the public reads of a publication, or will read once it is published. Built unvalidated: the staff
        preview shows a draft as the public will see it, and a draft's status is not one the public model names;
        the public answers (publication/router.py) validate what it gives."""
        withdrawn = publication.status == "withdrawn"
        return cls.model_construct(
            id=publication.id,
            kind=publication.kind,
            status=publication.status,
            agency=publication.agency,
            # a withdrawal notice names the decision, not the party
            fields={"doc_number": publication.fields.get("doc_number")} if withdrawn else publication.fields,
            public_text=None if withdrawn else publication.public_text,
            decided_on=publication.decided_on,
            published_at=local(publication.published_at, tz),
            period_ends_on=publication.period_ends_on,
            annotations=[] if withdrawn else publication.annotations,
            corrections=[] if withdrawn else [{key: c[key] for key in ("version", "changed_on", "note")} for c in publication.corrections],
            performance=None
            if withdrawn or not publication.performance
            else {key: publication.performance[-1][key] for key in ("status", "status_zh", "on", "note")},
            version=publication.version,
            withdrawn_at=local(publication.withdrawn_at, tz),
            withdrawal_reason=publication.withdrawal_reason,
        )


class PublicPage(BaseModel):
    items: list[PublicItem]
    next_cursor: str | None = None
