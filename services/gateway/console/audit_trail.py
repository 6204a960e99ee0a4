"""Auditors: the trail as business actions, narrowed by record, user, action and dates; paged; exported as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.audit_actions import ACTION_NAMES, csv_cell
from services.gateway.console.web import Api, ApiError, SessionDep, render

router = APIRouter()
PAGE = 50
EXPORT_PAGE = 100  # an export walks every page; each asks the services for its calls by correlation id in the URL
FILTERS = ("record", "actor", "action", "since", "until")
CSV_COLUMNS = ("at", "actor", "action", "record_type", "record_id", "outcome", "client", "correlation_id", "calls")


def _filters(request: Request) -> dict[str, str]:
    return {k: v.strip()[:200] for k in FILTERS if (v := request.query_params.get(k, "")).strip()}


def _api_params(filters: dict[str, str]) -> dict[str, Any]:
    """The form's days as the API's instants: `until` is inclusive on the page, so it ends at the next midnight."""
    params: dict[str, Any] = {k: filters.get(k) for k in ("record", "actor", "action")}
    for key, shift in (("since", 0), ("until", 1)):
        if key in filters:
            try:
                day = date.fromisoformat(filters[key])
            except ValueError as exc:
                raise ApiError(422, f"{key} {filters[key]!r} is not a date (YYYY-MM-DD)") from exc
            params[key] = datetime.combine(day + timedelta(days=shift), time()).isoformat() + "Z"
    return params


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 10_000 else 1


# `/audit` itself is every service's own audit API (the gateway's too), so the page lives beside it.
@router.get("/audit-trail")
async def audit_page(request: Request, session: SessionDep) -> HTMLResponse:
    """One page of actions with each call's proof status; a refused filter is said on the page, kept in the form."""
    filters, number = _filters(request), _page_number(request)
    error, found = None, {"items": [], "total": 0, "pages": 1, "page": number, "capped": False}
    try:
        params = _api_params(filters)
        found = await Api(request, session).get("/api/v1/audit/actions", **params, page=number, size=PAGE, proofs=True)
    except ApiError as exc:
        if exc.status != 422:
            raise
        error = exc.detail
    calls = [c for a in found["items"] for c in a["calls"]]
    checkpoints = {c["service"]: c["proof"]["checkpoint"] for c in calls if c["proof"]["state"] == "proven"}
    return render(
        request,
        "audit.html",
        status_code=422 if error else 200,
        title="Audit trail",
        filters=filters,
        found=found,
        error=error,
        action_names=ACTION_NAMES,
        checkpoints=dict(sorted(checkpoints.items())),
        failed=[c for c in calls if c["proof"]["state"] == "failed"],
    )


@router.get("/audit-trail.csv")
async def audit_export(request: Request, session: SessionDep) -> Response:
    """Every action the filters keep, one row each (its calls in one cell); no cell can start a formula."""
    filters = _filters(request)
    params, api = _api_params(filters), Api(request, session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    number, pages = 1, 1
    while number <= pages:
        found = await api.get("/api/v1/audit/actions", **params, page=number, size=EXPORT_PAGE)
        for a in found["items"]:
            writer.writerow([csv_cell(_cell(a, column)) for column in CSV_COLUMNS])
        number, pages = number + 1, found["pages"]
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-trail-{stamp}.csv"', "Cache-Control": "no-store"},
    )


def _cell(action: dict[str, Any], column: str) -> Any:
    if column != "calls":
        return action.get(column)
    return "; ".join(
        f"{c['service']} {c['method'] or ''} {c['path'] or c['action']} {c['outcome']}" for c in action["calls"]
    )
