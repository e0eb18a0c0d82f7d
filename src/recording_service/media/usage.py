"""Footage by device, for the device register's figures: per device the footage recorded in a period (clips, hours,
uploads later than the 24-hour rule, as media/lag.py measures the lag: from the end of the recording to its
storage), its last upload and last recording at any time, footage per officer per device, and the count the device
register's return asks for (footage of a device recorded during a checkout, received so far)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Media, MediaStatus
from .schemas import upload_lag_s

UPLOAD_RULE_S = 24 * 3600  # 公安机关现场执法视音频记录工作规定: upload within 24 hours of recording


@dataclass
class DeviceFootage:
    """One device's footage in a period (by recording time; footage without one by its upload time)."""

    clips: int = 0
    seconds: float = 0.0
    late: int = 0  # stored more than 24 hours after its recording ended
    timed: int = 0  # clips whose recording end is known (the lag's base)
    inferred: int = 0  # clips whose officer was inferred from the register
    officers: dict[str, "OfficerFootage"] = field(default_factory=dict)


@dataclass
class OfficerFootage:
    clips: int = 0
    seconds: float = 0.0
    inferred: int = 0


@dataclass(frozen=True)
class LastSeen:
    uploaded_at: datetime | None
    recorded_at: datetime | None


def _in_period(start: datetime, end: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Media.recorded_started_at >= start, Media.recorded_started_at < end),
        and_(Media.recorded_started_at.is_(None), Media.uploaded_at >= start, Media.uploaded_at < end),
    )


async def footage_by_device(
    session: AsyncSession, agency: str | None, start: datetime, end: datetime
) -> dict[tuple[str, str], DeviceFootage]:
    """(agency, device serial) → the footage recorded in [start, end); footage without a device is left out."""
    query = select(
        Media.agency, Media.device_id, Media.officer_ids, Media.officer_source, Media.duration_s, Media.recorded_ended_at, Media.uploaded_at
    ).where(Media.device_id.is_not(None), Media.status.not_in([MediaStatus.deleted, MediaStatus.merged]), _in_period(start, end))
    if agency is not None:
        query = query.where(Media.agency == agency)
    out: dict[tuple[str, str], DeviceFootage] = {}
    for media_agency, device_id, officer_ids, source, duration, ended, uploaded in (await session.execute(query)).all():
        found = out.setdefault((media_agency, device_id or ""), DeviceFootage())
        seconds = float(duration or 0)
        found.clips += 1
        found.seconds += seconds
        inferred = source == "register"
        found.inferred += inferred
        lag = upload_lag_s(ended, uploaded)
        if lag is not None:
            found.timed += 1
            found.late += lag > UPLOAD_RULE_S
        for officer in officer_ids or [""]:
            mine = found.officers.setdefault(officer, OfficerFootage())
            mine.clips += 1
            mine.seconds += seconds
            mine.inferred += inferred
    return out


async def last_seen(session: AsyncSession, agency: str | None) -> dict[tuple[str, str], LastSeen]:
    """(agency, device serial) → its last upload and its last recording start, at any time."""
    query = (
        select(Media.agency, Media.device_id, func.max(Media.uploaded_at), func.max(Media.recorded_started_at))
        .where(Media.device_id.is_not(None))
        .group_by(Media.agency, Media.device_id)
    )
    if agency is not None:
        query = query.where(Media.agency == agency)
    return {(a, d or ""): LastSeen(uploaded, recorded) for a, d, uploaded, recorded in (await session.execute(query)).all()}


async def device_footage_count(session: AsyncSession, agency: str, serial: str, start: datetime, end: datetime) -> int:
    """Footage of the agency's device recorded in [start, end] received so far (the device register's return check)."""
    query = select(func.count()).where(
        Media.agency == agency, Media.device_id == serial, Media.recorded_started_at >= start, Media.recorded_started_at <= end
    )
    return int((await session.execute(query)).scalar_one())
