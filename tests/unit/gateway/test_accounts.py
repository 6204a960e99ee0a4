"""Account rules against an in-memory user store: a new login is checked, hashed and never overwrites one."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway import accounts, domain
from shared.errors import Conflict, Invalid
from tests.unit.fakes import FakeUnitOfWork

PASSWORD = "correct horse battery"


class FakeAccountQueries:
    """services.gateway.db.accounts in memory (a password hash is never read back)."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}

    async def user(self, session: Any, username: str) -> dict[str, Any] | None:
        row = self.users.get(username)
        return None if row is None else {k: v for k, v in row.items() if k != "password_hash"}

    async def list_users(self, session: Any) -> list[dict[str, Any]]:
        return [await self.user(session, name) for name in sorted(self.users)]  # type: ignore[misc]

    async def upsert_user(self, session: Any, row: dict[str, Any]) -> None:
        self.users[row["username"]] = {**self.users.get(row["username"], {}), **row}


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FakeAccountQueries:
    fake = FakeAccountQueries()
    monkeypatch.setattr(accounts, "queries", fake)
    return fake


async def _create(uow: FakeUnitOfWork, username: str = "maria.k", password: str = PASSWORD) -> dict[str, Any]:
    return await accounts.create_user(
        uow=uow, username=username, password=password, roles={"supervisor", "analyst"}, programs={"PCSC", "M5"}
    )


async def test_a_new_login_is_stored_hashed_sorted_and_by_whom(store: FakeAccountQueries) -> None:
    created = await _create(FakeUnitOfWork(actor="admin"))
    row = store.users["maria.k"]
    assert row["password_hash"] != PASSWORD and domain.password_matches(row["password_hash"], PASSWORD)
    assert row["roles"] == ["analyst", "supervisor"] and row["programs"] == ["M5", "PCSC"]
    assert row["updated_by"] == "admin"
    assert "password_hash" not in created and created["username"] == "maria.k"


async def test_an_existing_name_is_refused_not_overwritten(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork())
    before = dict(store.users["maria.k"])
    uow = FakeUnitOfWork()
    with pytest.raises(Conflict, match="already exists"):
        await _create(uow, password="another long password")
    assert store.users["maria.k"] == before and uow.rolled_back == 1


async def test_a_login_that_could_not_be_used_is_refused_before_any_write(store: FakeAccountQueries) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(Invalid, match="at least 12"):
        await _create(uow, password="short")
    assert store.users == {} and uow.committed == 0


async def test_development_logins_are_seeded_and_a_reseed_resets_their_password(store: FakeAccountQueries) -> None:
    await accounts.seed_dev_users(uow=FakeUnitOfWork(), password="first-password")
    await accounts.seed_dev_users(uow=FakeUnitOfWork(), password="second-password")
    assert sorted(store.users) == sorted(domain.DEV_USERS)
    assert domain.password_matches(store.users["analyst"]["password_hash"], "second-password")
    listed = await accounts.list_users(uow=FakeUnitOfWork())
    assert [u["username"] for u in listed] == sorted(domain.DEV_USERS)
