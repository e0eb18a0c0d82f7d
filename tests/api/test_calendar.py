"""The working-day calendar through the API of the app in this process: the official calendar is the operator's,
every version kept; an agency's local days count in its own deadlines only. (Loading a year by the CLI: tests/test_calendar.py.)"""

from ..support.api import assert_problem


def deadline(http, start, days, **params):
    answer = http.get("/api/v1/calendar/deadline", params={"start": start, "days": days, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["due_on"]


def test_an_agency_admin_cannot_change_the_official_calendar_that_counts_another_agencys_deadlines(inproc):
    # An admin of agency B tried to add 2027 with days off from 2026-12-01: agency A's 7-working-day limit
    # from Monday 2026-12-07 must still end on 2026-12-16.
    hostile = {
        "year": 2027,
        "source": {"title_zh": "伪造的安排"},
        "holidays": [{"name_zh": "假期", "name_en": "days off", "from": "2026-12-01", "to": "2026-12-15"}],
    }
    with inproc.client(inproc.token("admin", "CALB")) as admin_b:
        assert_problem(admin_b.put("/api/v1/calendar/2027", json=hostile), 403, "calendar-official")
        assert_problem(
            admin_b.put("/api/v1/calendar/2026", params={"replace": "true"}, json={**hostile, "year": 2026}), 403, "calendar-official"
        )
    with inproc.client(inproc.token("admin", "*")) as operator:
        # Even the operator cannot load a year whose days lie in another year.
        refused = operator.put("/api/v1/calendar/2027", json=hostile)
        assert refused.status_code == 422 and "outside the year" in refused.text
        spill = {**hostile, "holidays": [{"name_zh": "元旦", "name_en": "New Year's Day", "from": "2027-12-31", "to": "2028-01-02"}]}
        assert operator.put("/api/v1/calendar/2027", json=spill).status_code == 422
    with inproc.client(inproc.token("reviewer", "CALA")) as reviewer_a:
        assert deadline(reviewer_a, "2026-12-07", 7) == "2026-12-16"
        assert_problem(reviewer_a.get("/api/v1/calendar/2027"), 404, "calendar-year-unknown")


def test_every_version_of_the_official_calendar_is_kept_with_its_source_and_every_agency_sees_the_loads(inproc):
    year = {
        "year": 2188,
        "source": {"title_zh": "测试用安排 第一版", "url": "https://www.gov.cn/test/2188-1"},
        "holidays": [{"name_zh": "国庆节", "name_en": "National Day", "from": "2188-10-01", "to": "2188-10-07"}],
    }
    with inproc.client(inproc.token("admin", "*")) as operator:
        assert operator.put("/api/v1/calendar/2188", json=year).json()["version"] == 1
        second = {**year, "source": {"title_zh": "测试用安排 更正版"}, "working_weekends": ["2188-10-11"]}
        assert operator.put("/api/v1/calendar/2188", params={"replace": "true"}, json=second).json()["version"] == 2
    with inproc.client(inproc.token("auditor", "CALA")) as auditor_a:
        versions = auditor_a.get("/api/v1/calendar/2188/versions").json()["items"]
        assert [(v["version"], v["source"]["title_zh"], v["working_weekends"]) for v in versions] == [
            (1, "测试用安排 第一版", []),
            (2, "测试用安排 更正版", ["2188-10-11"]),
        ]
        assert all(v["loaded_by"] and v["loaded_at"] for v in versions)
        assert auditor_a.get("/api/v1/calendar/2188").json()["source"]["title_zh"] == "测试用安排 更正版"
        packaged = auditor_a.get("/api/v1/calendar/2026/versions").json()["items"]
        assert [(v["version"], v["origin"]) for v in packaged] == [(0, "catalog")]
        # The loads count every agency's deadlines, so every agency's audit trail shows them.
        events = auditor_a.get("/api/v1/audit/events", params={"action": "calendar.loaded", "limit": 500}).json()["items"]
        loads = [e["payload"] for e in events if e["payload"]["year"] == 2188]
        assert [(p["version"], p["replaced"], p["source"]) for p in loads] == [
            (1, False, "测试用安排 第一版"),
            (2, True, "测试用安排 更正版"),
        ]


def test_an_agencys_local_days_count_in_its_own_deadlines_only_and_stay_in_its_trail(inproc):
    local = {"day": "2026-12-08", "kind": "off", "name_zh": "地方纪念日", "basis": "某自治区人民政府令（测试）"}
    with (
        inproc.client(inproc.token("admin", "LOCA")) as admin_a,
        inproc.client(inproc.token("reviewer", "LOCA")) as reviewer_a,
        inproc.client(inproc.token("reviewer", "LOCB")) as reviewer_b,
        inproc.client(inproc.token("admin", "LOCB")) as admin_b,
    ):
        added = admin_a.post("/api/v1/calendar/local-days", json=local)
        assert added.status_code == 201, added.text
        assert added.json()["agency"] == "LOCA"
        assert_problem(admin_a.post("/api/v1/calendar/local-days", json=local), 409, "local-day-exists")
        assert deadline(reviewer_a, "2026-12-07", 7) == "2026-12-17"  # one day later for A
        assert deadline(reviewer_b, "2026-12-07", 7) == "2026-12-16"  # B untouched
        # A's admin cannot add days for B, nor see or withdraw B's.
        assert_problem(admin_a.post("/api/v1/calendar/local-days", json={**local, "agency": "LOCB"}), 404, "agency-not-found")
        assert_problem(
            admin_b.post(f"/api/v1/calendar/local-days/{added.json()['id']}/withdraw", json={"reason": "x"}), 404, "local-day-not-found"
        )
        assert reviewer_b.get("/api/v1/calendar/local-days").json()["items"] == []
        # A day off that is already off, a working day that already is one, a misspelt field: refused.
        assert_problem(admin_a.post("/api/v1/calendar/local-days", json={**local, "day": "2026-12-06"}), 422, "invalid-local-day")
        assert_problem(
            admin_a.post("/api/v1/calendar/local-days", json={**local, "day": "2026-12-09", "kind": "working"}), 422, "invalid-local-day"
        )
        assert admin_a.post("/api/v1/calendar/local-days", json={**local, "dayy": "2026-12-09"}).status_code == 422
        assert reviewer_a.post("/api/v1/calendar/local-days", json={**local, "day": "2026-12-09"}).status_code == 403

        events_b = admin_b.get("/api/v1/audit/events", params={"action": "calendar.local_day_added"}).json()["items"]
        assert events_b == []
        events_a = admin_a.get("/api/v1/audit/events", params={"action": "calendar.local_day_added"}).json()["items"]
        assert [e["payload"]["day"] for e in events_a] == ["2026-12-08"]

        withdrawn = admin_a.post(f"/api/v1/calendar/local-days/{added.json()['id']}/withdraw", json={"reason": "录入错误"})
        assert withdrawn.status_code == 200 and withdrawn.json()["withdrawal_reason"] == "录入错误"
        assert deadline(reviewer_a, "2026-12-07", 7) == "2026-12-16"
        kept = reviewer_a.get("/api/v1/calendar/local-days", params={"withdrawn": "true"}).json()["items"]
        assert [(d["day"], d["withdrawn_by"] is not None) for d in kept] == [("2026-12-08", True)]
        assert reviewer_a.get("/api/v1/calendar/local-days").json()["items"] == []
