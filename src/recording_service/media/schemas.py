from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..core.config import Settings
from ..core.times import local
from .models import ImageCopy, Media, MediaStatus
from .probe import probe_error_of


def upload_lag_s(recorded_ended_at: datetime | None, uploaded_at: datetime | None) -> float | None:
    """Seconds from the end of the recording to its storage (negative: the camera's clock runs ahead)."""
    if recorded_ended_at is None or uploaded_at is None:
        return None
    return round((uploaded_at - recorded_ended_at).total_seconds(), 1)


class VideoInfo(BaseModel):
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


class AudioInfo(BaseModel):
    codec: str | None = None
    channels: int | None = None
    sample_rate: int | None = None


class ImageInfo(BaseModel):
    format: str | None = Field(default=None, description="the picture's format as Pillow names it: JPEG, PNG, WEBP, HEIF …")
    width: int | None = Field(default=None, description="pixels across as the picture is shown (EXIF orientation applied)")
    height: int | None = None
    taken_at: datetime | None = Field(
        default=None,
        description="when the camera says it was taken (EXIF DateTimeOriginal, with OffsetTimeOriginal when written; "
        "else read as the agency's local time, see taken_at_offset)",
    )
    taken_at_offset: bool = Field(default=False, description="the camera wrote its UTC offset (false: local time assumed)")
    camera_make: str | None = None
    camera_model: str | None = None
    orientation: int | None = Field(default=None, description="EXIF orientation 1–8 (copies are turned upright)")
    frames: int | None = Field(default=None, description="pictures in the file (more than 1: animated or multi-picture)")


class DocumentInfo(BaseModel):
    format: str = Field(description="PDF")
    version: str | None = None
    pages: int | None = Field(default=None, description="pages the file declares (null: not counted)")


class ImageCopyOut(BaseModel):
    purpose: str = Field(description="thumbnail (longest side 320 px) or viewing (2048 px): JPEGs derived from the photo")
    status: str = Field(description="pending, ready, failed or deleted")
    sha256: str | None = Field(description="SHA-256 of the copy's bytes (not evidence: the original's sha256 is)")
    size: int | None
    width: int | None = None
    height: int | None = None
    original_sha256: str = Field(description="the original it was made from, verified while reading it")
    error: str | None = None
    url: str | None = Field(default=None, description="the copy's bytes (GET, audited as media.copy.read), once ready")

    @classmethod
    def of(cls, copy: ImageCopy, media_id: str) -> "ImageCopyOut":
        return cls(
            purpose=copy.purpose,
            status=copy.status,
            sha256=copy.sha256,
            size=copy.size,
            width=copy.width,
            height=copy.height,
            original_sha256=copy.original_sha256,
            error=copy.error,
            url=f"/api/v1/media/{media_id}/image-copies/{copy.purpose}" if copy.status == "ready" else None,
        )


class PlaybackCopyOut(BaseModel):
    status: str = Field(description="pending, ready, failed or deleted")
    sha256: str | None = Field(description="SHA-256 of the copy's bytes (not evidence: the original's sha256 is)")
    size: int | None
    original_sha256: str = Field(description="the original it was transcoded from, verified while reading it")
    error: str | None = None


class RecordingOut(BaseModel):
    bytes_received: int = Field(description="bytes acknowledged so far (grows with every PATCH of the recording's upload)")
    started_at: datetime | None = Field(description="when its first bytes arrived")
    last_received_at: datetime | None = Field(description="when bytes last arrived")
    upload_id: str | None = Field(description="the tus upload (deferred length) the recording arrives by")


class MediaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    agency: str
    sha256: str | None = Field(
        description="SHA-256 of the stored bytes, hex; null while the footage is still being recorded (status recording) "
        "and for a recording merged into other media or rejected"
    )
    size: int = Field(description="bytes stored (while recording: received so far)")
    content_type: str | None
    filename: str | None
    status: str = Field(
        description="processing, ready, probe_failed, corrupt, missing, deleted; for footage uploaded while recorded: recording "
        "(bytes still arriving), incomplete (an abandoned recording's bytes, kept), merged (its bytes were already media "
        "merged_into), rejected (not the SHA-256 its client declared; nothing stored)"
    )
    device_id: str | None = Field(description="the camera's 产品序号 (upload metadata device_id or device_serial)")
    officer_ids: list[str]
    officer_source: str | None = Field(
        default=None,
        description="declared (the upload named the officers) or register (inferred from the device's checkout covering the "
        "recording time); null: no officer",
    )
    officer_ids_inferred: bool = Field(default=False, description="officer_ids were filled in from the device register")
    unit_code: str | None = Field(default=None, description="单位代码 as the upload declared it")
    dock_id: str | None
    flag: str | None
    case_number: str | None
    recorded_started_at: datetime | None
    recorded_ended_at: datetime | None
    recorded_at_source: str | None = Field(description="metadata, container or filename: where the start time came from")
    duration_s: float | None
    container: str | None
    video: VideoInfo | None
    audio: AudioInfo | None
    uploaded_at: datetime
    upload_lag_s: float | None = Field(
        default=None,
        description="seconds from the end of the recording to its storage (the 24-hour upload rule); null without a recording time",
    )
    probe_error: str | None
    content_url: str
    sightings: int = Field(description="how many times these bytes were received (1 = no duplicate uploads)")
    store_locked_until: datetime | None = Field(
        description="S3 object lock: the store refuses to delete the object before this time (null: no lock on this store)"
    )
    store_legal_hold: bool = Field(description="S3 object lock: the object's legal hold is on (mirrors the service's legal holds)")
    playback_copy: PlaybackCopyOut | None = Field(
        default=None, description="a browser-playable H.264 copy of footage browsers cannot play as recorded (single reads only)"
    )
    kind: str | None = Field(
        default=None, description="what the probe found the bytes to be: video, audio, image (a photo) or document (a PDF); null: unknown"
    )
    image: ImageInfo | None = Field(default=None, description="a photo's facts (kind image)")
    document: DocumentInfo | None = Field(default=None, description="a scanned document's facts (kind document)")
    image_copies: list[ImageCopyOut] | None = Field(
        default=None, description="a photo's derived thumbnail and viewing copy (single reads only; never evidence)"
    )
    recording: RecordingOut | None = Field(default=None, description="while status is recording: how far the recording has come")
    recording_outcome: str | None = Field(
        default=None, description="footage uploaded while recorded: completed, abandoned, merged or rejected (null: not a recording)"
    )
    merged_into: str | None = Field(default=None, description="status merged: the media that holds these bytes")

    @classmethod
    def of(cls, media: Media, settings: Settings, sightings: int) -> "MediaOut":
        data = {name: getattr(media, name) for name in cls.model_fields if hasattr(media, name)}
        data.update(
            probe_error=probe_error_of(media, settings),
            recorded_started_at=local(media.recorded_started_at, settings.tz),
            recorded_ended_at=local(media.recorded_ended_at, settings.tz),
            uploaded_at=local(media.uploaded_at, settings.tz),
            store_locked_until=local(media.store_locked_until, settings.tz),
            content_url=f"/api/v1/media/{media.id}/content",
            sightings=sightings,
            officer_ids=media.officer_ids or [],
            officer_ids_inferred=media.officer_source == "register",
            upload_lag_s=upload_lag_s(media.recorded_ended_at, media.uploaded_at),
            recording=RecordingOut(
                bytes_received=media.size,
                started_at=local(media.recording_started_at, settings.tz),
                last_received_at=local(media.last_received_at, settings.tz),
                upload_id=media.upload_id,
            )
            if media.status == MediaStatus.recording
            else None,
        )
        return cls(**data)


class MediaPage(BaseModel):
    items: list[MediaOut]
    next_cursor: str | None = None


class UploadLagGroup(BaseModel):
    key: str | None = Field(description="the dock, device or officer id (null: not recorded)")
    footage: int
    late: int = Field(description="footage stored more than `within_hours` after its recording ended")
    late_share: float
    median_lag_s: float
    max_lag_s: float


class UploadLagReport(BaseModel):
    group_by: str
    recorded_from: datetime
    recorded_to: datetime
    within_hours: float
    footage: int
    late: int
    without_recording_time: int = Field(description="footage stored in the period whose recording time is unknown")
    groups: list[UploadLagGroup]
