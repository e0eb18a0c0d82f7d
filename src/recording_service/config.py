"""Service settings, read from RECORDING_* environment variables (names fixed by the API contract)."""

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024
GiB = 1024 * MiB


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECORDING_", extra="ignore")

    database_url: str = "sqlite:///./data/recording.db"
    storage_url: str = "file://./data/objects"
    s3_endpoint_url: str | None = None
    # Filesystem store: write uploads past the page cache (O_DIRECT) where the filesystem allows it;
    # false writes through the page cache (a filesystem whose O_DIRECT misbehaves, say).
    storage_direct_io: bool = True
    # S3 multipart part size; AWS requires >= 5 MiB for all but the last part.
    s3_part_size: int = Field(default=8 * MiB, ge=5 * MiB)
    # Parts of one upload in flight to S3 while the next fills (memory: about (this + 1) x part size).
    # One keeps pace with docks (≤ 25 Mbit/s each); raise it for fast LAN clients to a distant S3.
    s3_upload_concurrency: int = Field(default=1, ge=1, le=32)
    # Serve footage from S3 by redirecting to a short-lived presigned URL instead of streaming.
    s3_presigned_redirect: bool = False
    s3_presigned_ttl_seconds: int = Field(default=300, ge=10, le=3600)
    # Where the bucket has S3 object lock enabled: the mode evidence and records are locked in.
    s3_object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    # Footage kept without end (bound to a case, flagged important) is locked this far ahead and the
    # lock is rolled forward by the retention sweep once less than half of it remains.
    s3_lock_horizon_days: float = Field(default=365, gt=0)
    # Audit checkpoints are kept (and, under object lock, locked) this long.
    audit_checkpoint_retention_days: int = Field(default=3650, ge=1)
    upload_expiry_hours: float = Field(default=72, gt=0)
    # How long a request's hold on an upload lasts without renewal (renewed while bytes flow; a body
    # idle for half of it ends). Judged by the database's clock.
    upload_lease_seconds: float = Field(default=60, ge=2, le=3600)
    max_upload_size: int = Field(default=64 * GiB, gt=0)
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, e.g.
    # "10.0.0.5,192.168.10.0/24"); empty: nobody's, the peer address is what the audit log records.
    trusted_proxies: str = ""
    # Unfinished uploads one token may hold open at once (a dock uploads a few files in parallel).
    max_open_uploads_per_token: int = Field(default=100, ge=1)
    # Every request body but an upload's, refused past this before authentication and before parsing.
    max_json_body_bytes: int = Field(default=1 * MiB, ge=1024)
    # A sheet uploaded for an import (its file; the request body may be 64 KiB more for the form around it),
    # and what an XLSX workbook may unpack to, judged by its members' declared sizes before anything is read.
    max_sheet_bytes: int = Field(default=5 * MiB, ge=1024)
    max_sheet_unpacked_bytes: int = Field(default=64 * MiB, ge=1 * MiB)
    timezone: str = "Asia/Shanghai"
    # Whole-process recording: a longer gap between clips of one device is an interruption
    # (camera clocks drift ~3 s a day; cameras split files every few minutes).
    continuity_tolerance_seconds: float = Field(default=30, ge=0)
    # Footage may start a little before a stage is opened and end a little after it closes.
    stage_window_tolerance_seconds: float = Field(default=600, ge=0)
    # An agency's own procedures.yaml + document_types.yaml (unset: the packaged catalog).
    catalog_dir: Path | None = None
    # A background job whose worker shows no sign of life this long is handed to another worker.
    job_stalled_seconds: float = Field(default=60, ge=2, le=3600)
    # `serve` also runs a job worker in each process unless this is false (then run `recording-service worker`).
    run_worker: bool = True
    # The Ed25519 key that signs case files; generated here (mode 0600) when missing. Keep it outside
    # the database and its backups; every instance needs the same file.
    signing_key_file: Path = Path("./data/signing-key.pem")
    # People's sessions in the pages: ended after this long without a request, and this long after sign-in whatever.
    session_idle_minutes: float = Field(default=30, gt=0)
    session_max_hours: float = Field(default=12, gt=0)
    # Failed sign-ins in a row that lock an account, and for how long.
    sign_in_attempts: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15, gt=0)
    # The session cookie's Secure flag: unset, it follows the request's scheme (https behind a trusted proxy too).
    cookie_secure: bool | None = None
    # How long a play grant's signed links stay valid (a play longer than this asks again).
    playback_grant_minutes: float = Field(default=30, gt=0, le=24 * 60)
    # Requests a client may make to the public publication pages and API in any minute (per instance).
    public_requests_per_minute: int = Field(default=120, ge=1, le=100_000)
    # A webhook that failed waits this long, doubling per attempt (at most 6 h; 10 attempts, then `webhooks replay`).
    webhook_retry_seconds: float = Field(default=30, gt=0, le=3600)
    ffprobe_path: str = "ffprobe"
    ffmpeg_path: str = "ffmpeg"  # makes playback copies of footage browsers cannot play
    probe_timeout_seconds: float = Field(default=60, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
