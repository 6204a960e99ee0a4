"""The console's sign-in through the OIDC provider (authorization code with PKCE), without a network: the
provider's token endpoint is an httpx stand-in, the audit trail a list, everything else the real console."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.gateway import console
from services.gateway.console import oidc
from shared import audit
from shared.settings import TracsSettings
from tests.unit.fakes import FakeUnitOfWork

ISSUER = "https://idp.example"
CLIENT_ID = "tracs-console"
SECRET = "client-secret-of-the-console"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


IDP = _key()


def _pem(key: rsa.RSAPrivateKey) -> str:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(serialization.Encoding.PEM, spki).decode()


def _settings(**overrides: Any) -> TracsSettings:
    values: dict[str, Any] = {
        "oidc_public_key": _pem(IDP),
        "oidc_issuer": ISSUER,
        "oidc_authorization_endpoint": f"{ISSUER}/authorize",
        "oidc_token_endpoint": f"{ISSUER}/token",
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": SECRET,
        "oidc_provider_name": "Example IdP",
        "local_logins": False,
        **overrides,
    }
    return TracsSettings(**values)


class Provider:
    """The token endpoint: checks the PKCE verifier against the challenge it was shown, answers as told."""

    def __init__(self) -> None:
        self.challenge = ""
        self.nonce = ""
        self.requests: list[httpx.Request] = []
        self.access: dict[str, Any] = {}
        self.id_token: dict[str, Any] | None = {}
        self.key = IDP
        self.answer: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer(request)
        form = dict(parse_qsl(request.content.decode()))
        verifier = form["code_verifier"].encode()
        if base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode() != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "PKCE"})
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": "tracs", "exp": now + 600, "preferred_username": "a.okafor",
                  "roles": ["analyst"], "programs": ["M5"], **self.access}  # fmt: skip
        body = {"access_token": jwt.encode(claims, self.key, algorithm="RS256"), "token_type": "Bearer"}
        if self.id_token is not None:
            id_claims = {"iss": ISSUER, "aud": CLIENT_ID, "exp": now + 600, "sub": "a.okafor", "nonce": self.nonce}
            body["id_token"] = jwt.encode({**id_claims, **self.id_token}, self.key, algorithm="RS256")
        return httpx.Response(200, json=body)


def _app(settings: TracsSettings, provider: Provider, trail: list[audit.Entry]) -> TestClient:
    async def record(entries: list[audit.Entry]) -> None:
        trail.extend(entries)

    app = FastAPI()
    app.state.settings = settings
    # A provider sign-in announces its user as staff (StaffChanged) through a unit of work of its own.
    app.state.runtime = SimpleNamespace(audit=record, uow=lambda **_: FakeUnitOfWork())
    app.state.oidc_transport = httpx.MockTransport(provider)
    app.include_router(console.router)
    console.install(app)
    return TestClient(app, base_url="https://console.example", follow_redirects=False)


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def trail() -> list[audit.Entry]:
    return []


@pytest.fixture
def client(provider: Provider, trail: list[audit.Entry]) -> TestClient:
    return _app(_settings(), provider, trail)


def _start(client: TestClient, provider: Provider, path: str = "/login/oidc") -> dict[str, str]:
    """Follow the sign-in link as far as the provider: what it is asked (the provider remembers the challenge)."""
    r = client.get(path)
    assert r.status_code == 303
    location = urlsplit(r.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/authorize"
    asked = {k: v[0] for k, v in parse_qs(location.query).items()}
    provider.challenge, provider.nonce = asked["code_challenge"], asked["nonce"]
    return asked


def _session_set(r: httpx.Response) -> bool:
    return any(h.startswith("tracs_session=") and "Max-Age=0" not in h for h in r.headers.get_list("set-cookie"))


def test_the_sign_in_page_links_to_the_provider_and_offers_no_token_paste(client: TestClient) -> None:
    page = client.get("/login?next=/cases/7")
    assert '<a class="button" id="sign-in-provider" href="/login/oidc?next=%2Fcases%2F7">' in page.text
    assert "Sign in with Example IdP" in page.text
    assert 'name="token"' not in page.text and 'id="password"' not in page.text


def test_the_link_sends_the_browser_to_the_provider_with_state_nonce_and_an_s256_challenge(
    client: TestClient, provider: Provider
) -> None:
    r = client.get("/login/oidc")
    asked = _start(client, provider)
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID and asked["scope"] == "openid"
    assert asked["redirect_uri"] == "https://console.example/login/oidc/callback"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("tracs_oidc=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower() and "Path=/login/oidc" in cookie and "Max-Age=600" in cookie


def test_the_provider_s_code_signs_in_with_the_session_cookie_and_the_sign_in_is_audited(
    client: TestClient, provider: Provider, trail: list[audit.Entry]
) -> None:
    asked = _start(client, provider, "/login/oidc?next=/cases/7")
    r = client.get("/login/oidc/callback", params={"code": "the-code", "state": asked["state"]})
    assert r.status_code == 200 and '<meta http-equiv="refresh" content="0; url=/cases/7">' in r.text
    assert _session_set(r)
    session = next(h for h in r.headers.get_list("set-cookie") if h.startswith("tracs_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Secure" in session
    (sent,) = provider.requests
    form = dict(parse_qsl(sent.content.decode()))
    assert form["grant_type"] == "authorization_code" and form["code"] == "the-code"
    assert form["redirect_uri"] == asked["redirect_uri"] and "client_secret" not in form
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {basic}"
    (entry,) = trail
    assert (entry.actor, entry.action, entry.outcome) == ("a.okafor", "login", "allowed")
    assert entry.detail == "identity provider"
    # The state is good once: the same answer again is refused.
    again = client.get("/login/oidc/callback", params={"code": "the-code", "state": asked["state"]})
    assert again.status_code == 400


@pytest.mark.parametrize("secret", ["post", "public"])
def test_the_client_authenticates_in_the_body_or_not_at_all(
    provider: Provider, trail: list[audit.Entry], secret: str
) -> None:
    post = secret == "post"
    settings = _settings(oidc_client_auth="client_secret_post") if post else _settings(oidc_client_secret="")
    client = _app(settings, provider, trail)
    asked = _start(client, provider)
    assert _session_set(client.get("/login/oidc/callback", params={"code": "c", "state": asked["state"]}))
    (sent,) = provider.requests
    form = dict(parse_qsl(sent.content.decode()))
    assert "authorization" not in sent.headers and form["client_id"] == CLIENT_ID
    assert form.get("client_secret") == (SECRET if secret == "post" else None)


@pytest.mark.parametrize("how", ["another state", "no state", "no flow cookie", "forged cookie", "expired"])
def test_an_answer_that_is_not_this_browser_s_sign_in_is_refused_and_sets_nothing(
    client: TestClient, provider: Provider, trail: list[audit.Entry], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    asked = _start(client, provider)
    params = {"code": "the-code", "state": asked["state"]}
    if how == "another state":
        params["state"] = "forged"
    elif how == "no state":
        del params["state"]
    elif how == "no flow cookie":
        client.cookies.clear()
    elif how == "forged cookie":
        client.cookies.set("tracs_oidc", "eyJzdGF0ZSI6ImZvcmdlZCJ9.forged", path="/login/oidc")
    else:
        monkeypatch.setattr(oidc, "FLOW_MAX_AGE", -1)
    r = client.get("/login/oidc/callback", params=params)
    assert r.status_code == 400 and "could not be matched to one started here" in r.text
    assert not _session_set(r) and provider.requests == []
    (entry,) = trail
    assert (entry.actor, entry.record_id, entry.outcome) == ("unknown", None, "denied")
    assert entry.detail == "identity provider: state mismatch"


def test_the_provider_s_error_is_shown_plainly_and_audited_without_its_words(
    client: TestClient, provider: Provider, trail: list[audit.Entry]
) -> None:
    asked = _start(client, provider)
    described = "User <b>a.okafor@example.org</b> cancelled"
    r = client.get(
        "/login/oidc/callback",
        params={"error": "access_denied", "error_description": described, "state": asked["state"]},
    )
    assert r.status_code == 401 and not _session_set(r) and provider.requests == []
    escaped = "User &lt;b&gt;a.okafor@example.org&lt;/b&gt; cancelled"
    assert f"Example IdP did not sign you in: access_denied ({escaped})" in r.text
    (entry,) = trail
    assert entry.detail == "identity provider: provider error" and "okafor" not in str(entry)


REFUSED = "TRACS does not accept the token Example IdP issued"


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("answer", "status", "shown"),
    [
        (_refuse_connection, 503, "Example IdP could not be reached to finish the sign-in (ConnectError)"),
        (
            lambda _: httpx.Response(400, json={"error": "invalid_grant", "error_description": "code used"}),
            502,
            "Example IdP did not issue a token: invalid_grant (code used)",
        ),
        (lambda _: httpx.Response(500, text="<html>Internal Server Error</html>"), 502, "Example IdP failed (500)"),
        (lambda _: httpx.Response(200, json={"token_type": "Bearer"}), 502, "Example IdP did not issue a token"),
    ],
    ids=["unreachable", "invalid grant", "server error", "no access token"],
)
def test_a_token_endpoint_that_fails_signs_no_one_in(
    client: TestClient,
    provider: Provider,
    trail: list[audit.Entry],
    answer: Callable[[httpx.Request], httpx.Response],
    status: int,
    shown: str,
) -> None:
    asked = _start(client, provider)
    provider.answer = answer
    r = client.get("/login/oidc/callback", params={"code": "the-code", "state": asked["state"]})
    assert r.status_code == status and shown in r.text and not _session_set(r)
    assert [e.detail for e in trail] == ["identity provider: token endpoint failed"]


@pytest.mark.parametrize(
    ("forged", "status", "shown", "kind"),
    [
        ("another key", 401, f"{REFUSED}: Signature verification failed", "token refused"),
        ("wrong audience", 401, f"{REFUSED}: Audience doesn", "token refused"),
        ("expired", 401, f"{REFUSED}: Signature has expired", "token refused"),
        ("another sign-in's nonce", 401, "The ID token was issued for another sign-in (nonce)", "id token refused"),
        ("an ID token for another client", 401, "The ID token Example IdP issued was refused", "id token refused"),
        ("no TRACS role", 403, "Example IdP grants a.okafor no TRACS role", "no role"),
    ],
)  # fmt: skip
def test_a_token_the_api_would_refuse_signs_no_one_in_and_says_why(
    client: TestClient, provider: Provider, trail: list[audit.Entry], forged: str, status: int, shown: str, kind: str
) -> None:
    asked = _start(client, provider)
    if forged == "another key":
        provider.key = _key()
    elif forged == "wrong audience":
        provider.access = {"aud": "someone-else"}
    elif forged == "expired":
        provider.access = {"exp": int(time.time()) - 120}
    elif forged == "another sign-in's nonce":
        provider.id_token = {"nonce": "the-nonce-of-another-sign-in"}
    elif forged == "an ID token for another client":
        provider.id_token = {"aud": "another-client"}
    else:
        provider.access = {"roles": ["superuser"]}
    r = client.get("/login/oidc/callback", params={"code": "the-code", "state": asked["state"]})
    assert r.status_code == status and shown in r.text.replace("&#39;", "'") and not _session_set(r)
    assert [e.detail for e in trail] == [f"identity provider: {kind}"]


def test_an_access_token_alone_signs_in_when_the_provider_sends_no_id_token(
    client: TestClient, provider: Provider
) -> None:
    provider.id_token = None
    asked = _start(client, provider)
    assert _session_set(client.get("/login/oidc/callback", params={"code": "c", "state": asked["state"]}))


def test_a_sign_in_that_cannot_be_audited_does_not_happen(provider: Provider) -> None:
    async def broken(entries: list[audit.Entry]) -> None:
        raise OSError("the database is gone")

    client = _app(_settings(), provider, [])
    client.app.state.runtime = SimpleNamespace(audit=broken)  # type: ignore[attr-defined]
    asked = _start(client, provider)
    r = client.get("/login/oidc/callback", params={"code": "c", "state": asked["state"]})
    assert r.status_code == 503 and "could not be audited" in r.text and not _session_set(r)


def test_the_redirect_uri_comes_from_the_configured_base_behind_a_proxy(provider: Provider) -> None:
    client = _app(_settings(oidc_redirect_base="https://tracs.example.org/"), provider, [])
    assert _start(client, provider)["redirect_uri"] == "https://tracs.example.org/login/oidc/callback"


def test_without_the_flow_configured_there_is_no_link_and_the_token_paste_stays(provider: Provider) -> None:
    client = _app(_settings(oidc_authorization_endpoint=""), provider, [])
    page = client.get("/login")
    assert "sign-in-provider" not in page.text and 'name="token"' in page.text
    assert client.get("/login/oidc").status_code == 404


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"oidc_token_endpoint": ""}, "TRACS_OIDC_TOKEN_ENDPOINT"),
        ({"oidc_client_id": ""}, "TRACS_OIDC_CLIENT_ID"),
        ({"oidc_public_key": "", "oidc_issuer": ""}, "TRACS_OIDC_PUBLIC_KEY, TRACS_OIDC_ISSUER"),
    ],
)
def test_a_sign_in_flow_without_its_client_or_the_provider_s_key_is_refused_naming_what_is_missing(
    missing: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError, match=f"TRACS_OIDC_AUTHORIZATION_ENDPOINT is set, so {named} must be set"):
        _settings(**missing)


def test_the_missing_variables_are_named_when_only_the_endpoint_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACS_OIDC_AUTHORIZATION_ENDPOINT", f"{ISSUER}/authorize")
    with pytest.raises(ValidationError, match="TRACS_OIDC_TOKEN_ENDPOINT, TRACS_OIDC_CLIENT_ID, TRACS_OIDC_PUBLIC_KEY"):
        TracsSettings()


@pytest.mark.parametrize(
    ("endpoint", "accepted"),
    [
        ("http://idp.example/authorize", False),
        ("ftp://idp.example/authorize", False),
        ("http://127.0.0.1:9100/authorize", True),
        ("http://localhost:9100/authorize", True),
        ("https://idp.example/authorize", True),
    ],
)
def test_codes_and_tokens_travel_over_https_except_on_this_machine(endpoint: str, accepted: bool) -> None:
    if accepted:
        assert _settings(oidc_authorization_endpoint=endpoint).oidc_sign_in()
    else:
        with pytest.raises(ValidationError, match="TRACS_OIDC_AUTHORIZATION_ENDPOINT must be an https:// URL"):
            _settings(oidc_authorization_endpoint=endpoint)
