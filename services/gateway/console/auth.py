"""Sign in (the gateway's local logins, or the configured identity provider) and sign out.

The provider's browser flow is `console/oidc.py`; pasting a provider's access token (`/login/token`) stays for a
provider TRACS is not registered with as a client (no TRACS_OIDC_AUTHORIZATION_ENDPOINT): the page offers it
only then.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.gateway.console.web import (
    NONCE_COOKIE,
    SESSION_COOKIE,
    Api,
    csrf_token,
    form_with_csrf,
    new_nonce,
    redirect,
    render,
    session_of,
    set_cookie,
    verify,
)

router = APIRouter()


def _landing(request: Request) -> str:
    session = session_of(request)
    if session is None:
        return "/login"
    if session.can("case:read"):
        return "/cases"
    return "/admin" if session.can("user:manage") or session.can("agreement:approve") else "/reports"


def safe_next(target: str | None) -> str | None:
    """Only a path of this site: never an absolute or protocol-relative URL (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/")
async def home(request: Request) -> Response:
    return redirect(request, _landing(request))


def login_page(request: Request, status: int = 200, error: str | None = None, username: str = "") -> HTMLResponse:
    nonce = request.cookies.get(NONCE_COOKIE) or new_nonce()
    settings = request.app.state.settings
    next_page = safe_next(request.query_params.get("next")) or ""
    response = render(
        request,
        "login.html",
        status_code=status,
        csrf=csrf_token(request, bound_to=nonce),
        error=error,
        username=username,
        next=next_page,
        provider=settings.oidc_provider_name if settings.oidc_sign_in() else None,
        provider_link="/login/oidc" + (f"?{urlencode({'next': next_page})}" if next_page else ""),
        token_paste=settings.oidc() is not None and not settings.oidc_sign_in(),
        local=settings.local_logins,
    )
    set_cookie(request, response, NONCE_COOKIE, nonce, 3600)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    if session_of(request) is not None:
        return redirect(request, _landing(request))
    return login_page(request)


def signed_in(request: Request, response: Response, token: str, ttl: int) -> None:
    """The session cookie every way of signing in sets: the token itself, verified again on every request."""
    set_cookie(request, response, SESSION_COOKIE, token, ttl)
    response.delete_cookie(NONCE_COOKIE, path="/")


def _signed_in(request: Request, token: str, ttl: int, target: str | None) -> Response:
    response = redirect(request, safe_next(target) or "/")
    signed_in(request, response, token, ttl)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    """The same token endpoint curl uses; its refusal (wrong password, lockout) is shown as it says."""
    form = await form_with_csrf(request)
    username = str(form.get("username") or "")
    r = await Api(request, None).raw(
        "POST", "/api/v1/auth/token", data={"username": username, "password": str(form.get("password") or "")}
    )
    if r.status_code != 200:
        try:
            body = r.json()
            detail = str(body.get("detail"))
        except ValueError:
            body, detail = {}, "sign-in failed"
        if r.status_code == 403 and body.get("must_change_password"):
            target = "/login/password?" + urlencode({"username": username, "next": str(form.get("next") or "")})
            return redirect(request, target, detail, "warning")
        return login_page(request, status=r.status_code, error=detail, username=username)
    body = r.json()
    return _signed_in(request, body["access_token"], int(body["expires_in"]), str(form.get("next") or ""))


@router.post("/login/token")
async def login_with_idp_token(request: Request) -> Response:
    """Where an OIDC provider is configured: its access token, verified exactly as the API verifies it."""
    form = await form_with_csrf(request)
    token = str(form.get("token") or "").strip()
    if request.app.state.settings.oidc() is None or not token or verify(request, token) is None:
        return login_page(request, status=401, error="the identity provider's token was not accepted")
    return _signed_in(request, token, 3600, str(form.get("next") or ""))


@router.post("/logout")
async def logout(request: Request) -> Response:
    await form_with_csrf(request)
    response = redirect(request, "/login", "You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
