from datetime import datetime
from typing import Any, Literal, TypedDict

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id

ReviewStatus = Literal["draft", "signed"]
ReviewAction = Literal["saved", "signed", "reopened"]


class ManualEntry(TypedDict):
    """The reviewer's judgement of one item: the deduction and the 评查意见 (kept as JSON, keyed by the item's code)."""

    points_lost: float
    opinion: str


class ManualReview(Base):
    """The reviewer's part of a case's 案卷评查 as it stands: a deduction and 评查意见 for each item of the sheet a
    reviewer judges, the overall 评查意见, and the sign-off. One per case; every state it had is a version."""

    __tablename__ = "manual_reviews"

    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    sheet_code: Mapped[str] = mapped_column(String(64))  # the 评查标准 the items belong to
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReviewStatus] = mapped_column(String(16), default="draft")
    items: Mapped[dict[str, ManualEntry]] = mapped_column(JSON, default=dict)  # item code -> the reviewer's judgement
    opinion: Mapped[str] = mapped_column(Text, default="")  # the overall 评查意见
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(String(200))  # 评查人: the name of the account that signed
    signed_by_id: Mapped[str | None] = mapped_column(String(64))


class ManualReviewVersion(Base):
    """Every state of a case's manual review: what was saved, signed or reopened, by whom, when, and why (reopen)."""

    __tablename__ = "manual_review_versions"
    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_manual_review_versions_case_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[ReviewAction] = mapped_column(String(16))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the review as it was after the action
    reason: Mapped[str | None] = mapped_column(Text)  # why a signed review was reopened
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    by_id: Mapped[str] = mapped_column(String(64))
