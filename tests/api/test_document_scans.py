"""Scans of paper 执法文书 attached to their document records (issue 27), through the API of the app in this process:
what may be attached (a PDF by its declared type and its bytes, of the case's agency, to a document of that case), that
the scan is bound to the document's stage (kept with the case) and audited, and the page route's same rules.
(Uploading in the browser, the case page and the case file: tests/test_browser_upload.py.)"""

import hashlib
import re
from contextlib import contextmanager

from ..support.api import assert_problem, create, patch
from ..support.cases import CaseWalk
from ..support.inprocess import create_person, signed_in_client
from ..support.photos import scanned_pdf

AGENCY = "SCAN1"
OTHER = "SCAN2"


def _upload(http, data: bytes, **metadata: str) -> str:
    location = create(http, len(data), **metadata).headers["Location"]
    answer = patch(http, location, 0, data)
    assert answer.status_code == 204, answer.text
    return answer.headers["Upload-Media-Id"]


def _case(inproc, agency=AGENCY):
    with inproc.client(inproc.token("case_system", agency)) as http:
        walk = CaseWalk(http, "coercion-seizure")
        walk.stage("approval", "08:30", "08:50", docs=["coercion_approval"])
        walk.stage("implementation", "09:05", docs=["seizure_decision"])
        stages = walk.timeline()["stages"]
    documents = {d["doc_type"]: d["id"] for s in stages for d in s["documents"]}
    return walk, documents


def test_a_pdf_is_attached_bound_to_the_documents_stage_and_audited(inproc):
    walk, documents = _case(inproc)
    pdf = scanned_pdf(1)
    with inproc.client(inproc.token("dock", AGENCY)) as dock:
        media_id = _upload(dock, pdf, filename="决定书.pdf", content_type="application/pdf")
    document_id = documents["seizure_decision"]
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        answer = http.post(f"/api/v1/documents/{document_id}/scan", json={"media_id": media_id})
        assert answer.status_code == 201, answer.text
        scan = answer.json()
        assert scan["sha256"] == hashlib.sha256(pdf).hexdigest() and scan["document_id"] == document_id and scan["version"] == 1
        # The same file again: already this document's scan.
        assert_problem(http.post(f"/api/v1/documents/{document_id}/scan", json={"media_id": media_id}), 409, "scan-already-attached")
        # Nor can it be another document's scan.
        other_doc = documents["coercion_approval"]
        assert_problem(http.post(f"/api/v1/documents/{other_doc}/scan", json={"media_id": media_id}), 409, "scan-of-another-document")
        listed = http.get(f"/api/v1/documents/{document_id}/scans").json()["items"]
        assert [s["media_id"] for s in listed] == [media_id]
        assert_problem(http.get(f"/api/v1/documents/{document_id}/scans", params={"verbose": 1}), 400, "unknown-parameter")
        stage = next(s for s in http.get(f"/api/v1/cases/{walk.case['id']}/timeline").json()["stages"] if s["stage"] == "implementation")
        assert [m["media_id"] for m in stage["media"]] == [media_id]
    with inproc.client(inproc.token("admin", AGENCY)) as admin:
        events = admin.get("/api/v1/audit/events", params={"case_id": walk.case["id"], "action": "document.scan_attached"}).json()["items"]
        assert len(events) == 1 and events[0]["media_id"] == media_id and events[0]["payload"]["document_id"] == document_id
        assert admin.get("/api/v1/audit/verify").json()["ok"] is True


def test_what_may_not_be_a_scan(inproc):
    walk, documents = _case(inproc)
    other_walk, other_documents = _case(inproc, OTHER)
    document_id = documents["seizure_decision"]
    with inproc.client(inproc.token("dock", AGENCY)) as dock:
        video_typed = _upload(dock, scanned_pdf(1) + b"%video", filename="a.mp4", content_type="video/mp4")
        not_pdf_bytes = _upload(dock, b"GIF89a" + b"\0" * 64, filename="fake.pdf", content_type="application/pdf")
        untyped = _upload(dock, scanned_pdf(2), filename="noname")
    with inproc.client(inproc.token("dock", OTHER)) as dock:
        elsewhere = _upload(dock, scanned_pdf(3), filename="other.pdf", content_type="application/pdf")
    with inproc.client(inproc.token("case_system", AGENCY)) as http:
        scan = f"/api/v1/documents/{document_id}/scan"
        assert_problem(http.post(scan, json={"media_id": video_typed}), 415, "scan-not-pdf")  # wrong content type
        assert_problem(http.post(scan, json={"media_id": not_pdf_bytes}), 415, "scan-not-pdf")  # a PDF by name only
        assert_problem(http.post(scan, json={"media_id": untyped}), 415, "scan-not-pdf")  # no declared type
        assert_problem(http.post(scan, json={"media_id": elsewhere}), 404, "media-not-found")  # another agency's media
        assert_problem(http.post(scan, json={"media_id": "nope"}), 404, "media-not-found")
        assert_problem(http.post(scan, json={"media_id": video_typed, "extra": 1}), 422)
        # Another agency's document is not there at all.
        assert_problem(http.post(f"/api/v1/documents/{other_documents['seizure_decision']}/scan", json={"media_id": untyped}), 404)
    with inproc.client(inproc.token("dock", AGENCY)) as dock:
        assert_problem(dock.post(scan, json={"media_id": untyped}), 403, "forbidden-role")
    with inproc.client(inproc.token("admin", AGENCY)) as admin:
        events = admin.get("/api/v1/audit/events", params={"action": "document.scan_attached"}).json()["items"]
        assert events == []


@contextmanager
def _person_client(inproc, username: str, role: str, agency: str):
    create_person(inproc, username, role, agency, "扫描件测试")
    with signed_in_client(inproc, username) as browser:
        yield browser


def test_the_pages_attach_route_refuses_another_cases_document(inproc):
    walk, documents = _case(inproc)
    second, second_documents = _case(inproc)
    with inproc.client(inproc.token("dock", AGENCY)) as dock:
        media_id = _upload(dock, scanned_pdf(1), filename="s.pdf", content_type="application/pdf")
    with _person_client(inproc, "scanclerk", "admin", AGENCY) as browser:
        token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"/cases/{walk.case['id']}").text).group(1)
        headers = {"X-CSRF-Token": token}
        # A document of another case, through this case's route: not there.
        wrong = browser.post(
            f"/cases/{walk.case['id']}/documents/{second_documents['seizure_decision']}/scan", json={"media_id": media_id}, headers=headers
        )
        assert wrong.status_code == 404 and wrong.json()["detail"]
        # Without the CSRF header: refused before anything is looked at.
        assert (
            browser.post(
                f"/cases/{walk.case['id']}/documents/{documents['seizure_decision']}/scan", json={"media_id": media_id}
            ).status_code
            == 403
        )
        right = browser.post(
            f"/cases/{walk.case['id']}/documents/{documents['seizure_decision']}/scan", json={"media_id": media_id}, headers=headers
        )
        assert right.status_code == 201, right.text
        # Binding the same upload to a stage twice answers with the binding it has.
        stage_id = walk.stages["approval"]
        first = browser.post(f"/cases/{walk.case['id']}/stages/{stage_id}/media", json={"media_id": media_id}, headers=headers)
        again = browser.post(f"/cases/{walk.case['id']}/stages/{stage_id}/media", json={"media_id": media_id}, headers=headers)
        assert first.status_code == 201 and again.status_code == 200 and again.json()["binding_id"] == first.json()["binding_id"]
    with _person_client(inproc, "scanreader", "reviewer", AGENCY) as browser:
        token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"/cases/{walk.case['id']}").text).group(1)
        refused = browser.post(
            f"/cases/{walk.case['id']}/stages/{walk.stages['approval']}/media", json={"media_id": media_id}, headers={"X-CSRF-Token": token}
        )
        assert refused.status_code == 403
