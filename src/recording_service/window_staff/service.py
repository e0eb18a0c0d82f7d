"""Keeping the window staff list: every change a version of its own and an audit event, in the request's
transaction. A photo is stored before the change that names it (under its SHA-256: an object is never replaced, and
one left by a refused request names nothing)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from ..audit.service import record
from ..core.db import utcnow
from ..core.ids import new_id
from ..core.messages import problem_text
from ..core.pagination import keyset, page_of
from ..core.principals import ALL_AGENCIES, Principal, scoped_to_agency
from ..core.problems import Problem
from ..officers.collation import sort_key
from ..storage import ObjectExists, ObjectStore
from .models import WindowStaff, WindowStaffVersion
from .photos import Photo
from .schemas import WindowStaffCreate, WindowStaffUpdate

FIELDS = ("name", "unit", "post", "window", "enforcement_kinds", "services")
# By agency, then unit and name in 汉语拼音 order (the unit's own text keeps units that read alike apart).
ORDER: list[InstrumentedAttribute[Any]] = [
    WindowStaff.agency,
    WindowStaff.unit_key,
    WindowStaff.unit,
    WindowStaff.name_key,
    WindowStaff.name,
    WindowStaff.id,
]


def _keyed(staff: WindowStaff) -> WindowStaff:
    staff.unit_key = sort_key(staff.unit)
    staff.name_key = sort_key(staff.name, person=True)
    return staff


def _state(staff: WindowStaff) -> dict[str, Any]:
    return {
        **{name: getattr(staff, name) for name in FIELDS},
        "active": staff.active,
        "photo_sha256": staff.photo_sha256,
    }


def _agency_of(principal: Principal) -> str:
    if principal.agency == ALL_AGENCIES:
        raise Problem(403, "agency-required", "The window staff list is kept per agency: use a token of that agency.")
    return principal.agency


def _version(staff: WindowStaff, principal: Principal, action: str, reason: str | None) -> WindowStaffVersion:
    return WindowStaffVersion(
        id=new_id(),
        staff_id=staff.id,
        version=staff.version,
        action=action,
        state=_state(staff),
        reason=reason,
        at=utcnow(),
        by=principal.name,
    )


def visible_staff(principal: Principal) -> Select[WindowStaff]:
    return scoped_to_agency(select(WindowStaff), WindowStaff.agency, principal)


async def get_staff(session: AsyncSession, principal: Principal, staff_id: str) -> WindowStaff:
    found = (await session.execute(visible_staff(principal).where(WindowStaff.id == staff_id[:64]))).scalar_one_or_none()
    if found is None:
        raise Problem(404, "window-staff-not-found", f"No window staff {staff_id[:64]}.", detail_zh=problem_text("window-staff-not-found"))
    return found


async def staff_page(
    session: AsyncSession, query: Select[WindowStaff], cursor: str | None, limit: int
) -> tuple[list[WindowStaff], str | None]:
    rows = (await session.execute(keyset(query, ORDER, cursor, limit))).scalars().all()
    return page_of(list(rows), [key.key for key in ORDER], limit)


async def history_of(session: AsyncSession, staff: WindowStaff) -> list[WindowStaffVersion]:
    query = select(WindowStaffVersion).where(WindowStaffVersion.staff_id == staff.id).order_by(WindowStaffVersion.version)
    return list((await session.execute(query)).scalars())


async def create_staff(session: AsyncSession, principal: Principal, body: WindowStaffCreate) -> WindowStaff:
    agency = _agency_of(principal)
    now = utcnow()
    staff = _keyed(
        WindowStaff(
            id=new_id(), agency=agency, active=True, version=1, created_at=now, updated_at=now, **body.model_dump(include=set(FIELDS))
        )
    )
    session.add(staff)
    await session.flush()
    session.add(_version(staff, principal, "created", None))
    await record(session, principal, "window_staff.created", agency=agency, payload={"staff_id": staff.id, **body.model_dump(mode="json")})
    return staff


async def update_staff(session: AsyncSession, principal: Principal, staff: WindowStaff, body: WindowStaffUpdate) -> bool:
    """Apply the changed fields; False (and nothing recorded) when nothing changes."""
    changes = {
        name: value
        for name, value in body.model_dump(include={*FIELDS, "active"}, exclude_unset=True).items()
        if value is not None and value != getattr(staff, name)
    }
    if not changes:
        return False
    for name, value in changes.items():
        setattr(staff, name, value)
    if "name" in changes or "unit" in changes:
        _keyed(staff)
    staff.version += 1
    staff.updated_at = utcnow()
    reason = (body.reason or "").strip() or None
    session.add(_version(staff, principal, "updated", reason))
    await session.flush()
    await record(
        session,
        principal,
        "window_staff.updated",
        agency=staff.agency,
        payload={"staff_id": staff.id, "changed": changes, "reason": reason},
    )
    return True


def photo_key(staff: WindowStaff, photo: Photo) -> str:
    return f"window-staff/{staff.agency}/{staff.id}/{photo.sha256}.{photo.extension}"


async def set_photo(session: AsyncSession, store: ObjectStore, principal: Principal, staff: WindowStaff, photo: Photo) -> None:
    key = photo_key(staff, photo)
    try:
        await store.put_record(key, photo.body)
    except ObjectExists:
        pass  # these very bytes, stored before (the same photo again)
    staff.photo_key, staff.photo_type, staff.photo_sha256 = key, photo.content_type, photo.sha256
    staff.version += 1
    staff.updated_at = utcnow()
    session.add(_version(staff, principal, "photo_set", None))
    await session.flush()
    await record(
        session,
        principal,
        "window_staff.photo_set",
        agency=staff.agency,
        payload={"staff_id": staff.id, "photo_sha256": photo.sha256, "size": len(photo.body)},
    )


async def remove_photo(session: AsyncSession, principal: Principal, staff: WindowStaff) -> bool:
    """The photo no longer shown (its object stays, as every earlier version's does)."""
    if staff.photo_sha256 is None:
        return False
    staff.photo_key = staff.photo_type = staff.photo_sha256 = None
    staff.version += 1
    staff.updated_at = utcnow()
    session.add(_version(staff, principal, "photo_removed", None))
    await session.flush()
    await record(session, principal, "window_staff.photo_removed", agency=staff.agency, payload={"staff_id": staff.id})
    return True


@dataclass(frozen=True)
class StoredPhoto:
    body: bytes
    content_type: str
    sha256: str


async def photo_of(store: ObjectStore, staff: WindowStaff) -> StoredPhoto:
    """The person's current photo from the store; 404 when there is none (or its object cannot be found)."""
    body = await store.read_bytes(staff.photo_key) if staff.photo_key else None
    if body is None or staff.photo_type is None or staff.photo_sha256 is None:
        raise Problem(404, "photo-not-found", "No photo.", detail_zh=problem_text("photo-not-found"))
    return StoredPhoto(body, staff.photo_type, staff.photo_sha256)


def published_staff(agency: str | None = None, unit: str | None = None) -> Select[WindowStaff]:
    """The public list: those on duty, of one agency or every one, of a unit (any part of its name)."""
    query = select(WindowStaff).where(WindowStaff.active.is_(True))
    if agency:
        query = query.where(WindowStaff.agency == agency)
    if unit:
        query = query.where(WindowStaff.unit.contains(unit, autoescape=True))
    return query


async def published_one(session: AsyncSession, staff_id: str) -> WindowStaff:
    found = (await session.execute(published_staff().where(WindowStaff.id == staff_id[:64]))).scalar_one_or_none()
    if found is None:
        raise Problem(
            404, "window-staff-not-found", "No such window staff on the public list.", detail_zh=problem_text("window-staff-not-found")
        )
    return found


async def all_published(session: AsyncSession, agency: str | None, unit: str | None, limit: int = 2000) -> list[WindowStaff]:
    """The whole public list in its order (the page and the printable badges; a few hundred people at most)."""
    return list((await session.execute(published_staff(agency, unit).order_by(*ORDER).limit(limit))).scalars())
