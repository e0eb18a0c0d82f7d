"""Retention and legal holds: the sweep deletes only expired, unbound, unflagged, unheld footage,
leaves tombstones and audit events, and a dry run deletes nothing."""

import json
import time
import uuid
from datetime import datetime

import pytest

from .support.api import assert_problem
from .support.audit import cli_json, events
from .support.cases import case_body
from .support.media import upload_bytes
from .support.services import private_service


@pytest.fixture
def short_retention_service(leg, tmp_path):
    with private_service(leg, tmp_path, standard_days=0.00002) as service:
        yield service


def closed_case(http, media_id: str, **case) -> dict:
    """A simple-procedure case with `media_id` bound to its first stage, closed just now."""
    body = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple", **case))
    assert body.status_code == 201, body.text
    created = body.json()
    url = f"/api/v1/cases/{created['id']}/stages"
    onsite = http.post(url, json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}).json()
    assert http.post(f"{url}/{onsite['id']}/media", json={"media_id": media_id}).status_code == 201
    http.patch(f"{url}/{onsite['id']}", json={"ended_at": "2026-11-03T10:30:00+08:00"})
    closing = http.post(url, json={"stage": "closing", "started_at": "2026-11-03T11:00:00+08:00"}).json()
    closed = http.patch(f"{url}/{closing['id']}", json={"ended_at": datetime.now().astimezone().isoformat()})
    assert closed.status_code == 200, closed.text
    case = http.get(f"/api/v1/cases/{created['id']}").json()
    assert case["status"] == "closed"
    return case


def test_retention_sweep_and_legal_holds(leg, short_retention_service):
    service = short_retention_service
    agency = "RET"
    names = ("plain", "bound", "important", "held", "released", "brief_closed", "closed_kept")
    content = {name: f"{name} {uuid.uuid4()}".encode() * 100 for name in names}
    with leg.client(service.token("dock", agency)) as http:
        http.base_url = service.base_url
        ids = {name: upload_bytes(http, data, **({"flag": "important"} if name == "important" else {})) for name, data in content.items()}
    with leg.client(service.token("case_system", agency)) as http:
        http.base_url = service.base_url
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"}).json()
        http.post(f"/api/v1/cases/{case['id']}/stages/{stage['id']}/media", json={"media_id": ids["bound"]})
        # Closed cases keep their footage per the case's class: `case` (permanent) by default, `brief` here 1.7 s.
        assert closed_case(http, ids["closed_kept"])["retention_class"] == "case"
        assert closed_case(http, ids["brief_closed"], retention_class="brief")["retention_class"] == "brief"
        assert_problem(http.post("/api/v1/cases", json=case_body(retention_class="forever")), 400, "unknown-retention-class")
        assert_problem(http.post("/api/v1/cases", json=case_body(retention_class="standard")), 400, "retention-class-not-for-cases")
    auditor = leg.client(service.token("auditor", agency))
    auditor.base_url = service.base_url
    with auditor as http:
        held = http.post("/api/v1/holds", json={"media_id": ids["held"], "reason": "行政复议中"})
        assert held.status_code == 201, held.text
        released = http.post("/api/v1/holds", json={"media_id": ids["released"], "reason": "诉讼保全"}).json()
        lifted = http.post(f"/api/v1/holds/{released['id']}/lift", json={"reason": "诉讼终结"})
        assert lifted.status_code == 200 and lifted.json()["lift_reason"] == "诉讼终结"
        assert_problem(http.post(f"/api/v1/holds/{released['id']}/lift", json={"reason": "again"}), 409, "hold-lifted")
        assert_problem(http.post("/api/v1/holds", json={"reason": "no subject"}), 422)
        assert [h["media_id"] for h in http.get("/api/v1/holds").json()] == [ids["held"]]
        time.sleep(2.0)  # past the (shortened) standard retention

        dry = cli_json(service.cli("retention", "sweep", "--dry-run"))
        expected = sorted([ids["plain"], ids["released"], ids["brief_closed"]])
        assert dry["dry_run"] is True and sorted(d["media_id"] for d in dry["deleted"]) == expected
        assert http.get(f"/api/v1/media/{ids['plain']}/content").content == content["plain"]  # nothing deleted

        done = cli_json(service.cli("retention", "sweep"))
        assert sorted(d["media_id"] for d in done["deleted"]) == expected
        # Each deletion names the class that ran out last: the case's own class for footage of a closed case.
        assert {d["media_id"]: d["policy"] for d in done["deleted"]} == {
            ids["plain"]: "standard",
            ids["released"]: "standard",
            ids["brief_closed"]: "brief",
        }
        for name in ("plain", "released", "brief_closed"):
            assert http.get(f"/api/v1/media/{ids[name]}").json()["status"] == "deleted"
            assert_problem(http.get(f"/api/v1/media/{ids[name]}/content"), 410, "media-deleted")
            deletion = events(http, media_id=ids[name], action="media.deleted")
            assert deletion[0]["payload"]["sha256"] == http.get(f"/api/v1/media/{ids[name]}").json()["sha256"]
        for name in ("bound", "important", "held", "closed_kept"):
            assert http.get(f"/api/v1/media/{ids[name]}/content").content == content[name]
        assert cli_json(service.cli("retention", "sweep"))["deleted"] == []
        assert http.get("/api/v1/audit/verify").json()["ok"] is True
        actions = [e["action"] for e in events(http, media_id=ids["released"])]
        assert actions.index("hold.placed") < actions.index("hold.lifted") < actions.index("media.deleted")
    fixity = service.cli("fixity", "run")  # deleted evidence is not "missing": it is accounted for by its tombstone
    assert json.loads(fixity.stdout.strip().splitlines()[-1])["missing"] == 0
