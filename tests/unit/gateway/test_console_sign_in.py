"""Signing in to the console with an identity provider's token, and the cookie it leaves (no services needed:
the token is verified exactly as the services verify it, from configuration)."""

from __future__ import annotations

import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.gateway import console
from shared.settings import TracsSettings


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(serialization.Encoding.PEM, spki).decode()


def _idp_token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"iss": "https://idp.example", "aud": "tracs", "exp": now + 600, "preferred_username": "a.okafor",
            "roles": ["analyst"], "programs": ["M5"], **claims}  # fmt: skip
    return jwt.encode(body, key, algorithm="RS256")


@pytest.fixture
def idp() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture
def client(idp: rsa.RSAPrivateKey) -> TestClient:
    app = FastAPI()
    app.state.settings = TracsSettings(
        oidc_public_key=_pem(idp), oidc_issuer="https://idp.example", oidc_audience="tracs", local_logins=False
    )
    app.include_router(console.router)
    console.install(app)
    return TestClient(app, base_url="https://console.example", follow_redirects=False)


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    assert "Access token from the identity provider" in page.text
    assert 'id="password"' not in page.text  # local logins are off here
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found[1]


def test_an_identity_provider_token_signs_in_with_a_secure_httponly_strict_cookie(
    client: TestClient, idp: rsa.RSAPrivateKey
) -> None:
    r = client.post("/login/token", data={"csrf_token": _csrf(client), "token": _idp_token(idp), "next": "/cases"})
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    cookie = r.headers["set-cookie"].lower()
    assert "tracs_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


@pytest.mark.parametrize("forged", ["another key", "wrong audience", "expired"])
def test_a_token_the_services_would_refuse_does_not_sign_in(
    client: TestClient, idp: rsa.RSAPrivateKey, forged: str
) -> None:
    token = {
        "another key": _idp_token(_key()),
        "wrong audience": _idp_token(idp, aud="someone-else"),
        "expired": _idp_token(idp, exp=int(time.time()) - 60),
    }[forged]
    r = client.post("/login/token", data={"csrf_token": _csrf(client), "token": token})
    assert r.status_code == 401 and "tracs_session" not in r.headers.get("set-cookie", "")


def test_a_page_without_a_session_sends_the_browser_to_sign_in(client: TestClient) -> None:
    r = client.get("/cases")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fcases"
