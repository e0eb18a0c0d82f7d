from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ..core.values import RequestModel
from .models import Share

RecipientKind = Literal["lawyer", "court", "review_body", "superior", "other"]
Permission = Literal["view", "download"]
ShareStatus = Literal["active", "expired", "revoked"]
MAX_DAYS = 90  # a share runs at most this long; a longer need is a new share (and a new decision)


def _trimmed(value: str) -> str:
    if not value.strip():
        raise ValueError("the text is empty")
    return value.strip()


class ShareCreate(RequestModel):
    recipient: str = Field(min_length=1, max_length=100, description="the person the link is for, e.g. 张律师")
    organisation: str = Field(min_length=1, max_length=200, description="their organisation, e.g. 安徽某某律师事务所, 某某区人民法院")
    recipient_kind: RecipientKind = Field(
        default="other", description="lawyer 律师, court 法院, review_body 复议机关, superior 上级机关, other 其他"
    )
    purpose: str = Field(min_length=1, max_length=1000, description="why it is shared, e.g. 行政诉讼举证")
    expires_at: datetime = Field(description=f"when the link stops working: with an offset, in the future, at most {MAX_DAYS} days ahead")
    permission: Permission = Field(default="view", description="view: see and play; download: also download the files")
    media_ids: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="chosen footage or document attachments of the case; omitted: everything bound to the case now "
        "(with its stages and documents list)",
    )
    access_code: bool = Field(default=False, description="true: an 8-digit access code is made, answered once, to send separately")

    _text = field_validator("recipient", "organisation", "purpose")(_trimmed)

    @field_validator("media_ids")
    @classmethod
    def _distinct(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and len(set(values)) != len(values):
            raise ValueError("media_ids repeat")
        if values is not None and any(not 0 < len(v) <= 64 for v in values):
            raise ValueError("a media id is 1 to 64 characters")
        return values


class ShareRevoke(RequestModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the link is withdrawn (kept in the audit trail)")

    _text = field_validator("reason")(_trimmed)


class SharedFileOut(BaseModel):
    media_id: str
    filename: str | None
    sha256: str
    size: int
    kind: str | None
    stage: str | None


class ShareCounts(BaseModel):
    viewed: int = 0
    played: int = 0
    downloaded: int = 0
    receipt: int = 0


class ShareOut(BaseModel):
    id: str
    case_id: str
    agency: str
    recipient: str
    organisation: str
    recipient_kind: str
    purpose: str
    permission: str
    whole_case: bool
    access_code_required: bool
    expires_at: datetime
    created_at: datetime
    created_by: str
    status: ShareStatus
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    files: list[SharedFileOut]
    counts: ShareCounts = Field(description="audited uses by the recipient: page views, plays, downloads, receipts")

    @classmethod
    def of(cls, share: Share, status: ShareStatus, files: list[SharedFileOut], counts: ShareCounts) -> "ShareOut":
        return cls(
            id=share.id,
            case_id=share.case_id,
            agency=share.agency,
            recipient=share.recipient,
            organisation=share.organisation,
            recipient_kind=share.recipient_kind,
            purpose=share.purpose,
            permission=share.permission,
            whole_case=share.whole_case,
            access_code_required=share.access_code_hmac is not None,
            expires_at=share.expires_at,
            created_at=share.created_at,
            created_by=share.created_by,
            status=status,
            revoked_at=share.revoked_at,
            revoked_by=share.revoked_by,
            revoke_reason=share.revoke_reason,
            files=files,
            counts=counts,
        )


class ShareCreated(ShareOut):
    token: str = Field(description="the link's secret: shown this once, kept only as its SHA-256")
    url: str = Field(description="the link to send the recipient: /shared/{token}")
    access_code: str | None = Field(description="the access code, shown this once: send it apart from the link")


class SharePage(BaseModel):
    items: list[ShareOut]
    next_cursor: str | None = None
