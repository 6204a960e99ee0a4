"""Report downloads: JSON, CSV, XLSX (formula-safe) and PDF with charts (an adapter: formats live here)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import xlsxwriter
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as PdfTable

from services.reporting.tabulation import Series

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class Report:
    title: str
    subtitle: str
    tables: dict[str, list[dict[str, Any]]]
    charts: list[Series] = field(default_factory=list)
    # How cells were suppressed: method, threshold, a note and the suppressed cells (table, row, column).
    suppression: dict[str, Any] | None = None

    def all_tables(self) -> dict[str, list[dict[str, Any]]]:
        """The report's tables and, when it suppressed cells, the list of them."""
        if self.suppression is None:
            return self.tables
        return {**self.tables, "suppressed_cells": self.suppression["cells"]}


def neutralize(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is prefixed with a quote (CSV injection).

    A cell that is only the prefix character (the "-" that stands for "no partner") runs nothing and stays
    as it is, so the report reads the same in a spreadsheet as on screen.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and value not in FORMULA_PREFIXES:
        return "'" + value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(rows[0]) if rows else []


def to_csv(report: Report) -> bytes:
    """One section per table: a line with the table's name, its header, its rows, a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralize(report.title), neutralize(report.subtitle)])
    if report.suppression:
        writer.writerow([neutralize(report.suppression["note"])])
    for name, rows in report.all_tables().items():
        writer.writerow([])
        writer.writerow([name])
        cols = _columns(rows)
        writer.writerow(cols)
        for row in rows:
            writer.writerow([neutralize(row[c]) for c in cols])
    return out.getvalue().encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    buf = io.BytesIO()
    # strings_to_formulas off: even a missed prefix is stored as text, never as a formula.
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    for name, rows in report.all_tables().items():
        ws = wb.add_worksheet(name[:31])
        cols = _columns(rows)
        ws.write_row(0, 0, cols, bold)
        for r, row in enumerate(rows, start=1):
            for c, col in enumerate(cols):
                value = neutralize(row[col])
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                elif value is None:
                    ws.write_blank(r, c, None)
                else:
                    ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


PALETTE = [colors.HexColor(c) for c in ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf8f00", "#2e75b6", "#843c0c")]
CHART_W, CHART_H = 720, 190
HEADING_ROOM = 90  # points: a table's heading, its header row and a few rows
PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 50, 40, 520, 125


def _segments(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive shown points: a suppressed point ends a line, so it shows as a gap."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, float(v)))
    return [r for r in runs if r]


def chart_drawing(chart: Series) -> Drawing:
    drawing = Drawing(CHART_W, CHART_H)
    drawing.add(String(10, CHART_H - 14, chart.title, fontSize=11))
    names = list(chart.lines)
    data, styles = [], []
    for i, name in enumerate(names):
        for run in _segments(chart.lines[name]):
            data.append(run)
            styles.append(PALETTE[i % len(PALETTE)])
    if not data:
        drawing.add(String(PLOT_X, PLOT_Y + PLOT_H / 2, "no point to show (no data, or every point suppressed)"))
        return drawing
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = PLOT_X, PLOT_Y, PLOT_W, PLOT_H
    plot.data = data
    for i, color in enumerate(styles):
        plot.lines[i].strokeColor = color
        plot.lines[i].strokeWidth = 1.5
        plot.lines[i].symbol = makeMarker("FilledCircle", size=3 if len(chart.labels) <= 62 else 1.5)
        plot.lines[i].symbol.fillColor = color
        plot.lines[i].symbol.strokeColor = color
    n = len(chart.labels)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = -0.5, n - 0.5
    step = max(1, -(-n // 12))  # at most about a dozen labels on the axis
    plot.xValueAxis.valueSteps = list(range(0, n, step))
    plot.xValueAxis.labelTextFormat = lambda i: chart.labels[int(i)] if 0 <= int(i) < n else ""
    plot.xValueAxis.labels.fontSize = 7
    plot.xValueAxis.labels.angle = 30
    plot.xValueAxis.labels.boxAnchor = "ne"
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.labels.fontSize = 7
    drawing.add(plot)
    for i, name in enumerate(names):
        y = PLOT_Y + PLOT_H - 12 * i
        drawing.add(
            Line(PLOT_X + PLOT_W + 15, y + 3, PLOT_X + PLOT_W + 35, y + 3, strokeColor=PALETTE[i % len(PALETTE)])
        )
        drawing.add(String(PLOT_X + PLOT_W + 40, y, name, fontSize=8))
    if any(v is None for values in chart.lines.values() for v in values):
        drawing.add(String(PLOT_X + PLOT_W + 15, PLOT_Y - 20, "gaps: suppressed or undefined", fontSize=7))
    return drawing


def to_pdf(report: Report) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), title=report.title)
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(report.title, styles["Title"]), Paragraph(report.subtitle, styles["Normal"])]
    if report.suppression:
        story.append(Paragraph(report.suppression["note"], styles["Normal"]))
    for chart in report.charts:
        story += [Spacer(1, 8), chart_drawing(chart)]
    for name, rows in report.all_tables().items():
        cols = _columns(rows)
        # A heading never stands alone at the foot of a page: it moves over with the start of its table.
        story += [CondPageBreak(HEADING_ROOM), Spacer(1, 10), Paragraph(name, styles["Heading2"])]
        if not rows:
            story.append(Paragraph("no data in this period", styles["Normal"]))
            continue
        data = [cols] + [["" if row[c] is None else str(neutralize(row[c])) for c in cols] for row in rows]
        table = PdfTable(data, repeatRows=1)
        table.setStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
        story.append(table)
    doc.build(story)
    return buf.getvalue()


def render(report: Report, fmt: str) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}[fmt](report)
