from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ..catalog.schemas import ENFORCEMENT_KINDS, EnforcementKind
from ..core.values import RequestModel
from .models import WindowStaff, WindowStaffVersion


def _trimmed(value: str) -> str:
    if not value.strip():
        raise ValueError("the text is empty")
    return value.strip()


def _kinds(values: list[EnforcementKind]) -> list[EnforcementKind]:
    if len(set(values)) != len(values):
        raise ValueError("enforcement kinds repeat")
    return values


def _services(values: list[str]) -> list[str]:
    cleaned = [value.strip() for value in values if value.strip()]
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("services repeat")
    return cleaned


class WindowStaffCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=200, description="the unit or office, e.g. 政务服务中心卫生健康窗口")
    post: str = Field(min_length=1, max_length=100, description="职务, e.g. 窗口负责人")
    window: str = Field(min_length=1, max_length=100, description="窗口, e.g. 12号窗口")
    enforcement_kinds: list[EnforcementKind] = Field(
        default_factory=list,
        max_length=7,
        description="执法种类: license 行政许可, penalty, coercion, inspection, levy, confirmation, other",
    )
    services: list[str] = Field(default_factory=list, max_length=50, description="服务事项, e.g. 公共场所卫生许可")

    _text = field_validator("name", "unit", "post", "window")(_trimmed)
    _kinds = field_validator("enforcement_kinds")(_kinds)
    _services = field_validator("services")(_services)

    @field_validator("services")
    @classmethod
    def _service_length(cls, values: list[str]) -> list[str]:
        if any(len(value) > 200 for value in values):
            raise ValueError("a service is at most 200 characters")
        return values


class WindowStaffUpdate(RequestModel):
    """Changed fields only; `active` false takes the person off the public list (with a reason), true puts them back."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    unit: str | None = Field(default=None, min_length=1, max_length=200)
    post: str | None = Field(default=None, min_length=1, max_length=100)
    window: str | None = Field(default=None, min_length=1, max_length=100)
    enforcement_kinds: list[EnforcementKind] | None = Field(default=None, max_length=7)
    services: list[str] | None = Field(default=None, max_length=50)
    active: bool | None = None
    reason: str | None = Field(default=None, max_length=500, description="why (kept in the history)")

    @field_validator("name", "unit", "post", "window")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _trimmed(value) if value is not None else None

    @field_validator("enforcement_kinds")
    @classmethod
    def _kind_list(cls, values: list[EnforcementKind] | None) -> list[EnforcementKind] | None:
        return _kinds(values) if values is not None else None

    @field_validator("services")
    @classmethod
    def _service_list(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        if any(len(value) > 200 for value in values):
            raise ValueError("a service is at most 200 characters")
        return _services(values)


class VersionOut(BaseModel):
    version: int
    action: str
    state: dict[str, Any]
    reason: str | None
    at: datetime
    by: str

    @classmethod
    def of(cls, row: WindowStaffVersion) -> "VersionOut":
        return cls(version=row.version, action=row.action, state=row.state, reason=row.reason, at=row.at, by=row.by)


class PublicWindowStaff(BaseModel):
    """What the 公示 shows of a person at a window: nothing else (no number, no contact, no history)."""

    id: str
    agency: str
    name: str
    unit: str
    post: str
    window: str
    enforcement_kinds: list[str]
    enforcement_kind_names: list[str]
    services: list[str]
    photo_url: str | None = Field(description="the photo (JPEG or PNG), when there is one")

    @classmethod
    def of(cls, staff: WindowStaff) -> "PublicWindowStaff":
        return cls(
            id=staff.id,
            agency=staff.agency,
            name=staff.name,
            unit=staff.unit,
            post=staff.post,
            window=staff.window,
            enforcement_kinds=list(staff.enforcement_kinds or []),
            enforcement_kind_names=[ENFORCEMENT_KINDS.get(code, code) for code in staff.enforcement_kinds or []],
            services=list(staff.services or []),
            photo_url=f"/api/v1/public/window-staff/{staff.id}/photo?v={staff.photo_sha256[:12]}" if staff.photo_sha256 else None,
        )


class WindowStaffOut(PublicWindowStaff):
    active: bool
    photo_sha256: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    history: list[VersionOut] | None = Field(default=None, description="single reads only: every version, oldest first")

    @classmethod
    def of(cls, staff: WindowStaff, history: list[WindowStaffVersion] | None = None) -> "WindowStaffOut":
        public = PublicWindowStaff.of(staff).model_dump()
        public["photo_url"] = f"/api/v1/window-staff/{staff.id}/photo" if staff.photo_sha256 else None
        return cls(
            **public,
            active=staff.active,
            photo_sha256=staff.photo_sha256,
            version=staff.version,
            created_at=staff.created_at,
            updated_at=staff.updated_at,
            history=None if history is None else [VersionOut.of(row) for row in history],
        )


class WindowStaffPage(BaseModel):
    items: list[WindowStaffOut]
    next_cursor: str | None = None


class PublicWindowStaffPage(BaseModel):
    items: list[PublicWindowStaff]
    next_cursor: str | None = None
