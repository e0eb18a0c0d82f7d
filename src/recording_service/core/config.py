"""Service settings, read from RECORDING_* environment variables (names fixed by the API contract)."""

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024
GiB = 1024 * MiB


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """'10.20.0.0/16, fd00::/8, 192.168.1.5' → networks (a bare address is a network of one); ValueError if not."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECORDING_", extra="ignore")

    database_url: str = "sqlite:///./data/recording.db"
    storage_url: str = "file://./data/objects"
    s3_endpoint_url: str | None = None
    # Filesystem store: write uploads past the page cache (O_DIRECT) where the filesystem allows it;
    # false writes through the page cache (a filesystem whose O_DIRECT misbehaves, say).
    storage_direct_io: bool = True
    # Filesystem store: early disk flushes (one per upload being written, started while its body arrives) that may
    # run at once. Past it, a flush waits for a thread, and one still waiting when its chunk ends is dropped: the
    # acknowledging fsync covers it.
    storage_flush_threads: int = Field(default=64, ge=1, le=1024)
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
    # A recording streamed over tus with a deferred length (issue 29) that receives nothing for this long is closed by
    # the job workers: every acknowledged byte is stored as evidence, marked incomplete (RECORDING_RECORDING_IDLE_MINUTES).
    recording_idle_minutes: float = Field(default=30, gt=0)
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
    # Sign-in throttling (see docs/pages.md, "Throttling"): failed sign-ins in a row (of an account, and of one
    # client for an account) before each further attempt waits; the first wait, doubled per failure up to the longest.
    sign_in_attempts: int = Field(default=5, ge=1)
    sign_in_first_delay_seconds: float = Field(default=1, gt=0, le=3600)
    sign_in_max_delay_minutes: float = Field(default=15, gt=0, le=24 * 60)
    # While an account waits, clients that never failed for it share this many attempts per longest wait;
    # a client that signed in to the account within the last sign_in_known_client_days is not held up at all.
    sign_in_fresh_client_attempts: int = Field(default=5, ge=1)
    sign_in_known_client_days: float = Field(default=30, gt=0)
    # Sign-in form posts one client address may make in any minute (refused before any password is hashed).
    sign_in_requests_per_minute: int = Field(default=20, ge=1, le=100_000)
    # The session cookie's Secure flag: unset, it follows the request's scheme (https behind a trusted proxy too).
    cookie_secure: bool | None = None
    # How long a play grant's signed links stay valid (a play longer than this asks again).
    playback_grant_minutes: float = Field(default=30, gt=0, le=24 * 60)
    # The public side's budget per minute (units: a single item costs 1, a list or search 5), per client
    # address and per network (/24 IPv4, /64 IPv6); shared by every instance through the database.
    public_requests_per_minute: int = Field(default=120, ge=1, le=1_000_000)
    public_network_requests_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    # A webhook that failed waits this long, doubling per attempt (at most 6 h; 10 attempts, then `webhooks replay`).
    webhook_retry_seconds: float = Field(default=30, gt=0, le=3600)
    # Webhooks go to public addresses only; these networks (comma-separated, e.g. "10.20.0.0/16,fd00:1::/48";
    # a bare address is a network of one) are allowed besides, for a platform on the agency's own network.
    webhook_allowed_networks: str = ""
    # One delivery attempt ends after this long, whatever it was doing (resolving, connecting, sending, reading).
    webhook_attempt_seconds: float = Field(default=10, gt=0, le=300)
    # Deliveries one worker process sends at once (a slow receiver holds one of them, never the others).
    webhook_concurrency: int = Field(default=8, ge=1, le=100)
    ffprobe_path: str = "ffprobe"
    ffmpeg_path: str = "ffmpeg"  # makes playback copies of footage browsers cannot play
    probe_timeout_seconds: float = Field(default=60, gt=0)
    # issue 27: footage bound to no case is listed as expiring (a warning on its page, `expiring_within_days` in
    # GET /api/v1/media/unlinked/summary) this many days before the retention sweep would delete it.
    unlinked_warning_days: int = Field(default=30, ge=0, le=3650)
    # issue 28: operations. Log lines as text (uvicorn's) or one JSON object per line (time, level, logger, message,
    # request_id; access lines with method, route, status, duration_ms).
    log_format: Literal["text", "json"] = "text"
    # SIGTERM: uploads in flight get this long to finish; a body still arriving then ends there, what it brought is
    # kept and the PATCH is answered with its offset (core/drain.py). Keep it below the orchestrator's grace period.
    drain_seconds: float = Field(default=25, ge=0, le=3600)
    # GET /metrics: open on the service port unless this is set; then it needs `Authorization: Bearer <this>`.
    metrics_token: str | None = Field(default=None, min_length=16)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)  # ValueError: not an address or network
        return value

    @cached_property
    def webhook_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return parse_networks(self.webhook_allowed_networks)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
