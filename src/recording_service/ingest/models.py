from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class UploadStatus(StrEnum):
    receiving = "receiving"
    completed = "completed"
    rejected = "rejected"
    terminated = "terminated"
    expired = "expired"


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(32), index=True)  # a token's id, or a person's (the pages' upload form)
    channel: Mapped[str] = mapped_column(String(16))  # "tus" or "multipart"
    # None while a multipart body is still streaming (its length is only known at the end).
    length: Mapped[int | None] = mapped_column(BigInteger)
    # tus creation-defer-length (issue 29): the length is declared by a later PATCH; None above means "not yet".
    length_deferred: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the recording job closed this deferred-length upload for want of bytes: what arrived is kept as
    # incomplete evidence; set with the lease that completes it, so a rerun after a crash finishes it.
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    upload_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    raw_metadata: Mapped[str | None] = mapped_column(Text)  # the Upload-Metadata header as sent, for HEAD
    declared_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=UploadStatus.receiving, index=True)
    storage_key: Mapped[str] = mapped_column(String(512))
    backend_ref: Mapped[str | None] = mapped_column(String(1024))
    hash_state: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    media_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("media.id"))
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    # The fencing token: grows at every take-over; every write of a writer's progress names it.
    lease_generation: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the database's clock
    # The store's own record of where the bytes past the last part are (S3 tail object, CRC32).
    store_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When the store was known to hold nothing of this upload that no media record owns.
    store_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parts: Mapped[list["UploadPart"]] = relationship(order_by="UploadPart.number", cascade="all, delete-orphan", lazy="selectin")


class UploadPart(Base):
    """An S3 multipart part that is durable in the store (recorded only after the chunk committed)."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(String(32), ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(128))
    checksum: Mapped[str | None] = mapped_column(String(64))
