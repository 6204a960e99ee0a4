"""The analyst console: server-rendered pages at `/`, each one only a client of the gateway's API."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from services.gateway.console import (
    admin,
    agreements,
    auth,
    bulletins,
    cases,
    disclosures,
    imports,
    oidc,
    redress,
    referrals,
    reports,
)
from services.gateway.console.web import HERE, ApiError, CsrfRefused, SignedOut, q, redirect, render

router = APIRouter(include_in_schema=False)
for _module in (auth, oidc, cases, imports, disclosures, referrals, redress, reports, bulletins, admin, agreements):
    router.include_router(_module.router)

STATUS_TITLES = {403: "Not allowed", 404: "Not found", 409: "Refused", 422: "Refused", 503: "Unavailable"}


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

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> HTMLResponse:
        detail = "This form was out of date or did not come from the console. Reload the page and try again."
        return render(request, "error.html", status_code=403, title="Form refused", detail=detail)
