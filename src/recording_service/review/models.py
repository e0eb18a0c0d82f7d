from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class ManualReview(Base):
    """The reviewer's part of a case's 案卷评查 as it stands: a deduction and 评查意见 for each item of the sheet a
    reviewer judges, the overall 评查意见, and the sign-off. One per case; every state it had is a version."""

    __tablename__ = "manual_reviews"

    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"), primary_key=True)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    sheet_code: Mapped[str] = mapped_column(String(64))  # the 评查标准 the items belong to
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | signed
    items: Mapped[dict] = mapped_column(JSON, default=dict)  # item code -> {"points_lost": float, "opinion": str}
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
    action: Mapped[str] = mapped_column(String(16))  # saved | signed | reopened
    state: Mapped[dict] = mapped_column(JSON, default=dict)  # the review as it was after the action
    reason: Mapped[str | None] = mapped_column(Text)  # why a signed review was reopened
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    by_id: Mapped[str] = mapped_column(String(64))
