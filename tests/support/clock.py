"""The agency's calendar day, as the service counts it.

The service dates results, replies and time limits in the agency's time zone (Asia/Shanghai by default); the machine
running the tests keeps UTC. From 16:00 UTC the two disagree on the date, so a test must never use `date.today()`.
Called, never cached: a run may cross midnight."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

AGENCY_TZ = ZoneInfo("Asia/Shanghai")


def agency_today() -> date:
    return datetime.now(AGENCY_TZ).date()
