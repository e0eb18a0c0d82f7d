"""The audit trail as the API answers it."""

from datetime import datetime, tzinfo
from typing import Any

from pydantic import BaseModel, Field

from ..core.times import local
from .describe import action_name, details_text
from .models import AuditEvent


class Actor(BaseModel):
    token_id: str | None
    role: str
    agency: str
    name: str | None = Field(default=None, description="the token's (or person's) name; null on events recorded before names were kept")
    user_id: str | None = Field(default=None, description="a person signed in to the pages (token_id is then null)")


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: Actor
    action: str
    action_zh: str = Field(description="the action as people read it (立案登记); the code is `action`")
    agency: str | None
    case_id: str | None
    media_id: str | None
    upload_id: str | None
    request_id: str | None
    client_address: str | None
    payload: dict[str, Any]
    details_zh: str = Field(description="the payload as people read it: Chinese labels, codes as words, times in the agency's zone")
    prev_hash: str
    entry_hash: str = Field(description="SHA-256 over prev_hash and the canonical serialisation of the event")

    @classmethod
    def of(cls, event: AuditEvent, tz: tzinfo) -> "AuditEventOut":
        return cls(
            seq=event.seq,
            at=local(event.at, tz),
            actor=Actor(
                token_id=event.actor_token_id,
                role=event.actor_role,
                agency=event.actor_agency,
                name=event.actor_name,
                user_id=event.actor_user_id,
            ),
            action=event.action,
            action_zh=action_name(event.action),
            agency=event.agency,
            case_id=event.case_id,
            media_id=event.media_id,
            upload_id=event.upload_id,
            request_id=event.request_id,
            client_address=event.client_address,
            payload=event.payload or {},
            details_zh=details_text(event.payload, tz),
            prev_hash=event.prev_hash,
            entry_hash=event.entry_hash,
        )


class AuditActionOut(BaseModel):
    code: str = Field(description="what `action` holds, e.g. media.created")
    name_zh: str = Field(description="its description, e.g. 上传音像记录")
    group_zh: str


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None = None


class VerifyOut(BaseModel):
    ok: bool = Field(description="the whole chain (every agency's events link into one) verifies")
    checked: int = Field(description="events verified: all of them for an admin of '*', the agency's own otherwise")
    head_seq: int = Field(description="the last event's seq: the chain's for an admin of '*', the agency's latest otherwise")
    head_hash: str
    first_bad_seq: int | None
    problem: str | None = None
    agency: str | None = Field(default=None, description="the agency the figures are about (null: all)")
