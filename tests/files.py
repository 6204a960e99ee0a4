"""Real spreadsheets built by the tests: .xlsx (xlsxwriter), .xls (xlwt), .ods (odfpy), encrypted, bombs."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import xlsxwriter

Cell = str | int | float | date | datetime | None


def xlsx(
    header: list[str],
    rows: list[list[Cell]],
    *,
    formulas: dict[tuple[int, int], tuple[str, Cell]] | None = None,
    blank_rows_before_header: int = 0,
) -> bytes:
    """Strings stay text (leading zeros kept); numbers, dates and date-times are typed cells."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Matches")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    top = blank_rows_before_header
    ws.write_row(top, 0, header)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            elif isinstance(value, datetime | date):
                ws.write_datetime(
                    r,
                    c,
                    value if isinstance(value, datetime) else datetime(value.year, value.month, value.day),
                    date_fmt,
                )
            else:
                ws.write_number(r, c, value)
    for (r, c), (formula, cached) in (formulas or {}).items():
        ws.write_formula(top + 1 + r, c, formula, None, cached)
    wb.close()
    return buf.getvalue()


def xls(header: list[str], rows: list[list[str]]) -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Matches")
    for c, h in enumerate(header):
        ws.write(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ods(header: list[str], rows: list[list[str]]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Matches")
    for values in [header, *rows]:
        tr = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def encrypted_xlsx(header: list[str], rows: list[list[Cell]], password: str = "s3cret") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx(header, rows))).encrypt(password, out)
    return out.getvalue()


def zip_bomb_xlsx(inflated_bytes: int = 40 * 1024 * 1024) -> bytes:
    """A tiny file whose worksheet inflates to `inflated_bytes` of nothing."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            block = b" " * (1 << 20)
            for _ in range(inflated_bytes >> 20):
                sheet.write(block)
    return buf.getvalue()
