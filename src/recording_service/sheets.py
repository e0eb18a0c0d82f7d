"""Tables as the files people open in Excel: CSV in UTF-8 with a BOM (Excel on Chinese Windows reads UTF-8
only then) and XLSX; a cell that looks like a formula is written as text, never run."""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([text_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Iterable[tuple[str, list[Sequence], list[Sequence]]]) -> bytes:
    """One worksheet per (title, header rows, rows); numbers stay numbers, text stays text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title[:31])
        for header in headers:
            sheet.append(list(header))
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for row in rows:
            sheet.append([value if isinstance(value, (int, float)) or value is None else str(value) for value in row])
        for row in sheet.iter_rows(min_row=len(headers) + 1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        for column in sheet.columns:
            width = max((len(str(c.value)) * (2 if any(ord(ch) > 0x2E7F for ch in str(c.value)) else 1) for c in column
                         if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
