"""Cases (案件) through the HTTP API on both legs (input errors and roles, in the app in this process: tests/api/test_cases.py)."""

from .support.api import assert_problem
from .support.cases import case_body


def test_open_read_and_list_cases(leg):
    with leg.client(leg.token("case_system", "CASES1")) as http:
        body = case_body()
        response = http.post("/api/v1/cases", json=body)
        assert response.status_code == 201, response.text
        case = response.json()
        assert response.headers["Location"] == f"/api/v1/cases/{case['id']}"
        assert case["case_number"] == body["case_number"] and case["status"] == "open" and case["agency"] == "CASES1"
        assert case["opened_at"] == "2026-11-02T09:00:00+08:00"
        assert case["officers"][1]["certificate_number"] == "皖卫执证0002"
        assert case["parties"][0]["id_number"] == "340621199001011232"
        assert http.get(f"/api/v1/cases/{case['id']}").json() == case
        assert_problem(http.post("/api/v1/cases", json=body), 409, "case-number-taken")
        others = [http.post("/api/v1/cases", json=case_body(procedure="inspection-routine")).json()["id"] for _ in range(3)]
        seen, cursor = [], None
        while True:
            page = http.get("/api/v1/cases", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
            seen += [c["id"] for c in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert sorted(seen) == sorted([case["id"], *others])
        routine = http.get("/api/v1/cases", params={"procedure": "inspection-routine"}).json()["items"]
        assert sorted(c["id"] for c in routine) == sorted(others)
        by_number = http.get("/api/v1/cases", params={"case_number": body["case_number"]}).json()["items"]
        assert [c["id"] for c in by_number] == [case["id"]]
    with leg.client(leg.token("reviewer", "CASES1")) as http:  # review tooling: no personal identity numbers
        parties = http.get(f"/api/v1/cases/{case['id']}").json()["parties"]
        assert [p["id_number"] for p in parties] == [None, None] and parties[0]["name"] == "张三"
    with leg.client(leg.token("auditor", "CASES1")) as http:
        assert http.get(f"/api/v1/cases/{case['id']}").json()["parties"][0]["id_number"] == "340621199001011232"
    with leg.client(leg.token("case_system", "CASES2")) as http:  # another agency
        assert_problem(http.get(f"/api/v1/cases/{case['id']}"), 404, "case-not-found")
        assert http.post("/api/v1/cases", json={**body}).status_code == 201  # case numbers are unique per agency only


def test_values_the_database_cannot_hold_are_refused(leg):
    with leg.client(leg.token("case_system", "CASES4")) as http:
        assert_problem(http.post("/api/v1/cases", json=case_body(title="bad\u0000title")), 422, "validation-error")
        party = case_body(parties=[{"name": "x\u0000", "kind": "person"}])
        assert_problem(http.post("/api/v1/cases", json=party), 422, "validation-error")
        # A 案号 with a control character is no 案号 on either database: a clear 400 (query strings here).
        assert_problem(http.get("/api/v1/cases", params={"case_number": "a\u0000b"}), 400, "invalid-case-number")
