"""Downloads: formula cells neutralized in CSV and XLSX; the PDF renders and its text holds the figures."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
from pypdf import PdfReader

from services.reporting.exports import Report, neutralize, render
from services.reporting.tabulation import Series

ROWS = [
    {"day": date(2026, 3, 2), "program": '=HYPERLINK("http://x")', "matches": 1234, "note": "+1", "rate": 0.25},
    {"day": date(2026, 3, 3), "program": "@SUM(A1)", "matches": 987654, "note": "-2", "rate": "suppressed"},
]
REPORT = Report(
    "Test report",
    "2026-03-02 to 2026-03-03",
    {"daily": ROWS},
    [Series("Daily matches", ["2026-03-02", "2026-03-03"], {"matches": [1234, 987654]})],
)


def test_formula_like_text_is_neutralized_but_numbers_are_not() -> None:
    assert neutralize("=1+1") == "'=1+1" and neutralize("@x") == "'@x" and neutralize("\tx") == "'\tx"
    assert neutralize(-5) == -5 and neutralize("M5") == "M5"
    assert neutralize("-") == "-" and neutralize("-2+3+cmd|' /C calc'!A0").startswith("'")  # "no partner" stays


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


# -- charts, read back as pictures -----------------------------------------------------------------------

BLUE, ORANGE = (0x1F, 0x4E, 0x79), (0xC5, 0x5A, 0x11)  # the first two lines' colours


def _pixels(pdf: bytes, page: int = 0, scale: float = 1.0):  # type: ignore[no-untyped-def]
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[page].render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()


def _inked(image, color: tuple[int, int, int], box: tuple[int, int, int, int]) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    x0, y0, x1, y1 = box
    return [
        (x, y)
        for x in range(x0, x1)
        for y in range(y0, y1)
        if all(abs(a - b) < 48 for a, b in zip(image.getpixel((x, y)), color, strict=True))
    ]


def test_a_chart_draws_its_lines_in_the_plot_area_and_a_suppressed_point_as_a_gap() -> None:
    from reportlab.graphics import renderPDF

    from services.reporting.exports import CHART_H, PLOT_H, PLOT_W, PLOT_X, PLOT_Y, chart_drawing

    labels = ["W01", "W02", "W03", "W04", "W05"]
    chart = Series("Matches per program, weekly", labels, {"M5": [10, 10, None, 10, 10], "PCSC": [5, 6, 7, 8, 9]})
    image = _pixels(renderPDF.drawToString(chart_drawing(chart)))  # one point per pixel
    top = CHART_H - PLOT_Y - PLOT_H
    plot = (PLOT_X, top, PLOT_X + PLOT_W, top + PLOT_H)
    assert len(_inked(image, ORANGE, plot)) > 300  # PCSC's line crosses the whole plot
    blue = _inked(image, BLUE, plot)
    step = PLOT_W / len(labels)
    point = [PLOT_X + step * (i + 0.5) for i in range(len(labels))]
    assert any(point[0] < x < point[1] for x, _ in blue) and any(point[3] < x < point[4] for x, _ in blue)
    # M5's third week is suppressed: nothing of its line between the second and the fourth point.
    assert not [x for x, _ in blue if point[1] + 6 < x < point[3] - 6]


def test_every_report_chart_renders_on_the_pdf_page_with_its_title() -> None:
    report = Report(
        "Test report",
        "2026-03-02 to 2026-03-08",
        {"daily": ROWS},
        [
            Series("Matches per program, daily", ["2026-03-02", "2026-03-03", "2026-03-04"], {"KST": [7, None, 9]}),
            Series("Redress backlog (open at month end)", ["2026-01", "2026-02"], {"open": [None, None]}),
        ],
        {"method": "complementary", "threshold": 5, "note": "complementary suppression", "cells": []},
    )
    pdf = render(report, "pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Matches per program, daily" in text and "KST" in text and "gaps: suppressed" in text
    assert "every point suppressed" in text  # a chart with nothing to show says so instead of drawing zeros
    image = _pixels(pdf, scale=1.0)
    assert len(_inked(image, BLUE, (0, 0, image.width, image.height // 2))) > 100


def test_a_table_heading_never_stands_alone_at_the_foot_of_a_pdf_page() -> None:
    names = [f"table_{i:02d}" for i in range(40)]
    tables = {
        name: [{"day": f"2026-03-{d:02d}", "matches": d} for d in range(1, 2 + (i * 7) % 23)]
        for i, name in enumerate(names)
    }
    pdf = render(Report("Long report", "March 2026", tables), "pdf")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 3
    for page in pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        assert lines[-1] not in names, f"heading {lines[-1]} alone at the foot of a page"
