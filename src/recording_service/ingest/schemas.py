from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class UploadOut(BaseModel):
    id: str
    channel: str
    offset: int
    length: int | None
    length_deferred: bool = Field(
        default=False, description="created with Upload-Defer-Length (a recording streamed as it is made): length null until declared"
    )
    abandoned_at: datetime | None = Field(
        default=None, description="a recording closed for want of bytes: what arrived is kept as media in status incomplete"
    )
    status: str = Field(description="receiving, completed, rejected, terminated, expired")
    media_id: str | None
    sha256: str | None = Field(description="SHA-256 of the received bytes, once complete")
    declared_sha256: str | None
    error: dict[str, Any] | None
    metadata: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    completed_at: datetime | None
