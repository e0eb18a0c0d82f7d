"""Uploads from the pages (issue 27), in Debian's Chromium against the real service on both legs: footage, photos and
recordings sent over the API's tus endpoint by the case page (tus-js-client, the SHA-256 computed in the browser and
declared), interrupted and resumed, bound to the chosen stage; a paper document's scan (PDF) attached to its record,
shown on the case page and carried in the case file; a declared SHA-256 the bytes do not match refused."""

import hashlib
import io
import json
import uuid
import zipfile

import pytest
from playwright.sync_api import Page, expect

from .support import VIEWPORT
from .support.a11y import axe_violations, overflow
from .support.cases import CaseWalk
from .support.media import described
from .support.photos import scanned_pdf
from .support.web import create_person, shots, sign_in, signed_in_client, wait_until

AGENCY = "UPL1"
OTHER = "UPL2"


@pytest.fixture(scope="module")
def people(leg):
    suffix = uuid.uuid4().hex[:6]
    names = {"clerk": f"clerk{suffix}", "reviewer": f"upreviewer{suffix}", "other": f"upother{suffix}"}
    create_person(leg, names["clerk"], "admin", AGENCY, "吴内勤")
    create_person(leg, names["reviewer"], "reviewer", AGENCY, "郑评查")
    create_person(leg, names["other"], "admin", OTHER, "冯外单位")
    return names


@pytest.fixture
def case(leg):
    with leg.client(leg.token("case_system", AGENCY)) as http:
        walk = CaseWalk(http, "coercion-seizure")
        walk.stage("approval", "08:30", "08:50", docs=["coercion_approval"])
        walk.stage("implementation", "09:05", docs=["seizure_decision"])
        timeline = walk.timeline()
    documents = {d["doc_type"]: d["id"] for s in timeline["stages"] for d in s["documents"]}
    return {"case": walk.case, "stages": walk.stages, "documents": documents}


def _timeline(leg, case_id):
    with leg.client(leg.token("admin", AGENCY)) as http:
        response = http.get(f"/api/v1/cases/{case_id}/timeline")
        assert response.status_code == 200, response.text
        return response.json()


def _bound(leg, case_id, stage_code):
    stage = next(s for s in _timeline(leg, case_id)["stages"] if s["stage"] == stage_code)
    return {m["sha256"]: m for m in stage["media"]}


def _tus_keys(page: Page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('tus::'))")


def _open_case(page: Page, leg, people, case_id):
    sign_in(page, leg.url, people["clerk"], target=f"/cases/{case_id}")
    expect(page.locator("h1")).to_contain_text("TL-")


def test_footage_interrupted_by_a_reload_resumes_and_is_bound_to_the_stage(leg, people, case, clips, page: Page):
    clip = clips("browser-upload.mp4", seconds=6, size="640x480", noise=True)
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    case_id = case["case"]["id"]
    _open_case(page, leg, people, case_id)
    box = page.locator("#upload-implementation")
    box.locator("summary").click()
    # A slow link: the upload is still on its way when the page is reloaded.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 400_000})
    box.locator("input[type=file]").set_input_files(str(clip))
    item = box.locator(".upload-item")
    expect(item.locator(".upload-state")).to_contain_text("上传中", timeout=60_000)
    wait_until(page, "(document.querySelector('#upload-implementation progress') || {}).value >= 20", timeout=120)
    started = _tus_keys(page)
    assert len(started) == 1, started
    upload_url = json.loads(page.evaluate(f"localStorage.getItem({json.dumps(started[0])})"))["uploadUrl"]
    page.reload()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    # The page names the unfinished file; the same file chosen again continues on the same upload.
    unfinished = page.locator("#unfinished-uploads")
    expect(unfinished).to_be_visible()
    expect(unfinished).to_contain_text("browser-upload.mp4")
    with signed_in_client(leg.url, people["clerk"]) as browser:
        token = browser.get(f"/cases/{case_id}").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        status = browser.get(upload_url, headers={"X-CSRF-Token": token}).json()
    assert 0 < status["offset"] < status["length"] and status["status"] == "receiving", status
    box = page.locator("#upload-implementation")
    box.locator("summary").click()
    box.locator("input[type=file]").set_input_files(str(clip))
    expect(box.locator(".upload-item .upload-state")).to_contain_text("已完成", timeout=120_000)
    assert box.locator(".upload-item").get_attribute("data-sha256") == digest
    bound = _bound(leg, case_id, "implementation")
    assert digest in bound, bound
    with leg.client(leg.token("admin", AGENCY)) as http:
        finished = http.get(upload_url).json()
    # The upload started before the reload is the one that completed (resumed, not begun again).
    assert finished["status"] == "completed" and finished["media_id"] == bound[digest]["media_id"], finished
    assert finished["declared_sha256"] == digest and finished["sha256"] == digest
    assert _tus_keys(page) == [], "a finished upload leaves nothing to resume"
    page.reload()
    expect(page.locator("#unfinished-uploads")).to_be_hidden()


def test_two_files_at_once_each_with_its_progress(leg, people, case, clips, page: Page):
    first = clips("two-a.mp4", seconds=2)
    second = clips("two-b.mp4", seconds=3, size="160x120")
    case_id = case["case"]["id"]
    _open_case(page, leg, people, case_id)
    box = page.locator("#upload-approval")
    box.locator("summary").click()
    box.locator("input[type=file]").set_input_files([str(first), str(second)])
    items = box.locator(".upload-item")
    expect(items).to_have_count(2)
    for index in range(2):
        expect(items.nth(index).locator(".upload-state")).to_contain_text("已完成", timeout=120_000)
    bound = _bound(leg, case_id, "approval")
    for path in (first, second):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in bound
    # The open form with its files: axe finds nothing serious, and the page fits a phone.
    assert axe_violations(page) == []
    assert overflow(page) is None
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(250)
    assert overflow(page) is None
    assert axe_violations(page) == []
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(shots() / "case-upload-390.png"), full_page=False)
    page.set_viewport_size(VIEWPORT)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(shots() / "case-upload.png"))


def test_a_scanned_paper_document_is_attached_shown_and_exported(leg, people, case, tmp_path, page: Page):
    pdf = tmp_path / "扣押决定书-签字.pdf"
    pdf.write_bytes(scanned_pdf(pages=2))
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    case_id, document_id = case["case"]["id"], case["documents"]["seizure_decision"]
    _open_case(page, leg, people, case_id)
    cell = page.locator(f"#scan-{document_id}")
    expect(cell).to_contain_text("未上传")
    # Not a PDF: refused in the page before anything is sent.
    fake = tmp_path / "not-a-scan.pdf"
    fake.write_bytes(b"GIF89a not a pdf at all")
    cell.locator("input[type=file]").set_input_files(str(fake))
    expect(cell.locator(".upload-item .upload-state")).to_contain_text("不是 PDF")
    cell.locator("input[type=file]").set_input_files(str(pdf))
    expect(cell.locator(".upload-item").nth(1).locator(".upload-state")).to_contain_text("已完成", timeout=60_000)
    with leg.client(leg.token("admin", AGENCY)) as http:
        scan_id = cell.locator(".upload-item").nth(1).get_attribute("data-media-id")
        assert described(http, scan_id)["kind"] == "document"
    page.reload()
    cell = page.locator(f"#scan-{document_id}")
    expect(cell).to_contain_text("已上传扫描件")
    expect(cell.locator(".scan-sha256")).to_have_attribute("title", digest)
    expect(cell.locator("a")).to_contain_text("扣押决定书-签字.pdf")
    # A scan is no recording: it raises no finding of its own (no recording time, nothing to play).
    assert not [f for s in _timeline(leg, case_id)["stages"] for f in s["findings"] if f.get("media_id") == scan_id]
    cell.scroll_into_view_if_needed()
    page.screenshot(path=str(shots() / "case-document-scan.png"))
    with leg.client(leg.token("admin", AGENCY)) as http:
        scans = http.get(f"/api/v1/documents/{document_id}/scans").json()["items"]
        assert [s["sha256"] for s in scans] == [digest]
        events = http.get("/api/v1/audit/events", params={"case_id": case_id, "action": "document.scan_attached"}).json()["items"]
        assert len(events) == 1 and events[0]["payload"]["sha256"] == digest
        exported = http.get(f"/api/v1/cases/{case_id}/export")
        assert exported.status_code == 200
    bag = tmp_path / "case.zip"
    bag.write_bytes(exported.content)
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        names = archive.namelist()
        root = names[0].split("/", 1)[0]
        documents = json.loads(archive.read(f"{root}/data/documents.json"))
        manifest = archive.read(f"{root}/manifest-sha256.txt").decode()
    scanned = next(d for d in documents if d["id"] == document_id)
    assert scanned["scans"][-1]["sha256"] == digest
    assert any(line.startswith(digest) and line.endswith(".pdf") for line in manifest.splitlines()), manifest
    verified = leg.service.cli("verify-export", str(bag), check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_declared_sha256_the_bytes_do_not_match_is_refused(leg, people, case, clips, page: Page):
    """The page declares what it computed; bytes that changed on the way (here: the declared value forged before the
    upload starts) are refused by the server and nothing is bound."""
    clip = clips("mismatch.mp4", seconds=2, size="160x120")
    case_id = case["case"]["id"]
    _open_case(page, leg, people, case_id)
    box = page.locator("#upload-implementation")
    box.locator("summary").click()
    # The page's own hashing is replaced by a wrong answer (as bytes altered after hashing would make it).
    page.evaluate("window.hashwasm = {createSHA256: async () => ({init() {}, update() {}, digest: () => '0'.repeat(64)})}")
    box.locator("input[type=file]").set_input_files(str(clip))
    state = box.locator(".upload-item .upload-state")
    expect(state).to_contain_text("失败", timeout=60_000)
    expect(state).to_contain_text("SHA-256 不一致")
    assert hashlib.sha256(clip.read_bytes()).hexdigest() not in _bound(leg, case_id, "implementation")
    with leg.client(leg.token("admin", AGENCY)) as http:
        rejected = http.get("/api/v1/audit/events", params={"case_id": case_id, "action": "binding.created"}).json()["items"]
    assert rejected == []


def test_the_tus_endpoint_takes_a_session_only_with_its_csrf_token_and_from_this_site(leg, people):
    with signed_in_client(leg.url, people["clerk"]) as browser:
        token = browser.get("/cases").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        tus = {"Tus-Resumable": "1.0.0", "Upload-Length": "4"}
        assert browser.post("/api/v1/uploads", headers=tus).status_code == 403  # the cookie alone
        assert browser.post("/api/v1/uploads", headers={**tus, "X-CSRF-Token": "forged"}).status_code == 403
        assert (
            browser.post("/api/v1/uploads", headers={**tus, "X-CSRF-Token": token, "Origin": "https://elsewhere.example"}).status_code
            == 403
        )
        created = browser.post("/api/v1/uploads", headers={**tus, "X-CSRF-Token": token, "Origin": leg.url})
        assert created.status_code == 201, created.text
        assert browser.delete(created.headers["Location"], headers={"Tus-Resumable": "1.0.0", "X-CSRF-Token": token}).status_code == 204
    # A person whose role only reads cases cannot upload.
    with signed_in_client(leg.url, people["reviewer"]) as browser:
        token = browser.get("/cases").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        answer = browser.post("/api/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "4", "X-CSRF-Token": token})
        assert answer.status_code == 403 and answer.json()["type"].endswith("forbidden-role")
    # Without a session or token: the bearer challenge as before.
    with leg.client() as anonymous:
        assert anonymous.post("/api/v1/uploads", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "4"}).status_code == 401
