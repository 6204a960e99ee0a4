"""Report downloads: JSON, CSV, XLSX (formula-safe) and PDF with charts (an adapter: formats live here)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import xlsxwriter
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as PdfTable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: dict[str, list[float]]
    kind: str = "line"  # or "bar"


@dataclass
class Report:
    title: str
    subtitle: str
    tables: dict[str, list[dict[str, Any]]]
    charts: list[Chart] = field(default_factory=list)


def neutralize(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is prefixed with a quote (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
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
    for name, rows in report.tables.items():
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
    for name, rows in report.tables.items():
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


def _chart(chart: Chart) -> Drawing:
    drawing = Drawing(700, 220)
    drawing.add(String(10, 205, chart.title, fontSize=11))
    palette = [colors.HexColor("#1f4e79"), colors.HexColor("#c55a11"), colors.HexColor("#548235")]
    names = list(chart.series)
    if chart.kind == "bar" or len(chart.labels) < 2:
        bars = VerticalBarChart()
        bars.x, bars.y, bars.width, bars.height = 50, 30, 620, 160
        bars.data = [chart.series[n] for n in names]
        bars.categoryAxis.categoryNames = chart.labels
        for i in range(len(names)):
            bars.bars[i].fillColor = palette[i % len(palette)]
        drawing.add(bars)
    else:
        plot = LinePlot()
        plot.x, plot.y, plot.width, plot.height = 50, 30, 620, 160
        plot.data = [list(enumerate(chart.series[n])) for n in names]
        for i in range(len(names)):
            plot.lines[i].strokeColor = palette[i % len(palette)]
        plot.xValueAxis.valueSteps = list(range(len(chart.labels)))
        plot.xValueAxis.labelTextFormat = lambda i: chart.labels[int(i)] if 0 <= int(i) < len(chart.labels) else ""
        drawing.add(plot)
    for i, n in enumerate(names):
        drawing.add(String(60 + 160 * i, 8, f"— {n}", fontSize=8, fillColor=palette[i % len(palette)]))
    return drawing


def to_pdf(report: Report) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), title=report.title)
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(report.title, styles["Title"]), Paragraph(report.subtitle, styles["Normal"])]
    for chart in report.charts:
        story += [Spacer(1, 8), _chart(chart)]
    for name, rows in report.tables.items():
        cols = _columns(rows)
        story += [Spacer(1, 10), Paragraph(name, styles["Heading2"])]
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
