"""Settings from the environment, per-service overrides, refusal of placeholder secrets; token checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.cases.settings import Settings as CasesSettings
from services.intake.settings import Settings as IntakeSettings
from shared.auth import InvalidToken, Principal, issue_token, verify_token
from shared.settings import TracsSettings

SECRET = "s" * 40


def test_a_per_service_variable_beats_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACS_KAFKA_BOOTSTRAP", "shared:9092")
    monkeypatch.setenv("TRACS_CASES_KAFKA_BOOTSTRAP", "cases-only:9092")
    monkeypatch.setenv("TRACS_CASES_PORT", "9999")
    assert CasesSettings().kafka_bootstrap == "cases-only:9092"
    assert CasesSettings().port == 9999
    assert IntakeSettings().kafka_bootstrap == "shared:9092"
    assert IntakeSettings().port == 8101


def test_each_service_gets_its_own_database_on_the_shared_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACS_DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/postgres")
    assert CasesSettings().service_database_url == "postgresql+asyncpg://u:p@db:5432/tracs_cases"
    monkeypatch.setenv("TRACS_CASES_OWN_DATABASE_URL", "postgresql+asyncpg://u:p@other:5432/cases")
    assert CasesSettings().service_database_url == "postgresql+asyncpg://u:p@other:5432/cases"


def test_production_refuses_a_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="TRACS_JWT_SECRET"):
        TracsSettings(environment="production")
    assert TracsSettings(environment="production", jwt_secret=SECRET).jwt_secret == SECRET


def test_a_token_carries_roles_and_programs() -> None:
    token = issue_token(
        Principal("ana", frozenset({"analyst"}), frozenset({"M5"})), secret=SECRET, issuer="gw", ttl_seconds=60
    )
    p = verify_token(token, secret=SECRET, issuer="gw")
    assert (p.username, p.roles, p.programs) == ("ana", frozenset({"analyst"}), frozenset({"M5"}))


@pytest.mark.parametrize(
    ("secret", "issuer", "issued_at"),
    [("o" * 40, "gw", None), (SECRET, "someone-else", None), (SECRET, "gw", 1_000_000)],
    ids=["forged", "wrong-issuer", "expired"],
)
def test_forged_foreign_or_expired_tokens_are_refused(secret: str, issuer: str, issued_at: float | None) -> None:
    token = issue_token(Principal("ana"), secret=secret, issuer=issuer, ttl_seconds=60, now=issued_at)
    with pytest.raises(InvalidToken):
        verify_token(token, secret=SECRET, issuer="gw")


def test_during_a_rotation_a_token_of_the_previous_key_verifies_and_one_of_an_unknown_key_does_not() -> None:
    old, unknown = "o" * 40, "u" * 40
    by_old = issue_token(Principal("ana"), secret=old, issuer="gw", ttl_seconds=60)
    assert verify_token(by_old, secret=SECRET, issuer="gw", previous_secret=old).username == "ana"
    with pytest.raises(InvalidToken):
        verify_token(by_old, secret=SECRET, issuer="gw")  # rotation over: the previous key is gone
    by_unknown = issue_token(Principal("ana"), secret=unknown, issuer="gw", ttl_seconds=60)
    with pytest.raises(InvalidToken):
        verify_token(by_unknown, secret=SECRET, issuer="gw", previous_secret=old)
    expired = issue_token(Principal("ana"), secret=old, issuer="gw", ttl_seconds=60, now=1_000_000)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(expired, secret=SECRET, issuer="gw", previous_secret=old)


def test_the_previous_key_must_differ_from_the_current_one_and_be_real_in_production() -> None:
    with pytest.raises(ValidationError, match="TRACS_JWT_PREVIOUS_SECRET"):
        TracsSettings(jwt_secret=SECRET, jwt_previous_secret=SECRET)
    with pytest.raises(ValidationError, match="TRACS_JWT_PREVIOUS_SECRET"):
        TracsSettings(environment="production", jwt_secret=SECRET, jwt_previous_secret="changeme")
    assert TracsSettings(environment="production", jwt_secret=SECRET, jwt_previous_secret="p" * 40).jwt_previous_secret


def _rsa_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_an_identity_providers_token_is_verified_with_its_configured_key() -> None:
    import time

    import jwt

    from shared.auth import OidcConfig, verify_any

    private, public = _rsa_pair()
    other_private, _ = _rsa_pair()
    config = OidcConfig(public_key=public, issuer="https://idp.example", audience="tracs")
    claims = {
        "sub": "4f1c",
        "preferred_username": "okafor",
        "roles": ["analyst", "superuser"],
        "programs": ["M5", "MOON"],
        "iss": "https://idp.example",
        "aud": "tracs",
        "exp": int(time.time()) + 300,
    }
    good = jwt.encode(claims, private, algorithm="RS256")
    p = verify_any(good, secret=SECRET, issuer="gw", oidc=config)
    assert p == Principal("okafor", frozenset({"analyst"}), frozenset({"M5"}))  # unknown roles dropped
    for bad, why in (
        (jwt.encode(claims, other_private, algorithm="RS256"), "Signature"),
        (jwt.encode({**claims, "aud": "other"}, private, algorithm="RS256"), "(?i)audience"),
        (jwt.encode({**claims, "iss": "https://evil"}, private, algorithm="RS256"), "(?i)issuer"),
        (jwt.encode({**claims, "exp": int(time.time()) - 10}, private, algorithm="RS256"), "(?i)expired"),
    ):
        with pytest.raises(InvalidToken, match=why):
            verify_any(bad, secret=SECRET, issuer="gw", oidc=config)
    with pytest.raises(InvalidToken, match="not accepted"):
        verify_any(good, secret=SECRET, issuer="gw", oidc=None)
    local = issue_token(Principal("ana"), secret=SECRET, issuer="gw", ttl_seconds=60)
    assert verify_any(local, secret=SECRET, issuer="gw", oidc=config).username == "ana"
    with pytest.raises(InvalidToken, match="local logins are switched off"):
        verify_any(local, secret=SECRET, issuer="gw", oidc=config, local=False)
