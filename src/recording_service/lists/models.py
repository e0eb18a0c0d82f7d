from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class PublishedListVersion(Base):
    """A published list exactly as it was first served: the catalog file is the agency's to edit, so the
    service keeps every distinct content it has published, numbered in the order it appeared."""

    __tablename__ = "published_list_versions"
    __table_args__ = (
        UniqueConstraint("name", "sha256", name="uq_published_list_versions_name_sha256"),
        UniqueConstraint("name", "seq", name="uq_published_list_versions_name_seq"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(32))  # matters, inspection_matters
    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(40))  # the agency's label
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_served_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
