"""The working-day calendar through the API and the CLI, on both legs (who may change it, its versions and agencies'
local days, in the app in this process: tests/api/test_calendar.py)."""

import json

from .support.api import assert_problem

# A made-up arrangement for a far year (no real notice): loading it must turn that year's deadlines from
# provisional (Monday to Friday) into counted on the loaded days.
TEST_YEAR = {
    "year": 2190,
    "source": {"title_zh": "测试用节假日安排（非真实通知）", "title_en": "a test arrangement, not a real notice"},
    "holidays": [{"name_zh": "国庆节", "name_en": "National Day", "from": "2190-10-01", "to": "2190-10-07"}],
    "working_weekends": ["2190-09-25", "2190-10-09"],
}


def test_years_deadlines_and_loading_a_year(leg, tmp_path):
    with leg.client(leg.token("reviewer", "CAL1")) as http:
        year = http.get("/api/v1/calendar/2026")
        assert year.status_code == 200, year.text
        body = year.json()
        assert body["origin"] == "catalog" and body["source"]["title_zh"] == "国务院办公厅关于2026年部分节假日安排的通知"
        assert "2026-10-10" in body["working_weekends"] and "2026-10-07" in body["days_off"]
        assert {h["name_zh"] for h in body["holidays"]} >= {"春节", "国庆节", "中秋节"}
        assert_problem(http.get("/api/v1/calendar/2027"), 404, "calendar-year-unknown")
        assert http.get("/api/v1/calendar/1999").status_code == 422

        def due(start, days, count="working"):
            answer = http.get("/api/v1/calendar/deadline", params={"start": start, "days": days, "count": count})
            assert answer.status_code == 200, answer.text
            return answer.json()["due_on"], answer.json()["provisional"]

        assert due("2026-09-24", 20) == ("2026-10-29", False)
        assert due("2026-09-24", 7) == ("2026-10-12", False)
        assert due("2026-09-30", 1, "calendar") == ("2026-10-08", False)
        assert due("2027-01-29", 5) == ("2027-02-05", True)  # 2027 is not published yet: Monday to Friday
        assert due("2190-09-24", 1) == ("2190-09-27", True)  # a Friday: Monday to Friday until the year is loaded
        assert due("2190-09-30", 1) == ("2190-10-01", True)
        assert http.get("/api/v1/calendar/deadline", params={"start": "2026-01-01", "days": -1}).status_code == 422
        assert http.get("/api/v1/calendar/deadline", params={"start": "2026-01-01", "days": 5, "count": "weekly"}).status_code == 422
        # Only an admin loads a year.
        assert http.put("/api/v1/calendar/2190", json=TEST_YEAR).status_code == 403

    path = tmp_path / "2190.yaml"
    path.write_text(json.dumps(TEST_YEAR, ensure_ascii=False), encoding="utf-8")
    loaded = leg.service.cli("calendar", "load", str(path), check=False)
    assert loaded.returncode == 0, loaded.stderr
    again = leg.service.cli("calendar", "load", str(path), check=False)
    assert again.returncode == 1 and "--replace" in again.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(json.dumps({**TEST_YEAR, "working_weekends": ["2190-09-27"]}), encoding="utf-8")  # a Monday
    refused = leg.service.cli("calendar", "load", str(bad), check=False)
    assert refused.returncode == 1 and "not a Saturday or Sunday" in refused.stderr

    with leg.client(leg.token("reviewer", "CAL1")) as http:
        assert http.get("/api/v1/calendar/2190").json()["origin"] == "loaded"
        answer = http.get("/api/v1/calendar/deadline", params={"start": "2190-09-24", "days": 1}).json()
        assert (answer["due_on"], answer["provisional"]) == ("2190-09-25", False)  # the loaded working Saturday
        answer = http.get("/api/v1/calendar/deadline", params={"start": "2190-09-30", "days": 1}).json()
        assert answer["due_on"] == "2190-10-08"  # past the loaded 国庆
    with leg.client(leg.token("admin", "*")) as admin:
        assert_problem(admin.put("/api/v1/calendar/2190", json=TEST_YEAR), 409, "calendar-year-exists")
        assert_problem(admin.put("/api/v1/calendar/2189", json=TEST_YEAR), 400, "year-mismatch")
        assert admin.put("/api/v1/calendar/2190", json={**TEST_YEAR, "holidayz": []}).status_code == 422
        corrected = admin.put("/api/v1/calendar/2190", params={"replace": "true"}, json={**TEST_YEAR, "working_weekends": []})
        assert corrected.status_code == 200 and corrected.json()["working_weekends"] == []
        assert corrected.json()["version"] == 2
        events = admin.get("/api/v1/audit/events", params={"action": "calendar.loaded", "limit": 500}).json()["items"]
    loads = [e["payload"] for e in events if e["payload"]["year"] == 2190]
    assert [p["replaced"] for p in loads] == [False, True] and loads[0]["days_off"] == 7
