"""What the publications' JSON columns hold (models.Publication): the redaction's report, what only the platform
gets, the party told, and the notes made once an item is public. The record's own fields are a dict of
`FieldValue` by name: which names depends on the kind (schemas.KIND_FIELDS)."""

from typing import Literal, NotRequired, TypedDict

Kind = Literal["penalty", "license", "inspection"]
Severity = Literal["minor", "ordinary", "serious"]
FieldValue = str | float | int | None


class RedactedSpan(TypedDict):
    """One span the redaction removed or flagged (schemas.Redacted shows it to the staff)."""

    start: int
    end: int
    kind: str
    rule: str
    confidence: str  # high, medium, low
    removed: bool
    needs_review: bool
    excerpt: str  # the original characters (staff only)
    field: NotRequired[str]  # which value: `public_text` or a field's name (`public_text` where absent)


class PrivateFields(TypedDict, total=False):
    """For the platform only: a natural person's identity document, and the names the publisher gave to remove."""

    id_type: str
    id_number: str
    other_names: list[str]


class Notice(TypedDict):
    """How and when the party was told the decision will be published."""

    method: str
    notified_at: str  # ISO, in the agency's zone
    note: str | None
    recorded_by: str


class AnnotationEntry(TypedDict):
    at: str  # ISO, in the agency's zone
    note: str  # redacted
    changed_on: str | None  # ISO date


class CorrectionEntry(TypedDict):
    """A change made after publication: the version it made, its 变更说明 and the fields it changed."""

    version: int
    changed_on: str  # ISO date
    note: str  # redacted
    fields: list[str]
    at: str  # ISO, in the agency's zone


class PerformanceEntry(TypedDict):
    """履行情况 as recorded; the last is current."""

    status: str
    status_zh: str
    on: str  # ISO date
    note: str | None  # redacted
    at: str  # ISO, in the agency's zone
