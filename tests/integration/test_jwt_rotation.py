"""JWT key rotation against a real service (the gateway on a real PostgreSQL): tokens signed with the
previous key still pass until they expire; tokens signed with any other key do not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import jwt
import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.settings import Settings
from shared.auth import Principal, issue_token
from tests.infra import Infra

NEW, OLD, UNKNOWN = "n" * 40, "o" * 40, "u" * 40
AUDITOR = Principal("aud", frozenset({"auditor"}), frozenset())


@pytest.fixture
def gateway(empty_database: str, infra: Infra) -> Iterator[TestClient]:
    # The gateway keeps audit checkpoints from the broker; this test needs only its HTTP side.
    settings = Settings(
        own_database_url=empty_database,
        jwt_secret=NEW,
        jwt_previous_secret=OLD,
        kafka_bootstrap=infra.kafka_bootstrap,
        consumers_enabled=False,
        relay_enabled=False,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _get(client: TestClient, secret: str) -> int:
    token = issue_token(AUDITOR, secret=secret, issuer="tracs-gateway", ttl_seconds=300)
    return client.get("/audit", headers={"Authorization": f"Bearer {token}"}).status_code


def test_during_a_rotation_the_previous_key_still_verifies_and_an_unknown_one_does_not(gateway: TestClient) -> None:
    assert _get(gateway, NEW) == 200
    assert _get(gateway, OLD) == 200
    assert _get(gateway, UNKNOWN) == 401


def test_the_gateway_signs_new_tokens_with_the_current_key_only(gateway: TestClient, empty_database: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACS_")}
    env |= {"TRACS_GATEWAY_OWN_DATABASE_URL": empty_database, "TRACS_NEW_USER_PASSWORD": "rotation-test-pw"}
    created = subprocess.run(
        [sys.executable, "-m", "tracs.cli", "users", "create", "rot", "--role", "auditor"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    login = gateway.post("/api/v1/auth/token", data={"username": "rot", "password": "rotation-test-pw"})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    assert jwt.decode(token, NEW, algorithms=["HS256"], issuer="tracs-gateway")["sub"] == "rot"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, OLD, algorithms=["HS256"], issuer="tracs-gateway")
    assert gateway.get("/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200
