"""The device register's figures (issue 27): per device its footage in the period (clips, hours), its last upload, the
share uploaded later than the 24-hour rule, the days since it last recorded; 设备使用率 (devices in service with footage
in the period ÷ devices in service); footage per officer per device. Read from media (media/usage.py) and the
register (devices.service): footage is counted by its recording day in the agency's time zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from ..core.messages import name_of
from ..devices.service import registered_devices
from ..media.usage import footage_by_device, last_seen
from ..officers.service import names_of
from .schemas import Row
from .service import UNMARKED, Scope, Table, _rate


@dataclass
class DeviceUsage:
    agency: str
    serial: str
    registered: bool
    kind: str | None
    unit: str | None
    status: str | None
    clips: int
    seconds: float
    late: int
    timed: int
    inferred: int
    last_upload: datetime | None
    last_recorded: datetime | None
    days_without_use: int | None  # days since its last recording (None: never recorded)

    @property
    def used(self) -> bool:
        return self.clips > 0

    @property
    def late_share(self) -> float | None:
        return _rate(self.late, self.timed)


def period(start: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[first day 00:00, the day after the last 00:00) in the agency's time zone."""
    return datetime.combine(start, time.min, tz), datetime.combine(end + timedelta(days=1), time.min, tz)


async def usage_of_devices(session: AsyncSession, agency: str | None, start: date, end: date, day: date, tz: tzinfo) -> list[DeviceUsage]:
    """Every registered device, then the serials footage names that the register does not know."""
    first, after = period(start, end, tz)
    footage = await footage_by_device(session, agency, first, after)
    seen = await last_seen(session, agency)
    out: list[DeviceUsage] = []
    registered = await registered_devices(session, agency)
    known = {(d.agency, d.serial) for d in registered}

    def usage(key: tuple[str, str], kind: str | None, unit: str | None, status: str | None) -> DeviceUsage:
        found = footage.get(key)
        last = seen.get(key)
        recorded = last.recorded_at if last else None
        return DeviceUsage(
            agency=key[0],
            serial=key[1],
            registered=key in known,
            kind=kind,
            unit=unit,
            status=status,
            clips=found.clips if found else 0,
            seconds=found.seconds if found else 0.0,
            late=found.late if found else 0,
            timed=found.timed if found else 0,
            inferred=found.inferred if found else 0,
            last_upload=last.uploaded_at if last else None,
            last_recorded=recorded,
            days_without_use=(day - recorded.astimezone(tz).date()).days if recorded else None,
        )

    for device in registered:
        out.append(usage((device.agency, device.serial), device.kind, device.unit, device.status))
    for key in sorted(set(footage) - known):
        out.append(usage(key, None, None, None))
    return out


async def device_usage(session: AsyncSession, scope: Scope, day: date, tz: tzinfo) -> Table:
    devices = await usage_of_devices(session, scope.agency, scope.start, scope.end, day, tz)
    in_service = [d for d in devices if d.registered and d.status == "in_service"]
    used = [d for d in in_service if d.used]
    rows: list[Row] = [
        {
            "agency": d.agency,
            "serial": d.serial,
            "kind_zh": name_of("device_kind", d.kind, "—") if d.kind else "未登记",
            "unit": d.unit or "—",
            "status_zh": name_of("device_status", d.status, "—") if d.status else "未登记",
            "clips": d.clips,
            "hours": round(d.seconds / 3600, 2),
            "late_share": d.late_share,
            "last_upload": d.last_upload.astimezone(tz).strftime("%Y-%m-%d %H:%M") if d.last_upload else None,
            "days_without_use": d.days_without_use,
        }
        for d in sorted(devices, key=lambda d: (not d.registered, -d.seconds, d.agency, d.serial))
    ]
    return Table(
        "device-usage",
        "设备使用率",
        [
            ("serial", "产品序号"),
            ("kind_zh", "设备类型"),
            ("unit", "使用单位"),
            ("status_zh", "状态"),
            ("clips", "文件数"),
            ("hours", "时长（小时）"),
            ("late_share", "超24小时上传占比"),
            ("last_upload", "最近上传"),
            ("days_without_use", "未使用天数"),
        ],
        rows,
        totals={"in_service": len(in_service), "used": len(used), "rate": _rate(len(used), len(in_service))},
        notes=[
            "设备使用率 = 统计期间有音像记录的在用设备数 ÷ 在用设备数；按录制日期统计（无录制时间的按上传日期）。",
            "超24小时上传占比按有录制结束时间的文件计算；未使用天数自最近一次录制起算。音像中出现、设备登记中没有的产品序号标注“未登记”。",
        ],
        chart=("serial", "hours"),
    )


async def device_officers(session: AsyncSession, scope: Scope, day: date, tz: tzinfo) -> Table:
    first, after = period(scope.start, scope.end, tz)
    footage = await footage_by_device(session, scope.agency, first, after)
    wanted = [(agency, officer) for (agency, _), found in footage.items() for officer in found.officers if officer]
    registered = await names_of(session, wanted)
    rows: list[Row] = []
    for (agency, serial), found in sorted(footage.items()):
        for officer, mine in sorted(found.officers.items(), key=lambda item: (-item[1].seconds, item[0])):
            rows.append(
                {
                    "agency": agency,
                    "serial": serial,
                    "officer_id": officer or None,
                    "officer_zh": registered.label(agency, officer) if officer else UNMARKED,
                    "clips": mine.clips,
                    "hours": round(mine.seconds / 3600, 2),
                    "inferred": mine.inferred,
                    "pair_zh": f"{serial} · {registered.label(agency, officer) if officer else UNMARKED}",  # the chart's label
                }
            )
    return Table(
        "device-officers",
        "音像时长（按设备和执法人员）",
        [
            ("serial", "产品序号"),
            ("officer_id", "执法人员编号"),
            ("officer_zh", "执法人员"),
            ("clips", "文件数"),
            ("hours", "时长（小时）"),
            ("inferred", "其中据领用登记推定"),
        ],
        rows,
        totals={"clips": sum(r["clips"] for r in rows if isinstance(r["clips"], int))},
        notes=["一段音像有多名执法人员的，分别计入每人；“据领用登记推定”指上传时未写明执法人员、按设备领用登记填入的。"],
        chart=("pair_zh", "hours"),
        codes=frozenset({"officer_id"}),
    )


DEVICE_STATISTICS = {"device-usage": device_usage, "device-officers": device_officers}
