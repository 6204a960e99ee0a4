"""Downloads: formula cells neutralized in CSV and XLSX; the PDF renders and its text holds the figures."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
from pypdf import PdfReader

from services.reporting.exports import Chart, Report, neutralize, render

ROWS = [
    {"day": date(2026, 3, 2), "program": '=HYPERLINK("http://x")', "matches": 1234, "note": "+1", "rate": 0.25},
    {"day": date(2026, 3, 3), "program": "@SUM(A1)", "matches": 987654, "note": "-2", "rate": "suppressed"},
]
REPORT = Report(
    "Test report",
    "2026-03-02 to 2026-03-03",
    {"daily": ROWS},
    [Chart("Daily matches", ["2026-03-02", "2026-03-03"], {"matches": [1234, 987654]})],
)


def test_formula_like_text_is_neutralized_but_numbers_are_not() -> None:
    assert neutralize("=1+1") == "'=1+1" and neutralize("@x") == "'@x" and neutralize("\tx") == "'\tx"
    assert neutralize(-5) == -5 and neutralize("M5") == "M5"


def test_csv_cells_cannot_run_as_formulas() -> None:
    rows = list(csv.reader(io.StringIO(render(REPORT, "csv").decode())))
    cells = [c for r in rows for c in r]
    assert '\'=HYPERLINK("http://x")' in cells and "'@SUM(A1)" in cells and "'+1" in cells and "'-2" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "1234" in cells and "2026-03-02" in cells


def test_xlsx_cells_are_text_or_numbers_never_formulas() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(render(REPORT, "xlsx"))).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values and "'@SUM(A1)" in values
    assert 1234 in values and 0.25 in values
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_the_pdf_renders_with_its_chart_and_its_text_holds_the_figures() -> None:
    pdf = render(REPORT, "pdf")
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Test report", "Daily matches", "1234", "987654", "suppressed", "2026-03-03"):
        assert expected in text
