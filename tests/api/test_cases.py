"""Cases (案件) through the API of the app in this process: what a case's input may not be, and who may open one.
(Opening, reading and listing, case numbers taken, values the database cannot hold: tests/test_cases.py.)"""

from ..support.api import assert_problem
from ..support.cases import case_body


def test_case_input_errors(inproc):
    with inproc.client(inproc.token("case_system", "CASES3")) as http:
        assert_problem(http.post("/api/v1/cases", json=case_body(procedure="penalty-unknown")), 400, "unknown-procedure")
        assert_problem(http.post("/api/v1/cases", json=case_body(opened_at="2026-11-02T09:00:00")), 400, "invalid-time")
        bad_party = case_body(parties=[{"name": "x", "kind": "robot"}])
        problem = assert_problem(http.post("/api/v1/cases", json=bad_party), 422, "validation-error")
        assert problem["errors"][0]["loc"][:3] == ["body", "parties", "0"]
        assert_problem(http.post("/api/v1/cases", json={"title": "no number"}), 422)
    with inproc.client(inproc.token("dock", "CASES3")) as http:
        assert_problem(http.post("/api/v1/cases", json=case_body()), 403, "forbidden-role")
        assert_problem(http.get("/api/v1/cases"), 403)
