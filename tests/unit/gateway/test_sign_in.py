"""Sign-in rules against an in-memory user store: the lockout, and a trail entry for every attempt."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.gateway import domain, sign_in
from shared import audit
from shared.auth import Principal
from shared.errors import Forbidden, Invalid, Unauthorized
from tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


class FakeSignInQueries:
    """services.gateway.db.sign_in in memory."""

    def __init__(self, users: dict[str, dict[str, Any]]) -> None:
        self.users = users
        self.trail: list[audit.Entry] = []

    async def account(self, session: Any, username: str) -> dict[str, Any] | None:
        return self.users.get(username)

    async def update_account(self, session: Any, username: str, *, updated_by: str, **values: Any) -> None:
        self.users[username].update(values, updated_by=updated_by)

    async def record(self, session: Any, entries: list[audit.Entry]) -> None:
        self.trail += entries


@pytest.fixture(scope="module")
def password_hash() -> str:
    return domain.hash_password(PASSWORD)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, password_hash: str) -> FakeSignInQueries:
    maria = {
        "username": "maria.k",
        "password_hash": password_hash,
        "roles": ["analyst"],
        "programs": ["PCSC"],
        "failed_attempts": 0,
        "locked_until": None,
        "training_completed_on": NOW.date() - timedelta(days=30),
    }
    fake = FakeSignInQueries({"maria.k": maria})
    monkeypatch.setattr(sign_in, "queries", fake)
    return fake


async def _sign_in(uow: FakeUnitOfWork, username: str, password: str) -> Any:
    return await sign_in.authenticate(
        uow=uow, username=username, password=password, threshold=3, lock_minutes=15, client="10.0.0.9", now=NOW
    )


async def test_the_right_password_signs_in_resets_the_counter_and_is_audited_as_allowed(
    store: FakeSignInQueries,
) -> None:
    store.users["maria.k"]["failed_attempts"] = 2
    principal = await _sign_in(FakeUnitOfWork(), "maria.k", PASSWORD)
    assert principal.username == "maria.k" and principal.roles == frozenset({"analyst"})
    assert principal.programs == frozenset({"PCSC"})
    row = store.users["maria.k"]
    assert row["failed_attempts"] == 0 and row["last_login_at"] == NOW and row["updated_by"] == "login"
    [entry] = store.trail
    assert (entry.actor, entry.outcome, entry.detail, entry.client) == ("maria.k", "allowed", None, "10.0.0.9")


async def test_a_wrong_password_is_refused_counted_and_the_count_commits(store: FakeSignInQueries) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(Unauthorized):
        await _sign_in(uow, "maria.k", "not the password")
    assert store.users["maria.k"]["failed_attempts"] == 1 and store.users["maria.k"]["locked_until"] is None
    assert uow.committed == 1  # the refusal is raised after the counter and its entry committed
    assert [(e.outcome, e.detail) for e in store.trail] == [("denied", "bad password")]


async def test_the_threshold_th_wrong_password_locks_and_then_even_the_right_one_is_refused(
    store: FakeSignInQueries,
) -> None:
    store.users["maria.k"]["failed_attempts"] = 2
    with pytest.raises(Unauthorized):
        await _sign_in(FakeUnitOfWork(), "maria.k", "not the password")
    assert store.users["maria.k"]["locked_until"] == NOW + timedelta(minutes=15)
    with pytest.raises(Unauthorized):
        await _sign_in(FakeUnitOfWork(), "maria.k", PASSWORD)
    assert [e.detail for e in store.trail] == ["bad password, now locked", "locked"]
    assert "last_login_at" not in store.users["maria.k"]


async def test_an_unknown_user_is_refused_and_audited_without_naming_the_typed_name(
    store: FakeSignInQueries,
) -> None:
    with pytest.raises(Unauthorized):
        await _sign_in(FakeUnitOfWork(), "maria.k correct horse", PASSWORD)
    [entry] = store.trail
    assert (entry.actor, entry.record_id, entry.outcome, entry.detail) == ("unknown", None, "denied", "unknown user")


def test_a_provider_refusal_records_its_kind_only_and_unknown_kinds_are_refused() -> None:
    entry = sign_in.provider_sign_in_entry(username=None, refused="no role")
    assert (entry.actor, entry.outcome, entry.detail) == ("unknown", "denied", "identity provider: no role")
    with pytest.raises(ValueError, match="not a kind"):
        sign_in.provider_sign_in_entry(username=None, refused="the provider said: maria.k@example.org")


async def test_a_right_password_with_lapsed_training_is_refused_naming_training_and_audited(
    store: FakeSignInQueries,
) -> None:
    store.users["maria.k"]["training_completed_on"] = NOW.date() - timedelta(days=365)
    uow = FakeUnitOfWork()
    with pytest.raises(Forbidden, match=r"privacy training completed 2025-11-24 lapsed on 2026-11-24"):
        await _sign_in(uow, "maria.k", PASSWORD)
    [entry] = store.trail
    assert (entry.outcome, entry.detail) == ("denied", "training lapsed")
    assert uow.committed == 1 and store.users["maria.k"].get("last_login_at") is None


async def test_training_a_day_short_of_a_year_still_signs_in(store: FakeSignInQueries) -> None:
    store.users["maria.k"]["training_completed_on"] = NOW.date() - timedelta(days=364)
    account = await _sign_in(FakeUnitOfWork(), "maria.k", PASSWORD)
    assert account.username == "maria.k"


async def test_a_wrong_password_of_a_lapsed_user_says_nothing_about_training(store: FakeSignInQueries) -> None:
    store.users["maria.k"]["training_completed_on"] = date(2020, 1, 1)
    with pytest.raises(Unauthorized, match="incorrect username or password"):
        await _sign_in(FakeUnitOfWork(), "maria.k", "not the password")


async def test_refresh_takes_the_stored_roles_and_is_refused_once_training_lapsed(store: FakeSignInQueries) -> None:
    store.users["maria.k"]["training_completed_on"] = NOW.date() - timedelta(days=10)
    store.users["maria.k"]["roles"] = ["analyst", "supervisor"]
    token_holder = Principal("maria.k", frozenset({"analyst"}), frozenset({"PCSC"}))
    account = await sign_in.refresh(uow=FakeUnitOfWork(), principal=token_holder, training_valid_days=365, now=NOW)
    assert account.principal().roles == frozenset({"analyst", "supervisor"})
    later = NOW + timedelta(days=355)
    with pytest.raises(Forbidden, match=r"privacy training .* lapsed"):
        await sign_in.refresh(uow=FakeUnitOfWork(), principal=token_holder, training_valid_days=365, now=later)
    with pytest.raises(Forbidden, match="not a local login"):
        await sign_in.refresh(uow=FakeUnitOfWork(), principal=Principal("idp.user"), training_valid_days=365, now=NOW)


async def test_a_right_password_of_a_disabled_login_is_refused_naming_why_and_audited(
    store: FakeSignInQueries,
) -> None:
    store.users["maria.k"]["disabled_at"] = NOW - timedelta(days=1)
    uow = FakeUnitOfWork()
    with pytest.raises(Forbidden, match="disabled by an administrator"):
        await _sign_in(uow, "maria.k", PASSWORD)
    assert [(e.outcome, e.detail) for e in store.trail] == [("denied", "disabled")]
    with pytest.raises(Unauthorized):  # a wrong password learns nothing about the account's state
        await _sign_in(FakeUnitOfWork(), "maria.k", "not the password")


async def test_a_disabled_login_cannot_refresh(store: FakeSignInQueries) -> None:
    store.users["maria.k"]["disabled_at"] = NOW
    with pytest.raises(Forbidden, match="disabled"):
        await sign_in.refresh(
            uow=FakeUnitOfWork(),
            principal=Principal("maria.k", frozenset({"analyst"})),
            training_valid_days=365,
            now=NOW,
        )


async def test_a_temporary_password_signs_in_only_after_it_is_replaced(store: FakeSignInQueries) -> None:
    store.users["maria.k"]["must_change_password"] = True
    with pytest.raises(Forbidden, match="temporary") as refused:
        await _sign_in(FakeUnitOfWork(), "maria.k", PASSWORD)
    assert refused.value.details == {"must_change_password": True}
    with pytest.raises(Invalid, match="other than the current one"):
        await sign_in.authenticate(
            uow=FakeUnitOfWork(), username="maria.k", password=PASSWORD, new_password=PASSWORD,
            threshold=3, lock_minutes=15, now=NOW,
        )  # fmt: skip
    new = "my own password at last"
    account = await sign_in.authenticate(
        uow=FakeUnitOfWork(), username="maria.k", password=PASSWORD, new_password=new,
        threshold=3, lock_minutes=15, now=NOW,
    )  # fmt: skip
    row = store.users["maria.k"]
    assert account.username == "maria.k" and row["must_change_password"] is False
    assert domain.password_matches(row["password_hash"], new) and not domain.password_matches(
        row["password_hash"], PASSWORD
    )
    assert [e.detail for e in store.trail] == ["temporary password", "password changed"]


async def test_a_wrong_current_password_on_a_change_counts_toward_the_lockout(store: FakeSignInQueries) -> None:
    with pytest.raises(Unauthorized):
        await sign_in.authenticate(
            uow=FakeUnitOfWork(), username="maria.k", password="wrong", new_password="a brand new password",
            threshold=3, lock_minutes=15, now=NOW,
        )  # fmt: skip
    assert store.users["maria.k"]["failed_attempts"] == 1
