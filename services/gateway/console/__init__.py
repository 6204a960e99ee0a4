"""The analyst console: server-rendered pages at `/`, each one only a client of the gateway's API."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from services.gateway.console import (
    access,
    admin,
    agreements,
    audit_trail,
    auth,
    bulletins,
    cases,
    disclosures,
    imports,
    inaccuracies,
    notifications,
    oidc,
    owner_reports,
    privacy_act,
    queue,
    redress,
    referrals,
    reports,
    retention,
    shortcuts,
    users,
    worklists,
)
from services.gateway.console.web import HERE, ApiError, CsrfRefused, SignedOut, q, redirect, render

router = APIRouter(include_in_schema=False)
_PAGES = (
    auth,
    oidc,
    queue,
    cases,
    worklists,  # before imports: /imports/list is not a batch id
    imports,
    disclosures,
    referrals,
    inaccuracies,
    owner_reports,
    privacy_act,
    redress,
    reports,
    retention,
    bulletins,
    access,
    admin,
    audit_trail,
    users,
    notifications,
    agreements,
    shortcuts,
)
for _module in _PAGES:
    router.include_router(_module.router)

STATUS_TITLES = {403: "Not allowed", 404: "Not found", 409: "Refused", 422: "Refused", 503: "Unavailable"}
# Paths of machines (the API, health, metrics, documents): their errors stay JSON as the API documents them.
MACHINE_PREFIXES = ("/api/", "/internal/", "/healthz", "/readyz", "/metrics", "/asyncapi", "/openapi", "/static/")
NO_PAGE = "There is no console page at this address. Check it for a typo, or go back to the start."
BAD_ID = (
    "This address does not name a record: an id is the whole id (36 characters), not the short form a list shows. "
    "Open the record from its list instead."
)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(MACHINE_PREFIXES)


def install(app: FastAPI) -> None:
    """Static files and the mapping of sign-outs and API refusals to pages (the routes come with the spec)."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, exc: SignedOut) -> Response:
        target = "/login" if request.url.path == "/" else f"/login?next={q(request.url.path)}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return redirect(request, target)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> HTMLResponse:
        status = exc.status if exc.status < 500 else 503
        title = STATUS_TITLES.get(status, "Refused")
        return render(request, "error.html", status_code=status, title=title, detail=exc.detail)

    @app.exception_handler(HTTPException)
    async def no_page(request: Request, exc: HTTPException) -> Response:
        """An unknown console address is a page a person reads, not `{"detail":"Not Found"}`."""
        if not _is_page(request) or exc.status_code not in (404, 405):
            return await http_exception_handler(request, exc)
        return render(request, "error.html", status_code=404, title="Page not found", detail=NO_PAGE)

    @app.exception_handler(RequestValidationError)
    async def bad_address(request: Request, exc: RequestValidationError) -> Response:
        """A console address with a malformed id (a short id typed by hand) answers a page, not a raw 422."""
        if not _is_page(request) or request.method != "GET":
            return await request_validation_exception_handler(request, exc)
        return render(request, "error.html", status_code=404, title="Not found", detail=BAD_ID)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> HTMLResponse:
        detail = "This form was out of date or did not come from the console. Reload the page and try again."
        return render(request, "error.html", status_code=403, title="Form refused", detail=detail)
