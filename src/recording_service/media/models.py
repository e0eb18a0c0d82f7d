from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, UTCDateTime, utcnow
from ..core.ids import new_id


class MediaStatus(StrEnum):
    processing = "processing"
    ready = "ready"
    probe_failed = "probe_failed"
    corrupt = "corrupt"
    missing = "missing"
    deleted = "deleted"  # by the retention sweep only; a tombstone remains
    # issue 29: footage still arriving over a tus upload of deferred length (no object, no SHA-256 yet)
    recording = "recording"
    # a recording abandoned mid-way (nothing arrived for RECORDING_RECORDING_IDLE_MINUTES): every acknowledged byte
    # stored as evidence, fixity-checked and probed like any other, marked as not the whole recording
    incomplete = "incomplete"
    # a recording whose completed bytes were already the agency's evidence: `merged_into` names that media
    merged = "merged"
    # a recording whose completed bytes did not match the SHA-256 its client declared: nothing was stored
    rejected = "rejected"


# Media whose stored bytes are bad or gone: an upload of the original bytes stores them again.
REPLACEABLE = frozenset({MediaStatus.corrupt, MediaStatus.missing, MediaStatus.deleted})

# How a recording ended (Media.recording_outcome): every byte arrived, it was abandoned (kept, status incomplete), or its
# bytes were already stored as other media.
COMPLETED, ABANDONED, MERGED = "completed", "abandoned", "merged"

# Records without a stored object of their own: nothing to check, lock, sweep, export or serve.
WITHOUT_OBJECT = frozenset({MediaStatus.recording, MediaStatus.merged, MediaStatus.rejected})

# GA/T 947 flags from weakest to strongest: a later sighting may strengthen a media's flag, never weaken it.
FLAG_STRENGTH = {"scheduled": 0, "manual": 1, "event": 2, "important": 3}


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (
        # Same bytes in one agency are one piece of evidence with several sightings.
        UniqueConstraint("agency", "sha256", name="uq_media_agency_sha256"),
        Index("ix_media_agency_recorded", "agency", "recorded_started_at"),
        Index("ix_media_sha256", "sha256"),
        Index("ix_media_uploaded", "uploaded_at", "id"),
        Index("ix_media_agency_uploaded", "agency", "uploaded_at", "id"),  # an agency's footage by age (footage bound to no case)
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(String(64))
    # None only while the bytes are still arriving (status recording) or once merged into the media that had them
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)  # while recording: the bytes acknowledged so far
    storage_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16), default=MediaStatus.processing)
    content_type: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str | None] = mapped_column(String(512))
    device_id: Mapped[str | None] = mapped_column(String(128), index=True)
    officer_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # ",A123,B456," so one LIKE finds an officer on any database.
    officer_index: Mapped[str | None] = mapped_column(String(1024))
    dock_id: Mapped[str | None] = mapped_column(String(128))
    flag: Mapped[str | None] = mapped_column(String(16))
    case_number: Mapped[str | None] = mapped_column(String(128))
    unit_code: Mapped[str | None] = mapped_column(String(64))  # 单位代码 as the dock declares it
    # Where officer_ids came from: "declared" (the upload named them) or "register" (inferred from the device's checkout
    # covering the recording time, devices.service.holder_at); None: no officer.
    officer_source: Mapped[str | None] = mapped_column(String(16))
    recorded_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at_source: Mapped[str | None] = mapped_column(String(16))
    duration_s: Mapped[float | None] = mapped_column(Float)
    container: Mapped[str | None] = mapped_column(String(64))
    video: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    audio: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the bytes are, as the probe found them: video, audio, image (a photo) or document (a PDF); None: unknown.
    kind: Mapped[str | None] = mapped_column(String(16))
    # A photo: {format, width, height, taken_at, taken_at_offset, camera_make, camera_model, orientation, frames}
    image: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A scanned document (PDF): {format, version, pages}
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    probe_error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))  # a token's id, or a person's (the pages' upload form)
    upload_id: Mapped[str | None] = mapped_column(String(32))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fixity_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The stored object's version (versioned S3 buckets) and the write-once lock the store holds on
    # it: retention date and legal hold. Both stay empty on stores without object lock.
    storage_version: Mapped[str | None] = mapped_column(String(1024))
    store_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    store_legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Objects that once held this media's bytes and were replaced by a repairing upload (kept as history):
    # [{storage_key, storage_version, status, replaced_at, replaced_by_upload}].
    superseded_objects: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Footage that arrived while it was recorded (issue 29): when its first bytes came, when the last did, and how the
    # recording ended (None: still recording or never one; completed, abandoned or merged).
    recording_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording_outcome: Mapped[str | None] = mapped_column(String(16))
    merged_into: Mapped[str | None] = mapped_column(String(32))


class MediaSighting(Base):
    """Every receipt of a media's bytes, the first included: who sent them, when, with what metadata."""

    __tablename__ = "media_sightings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), index=True)
    upload_id: Mapped[str | None] = mapped_column(String(32))
    token_id: Mapped[str] = mapped_column(String(32), index=True)  # a token's id, or a person's (the pages' upload form)
    upload_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlaybackCopy(Base):
    """A browser-playable copy (H.264/AAC MP4, faststart) of footage a browser cannot play as recorded
    (H.265, for one). A derived object with its own SHA-256 and a link to the original: never evidence
    itself — export, fixity and verification use the original."""

    __tablename__ = "playback_copies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), unique=True)
    original_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, ready, failed
    storage_key: Mapped[str | None] = mapped_column(String(512))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlaybackGrant(Base):
    """One play of footage in the pages: who, which footage, when, until when. The signed links it
    hands out are checked against it without one audit write per range request."""

    __tablename__ = "playback_grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    agency: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # original or playback_copy
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImageCopy(Base):
    """A derived picture of a photo: its thumbnail (for lists) or a viewing copy (a large photo, or one in a format
    browsers do not show, as a JPEG of a sensible size). Never evidence: its own SHA-256 and a link to the original's;
    export, fixity and verification use the original, whose bytes are never changed."""

    __tablename__ = "image_copies"
    __table_args__ = (UniqueConstraint("media_id", "purpose", name="uq_image_copies_media_purpose"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    media_id: Mapped[str] = mapped_column(String(32), ForeignKey("media.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # thumbnail or viewing
    original_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, ready, failed, deleted
    storage_key: Mapped[str | None] = mapped_column(String(512))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
