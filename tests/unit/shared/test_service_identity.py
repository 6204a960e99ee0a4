"""A service's own identity on another's internal API: minted, cached, verified, refused to people."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from services.gateway import domain as gateway_domain
from shared import policy
from shared.audit import Entry
from shared.auth import (
    InvalidToken,
    Principal,
    issue_service_token,
    issue_token,
    verify_any,
    verify_token,
)
from shared.errors import Invalid, Unavailable
from shared.internal import ON_BEHALF_HEADER, InternalClient, ServiceToken
from shared.logging import CORRELATION_HEADER, bind_correlation_id
from shared.settings import TracsSettings
from shared.web import install_common, secured, unsecured_routes

SECRET = "s" * 40
ISSUER = "tracs-gateway"


def test_a_service_token_names_its_service_and_holds_the_service_role_only() -> None:
    p = verify_token(issue_service_token("disclosure", secret=SECRET, issuer=ISSUER), secret=SECRET, issuer=ISSUER)
    assert p == Principal("service:disclosure", frozenset({"service"}), frozenset(), service="disclosure")
    claims = jwt.decode(issue_service_token("redress", secret=SECRET, issuer=ISSUER), SECRET, algorithms=["HS256"],
                        issuer=ISSUER)  # fmt: skip
    assert claims["exp"] - claims["iat"] == 300, "short-lived by default"


def _forge(**claims: Any) -> str:
    base = {"sub": "service:disclosure", "roles": ["service"], "svc": "disclosure", "iss": ISSUER}
    return jwt.encode({**base, "exp": int(time.time()) + 60, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"svc": None},  # the service role without naming the service
        {"sub": "analyst"},  # a person's name with the service role
        {"sub": "service:redress"},  # sub and svc disagree
        {"roles": ["service", "admin"]},  # a service with a person's role besides
        {"roles": ["analyst"]},  # the service claim on a person's token
    ],
    ids=["no-svc", "person-sub", "other-service", "extra-role", "no-service-role"],
)
def test_a_service_identity_that_does_not_hang_together_is_refused(claims: dict[str, Any]) -> None:
    token = _forge(**{k: v for k, v in claims.items() if v is not None})
    if claims.get("svc", "") is None:
        token = jwt.encode(
            {"sub": "service:disclosure", "roles": ["service"], "iss": ISSUER, "exp": int(time.time()) + 60},
            SECRET,
            algorithm="HS256",
        )
    with pytest.raises(InvalidToken, match="service"):
        verify_token(token, secret=SECRET, issuer=ISSUER)


def test_no_person_can_hold_the_service_role() -> None:
    with pytest.raises(Invalid, match="roles must be"):
        gateway_domain.check_new_user("robot", {"service"}, set(), "a-long-password-1")
    # An identity provider's claim of it is dropped like any role the policy does not give people.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from shared.auth import OidcConfig

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    config = OidcConfig(public_key=public, issuer="https://idp", audience="tracs")
    claims = {
        "sub": "x",
        "roles": ["service", "analyst"],
        "iss": "https://idp",
        "aud": "tracs",
        "exp": time.time() + 60,
    }
    p = verify_any(jwt.encode(claims, private, algorithm="RS256"), secret=SECRET, issuer=ISSUER, oidc=config)
    assert p.roles == frozenset({"analyst"}) and p.service is None


def test_services_still_sign_their_calls_when_local_logins_are_off() -> None:
    service = issue_service_token("redress", secret=SECRET, issuer=ISSUER)
    assert verify_any(service, secret=SECRET, issuer=ISSUER, oidc=None, local=False).service == "redress"
    person = issue_token(Principal("ana", frozenset({"analyst"})), secret=SECRET, issuer=ISSUER, ttl_seconds=60)
    with pytest.raises(InvalidToken, match="local logins are switched off"):
        verify_any(person, secret=SECRET, issuer=ISSUER, oidc=None, local=False)


def test_only_the_service_role_may_use_the_internal_actions_and_nothing_else() -> None:
    service = Principal("service:disclosure", frozenset({"service"}), service="disclosure")
    analyst = Principal("ana", frozenset({"analyst"}), frozenset({"M5", "REDRESS"}))
    admin = Principal("root", frozenset({"admin", "supervisor", "auditor", "analyst"}), frozenset({"M5"}))
    for action in ("case:disclose", "person:search"):
        assert policy.allows(service, action)
        assert not policy.allows(analyst, action) and not policy.allows(admin, action)
    assert [a for a in policy.POLICY if policy.allows(service, a)] == ["case:disclose", "person:search"]


def test_the_token_is_minted_once_and_renewed_before_it_expires() -> None:
    tokens = ServiceToken("disclosure", secret=SECRET, issuer=ISSUER, ttl_seconds=300)
    first = tokens.get(now=1000.0)
    assert tokens.get(now=1000.0 + 200) == first
    renewed = tokens.get(now=1000.0 + 250)  # within a minute of expiry
    assert renewed != first
    assert (
        jwt.decode(renewed, SECRET, algorithms=["HS256"], issuer=ISSUER, options={"verify_exp": False})["exp"] == 1550
    )


def _client(handler: Any) -> InternalClient:
    settings = TracsSettings(jwt_secret=SECRET, jwt_issuer=ISSUER)
    return InternalClient(
        caller="disclosure",
        target="cases",
        base_url="http://cases.test",
        settings=settings,
        transport=httpx.MockTransport(handler),
    )


async def test_a_call_carries_the_identity_the_correlation_id_and_the_user_it_serves() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = _client(handler)
    bind_correlation_id("cid-123")
    r = await client.get("/internal/v1/people", params={"name": "x", "fin": None}, on_behalf_of="ana")
    await client.aclose()
    assert r.json() == {"ok": True}
    (request,) = seen
    assert str(request.url) == "http://cases.test/internal/v1/people?name=x"
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert verify_token(token, secret=SECRET, issuer=ISSUER).service == "disclosure"
    assert request.headers[CORRELATION_HEADER] == "cid-123"
    assert request.headers[ON_BEHALF_HEADER] == "ana"


@pytest.mark.parametrize("failure", ["down", "500", "403"])
async def test_a_target_down_or_failing_is_unavailable_naming_it(failure: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if failure == "down":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(int(failure), json={})

    client = _client(handler)
    with pytest.raises(Unavailable, match="cases is unavailable; try again") as caught:
        await client.get("/internal/v1/cases/x/disclosure", on_behalf_of="ana")
    await client.aclose()
    assert caught.value.status_code == 503 and caught.value.details == {"service": "cases"}


def _app(entries: list[Entry]) -> FastAPI:
    app = FastAPI()
    app.state.settings = TracsSettings(jwt_secret=SECRET, jwt_issuer=ISSUER)

    async def ready() -> dict[str, bool]:
        return {}

    async def audit(batch: list[Entry]) -> None:
        entries.extend(batch)

    install_common(app, readiness=ready, audit=audit)
    router = APIRouter(prefix="/internal/v1")

    @router.get("/cases/{case_id}/disclosure", **secured("case:disclose"))
    async def view(case_id: str, request: Request) -> dict[str, Any]:
        return {"case_id": case_id, "scope": sorted(policy.visible_programs() or ())}

    app.include_router(router)
    return app


def test_an_internal_route_answers_a_service_audited_with_its_user_and_refuses_a_person() -> None:
    entries: list[Entry] = []
    client = TestClient(_app(entries))
    service = issue_service_token("disclosure", secret=SECRET, issuer=ISSUER)
    ok = client.get(
        "/internal/v1/cases/c1/disclosure", headers={"Authorization": f"Bearer {service}", ON_BEHALF_HEADER: "ana"}
    )
    assert ok.status_code == 200 and ok.json() == {"case_id": "c1", "scope": []}
    person = issue_token(
        Principal("ana", frozenset({"analyst", "supervisor"}), frozenset({"M5"})), secret=SECRET, issuer=ISSUER,
        ttl_seconds=60,
    )  # fmt: skip
    refused = client.get("/internal/v1/cases/c1/disclosure", headers={"Authorization": f"Bearer {person}"})
    assert refused.status_code == 403 and "case:disclose" in refused.json()["detail"]
    anonymous = client.get("/internal/v1/cases/c1/disclosure")
    assert anonymous.status_code == 401
    assert [(e.actor, e.outcome, e.record_id, e.detail) for e in entries] == [
        ("service:disclosure", "allowed", "c1", "on behalf of ana"),
        ("ana", "denied", "c1", None),
        ("anonymous", "denied", None, None),
    ]


def test_an_internal_route_without_an_action_stops_the_service() -> None:
    app = FastAPI()

    @app.get("/internal/v1/open")
    async def open_route() -> None:
        return None

    assert unsecured_routes(app) == ["GET /internal/v1/open"]
