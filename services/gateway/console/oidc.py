"""Sign in through the OIDC provider: the authorization-code flow with PKCE (RFC 7636) in the browser.

`/login/oidc` keeps the state, the nonce and the PKCE verifier in a short-lived signed cookie and sends the
browser to the provider; `/login/oidc/callback` checks the state, exchanges the code at the token endpoint and
verifies the access token exactly as every service verifies a bearer token, then sets the same session cookie
a password sign-in sets. The protocol pieces (PKCE, the token request, the token response and its errors)
are oauthlib's; only the authorization URL is put together here (oauthlib refuses plain http even on this
machine, which the settings already restrict).
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx
import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient

from services.gateway import accounts, sign_in
from services.gateway.console.auth import login_page, safe_next, signed_in
from services.gateway.console.web import render
from shared.auth import InvalidToken, Principal, decode_idp_jwt, verify_any
from shared.logging import get_logger
from shared.settings import TracsSettings

log = get_logger(__name__)
router = APIRouter()

FLOW_COOKIE = "tracs_oidc"
FLOW_PATH = "/login/oidc"  # the cookie goes to the start and the callback only
FLOW_MAX_AGE = 600  # seconds a sign-in may spend at the provider
CALLBACK_PATH = "/login/oidc/callback"
TOKEN_TIMEOUT = 10.0


class SignInRefused(Exception):
    """The provider sign-in stops here: what the user reads, and the kind of refusal the trail records."""

    def __init__(self, shown: str, kind: str, status: int = 401) -> None:
        super().__init__(shown)
        self.shown = shown
        self.kind = kind
        self.status = status


def _settings(request: Request) -> TracsSettings:
    return request.app.state.settings


def _flow_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_settings(request).jwt_secret, salt="tracs-console-oidc-flow")


def redirect_uri(request: Request) -> str:
    """What the provider sends the browser back to: the configured base, else the URL this request came to."""
    base = _settings(request).oidc_redirect_base or str(request.base_url)
    return f"{base.rstrip('/')}{CALLBACK_PATH}"


@router.get(FLOW_PATH)
async def start(request: Request) -> Response:
    """A GET link, not a form: the CSP's form-action 'self' would also stop the redirect to the provider."""
    s = _settings(request)
    if not s.oidc_sign_in():
        return login_page(request, status=404, error="Sign-in through an identity provider is not set up here.")
    client = WebApplicationClient(s.oidc_client_id)
    verifier = client.create_code_verifier(64)
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": verifier,
        "redirect_uri": redirect_uri(request),
        "next": safe_next(request.query_params.get("next")) or "",
    }
    params = {
        "response_type": "code",
        "client_id": s.oidc_client_id,
        "redirect_uri": flow["redirect_uri"],
        "scope": s.oidc_scopes,
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": client.create_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
    }
    endpoint = s.oidc_authorization_endpoint
    response = RedirectResponse(f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}", status_code=303)
    # Lax, not Strict: the provider's redirect back is a cross-site top-level GET, which must carry it.
    response.set_cookie(
        FLOW_COOKIE,
        _flow_signer(request).dumps(flow),
        max_age=FLOW_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=FLOW_PATH,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(CALLBACK_PATH)
async def callback(request: Request) -> Response:
    """The provider's answer: state first (nothing else is trusted before), then its error or its code."""
    s = _settings(request)
    try:
        flow = _matching_flow(request)
        params = request.query_params
        if error := params.get("error"):
            described = params.get("error_description", "")[:300]
            said = f"{s.oidc_provider_name} did not sign you in: {error[:100]}"
            raise SignInRefused(f"{said} ({described})" if described else said, "provider error", _status_of(error))
        if not params.get("code"):
            raise SignInRefused(f"{s.oidc_provider_name} sent no authorization code back.", "provider error", 400)
        tokens = await _exchange(request, params["code"], flow)
        principal = _verified(request, tokens, flow["nonce"])
    except SignInRefused as refused:
        log.info("provider sign-in refused", reason=refused.kind)
        response = await _audited(request, None, refused.kind) or login_page(
            request, status=refused.status, error=refused.shown
        )
        response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
        return response
    failed = await _audited(request, principal.username, None)
    if failed is not None:
        failed.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
        return failed
    log.info("provider sign-in", user=principal.username)
    # Staff known only to the identity provider become assignable once they have signed in (cases' staff).
    await accounts.announce_staff(uow=request.app.state.runtime.uow(actor=principal.username), principal=principal)
    response = _continue(request, principal, flow["next"])
    signed_in(request, response, tokens["access_token"], _ttl(tokens["access_token"]))
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _status_of(code: str) -> int:
    """A user who declined (or could not sign in) is refused; anything else is the provider's or our fault."""
    return 401 if code in {"access_denied", "login_required", "interaction_required", "consent_required"} else 400


def _matching_flow(request: Request) -> dict[str, Any]:
    """The flow this browser started here, if the answer's state is its own and it is under 10 minutes old."""
    refused = SignInRefused(
        "This sign-in could not be matched to one started here (it is over 10 minutes old, was started in another "
        "browser, or the link was altered). Start again.",
        "state mismatch",
        400,
    )
    raw, state = request.cookies.get(FLOW_COOKIE), request.query_params.get("state")
    if not raw or not state:
        raise refused
    try:
        flow = _flow_signer(request).loads(raw, max_age=FLOW_MAX_AGE)
    except BadSignature as exc:  # tampered with or expired (SignatureExpired is a BadSignature)
        raise refused from exc
    if not isinstance(flow, dict) or not hmac.compare_digest(str(flow.get("state", "")), state):
        raise refused
    return flow


async def _exchange(request: Request, code: str, flow: dict[str, Any]) -> dict[str, Any]:
    """The code and the PKCE verifier for tokens, the client authenticated as configured (or public)."""
    s = _settings(request)
    client = WebApplicationClient(s.oidc_client_id)
    basic = bool(s.oidc_client_secret) and s.oidc_client_auth == "client_secret_basic"
    extra = {"client_secret": s.oidc_client_secret} if s.oidc_client_secret and not basic else {}
    body = client.prepare_request_body(
        code=code,
        redirect_uri=flow["redirect_uri"],
        code_verifier=flow["verifier"],
        include_client_id=not basic,
        **extra,
    )
    # RFC 6749 2.3.1: both halves form-encoded before they are joined for Basic.
    auth = (quote_plus(s.oidc_client_id), quote_plus(s.oidc_client_secret)) if basic else None
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    name = s.oidc_provider_name
    try:
        # `oidc_transport`: the unit tests' stand-in provider; None is the network.
        transport = getattr(request.app.state, "oidc_transport", None)
        async with httpx.AsyncClient(timeout=TOKEN_TIMEOUT, transport=transport) as http:
            r = await http.post(s.oidc_token_endpoint, content=body, headers=headers, auth=auth)
    except httpx.HTTPError as exc:
        raise SignInRefused(
            f"{name} could not be reached to finish the sign-in ({type(exc).__name__}). Try again.",
            "token endpoint failed",
            503,
        ) from exc
    try:
        tokens = dict(client.parse_request_body_response(r.text))
    except OAuth2Error as exc:
        said = f"{exc.error}" + (f" ({exc.description[:300]})" if exc.description else "")
        shown = f"{name} did not issue a token: {said}" if r.status_code < 500 else f"{name} failed ({r.status_code})"
        raise SignInRefused(shown, "token endpoint failed", 502) from exc
    if r.status_code != 200 or not isinstance(tokens.get("access_token"), str):
        raise SignInRefused(f"{name} answered {r.status_code} without an access token.", "token endpoint failed", 502)
    return tokens


def _verified(request: Request, tokens: dict[str, Any], nonce: str) -> Principal:
    """The access token as the API verifies it; the ID token, when there is one, must be this sign-in's."""
    s = _settings(request)
    oidc = s.oidc()
    assert oidc is not None  # the settings refuse a sign-in flow without the provider's key
    try:
        principal = verify_any(
            tokens["access_token"], secret=s.jwt_secret, issuer=s.jwt_issuer, oidc=oidc, local=s.local_logins
        )
    except InvalidToken as exc:
        shown = f"TRACS does not accept the token {s.oidc_provider_name} issued: {exc}"
        raise SignInRefused(shown, "token refused") from exc
    if principal.service is not None:
        raise SignInRefused("A service's token cannot sign a person in.", "token refused")
    if id_token := tokens.get("id_token"):
        _check_id_token(s, str(id_token), nonce)
    if not principal.roles:
        raise SignInRefused(
            f"{s.oidc_provider_name} grants {principal.username} no TRACS role; ask an administrator.", "no role", 403
        )
    return principal


def _check_id_token(s: TracsSettings, id_token: str, nonce: str) -> None:
    """Signed by the provider's key, for this client, and carrying the nonce this browser's flow sent."""
    oidc = s.oidc()
    assert oidc is not None
    try:
        claims = decode_idp_jwt(id_token, oidc, audience=s.oidc_client_id, require=("nonce",))
    except InvalidToken as exc:
        shown = f"The ID token {s.oidc_provider_name} issued was refused: {exc}"
        raise SignInRefused(shown, "id token refused") from exc
    if not hmac.compare_digest(str(claims["nonce"]), nonce):
        raise SignInRefused("The ID token was issued for another sign-in (nonce).", "id token refused")


def _ttl(token: str) -> int:
    """The session cookie lasts as long as the token does (it is verified again on every request anyway)."""
    expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    return max(60, int(expires - time.time())) if isinstance(expires, int | float) else 3600


async def _audited(request: Request, username: str | None, refused: str | None) -> HTMLResponse | None:
    """Write the trail entry first; if it cannot be written, nobody is signed in (an error page instead)."""
    client = request.client.host if request.client else None
    entry = sign_in.provider_sign_in_entry(username=username, refused=refused, client=client)
    try:
        await request.app.state.runtime.audit([entry])
    except Exception as exc:  # any failure to audit refuses the sign-in
        log.error("audit append failed", error=type(exc).__name__)
        return login_page(request, status=503, error="The sign-in could not be audited; try again.")
    return None


def _continue(request: Request, principal: Principal, target: str) -> HTMLResponse:
    """A page of ours that moves on by itself: after the provider's cross-site redirect, a redirect of ours
    would still be part of that cross-site navigation, and the SameSite=Strict session cookie not be sent."""
    return render(request, "signed_in.html", username=principal.username, target=safe_next(target) or "/")
