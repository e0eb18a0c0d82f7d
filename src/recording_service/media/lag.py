"""Upload lag: how long footage took from the end of its recording to being stored, and the 24-hour rule
(公安机关现场执法视音频记录工作规定: upload within 24 hours of recording) reported per dock, device and officer."""

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from ..core.principals import Principal
from .models import Media
from .schemas import upload_lag_s
from .service import visible_media

GROUPINGS = ("dock", "device", "officer")


def _lag(ended: datetime | None, uploaded: datetime) -> float:
    """The lag of a row of the report, whose query asks for a recording end."""
    lag = upload_lag_s(ended, uploaded)
    assert lag is not None
    return lag


async def upload_lag_report(
    session: AsyncSession, principal: Principal, *, group_by: str, recorded_from: datetime, recorded_to: datetime, within_hours: float
) -> dict[str, Any]:
    rows = (
        await session.execute(
            visible_media(principal)
            .with_only_columns(Media.dock_id, Media.device_id, Media.officer_ids, Media.recorded_ended_at, Media.uploaded_at)
            .where(Media.recorded_ended_at.is_not(None), Media.recorded_ended_at >= recorded_from, Media.recorded_ended_at < recorded_to)
        )
    ).all()
    allowed = within_hours * 3600
    groups: dict[str, list[float]] = {}
    for dock_id, device_id, officer_ids, ended, uploaded in rows:
        lag = _lag(ended, uploaded)
        by_grouping: dict[str, list[str | None]] = {
            "dock": [dock_id],
            "device": [device_id],
            "officer": [*officer_ids] if officer_ids else [None],
        }
        keys = by_grouping[group_by]
        for key in keys:
            groups.setdefault(key or "", []).append(lag)
    out = []
    for key, lags in sorted(groups.items(), key=lambda pair: (-sum(lag > allowed for lag in pair[1]), pair[0])):
        late = sum(lag > allowed for lag in lags)
        out.append(
            {
                "key": key or None,
                "footage": len(lags),
                "late": late,
                "late_share": round(late / len(lags), 4),
                "median_lag_s": round(median(lags), 1),
                "max_lag_s": max(lags),
            }
        )
    unknown = (
        await session.execute(
            visible_media(principal)
            .with_only_columns(func.count())
            .where(Media.recorded_ended_at.is_(None), Media.uploaded_at >= recorded_from, Media.uploaded_at < recorded_to)
        )
    ).scalar_one()
    return {
        "group_by": group_by,
        "recorded_from": recorded_from,
        "recorded_to": recorded_to,
        "within_hours": within_hours,
        "footage": len(rows),
        "late": sum(_lag(row[3], row[4]) > allowed for row in rows),
        "without_recording_time": unknown,
        "groups": out,
    }
