"""Tables as the files people open in Excel: written as CSV in UTF-8 with a BOM (Excel on Chinese Windows reads
UTF-8 only then) and XLSX, a cell that looks like a formula written as text, never run; and read back from the
sheets people upload (CSV in UTF-8 or GBK, XLSX) within limits, whatever the file claims."""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anyio

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT_FORMAT = "0.0%"


class Percent(float):
    """A ratio (0.85) a workbook shows as a percentage (85.0%): the cell holds the number, formatted as a percentage,
    so Excel sums, sorts and charts it. Elsewhere (CSV, JSON) it is the plain number."""


def text_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([text_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[Sequence[object]], Sequence[Sequence[object]]]]) -> bytes:
    """One worksheet per (title, header rows, rows); numbers stay numbers, text stays text, a `Percent` is a number
    formatted as a percentage."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    if first is not None:  # a new workbook holds one empty sheet, always
        book.remove(first)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for header in headers:
            sheet.append(list(header))
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for row in rows:
            sheet.append([value if isinstance(value, (int, float)) or value is None else str(value) for value in row])
            for cell, value in zip(sheet[sheet.max_row], row):
                if isinstance(value, Percent):
                    cell.value = float(value)
                    cell.number_format = PERCENT_FORMAT
        for row in sheet.iter_rows(min_row=len(headers) + 1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        for column in sheet.columns:
            width = max(
                (len(str(c.value)) * (2 if any(ord(ch) > 0x2E7F for ch in str(c.value)) else 1) for c in column if c.value is not None),
                default=8,
            )
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------------
# Sheets people upload are read as hostile input: the zip's declared sizes are checked before anything is
# unpacked, rows are streamed and reading stops one row past the limit, only the header's columns are kept,
# and a worksheet's declared dimension is ignored (openpyxl would pad every row to it).

MiB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the legacy .xls format
TEXT_CONTROLS = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\x0c"}
_LIMITER: "anyio.CapacityLimiter | None" = None


@dataclass(frozen=True)
class SheetLimits:
    """What one upload may cost. `max_rows` counts the rows below the header; blank rows are skipped but at
    most as many as `max_rows` of them are read. Members of the XLSX zip are bounded by their declared
    uncompressed sizes (which zipfile itself enforces: it never yields more than a member declares)."""

    max_rows: int
    max_columns: int = 256
    max_unpacked_bytes: int = 64 * MiB
    max_ratio: int = 100  # uncompressed / compressed, for members larger than 1 MiB
    max_members: int = 1000


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the sheet, 1-based; cells cut or padded to the header's width)


class SheetRefused(Exception):
    """A sheet that is not read: the status and problem code it deserves, and why in English and Chinese."""

    def __init__(self, status: int, code: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.detail_zh = status, code, detail, detail_zh


def _unreadable(detail: str, detail_zh: str) -> SheetRefused:
    return SheetRefused(422, "sheet-unreadable", detail, detail_zh)


def _too_many_rows(limits: SheetLimits) -> SheetRefused:
    return SheetRefused(
        413,
        "sheet-too-many-rows",
        f"A sheet may have at most {limits.max_rows} rows below its header.",
        f"表格除表头外最多 {limits.max_rows} 行，未导入任何内容。",
    )


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def decode_text(data: bytes) -> str:
    """A text file as Excel and Chinese Windows write it: UTF-8 (with or without BOM), UTF-16 with its BOM,
    else GB18030 (the superset of GBK and GB2312)."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ch in TEXT_CONTROLS for ch in text):  # binary read as text by luck
            break
        return text
    raise _unreadable(
        "Not a text file in UTF-8, UTF-16 or GBK/GB18030; save the sheet as CSV (UTF-8) or XLSX.",
        "无法识别文件编码：请另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）后重新导入。",
    )


def _check_zip(data: bytes, limits: SheetLimits) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable("Not a readable XLSX workbook.", "不是可读取的 Excel 工作簿（.xlsx）。") from None
    too_large = SheetRefused(
        413,
        "sheet-too-large",
        f"The workbook unpacks to more than {limits.max_unpacked_bytes} bytes or is compressed suspiciously well.",
        f"工作簿解压后超过 {limits.max_unpacked_bytes // MiB} MB 或压缩比异常，未导入任何内容。",
    )
    if len(members) > limits.max_members or sum(m.file_size for m in members) > limits.max_unpacked_bytes:
        raise too_large
    if any(m.file_size > MiB and m.file_size > limits.max_ratio * max(m.compress_size, 1) for m in members):
        raise too_large


def _xlsx_rows(data: bytes, limits: SheetLimits) -> Iterator[tuple[int, tuple[object, ...]]]:
    from openpyxl import load_workbook  # with defusedxml installed, openpyxl parses through it

    _check_zip(data, limits)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if not book.worksheets:
            return
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a declared A1:XFD1048576 must not pad rows or invent empty ones
        yield from enumerate(sheet.iter_rows(values_only=True, max_col=limits.max_columns), start=1)
    finally:
        book.close()


def _csv_rows(data: bytes, limits: SheetLimits) -> Iterator[tuple[int, list[str]]]:
    text = decode_text(data)
    for number, values in enumerate(csv.reader(io.StringIO(text)), start=1):
        yield number, values[: limits.max_columns]


def read_table(filename: str, data: bytes, limits: SheetLimits) -> Table:
    """The first worksheet of an XLSX workbook, or a CSV file (by content first, then by name): the first
    non-blank row is the header; the other non-blank rows follow with their row numbers. Blocking and
    CPU-bound: call it from a worker thread (`read_table_off_loop`)."""
    if not data.strip():
        raise _unreadable("The sheet is empty.", "表格是空的。")
    if data.startswith(OLE2_MAGIC):
        raise _unreadable(
            "Legacy .xls workbooks are not read; save it as .xlsx or CSV.",
            "不支持旧版 Excel 97-2003 工作簿（.xls），请另存为 .xlsx 或 CSV 后重新导入。",
        )
    as_xlsx = data.startswith(ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm"))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    blank = 0
    try:
        for number, values in _xlsx_rows(data, limits) if as_xlsx else _csv_rows(data, limits):
            cells = [cell_text(v) for v in values]
            if not any(cells):
                blank += 1
                if blank > limits.max_rows:
                    raise _too_many_rows(limits)
                continue
            if header is None:
                while cells and not cells[-1]:
                    cells.pop()
                header = cells
                continue
            if len(rows) >= limits.max_rows:
                raise _too_many_rows(limits)
            rows.append((number, (cells + [""] * len(header))[: len(header)]))
    except SheetRefused:
        raise
    except csv.Error as exc:
        raise _unreadable(f"Not a readable CSV file ({exc}).", f"CSV 文件无法读取（{exc}）。") from None
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged or lying workbook
        if not as_xlsx:
            raise
        raise _unreadable(
            f"Not a readable XLSX workbook ({type(exc).__name__}).", "不是可读取的 Excel 工作簿（.xlsx），文件可能已损坏。"
        ) from None
    if header is None:
        raise _unreadable("The sheet is empty.", "表格是空的。")
    return Table(header, rows)


async def read_table_off_loop(filename: str, data: bytes, limits: SheetLimits) -> Table:
    """`read_table` in a worker thread, at most two sheets at once in the process (each bounded by `limits`)."""
    import anyio

    global _LIMITER
    if _LIMITER is None:
        _LIMITER = anyio.CapacityLimiter(2)
    return await anyio.to_thread.run_sync(read_table, filename, data, limits, limiter=_LIMITER)
