"""The upload-lag report, from real footage, through the HTTP API on both legs. (Case facts, extensions and pauses,
the statutory limits, the review checks and the review score: tests/api/test_review.py.)"""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .support.api import assert_problem
from .support.media import upload_bytes

AGENCY = "REVW1"


def test_upload_lag_per_footage_and_the_24_hour_rule_per_dock_device_officer(leg, clips):
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime.now(tz).replace(microsecond=0)
    agency = f"LAG{uuid.uuid4().hex[:4].upper()}"
    with leg.client(leg.token("dock", agency)) as http:
        made = {}
        for name, seconds, dock, device, officers, ended_ago in (
            ("late", 1.0, "DOCK-1", "CAM-1", "3401001", timedelta(hours=50)),
            ("fresh", 1.2, "DOCK-1", "CAM-2", "3401001,3401002", timedelta(hours=2)),
            ("other", 1.4, "DOCK-2", "CAM-3", "3401002", timedelta(hours=30)),
        ):
            clip = clips(f"lag-{name}.mp4", seconds=seconds)
            made[name] = upload_bytes(
                http,
                clip.read_bytes(),
                filename=clip.name,
                dock_id=dock,
                device_id=device,
                officer_ids=officers,
                recorded_at=(now - ended_ago).isoformat(),
            )
        lag = http.get(f"/api/v1/media/{made['late']}").json()["upload_lag_s"]
        assert 50 * 3600 - 5 <= lag <= 50 * 3600 + 120
    period = {"recorded_from": (now - timedelta(days=7)).isoformat(), "recorded_to": (now + timedelta(hours=1)).isoformat()}
    with leg.client(leg.token("auditor", agency)) as http:
        by_dock = http.get("/api/v1/media/upload-lag", params=period)
        assert by_dock.status_code == 200, by_dock.text
        report = by_dock.json()
        assert (report["footage"], report["late"], report["within_hours"]) == (3, 2, 24)
        assert [(g["key"], g["footage"], g["late"]) for g in report["groups"]] == [("DOCK-1", 2, 1), ("DOCK-2", 1, 1)]
        officers = http.get("/api/v1/media/upload-lag", params={**period, "group_by": "officer"}).json()
        assert {g["key"]: (g["footage"], g["late"]) for g in officers["groups"]} == {"3401001": (2, 1), "3401002": (2, 1)}
        devices = http.get("/api/v1/media/upload-lag", params={**period, "group_by": "device"}).json()
        assert {g["key"]: g["late"] for g in devices["groups"]} == {"CAM-1": 1, "CAM-2": 0, "CAM-3": 1}
        for params in (
            {**period, "group_by": "docks"},
            {**period, "recorded_from": "2026-11-01T00:00:00"},
            {"recorded_from": period["recorded_to"], "recorded_to": period["recorded_from"]},
            {"recorded_from": "2020-01-01T00:00:00+08:00", "recorded_to": "2026-01-01T00:00:00+08:00"},
        ):
            assert_problem(http.get("/api/v1/media/upload-lag", params=params), 400, "invalid-query")
        assert_problem(http.get("/api/v1/media/upload-lag", params={"group_by": "dock"}), 422)
    with leg.client(leg.token("dock", agency)) as http:
        assert http.get("/api/v1/media/upload-lag", params=period).status_code == 403
    with leg.client(leg.token("auditor", "REVW2")) as http:  # another agency's footage is not counted
        assert http.get("/api/v1/media/upload-lag", params=period).json()["footage"] == 0
