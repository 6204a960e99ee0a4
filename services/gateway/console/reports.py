"""Reports for a chosen period: each table as the API gives it, a chart drawn as inline SVG, and downloads."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from services.gateway.console.web import Api, ApiError, SessionDep, render

router = APIRouter()

REPORTS = {"dosr": "DOSR", "epr": "EPR", "components": "Component report"}
FORMATS = {"csv": "CSV", "xlsx": "XLSX", "pdf": "PDF"}
NOT_TABLES = {"title", "subtitle", "suppression"}
COLOURS = ["#1f5f99", "#c2571a", "#2e7d32", "#6a3d9a", "#8c6d1f", "#b0306a"]
MAX_LINES = 6


def _period(request: Request) -> tuple[str, str]:
    today = date.today()
    start = request.query_params.get("from") or (today - timedelta(days=30)).isoformat()
    end = request.query_params.get("to") or today.isoformat()
    return start, end


@router.get("/reports")
async def reports(request: Request, session: SessionDep, report: str = "dosr") -> HTMLResponse:
    if report not in REPORTS:
        raise ApiError(404, f"no report {report!r}")
    start, end = _period(request)
    body = await Api(request, session).get(f"/api/v1/reports/{report}", **{"from": start, "to": end})
    tables = {k: v for k, v in body.items() if k not in NOT_TABLES and isinstance(v, list)}
    charts = {name: chart(name, rows) for name, rows in tables.items()}
    return render(
        request,
        "reports.html",
        title=f"Reports: {REPORTS[report]}",
        report=report,
        reports=REPORTS,
        formats=FORMATS,
        body=body,
        tables=tables,
        charts=charts,
        start=start,
        end=end,
    )


@router.get("/reports/stored")
async def stored(request: Request, session: SessionDep) -> HTMLResponse:
    """Reports as they were stored (weekly DOSR, monthly EPR and component report), each downloadable as kept."""
    kept = await Api(request, session).get("/api/v1/reports/stored")
    return render(request, "reports_stored.html", title="Stored reports", stored=kept, reports=REPORTS, formats=FORMATS)


@router.get("/reports/stored/{report_id}.{fmt}")
async def stored_download(report_id: str, fmt: str, request: Request, session: SessionDep) -> Response:
    """A stored report's bytes, passed through exactly."""
    if fmt not in (*FORMATS, "json"):
        raise ApiError(404, f"no {fmt} download of a stored report")
    r = await Api(request, session).raw("GET", f"/api/v1/reports/stored/{report_id}", params={"format": fmt})
    if r.status_code != 200:
        raise ApiError(r.status_code, r.text[:500])
    keep = ("content-type", "content-disposition")
    return Response(r.content, headers={k: v for k, v in r.headers.items() if k.lower() in keep})


@router.get("/reports/{report}.{fmt}")
async def download(report: str, fmt: str, request: Request, session: SessionDep) -> Response:
    """The API's own export, passed through with its type and file name."""
    if report not in REPORTS or fmt not in FORMATS:
        raise ApiError(404, f"no {fmt} download of {report!r}")
    start, end = _period(request)
    r = await Api(request, session).raw(
        "GET", f"/api/v1/reports/{report}", params={"from": start, "to": end, "format": fmt}
    )
    if r.status_code != 200:
        raise ApiError(r.status_code, r.text[:500])
    keep = ("content-type", "content-disposition")
    return Response(r.content, headers={k: v for k, v in r.headers.items() if k.lower() in keep})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def chart(name: str, rows: list[dict[str, Any]]) -> Markup | None:
    """Grouped bars, one group per row: enough to see a trend; the table beside it is the exact figures.

    A suppressed cell is drawn as no bar; the chart is described for screen readers by its table."""
    if not rows:
        return None
    keys = list(rows[0])
    # The row's label: its text columns (day and program, week, data owner), never a suppressed count.
    label_keys = [k for k in keys if isinstance(rows[0][k], str) and rows[0][k] != "suppressed"]
    numeric = [k for k in keys if k not in label_keys and any(_number(r.get(k)) is not None for r in rows)]
    numeric = [k for k in numeric if "rate" not in k and "percent" not in k and "days" not in k][:MAX_LINES]
    if not numeric or not label_keys:
        return None
    labels = [" ".join(str(r.get(k, "")) for k in label_keys) for r in rows]
    top = max((_number(r.get(k)) or 0.0) for r in rows for k in numeric)
    if top <= 0:  # every count zero or suppressed: no bar to draw, and an empty frame would read as data
        return None
    width, height, pad, legend = 720, 240, 36, 18 * len(numeric)
    group = (width - 2 * pad) / len(rows)
    bar = min(max(group / (len(numeric) + 1), 1.0), 48.0)
    described = f"{name}: chart of {', '.join(numeric)} by {' and '.join(label_keys)}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + legend + 30}" role="img" aria-label="{escape(described)}">',
        f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#555"/>',
        f'<text x="4" y="14" font-size="12">{top:g}</text>',
    ]
    for i, row in enumerate(rows):
        x0 = pad + i * group
        for j, key in enumerate(numeric):
            value = _number(row.get(key))
            if value is None:
                continue
            h = (height - 20) * value / top
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(labels[i])} {escape(key)}: '
                f"{value:g}</title></rect>"
            )
        if len(rows) <= 16 or i % max(len(rows) // 12, 1) == 0:
            parts.append(f'<text x="{x0:.1f}" y="{height + 14}" font-size="11">{escape(labels[i][:24])}</text>')
    for j, key in enumerate(numeric):
        y = height + 30 + 18 * j
        parts.append(f'<rect x="{pad}" y="{y - 10}" width="12" height="12" fill="{COLOURS[j % len(COLOURS)]}"/>')
        parts.append(f'<text x="{pad + 18}" y="{y}" font-size="12">{escape(key)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped
