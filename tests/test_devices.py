"""设备管理 on both legs, through the real server, its worker and Chromium: a generated clip uploaded over tus with the
camera's `device_serial` and no officer gets the officer who had the camera checked out at its recording time (marked
inferred, audited, shown on the footage page); the multipart path refuses a `device_serial` that contradicts
`device_id`; the device page shows the holder, the footage, the checkouts and a flagged return."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from .support.api import assert_problem, create, patch
from .support.media import described
from .support.officers import import_csv
from .support.web import create_person, shots, sign_in


def test_officer_inferred_from_the_register_and_the_device_page(leg, clips, page: Page):
    agency = f"DV{uuid.uuid4().hex[:6].upper()}"
    serial = f"CAM{uuid.uuid4().hex[:6].upper()}"
    admin_token = leg.token("admin", agency)
    until = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    with leg.client(admin_token) as admin, leg.client(leg.token("dock", agency)) as dock:
        import_csv(admin, [f"3409001,张明,某县卫健委,皖卫执3409001,医疗卫生,某县,2024-01-01,{until},有效\n"])
        assert (
            admin.post("/api/v1/devices", json={"serial": serial, "kind": "camera", "model": "DSJ-V9", "unit": "卫生监督所"}).status_code
            == 201
        )
        out_at = datetime.now(UTC) - timedelta(hours=2)
        checked = admin.post(f"/api/v1/devices/{serial}/checkout", json={"officer_id": "3409001", "at": out_at.isoformat()})
        assert checked.status_code == 201, checked.text

        # A clip recorded an hour ago by that camera, uploaded over tus naming the camera by serial and no officer.
        clip = clips("device-clip.mp4", seconds=2)
        data = clip.read_bytes()
        recorded = (datetime.now(UTC) - timedelta(hours=1)).astimezone().isoformat(timespec="seconds")
        meta = {
            "filename": "DSJ_20261124.mp4",
            "sha256": hashlib.sha256(data).hexdigest(),
            "device_serial": serial,
            "unit_code": "340621000000",
            "recorded_at": recorded,
        }
        location = create(dock, len(data), **meta).headers["Location"]
        done = patch(dock, location, 0, data)
        assert done.status_code == 204, done.text
        media = described(dock, done.headers["Upload-Media-Id"])
        assert media["status"] == "ready", media
        assert media["device_id"] == serial and media["unit_code"] == "340621000000"
        assert media["officer_ids"] == ["3409001"] and media["officer_source"] == "register" and media["officer_ids_inferred"] is True
        events = admin.get("/api/v1/audit/events", params={"media_id": media["id"], "action": "media.officer_inferred"}).json()["items"]
        assert len(events) == 1 and events[0]["payload"]["officer_id"] == "3409001" and events[0]["payload"]["serial"] == serial

        # Footage recorded while the camera was in nobody's hands stays without an officer.
        other = clips("device-clip-before.mp4", seconds=1)
        before = (out_at - timedelta(hours=3)).isoformat(timespec="seconds")
        body = other.read_bytes()
        location = create(dock, len(body), device_id=serial, recorded_at=before).headers["Location"]
        unheld = described(dock, patch(dock, location, 0, body).headers["Upload-Media-Id"])
        assert unheld["officer_ids"] == [] and unheld["officer_source"] is None

        # Multipart: device_serial and device_id are one field; two different values are refused.
        refused = dock.post("/api/v1/media", data={"device_serial": serial, "device_id": "OTHER1"}, files={"file": ("x.mp4", data)})
        assert_problem(refused, 400, "invalid-metadata")

    # The device page in Chromium: holder, footage of the last 30 days, a return flagged by the files left on it.
    username = f"devadmin{uuid.uuid4().hex[:6]}"
    create_person(leg, username, "admin", agency, "设备管理员")
    sign_in(page, leg.url, username, target=f"/devices/{serial}")
    expect(page.locator("h1")).to_contain_text("执法记录仪")
    expect(page.locator("#holder")).to_contain_text("张明")
    expect(page.locator("#device-usage")).to_contain_text("1 个")
    expect(page.locator("#device-usage")).to_contain_text("据领用登记推定")
    page.fill("#return-form input[name=files_on_device]", "3")
    page.click("#return-form button[type=submit]")
    expect(page.locator(".banner.good")).to_contain_text("可能仍有音像未上传")
    expect(page.locator("#checkouts")).to_contain_text("设备申报仍有 3 个文件未上传")
    expect(page.locator("#holder")).to_have_text("在库")
    page.screenshot(path=str(shots() / "device.png"), full_page=True)
    page.goto(f"{leg.url}/devices")
    expect(page.locator("#device-list")).to_contain_text(serial)
    expect(page.locator("#usage-rate")).to_contain_text("100.0%")
    page.screenshot(path=str(shots() / "devices.png"), full_page=True)
    page.goto(f"{leg.url}/footage/{media['id']}")
    expect(page.locator(".officers")).to_contain_text("（据设备领用登记推定）")
    expect(page.locator(".device")).to_contain_text(serial)
