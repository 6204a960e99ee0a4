"""Retention (issue 29): each service's schedule rows as configured, a dry run per service (what would go today,
and what a legal hold spares), the disposal report from reporting, and a real run only after a confirmation.
Only a client of each service's `.../retention` routes and `/api/v1/reports/disposals`, with the user's token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import Api, ApiError, Session, SessionDep, form_with_csrf, render

router = APIRouter()

# The services that apply their own rows, by the name the console shows, and where their retention routes are.
SERVICES = {
    "cases": "/api/v1/retention",
    "disclosure": "/api/v1/disclosures/retention",
    "redress": "/api/v1/redress/retention",
    "reporting": "/api/v1/reports/retention",
}
CONFIRMATION = "dispose"  # typed by hand before a real run: nothing disposed of comes back


def _rules(answer: Any) -> list[dict[str, Any]]:
    """Cases answers {record class: row}, the others a list of rows with their kind: one shape for the page."""
    if isinstance(answer, dict):
        return [{"kind": name, **row} for name, row in answer.items()]
    return list(answer)


def _counts(run: dict[str, Any]) -> list[dict[str, Any]]:
    """A run's counts per kind. Cases lists the ids due (shown only as counts) and spares held subjects silently."""
    if "counts" in run:
        return list(run["counts"])
    return [
        {"kind": "case", "count": len(run.get("cases", [])), "held": None},
        {"kind": "encounter", "count": len(run.get("encounters", [])), "held": None},
        {"kind": "subject (everything of the person)", "count": run.get("subjects", 0), "held": None},
    ]


async def _page(
    request: Request,
    session: Session,
    *,
    runs: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Each service's rules in a section of its own: one service down says so and the others still show."""
    session.require("retention:manage")
    api = Api(request, session)
    rules: dict[str, Any] = {}
    for service, prefix in SERVICES.items():
        try:
            rules[service] = _rules(await api.get(f"{prefix}/rules"))
        except ApiError as exc:
            rules[service] = exc
    since = request.query_params.get("since") or None
    try:
        disposals: Any = await api.get("/api/v1/reports/disposals", since=since)
    except ApiError as exc:
        disposals = exc
    return render(
        request,
        "retention.html",
        status_code=status_code,
        title="Retention",
        rules=rules,
        runs={k: {**v, "rows": _counts(v)} for k, v in (runs or {}).items()},
        errors=errors or {},
        disposals=disposals,
        since=since or "",
        confirmation=CONFIRMATION,
    )


@router.get("/retention")
async def retention_page(request: Request, session: SessionDep) -> HTMLResponse:
    return await _page(request, session)


def _prefix(service: str) -> str:
    if service not in SERVICES:
        raise HTTPException(404, f"no service {service} applies retention rows")
    return SERVICES[service]


async def _run(service: str, request: Request, session: Session, *, dry: bool) -> HTMLResponse:
    """One run's answer shown on the page; a refusal or an outage beside its button, 403/404 as the error page."""
    try:
        run = await Api(request, session).post(f"{_prefix(service)}/run", params={"dry_run": str(dry).lower()})
    except ApiError as exc:
        if exc.status in (403, 404):  # the error page, as for any read
            raise
        return await _page(request, session, errors={service: exc.detail}, status_code=exc.status)
    return await _page(request, session, runs={service: run})


@router.post("/retention/{service}/dry-run")
async def dry_run(service: str, request: Request, session: SessionDep) -> Response:
    """What would go as of now: counts only, nothing changed (so the answer is shown, not redirected to)."""
    await form_with_csrf(request)
    return await _run(service, request, session, dry=True)


@router.post("/retention/{service}/run")
async def real_run(service: str, request: Request, session: SessionDep) -> Response:
    """A real disposal, only when the word asked for was typed: what it disposes of cannot be brought back."""
    form = await form_with_csrf(request)
    _prefix(service)  # an unknown service is a 404 before the confirmation is asked for
    if str(form.get("confirm") or "").strip().lower() != CONFIRMATION:
        error = f'Nothing was disposed of: type "{CONFIRMATION}" to confirm the run for {service}.'
        return await _page(request, session, errors={service: error}, status_code=422)
    return await _run(service, request, session, dry=False)
