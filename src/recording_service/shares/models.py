from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class Share(Base):
    """A case, or chosen footage of it, shared with one named recipient outside the agency until `expires_at`."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_case_created", "case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(String(32), ForeignKey("cases.id"))
    # The link's token as SHA-256 hex: the token itself is shown once and never stored (a dump opens nothing).
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 of the access code under a key derived from the signing key (outside the database); None: no code.
    access_code_hmac: Mapped[str | None] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200))
    recipient_kind: Mapped[str] = mapped_column(String(16))  # lawyer, court, review_body, superior, other
    purpose: Mapped[str] = mapped_column(Text)
    permission: Mapped[str] = mapped_column(String(16))  # view, download
    whole_case: Mapped[bool] = mapped_column(Boolean, default=True)  # False: chosen footage only (media_ids)
    # What the recipient reads of the case beside the files, as it stood when shared: case number, title, agency,
    # stages (name, times) and documents (type, number, title, date); never parties' identity numbers.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))  # the creator's name as the audit trail has it
    created_by_id: Mapped[str] = mapped_column(String(32))  # the token's or person's id
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class SharedFile(Base):
    """One file of a share, as it was when shared: the footage (or a document's attachment) and its digest."""

    __tablename__ = "shared_files"
    __table_args__ = (UniqueConstraint("share_id", "media_id", name="uq_shared_files_share_media"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    share_id: Mapped[str] = mapped_column(String(32), ForeignKey("shares.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"))
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(512))
    kind: Mapped[str | None] = mapped_column(String(16))  # video, audio, image, document (as the probe found)
    stage: Mapped[str | None] = mapped_column(String(200))  # the stage's (or document's) name it was shared under
    recorded_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)


class ShareAccess(Base):
    """One audited use of a share by its recipient (a view of the page, a play or a download of a file, a receipt):
    what the share's list counts. Aggregated as the audit trail is: see shares/service.py `ACCESS_WINDOW`."""

    __tablename__ = "share_accesses"
    __table_args__ = (Index("ix_share_accesses_share_kind", "share_id", "kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    share_id: Mapped[str] = mapped_column(String(32), ForeignKey("shares.id"))
    kind: Mapped[str] = mapped_column(String(16))  # viewed, played, downloaded, receipt
    media_id: Mapped[str | None] = mapped_column(String(32))
    byte_range: Mapped[str | None] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
