"""Agency profiles kept by the API of the app in this process: validated, versioned, audited, seen by the agency,
the agencies under it and the operator only. (Profiles set by the CLI, the case file and the pages: tests/test_agencies.py.)"""

from ..support.agencies import CITY_USCC, COUNTY_USCC, OTHER_COUNTY_USCC, codes, profile
from ..support.api import assert_problem
from ..support.audit import events


def test_profiles_are_validated_versioned_audited_and_kept_to_their_agencies(inproc):
    city, county, second = codes()
    with (
        inproc.client(inproc.token("admin", "*")) as operator,
        inproc.client(inproc.token("admin", city)) as city_admin,
        inproc.client(inproc.token("admin", county)) as county_admin,
        inproc.client(inproc.token("auditor", city)) as city_auditor,
        inproc.client(inproc.token("admin", f"OT{city}")) as stranger,
        inproc.client(inproc.token("reviewer", county)) as county_reviewer,
    ):
        created = operator.put(f"/api/v1/agencies/{city}", json=profile("某某市卫生健康委员会", CITY_USCC, "340600"))
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"/api/v1/agencies/{city}" and created.json()["version"] == 1
        again = operator.put(f"/api/v1/agencies/{city}", json=profile("某某市卫生健康委员会", CITY_USCC, "340600"))
        assert again.status_code == 200 and again.json()["version"] == 1  # nothing changed: no new version
        # An agency's own administrator keeps its profile; USCC typed with spaces and in lower case is stored compact.
        changed = city_admin.put(
            f"/api/v1/agencies/{city}", json=profile("某某市卫生健康委员会", " 1134 0600 MB12 3456 7c ", "340600", phone="0561-3000000")
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["version"] == 2 and changed.json()["uscc"] == CITY_USCC and changed.json()["phone"] == "0561-3000000"
        # Where an agency sits decides who sees it: its own administrator cannot place it (nor move it) under another.
        assert_problem(
            county_admin.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621", parent=city)),
            403,
            "agency-parent-operator",
        )
        assert county_admin.get(f"/api/v1/agencies/{county}").status_code == 404  # nothing was stored
        assert (
            county_admin.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621")).status_code == 201
        )
        assert (
            operator.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621", parent=city)).status_code
            == 200
        )
        assert_problem(
            county_admin.put(f"/api/v1/agencies/{county}", json=profile("某某县卫生健康委员会", COUNTY_USCC, "340621")),
            403,
            "agency-parent-operator",
        )  # nor take it out
        assert (
            operator.put(
                f"/api/v1/agencies/{second}", json=profile("某某区卫生健康委员会", OTHER_COUNTY_USCC, "340602", parent=city)
            ).status_code
            == 201
        )

        # Refused, each as a problem, and nothing changes.
        good = profile("某某市卫生健康委员会", CITY_USCC, "340600", phone="0561-9999999")
        for body, status, code in (
            ({**good, "uscc": CITY_USCC[:-1] + "D"}, 422, "validation-error"),  # check character
            ({**good, "uscc": "12345"}, 422, "validation-error"),
            ({**good, "division_code": "990600"}, 422, "validation-error"),  # no province 99
            ({**good, "division_code": "34060"}, 422, "validation-error"),
            ({**good, "parent": "NO-SUCH-AGENCY"}, 422, "unknown-parent"),
            ({**good, "parent": county}, 422, "agency-cycle"),  # the city under its own county
            ({**good, "parent": city}, 422, "agency-cycle"),
            ({**good, "fax": "0561-1"}, 422, "validation-error"),  # an unknown field
            ({**good, "name_zh": "  "}, 422, "validation-error"),
        ):
            problem = assert_problem(operator.put(f"/api/v1/agencies/{city}", json=body), status, code)
            assert problem["errors"], problem
        assert "Unknown field 'fax'" in operator.put(f"/api/v1/agencies/{city}", json={**good, "fax": "1"}).json()["detail"]
        assert_problem(operator.put("/api/v1/agencies/%2A", json=good), 422, "invalid-agency-code")
        now = operator.get(f"/api/v1/agencies/{city}").json()
        assert now["version"] == 2 and now["phone"] == "0561-3000000" and now["parent"] is None

        # Every state is kept, and every change is an audit event with the changed fields.
        versions = city_auditor.get(f"/api/v1/agencies/{city}/versions").json()["items"]
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[0]["fields"]["phone"] is None and versions[1]["changed"] == ["phone"]
        assert versions[1]["fields"]["phone"] == "0561-3000000" and versions[1]["changed_by"]
        audit = events(city_auditor, action="agency.updated")
        assert [e["payload"]["changed"] for e in audit] == [{"phone": "0561-3000000"}]
        assert audit[0]["payload"]["previous"] == {"phone": None} and audit[0]["agency"] == city
        assert [e["payload"]["version"] for e in events(city_auditor, action="agency.created")] == [1]

        # The city sees itself and its counties; a county sees itself; other agencies see nothing of them.
        assert [p["code"] for p in city_auditor.get("/api/v1/agencies").json()["items"]] == sorted([city, county, second])
        assert city_admin.get(f"/api/v1/agencies/{county}").json()["parent"] == city
        assert_problem(city_admin.put(f"/api/v1/agencies/{county}", json=profile("改名", COUNTY_USCC, "340621")), 403, "agency-not-yours")
        assert [p["code"] for p in county_reviewer.get("/api/v1/agencies").json()["items"]] == [county]
        assert_problem(county_reviewer.get(f"/api/v1/agencies/{city}"), 404, "agency-not-found")
        assert_problem(county_reviewer.put(f"/api/v1/agencies/{county}", json=good), 403, "forbidden-role")
        for response in (
            stranger.get(f"/api/v1/agencies/{city}"),
            stranger.get(f"/api/v1/agencies/{city}/versions"),
            stranger.put(f"/api/v1/agencies/{city}", json=good),
        ):
            assert_problem(response, 404, "agency-not-found")
        assert stranger.get("/api/v1/agencies").json()["items"] == []
        assert_problem(stranger.get("/api/v1/agencies/NO-SUCH"), 404, "agency-not-found")

    # ?under= lists a city with its counties; a county alone; an unknown code is a 404.
    with inproc.client() as anonymous:
        page = anonymous.get("/api/v1/public/agencies", params={"under": city, "limit": 2}).json()
        rest = anonymous.get("/api/v1/public/agencies", params={"under": city, "limit": 2, "cursor": page["next_cursor"]}).json()
        assert [p["code"] for p in page["items"] + rest["items"]] == sorted([city, county, second]) and rest["next_cursor"] is None
        assert "version" not in page["items"][0] and "updated_by" not in page["items"][0]
        assert [p["code"] for p in anonymous.get("/api/v1/public/agencies", params={"under": county}).json()["items"]] == [county]
        assert_problem(anonymous.get("/api/v1/public/agencies", params={"under": "NO-SUCH"}), 404, "agency-not-found")
        everyone = [p["code"] for p in anonymous.get("/api/v1/public/agencies", params={"limit": 500}).json()["items"]]
        assert {city, county, second} <= set(everyone)
