"""设备管理 through the API of the app in this process: devices registered and changed by an admin (every change kept
with its before and after), 领用/归还 by the rules (never out twice, never while under repair or retired, only to an
officer of the register, a return with footage possibly left on the device flagged), sheets imported all rows or
none (CSV in GBK, XLSX), another agency's devices out of sight, unknown fields refused."""

import io
import uuid
from datetime import UTC, datetime, timedelta

from openpyxl import Workbook

from ..support.api import assert_problem
from ..support.officers import import_csv


def device(serial: str, **overrides) -> dict:
    return {"serial": serial, "kind": "camera", "model": "DSJ-V9", "unit": "卫生监督所一科", **overrides}


def officers(admin, *numbers: str) -> None:
    until = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    import_csv(admin, [f"{n},人员{n},某县卫健委,皖卫执{n},医疗卫生,某县,2024-01-01,{until},有效\n" for n in numbers])


def test_register_check_out_and_return(inproc):
    agency = f"DV{uuid.uuid4().hex[:6]}"
    with (
        inproc.client(inproc.token("admin", agency)) as admin,
        inproc.client(inproc.token("auditor", agency)) as auditor,
        inproc.client(inproc.token("admin", f"OT{uuid.uuid4().hex[:6]}")) as other,
        inproc.client(inproc.token("dock", agency)) as dock,
    ):
        officers(admin, "3401001", "3401002")
        created = admin.post("/api/v1/devices", json=device("CAM001"))
        assert created.status_code == 201, created.text
        assert created.headers["location"] == "/api/v1/devices/CAM001"
        body = created.json()
        assert body["kind_zh"] == "执法记录仪" and body["status"] == "in_service" and body["out"] is False
        assert body["history"][0]["action"] == "created" and body["history"][0]["before"] is None
        assert_problem(admin.post("/api/v1/devices", json=device("CAM001")), 409, "device-exists")
        assert_problem(admin.post("/api/v1/devices", json=device("CAM009", colour="black")), 422)  # unknown field refused
        assert_problem(admin.post("/api/v1/devices", json=device("CAM 9")), 422)  # not a serial
        assert_problem(admin.post("/api/v1/devices", json=device("CAM009", kind="drone")), 422)
        assert auditor.post("/api/v1/devices", json=device("CAM002")).status_code == 403
        assert dock.get("/api/v1/devices").status_code == 403
        assert admin.post("/api/v1/devices", json=device("DOCK01", kind="dock", model="CJZ-16")).status_code == 201
        assert admin.post("/api/v1/devices", json=device("REC01", kind="recorder")).status_code == 201

        # 领用: an officer of the register, once; the device cannot be out twice.
        out = admin.post("/api/v1/devices/CAM001/checkout", json={"officer_id": "3401001"})
        assert out.status_code == 201, out.text
        twice = admin.post("/api/v1/devices/CAM001/checkout", json={"officer_id": "3401002"})
        assert_problem(twice, 409, "device-already-out")
        assert "不能重复领用" in twice.json()["detail_zh"]
        assert_problem(admin.post("/api/v1/devices/REC01/checkout", json={"officer_id": "9999999"}), 422, "officer-unknown")
        assert_problem(admin.post("/api/v1/devices/REC01/checkout", json={"officer_id": "3401001", "by": "x"}), 422)
        future = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        assert_problem(admin.post("/api/v1/devices/REC01/checkout", json={"officer_id": "3401002", "at": future}), 422, "time-in-future")
        # A device out cannot go to repair until it is back.
        assert_problem(admin.patch("/api/v1/devices/CAM001", json={"status": "repair", "reason": "屏幕损坏"}), 409, "device-out")
        listed = auditor.get("/api/v1/devices", params={"out": "true"}).json()["items"]
        assert [d["serial"] for d in listed] == ["CAM001"] and listed[0]["holder"]["officer_id"] == "3401001"
        held = auditor.get("/api/v1/devices", params={"officer_id": "3401001"}).json()["items"]
        assert [d["serial"] for d in held] == ["CAM001"]

        # 归还: the dock says two files are still on it — flagged; a return of a device that is not out is refused.
        back = admin.post("/api/v1/devices/CAM001/return", json={"files_on_device": 2, "note": "电量低"})
        assert back.status_code == 200, back.text
        assert back.json()["footage_pending"] is True and back.json()["pending_reason"] == "files_on_device"
        assert_problem(admin.post("/api/v1/devices/CAM001/return", json={}), 409, "device-not-out")

        # A long checkout whose device sent no footage recorded in it: flagged without a declaration.
        start = (datetime.now(UTC) - timedelta(hours=5)).isoformat()
        assert admin.post("/api/v1/devices/DOCK01/checkout", json={"officer_id": "3401002", "at": start}).status_code == 201
        quiet = admin.post("/api/v1/devices/DOCK01/return").json()
        assert quiet["footage_pending"] is True and quiet["pending_reason"] == "no_footage" and quiet["footage_at_return"] == 0
        # A short one that declares nothing left is not.
        assert admin.post("/api/v1/devices/CAM001/checkout", json={"officer_id": "3401002"}).status_code == 201
        clean = admin.post("/api/v1/devices/CAM001/return", json={"files_on_device": 0}).json()
        assert clean["footage_pending"] is False and clean["pending_reason"] is None
        # A checkout may not reach back before the device's last return.
        assert_problem(admin.post("/api/v1/devices/CAM001/checkout", json={"officer_id": "3401001", "at": start}), 409, "checkout-overlaps")

        # Repair and retirement: kept in the history with the reason; neither may be checked out.
        changed = admin.patch("/api/v1/devices/CAM001", json={"status": "repair", "reason": "屏幕损坏"})
        assert changed.status_code == 200 and changed.json()["status_zh"] == "维修"
        last = changed.json()["history"][-1]
        assert last["before"]["status"] == "in_service" and last["after"]["status"] == "repair" and last["reason"] == "屏幕损坏"
        refused = admin.post("/api/v1/devices/CAM001/checkout", json={"officer_id": "3401001"})
        assert_problem(refused, 409, "device-not-in-service")
        assert "维修" in refused.json()["detail_zh"]
        assert admin.patch("/api/v1/devices/REC01", json={"status": "retired", "reason": "报废"}).status_code == 200
        assert_problem(admin.post("/api/v1/devices/REC01/checkout", json={"officer_id": "3401001"}), 409, "device-not-in-service")
        assert_problem(admin.patch("/api/v1/devices/REC01", json={"colour": "red"}), 422)

        one = auditor.get("/api/v1/devices/CAM001").json()
        assert [c["officer_id"] for c in one["checkouts"]] == ["3401002", "3401001"]
        assert [h["action"] for h in one["history"]] == ["created", "updated"]
        filtered = auditor.get("/api/v1/devices", params={"kind": "camera", "status": "repair"}).json()["items"]
        assert [d["serial"] for d in filtered] == ["CAM001"]
        assert_problem(auditor.get("/api/v1/devices", params={"kinds": "camera"}), 400, "unknown-parameter")
        first = auditor.get("/api/v1/devices", params={"limit": 2}).json()
        second = auditor.get("/api/v1/devices", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [d["serial"] for d in first["items"] + second["items"]] == ["CAM001", "DOCK01", "REC01"] and second["next_cursor"] is None

        # Another agency sees none of it.
        assert other.get("/api/v1/devices").json()["items"] == []
        assert_problem(other.get("/api/v1/devices/CAM001"), 404, "device-not-found")
        assert_problem(other.post("/api/v1/devices/DOCK01/checkout", json={"officer_id": "3401001"}), 404, "device-not-found")

        actions = [e["action"] for e in auditor.get("/api/v1/audit/events", params={"action": "device.checked_out"}).json()["items"]]
        assert len(actions) == 3
        # The serial is unique per agency: another agency registers its own CAM001, apart from this one.
        assert other.post("/api/v1/devices", json=device("CAM001")).status_code == 201
        assert other.get("/api/v1/devices/CAM001").json()["status"] == "in_service"
        assert auditor.get("/api/v1/devices/CAM001").json()["status"] == "repair"


def test_import_is_all_rows_or_none_in_gbk_and_xlsx(inproc):
    agency = f"DI{uuid.uuid4().hex[:6]}"
    with inproc.client(inproc.token("admin", agency)) as admin:
        header = "产品序号,设备类型,型号,使用单位,状态\n"
        bad = (
            header
            + "CAM100,执法记录仪,DSJ-V9,一科,在用\nCAM101,无人机,X,一科,在用\nCAM100,执法记录仪,DSJ-V9,一科,在用\nCAM 102,录音笔,,二科,\n"
        )
        refused = admin.post("/api/v1/devices/import", files={"file": ("设备.csv", bad.encode("gbk"), "text/csv")})
        assert_problem(refused, 422, "import-refused")
        errors = refused.json()["errors"]
        assert [e["row"] for e in errors] == [3, 4, 5]
        assert "第 3 行 设备类型" in errors[0]["error_zh"] and "与第 2 行重复" in errors[1]["error_zh"]
        assert admin.get("/api/v1/devices").json()["items"] == []  # nothing half-imported

        good = header + "CAM100,执法记录仪,DSJ-V9,一科,在用\nDOCK100,采集站,CJZ-16,一科,\nREC100,录音笔,R1,二科,维修\n"
        done = admin.post("/api/v1/devices/import", files={"file": ("设备.csv", good.encode("gbk"), "text/csv")})
        assert done.status_code == 200, done.text
        assert done.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}
        kinds = {d["serial"]: (d["kind"], d["status"]) for d in admin.get("/api/v1/devices").json()["items"]}
        assert kinds == {"CAM100": ("camera", "in_service"), "DOCK100": ("dock", "in_service"), "REC100": ("recorder", "repair")}

        # XLSX: one changed, one new, one as it was; a change to a device that is out refused with the rest.
        officers(admin, "3402001")
        assert admin.post("/api/v1/devices/CAM100/checkout", json={"officer_id": "3402001"}).status_code == 201
        book = Workbook()
        sheet = book.active
        sheet.append(["serial", "kind", "model", "unit", "status"])
        sheet.append(["CAM100", "camera", "DSJ-V9", "一科", "retired"])
        sheet.append(["CAM200", "camera", "DSJ-V10", "三科", None])
        data = io.BytesIO()
        book.save(data)
        refused = admin.post("/api/v1/devices/import", files={"file": ("设备.xlsx", data.getvalue(), "application/octet-stream")})
        assert_problem(refused, 422, "import-refused")
        assert refused.json()["errors"][0]["row"] == 2 and "尚未归还" in refused.json()["errors"][0]["error_zh"]
        assert len(admin.get("/api/v1/devices").json()["items"]) == 3
        assert admin.post("/api/v1/devices/CAM100/return", json={"files_on_device": 0}).status_code == 200
        done = admin.post("/api/v1/devices/import", files={"file": ("设备.xlsx", data.getvalue(), "application/octet-stream")})
        assert done.json() == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0}, done.text
        history = admin.get("/api/v1/devices/CAM100").json()["history"]
        assert history[-1]["action"] == "imported" and history[-1]["after"]["status"] == "retired"
