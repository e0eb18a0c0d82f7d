"""Sheets sent to the officer import as hostile input, on both legs: a declared dimension, a million rows, a zip
bomb (honest or lying about its size) cost the service little and are refused with a clear problem; a normal
10,000-row sheet over 1 MiB and a GBK CSV from Chinese Excel are imported."""

import io
import random
import select
import socket
import struct
import uuid
import zipfile
from datetime import date

import httpx
from openpyxl import Workbook

from .support.api import assert_problem

MiB = 1 << 20
HEADER = ["执法人员编号", "姓名", "单位", "执法证号", "执法类别", "执法区域", "有效期起", "有效期止", "状态"]


def officer_row(n: int) -> list:
    return [
        f"36{n:05d}",
        f"测试{n}",
        "某县卫生健康委员会",
        f"皖卫执36{n:05d}",
        "医疗卫生、职业卫生",
        "某县",
        "2025-01-01",
        "2028-12-31",
        "有效",
    ]


def template() -> dict[str, bytes]:
    """The members of a real workbook (openpyxl's), for sheets whose worksheet XML is written by hand."""
    book = Workbook()
    book.active.append(["x"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def inline_row(cells: list) -> str:
    return "<row>" + "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in cells) + "</row>"


def workbook(sheet_chunks, *, extra: dict[str, bytes] | None = None) -> bytes:
    """An XLSX whose first worksheet is the given XML (streamed in chunks, so a large one is never whole here)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in template().items():
            if name == "xl/worksheets/sheet1.xml":
                with archive.open(name, "w") as member:
                    for chunk in sheet_chunks:
                        member.write(chunk.encode() if isinstance(chunk, str) else chunk)
            else:
                archive.writestr(name, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """The same zip with `member`'s declared uncompressed size (local header and central directory) set to `size`."""
    data = bytearray(data)
    name = member.encode()
    at = data.find(b"PK\x03\x04")
    while at >= 0:
        if data[at + 30 : at + 30 + len(name)] == name:
            struct.pack_into("<I", data, at + 22, size)
            break
        at = data.find(b"PK\x03\x04", at + 4)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        if data[at + 46 : at + 46 + len(name)] == name:
            struct.pack_into("<I", data, at + 24, size)
            break
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def peak_rss_reset(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w") as handle:  # "5": reset the peak resident set size (VmHWM)
        handle.write("5")


def peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        line = next(line for line in handle if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def send_import(leg, token: str, filename: str, data: bytes) -> httpx.Response:
    with leg.client(token) as admin:
        return admin.post("/api/v1/officers/import", files={"file": (filename, data, "application/octet-stream")})


def test_a_sheet_declaring_a_huge_dimension_is_read_cheaply(leg):
    """1.7 KB declaring A1:XFD1048576: openpyxl would pad every row to 16,384 cells and invent a million rows."""
    agency = f"ID{uuid.uuid4().hex[:6]}"
    sheet = workbook(
        [
            SHEET_OPEN,
            '<dimension ref="A1:XFD1048576"/><sheetData>',
            inline_row(HEADER),
            inline_row(officer_row(1)),
            inline_row(officer_row(2)),
            "</sheetData></worksheet>",
        ]
    )
    assert len(sheet) < 8000
    pid = leg.service.process.pid
    # The spreadsheet reader is loaded at the first import, not at start-up: load it before measuring, so the
    # figure is what the declared dimension costs and not the library (≈ 20 MB once per process).
    plain = workbook([SHEET_OPEN, "<sheetData>", inline_row(HEADER), inline_row(officer_row(1)), "</sheetData></worksheet>"])
    assert send_import(leg, leg.token("admin", agency), "清单.xlsx", plain).status_code == 200
    peak_rss_reset(pid)
    before = peak_rss(pid)
    done = send_import(leg, leg.token("admin", agency), "清单.xlsx", sheet)
    assert done.status_code == 200, done.text
    assert done.json() == {"created": 1, "updated": 0, "unchanged": 1, "rows": 2}
    assert peak_rss(pid) - before < 64 * MiB
    # Rows far below the last one are as harmless: a million blank rows in between are not walked to the end.
    far = workbook(
        [
            SHEET_OPEN,
            "<sheetData>",
            inline_row(HEADER),
            '<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>',
            "</sheetData></worksheet>",
        ]
    )
    assert_problem(send_import(leg, leg.token("admin", agency), "清单.xlsx", far), 413, "sheet-too-many-rows")
    assert peak_rss(pid) - before < 64 * MiB


def million_rows():
    yield SHEET_OPEN + "<sheetData>" + inline_row(HEADER)
    rng = random.Random(7)
    for start in range(0, 1_000_000, 10_000):
        yield "".join(f"<row><c><v>{rng.randrange(1000)}</v></c></row>" for _ in range(start, start + 10_000))
    yield "</sheetData></worksheet>"


def test_a_million_row_sheet_is_refused_at_the_row_limit_while_healthz_answers(leg):
    sheet = workbook(million_rows())
    assert len(sheet) < 5 * MiB
    token = leg.token("admin", f"IM{uuid.uuid4().hex[:6]}")
    request = httpx.Request(
        "POST",
        leg.url + "/api/v1/officers/import",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("清单.xlsx", sheet, "application/octet-stream")},
    )
    body = request.read()
    head = (
        f"POST /api/v1/officers/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n"
        f"Content-Type: {request.headers['content-type']}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    pid = leg.service.process.pid
    peak_rss_reset(pid)
    before = peak_rss(pid)
    host, port = leg.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as importing:
        importing.sendall(head + body)
        # Once the service holds the whole sheet, it is parsing it: a health check asked now is answered first.
        with socket.create_connection((host, int(port))) as health:
            health.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            first, _, _ = select.select([importing, health], [], [], 300)
            assert first == [health], "the health check waited for the sheet"
            assert b" 200 " in health.recv(65536).split(b"\r\n")[0]
        answer = b""
        while chunk := importing.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, answer[:2000]
    assert b"sheet-too-many-rows" in rest and "表格除表头外最多 10000 行".encode() in rest
    assert peak_rss(pid) - before < 128 * MiB


def ten_thousand_rows() -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    rng = random.Random(3)

    def words(count: int) -> str:
        return "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(count))

    for n in range(10_000):  # as varied as real names, units and regions, so it packs as a real sheet does
        sheet.append(
            [
                f"37{n:05d}",
                words(3),
                f"{words(12)}卫生健康委员会",
                f"皖卫执37{n:05d}{rng.randrange(10**6):06d}",
                "医疗卫生、职业卫生",
                "、".join(f"{words(3)}镇" for _ in range(3)),
                date(2025, 1, 1),
                date(2028, 12, 31),
                "有效",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_ten_thousand_row_sheet_over_one_mib_is_imported(leg):
    sheet = ten_thousand_rows()
    assert MiB < len(sheet) < 5 * MiB
    agency = f"IT{uuid.uuid4().hex[:6]}"
    done = send_import(leg, leg.token("admin", agency), "清单.xlsx", sheet)
    assert done.status_code == 200, done.text[:2000]
    assert done.json() == {"created": 10_000, "updated": 0, "unchanged": 0, "rows": 10_000}
    with leg.client(leg.token("admin", agency)) as admin:
        assert admin.get("/api/v1/officers/3709999").json()["categories"] == ["医疗卫生", "职业卫生"]
        # Only the import takes sheets this large: a JSON body keeps its 1 MiB limit.
        assert_problem(
            admin.post("/api/v1/officers", content=b"{" + b" " * (len(sheet)) + b"}", headers={"Content-Type": "application/json"}),
            413,
            "body-too-large",
        )


def test_a_gbk_csv_from_chinese_excel_is_imported_with_its_names(leg):
    agency = f"IG{uuid.uuid4().hex[:6]}"
    text = (
        ",".join(HEADER)
        + "\r\n"
        + "38000001,欧阳锋,濉溪县卫生健康委员会,皖卫执38000001,医疗卫生、职业卫生,濉溪县,2025-01-01,2028-12-31,有效\r\n"
        + "38000002,诸葛亮,濉溪县卫生健康委员会,皖卫执38000002,公共场所卫生,濉溪县,2025-01-01,2028-12-31,暂扣\r\n"
    )
    token = leg.token("admin", agency)
    done = send_import(leg, token, "清单.csv", text.encode("gbk"))
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 2
    with leg.client(token) as admin:
        first, second = admin.get("/api/v1/officers/38000001").json(), admin.get("/api/v1/officers/38000002").json()
    assert (first["name"], first["unit"], first["categories"]) == ("欧阳锋", "濉溪县卫生健康委员会", ["医疗卫生", "职业卫生"])
    assert (second["name"], second["status"]) == ("诸葛亮", "suspended")
    # Bytes that are no text in any of these encodings: refused, and said in Chinese too.
    refused = send_import(leg, token, "清单.csv", b"\x80\x81\xff" * 50)
    assert_problem(refused, 422, "import-refused")
    assert "编码" in refused.json()["errors"][0]["error_zh"]


def bomb_strings(size: int):
    """sharedStrings.xml with one string of `size` bytes, compressed as it is made (a few hundred KB)."""
    yield (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>'
    )
    for _ in range(size // MiB):
        yield b"A" * MiB
    yield b"</t></si></sst>"


def bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        members = template()
        members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sharedStrings+xml"/></Types>',
        )
        members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        for name, data in members.items():
            archive.writestr(name, data)
        with archive.open("xl/sharedStrings.xml", "w") as member:
            for chunk in bomb_strings(size):
                member.write(chunk)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(leg):
    agency = f"IB{uuid.uuid4().hex[:6]}"
    token = leg.token("admin", agency)
    sheet = bomb(400 * MiB)
    assert len(sheet) < 2 * MiB
    pid = leg.service.process.pid
    peak_rss_reset(pid)
    before = peak_rss(pid)
    refused = send_import(leg, token, "清单.xlsx", sheet)
    assert_problem(refused, 413, "sheet-too-large")
    assert "解压" in refused.json()["detail_zh"]
    # The same bomb claiming to be small: zipfile never yields more than the member declares, so it is a damaged workbook.
    lying = lie_about_size(sheet, "xl/sharedStrings.xml", 1000)
    assert_problem(send_import(leg, token, "清单.xlsx", lying), 422, "import-refused")
    assert peak_rss(pid) - before < 64 * MiB
    with leg.client(token) as admin:
        assert admin.get("/api/v1/officers").json()["items"] == []
