"""The console's plumbing: the session cookie, CSRF tokens, flash messages, templates and the API client.

Every page is only a client of the public API: `Api` calls the gateway's own routes in-process and every other
area on the service that owns it (the route the edge takes, over the gateway's pooled upstream clients), with the
signed-in user's token, so the console can never show what the API would refuse, and every read and write lands
in the same audit trails.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import httpx
import jwt
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from markupsafe import Markup, escape

from services.gateway.upstreams import client_for
from shared import policy
from shared.auth import InvalidToken, Principal, verify_any
from shared.errors import Forbidden
from shared.logging import CORRELATION_HEADER, current_correlation_id
from shared.settings import TracsSettings
from shared.web import client_address

SESSION_COOKIE = "tracs_session"
NONCE_COOKIE = "tracs_nonce"  # binds the sign-in form's CSRF token before there is a session
FLASH_COOKIE = "tracs_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSRF_MAX_AGE = 12 * 3600

# Pages hold personal data: never cached, never framed, scripts and styles only from the gateway itself.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _short(value: Any) -> str:
    return str(value)[:8] if value else ""


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _timeline_detail(detail: Any) -> str:
    """A timeline entry's detail in words: empty values left out, ids as the short ids the pages show."""
    if not isinstance(detail, dict):
        return "" if detail is None else str(detail)
    parts = []
    for key, value in detail.items():
        if value is None or value == "" or value == []:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key.replace('_', ' ')} {_UUID.sub(lambda m: m[0][:8], shown)}")
    return ", ".join(parts)


def _when(value: Any) -> str:
    """Times as the API gives them (ISO 8601), shown to the minute in UTC; dates as they are. Never wrapped inside
    (a narrow column broke "1987-02-03" after its first hyphen)."""
    if not value:
        return ""
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return Markup('<span class="nowrap">') + escape(text) + Markup("</span>")
    shown = parsed.date().isoformat() if len(text) <= 10 else parsed.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time class="nowrap" datetime="{}">{}</time>').format(text, shown)


LONG_WORD = 40  # characters without a space: past this a word may break anywhere (a name of 30 never does)


def _bdi(value: Any) -> str:
    """User-written text (names, reasons, notes) isolated from what surrounds it: a right-to-left override in a
    name stays inside the name. Text holding a very long word is marked so the stylesheet lets it break anywhere
    (one 3,000-character word cannot widen the page); other text wraps between words only."""
    if value is None or value == "":
        return ""
    text = str(value)
    long = any(len(word) > LONG_WORD for word in text.split())
    opening = Markup('<bdi class="long">') if long else Markup("<bdi>")
    return opening + escape(text) + Markup("</bdi>")


templates.env.filters["short"] = _short
templates.env.filters["detail"] = _timeline_detail
templates.env.filters["when"] = _when
templates.env.filters["bdi"] = _bdi
templates.env.globals["urlencode"] = lambda d: urlencode({k: v for k, v in d.items() if v not in (None, "")})
# "?a=1&b=2" for the non-empty values, or nothing at all: a link to a list's first page stays its plain address.
templates.env.globals["query"] = lambda d: f"?{q}" if (q := templates.env.globals["urlencode"](d)) else ""


@dataclass(frozen=True)
class Session:
    """The signed-in user: their token (sent to the API) and what it says about them (for navigation)."""

    token: str
    principal: Principal

    def can(self, action: str) -> bool:
        """Only decides what to offer; the API decides what happens."""
        return policy.allows(self.principal, action)

    @property
    def training_lapses_on(self) -> date | None:
        """The day the user's access lapses with their privacy training (the gateway's `trn` claim)."""
        try:
            claim = jwt.decode(self.token, options={"verify_signature": False}).get("trn")  # verified already
            return date.fromisoformat(claim) if isinstance(claim, str) else None
        except (jwt.PyJWTError, ValueError):
            return None

    @property
    def case_programs(self) -> list[str]:
        """The case programs the user belongs to: without one, no case is theirs to see or import."""
        return sorted(self.principal.programs & policy.CASE_PROGRAMS)

    def require(self, action: str) -> None:
        """A page that is only a form: refused with the words the API would refuse its post with."""
        try:
            policy.authorize(self.principal, action)
        except Forbidden as exc:
            raise ApiError(403, exc.message) from exc


class SignedOut(Exception):
    """No valid session: the page sends the browser to sign in."""


class ApiError(Exception):
    """The API refused or failed; pages show its words with its status code."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class CsrfRefused(Exception):
    """A form that did not come from one of our pages."""


def _settings(request: Request) -> TracsSettings:
    return request.app.state.settings


def verify(request: Request, token: str) -> Principal | None:
    """The same verification every service applies to a bearer token."""
    s = _settings(request)
    try:
        return verify_any(token, secret=s.jwt_secret, issuer=s.jwt_issuer, oidc=s.oidc(), local=s.local_logins)
    except InvalidToken:
        return None


def session_of(request: Request) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    principal = verify(request, token)
    return Session(token, principal) if principal else None


async def require_session(request: Request) -> Session:
    session = session_of(request)
    if session is None:
        raise SignedOut()
    request.state.console_session = session
    return session


SessionDep = Annotated[Session, Depends(require_session)]


# CSRF: a signed double-submit token bound to the session cookie (or, before sign-in, to a nonce cookie).
def _csrf_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_settings(request).jwt_secret, salt="tracs-console-csrf")


def _binding(secret_cookie: str) -> str:
    return hashlib.sha256(secret_cookie.encode()).hexdigest()[:32]


def csrf_token(request: Request, bound_to: str | None = None) -> str:
    cookie = bound_to or request.cookies.get(SESSION_COOKIE) or request.cookies.get(NONCE_COOKIE) or ""
    return str(_csrf_signer(request).dumps(_binding(cookie)))


async def form_with_csrf(request: Request) -> Any:
    """The posted form, once its CSRF token (field or htmx header) is checked against the cookie."""
    form = await request.form()
    sent = request.headers.get(CSRF_HEADER) or str(form.get(CSRF_FIELD) or "")
    cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(NONCE_COOKIE) or ""
    try:
        value = _csrf_signer(request).loads(sent, max_age=CSRF_MAX_AGE)
    except BadSignature as exc:
        raise CsrfRefused() from exc
    if not cookie or not hmac.compare_digest(str(value), _binding(cookie)):
        raise CsrfRefused()
    return form


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Strict, Secure whenever the console is served over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


# Flash messages survive one redirect in a signed cookie (never in the URL, where anyone could write one).
def _flash_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(_settings(request).jwt_secret, salt="tracs-console-flash")


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if message:
        set_cookie(request, response, FLASH_COOKIE, _flash_signer(request).dumps([kind, message[:2000]]), 60)
    return response


def _take_flash(request: Request) -> tuple[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, message = _flash_signer(request).loads(raw)
    except (BadSignature, ValueError):
        return None
    return str(kind), str(message)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with what every page needs: the user, their CSRF token, the navigation, one flash message."""
    session: Session | None = getattr(request.state, "console_session", None) or session_of(request)
    flash = _take_flash(request)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "session": session,
            "csrf": csrf_token(request) if session else context.pop("csrf", ""),
            "flash": flash,
            "today": date.today().isoformat(),
            "training_notice": _training_notice(request, session),
            **context,
        },
        status_code=status_code,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    response.headers.update(PAGE_HEADERS)
    return response


def _training_notice(request: Request, session: Session | None) -> str | None:
    """Within the warning period before a user's training lapses, every page says when access ends."""
    lapses = session.training_lapses_on if session else None
    if lapses is None:
        return None
    days = (lapses - date.today()).days
    if days > getattr(_settings(request), "training_warning_days", 30):
        return None
    return (
        f"Your annual privacy training lapses on {lapses.isoformat()} ({days} days): complete it before then, "
        "or sign-in will be refused."
    )


def q(value: Any) -> str:
    return quote(str(value), safe="")


class Api:
    """The gateway's API called in-process with the user's token: same routes, same policy, same audit."""

    def __init__(self, request: Request, session: Session | None) -> None:
        self.request = request
        self.session = session

    def _peer(self) -> str:
        return client_address(self.request) or "127.0.0.1"

    def _client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.request.app, client=(self._peer(), 0))
        timeout = getattr(_settings(self.request), "proxy_timeout_seconds", 120.0)
        return httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=timeout)

    def _service(self, path: str) -> str | None:
        """The base URL of the service owning `path`'s area, or None for the gateway's own routes."""
        routes = getattr(_settings(self.request), "routes", None)
        if routes is None or not path.startswith("/api/v1/"):
            return None
        return routes().get(path.removeprefix("/api/v1/").split("/", 1)[0].split("?", 1)[0])

    async def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {CORRELATION_HEADER: current_correlation_id(), **kwargs.pop("headers", {})}
        if self.session is not None:
            headers["Authorization"] = f"Bearer {self.session.token}"
        base = self._service(path)
        if base is not None:
            # The service audits the read "from" the browser's address, as it does behind the edge.
            headers["X-Forwarded-For"] = self._peer()
            try:
                return await client_for(self.request, base).request(method, f"{base}{path}", headers=headers, **kwargs)
            except httpx.HTTPError:
                area = path.removeprefix("/api/v1/").split("/", 1)[0]
                return httpx.Response(503, json={"detail": f"the {area} service is unavailable"})
        async with self._client() as client:
            # A task of its own runs in a copy of this request's context, so the API call's logging and
            # policy context variables never leak back into the page.
            return await asyncio.create_task(client.request(method, path, headers=headers, **kwargs))

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        r = await self.raw(method, path, **kwargs)
        if r.status_code == 401 and self.session is not None:
            raise SignedOut()
        if r.status_code >= 400:
            raise ApiError(r.status_code, _detail(r))
        if r.status_code == 204 or not r.content:
            return None
        return r.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        """A JSON body when there is one; an action with no body (confirm, send) posts none."""
        if body is not None:
            kwargs["json"] = body
        return await self.call("POST", path, **kwargs)


def _detail(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return r.text[:500] or f"the API answered {r.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI's validation errors
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg')}" for e in detail)
    return str(detail or body)[:2000]


async def submit(
    request: Request,
    path: str,
    body: Any = None,
    *,
    back_to: str,
    done: str,
    method: str = "POST",
    go_to: Callable[[Any], str] | None = None,
    **kwargs: Any,
) -> Response:
    """One write through the API as the signed-in user, then a redirect (so a reload never posts twice).

    A rule the API refuses (400, 409, 413, 415, 422) comes back to the form's page in the API's words; 403,
    404 and outages become the error page with that status, as for any read."""
    if body is not None:
        kwargs["json"] = body
    try:
        result = await Api(request, request.state.console_session).call(method, path, **kwargs)
    except ApiError as exc:
        if exc.status in (403, 404) or exc.status >= 500:
            raise
        return redirect(request, back_to, exc.detail, "error")
    return redirect(request, go_to(result) if go_to else back_to, done)
