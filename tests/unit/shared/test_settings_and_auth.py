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
