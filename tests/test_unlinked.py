"""Footage nobody filed (issue 27) on the legs: real uploads (tus) bound or not, the list and its summary over HTTP, the
statistics' 关联率 rebuilt by `stats refresh --all`, and the 未关联音像 page in Chromium (fits 320 and 390 px, axe finds
nothing serious)."""

import json
import re
import uuid

from playwright.sync_api import Page, expect

from .support.a11y import PHONES, axe_violations, overflow
from .support.cases import case_body
from .support.media import upload_bytes
from .support.web import create_person, shots, sign_in


def test_unlinked_footage_over_http_and_in_the_browser(leg, page: Page):
    agency = f"UN{uuid.uuid4().hex[:6].upper()}"
    with leg.client(leg.token("admin", agency)) as admin:
        officer = {
            "officer_id": "3401001",
            "name": "张三",
            "unit": "濉溪县卫生监督所",
            "certificate_number": "皖卫执0001",
            "categories": ["医疗卫生"],
            "valid_from": "2024-01-01",
            "valid_to": "2030-12-31",
        }
        assert admin.post("/api/v1/officers", json=officer).status_code == 201
    with leg.client(leg.token("dock", agency)) as dock:
        filed = upload_bytes(dock, f"filed {uuid.uuid4()}".encode() * 50, filename="filed.mp4", device_id="CAM-1")
        unfiled = upload_bytes(
            dock, f"unfiled {uuid.uuid4()}".encode() * 50, filename="unfiled.mp4", device_id="CAM-2", officer_ids="3401001"
        )
    with leg.client(leg.token("case_system", agency)) as http:
        case = http.post("/api/v1/cases", json=case_body(procedure="penalty-simple")).json()
        stage = http.post(f"/api/v1/cases/{case['id']}/stages", json={"stage": "onsite", "started_at": "2026-11-03T10:00:00+08:00"})
        bound = http.post(f"/api/v1/cases/{case['id']}/stages/{stage.json()['id']}/media", json={"media_id": filed})
        assert bound.status_code == 201, bound.text

        listed = http.get("/api/v1/media/unlinked")
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert [i["id"] for i in items] == [unfiled]
        assert items[0]["age_days"] == 0 and items[0]["retention_class"] == "standard" and items[0]["retention_ends_on"]
        assert http.get("/api/v1/media/unlinked", params={"older_than_days": 1}).json()["items"] == []
        assert http.get(f"/api/v1/media/{filed}").json()["id"] == filed  # the media route still answers for an id
        summary = http.get("/api/v1/media/unlinked/summary").json()
        assert summary["total"] == 1 and summary["expiring"] == 0 and summary["expiring_within_days"] == 30
        refused = http.get("/api/v1/media/unlinked", params={"older": 1})
        assert refused.status_code == 400 and refused.json()["type"].endswith(":unknown-parameter")

    with leg.client(leg.token("auditor", agency)) as http:
        rate = http.get("/api/v1/stats/filing-rate").json()
        assert rate["totals"]["uploaded"] == 2 and rate["totals"]["filed_within"] == 1 and rate["totals"]["pending"] == 1
    result = leg.service.cli("stats", "refresh", "--all")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["filings"] >= 2
    with leg.client(leg.token("auditor", agency)) as http:
        assert http.get("/api/v1/stats/filing-rate").json()["totals"] == rate["totals"]

    person = f"un{uuid.uuid4().hex[:6]}"
    create_person(leg, person, "reviewer", agency, "孙评查")
    sign_in(page, leg.url, person, target="/unlinked")
    page.wait_for_url(re.compile(r"/unlinked"))
    expect(page.locator("h1")).to_contain_text("未关联音像")
    expect(page.locator("#unlinked-count")).to_contain_text("共 1 段音像未关联案件")
    row = page.locator(f"#unlinked-list tr[data-media='{unfiled}']")
    expect(row.locator("td.officers")).to_have_text("张三（3401001）")
    expect(page.locator("header nav a[href='/unlinked']")).to_have_text("未关联音像")
    found = axe_violations(page)
    assert not found, found
    for width in PHONES:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(250)
        assert overflow(page) is None, (width, overflow(page))
    assert not axe_violations(page)
    if leg.name == "sqlite-fs":
        page.screenshot(path=str(shots() / "phone-unlinked.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 768})
        page.screenshot(path=str(shots() / "unlinked.png"), full_page=True)
    row.locator("a").first.click()
    page.wait_for_url(re.compile(rf"/footage/{unfiled}"))
