"""Account rules against an in-memory user store: a new login is checked, hashed and never overwrites one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.gateway import accounts, domain
from shared import audit
from shared.errors import Conflict, Invalid, NotFound
from tests.unit.fakes import FakeUnitOfWork

PASSWORD = "correct horse battery"


class FakeAccountQueries:
    """services.gateway.db.accounts in memory (a password hash is never read back)."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.trail: list[audit.Entry] = []

    async def user(self, session: Any, username: str) -> dict[str, Any] | None:
        row = self.users.get(username)
        return None if row is None else {k: v for k, v in row.items() if k != "password_hash"}

    async def list_users(self, session: Any) -> list[dict[str, Any]]:
        return [await self.user(session, name) for name in sorted(self.users)]  # type: ignore[misc]

    async def upsert_user(self, session: Any, row: dict[str, Any]) -> None:
        self.users[row["username"]] = {**self.users.get(row["username"], {}), **row}

    async def update_user(self, session: Any, username: str, *, updated_by: str, **values: Any) -> None:
        self.users[username].update(values, updated_by=updated_by)

    async def record(self, session: Any, entries: list[audit.Entry]) -> None:
        self.trail += entries


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


async def test_a_new_login_is_trained_the_day_it_is_created_unless_a_date_is_given(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    assert store.users["maria.k"]["training_completed_on"] == datetime.now(UTC).date()
    await accounts.create_user(
        uow=FakeUnitOfWork(actor="admin"),
        username="old.hand",
        password=PASSWORD,
        roles={"analyst"},
        programs=set(),
        training_completed_on=date(2026, 1, 5),
    )
    assert store.users["old.hand"]["training_completed_on"] == date(2026, 1, 5)
    with pytest.raises(Invalid, match=r"training_completed_on .* is in the future"):
        await accounts.create_user(
            uow=FakeUnitOfWork(actor="admin"),
            username="future",
            password=PASSWORD,
            roles={"analyst"},
            programs=set(),
            training_completed_on=datetime.now(UTC).date() + timedelta(days=2),
        )


async def test_a_role_change_needs_an_approver_other_than_its_maker_and_is_audited_with_them(
    store: FakeAccountQueries,
) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    await _create(FakeUnitOfWork(actor="admin"), username="chief.s")
    change = {"roles": ["analyst", "supervisor", "auditor"]}
    with pytest.raises(Invalid, match="approved_by"):
        await accounts.update_user(uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes=change)
    with pytest.raises(Invalid, match="someone other than its maker"):
        await accounts.update_user(
            uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes=change, approved_by="admin"
        )
    with pytest.raises(Invalid, match="'nobody' is not a user"):
        await accounts.update_user(
            uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes=change, approved_by="nobody"
        )
    assert store.users["maria.k"]["roles"] == ["analyst", "supervisor"] and store.trail == []
    await accounts.update_user(
        uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes=change, approved_by="chief.s"
    )
    assert store.users["maria.k"]["roles"] == ["analyst", "auditor", "supervisor"]
    [entry] = store.trail
    assert (entry.actor, entry.action, entry.record_id) == ("admin", "user:change", "maria.k")
    assert entry.detail == "roles analyst,supervisor -> analyst,auditor,supervisor; approved by chief.s"


async def test_training_is_recorded_without_an_approver_and_an_unknown_user_is_404(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    await accounts.update_user(
        uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes={"training_completed_on": date(2026, 2, 1)}
    )
    assert store.users["maria.k"]["training_completed_on"] == date(2026, 2, 1)
    assert store.trail[0].detail == "training_completed_on 2026-02-01"
    with pytest.raises(NotFound):
        await accounts.update_user(uow=FakeUnitOfWork(), username="ghost", changes={"roles": ["analyst"]})


async def test_the_lapsing_list_names_who_loses_access_within_the_period_soonest_first(
    store: FakeAccountQueries,
) -> None:
    today = datetime.now(UTC).date()
    for name, days_ago in (("fresh", 10), ("soon", 350), ("gone", 400)):
        await _create(FakeUnitOfWork(actor="admin"), username=name)
        store.users[name]["training_completed_on"] = today - timedelta(days=days_ago)
    listed = await accounts.lapsing(uow=FakeUnitOfWork(), within_days=30, valid_days=365)
    assert [(u["username"], u["lapsed"]) for u in listed] == [("gone", True), ("soon", False)]
    assert listed[1]["training_lapses_on"] == today + timedelta(days=15)


async def test_cases_hears_who_may_be_given_work_as_training_lapses_and_is_renewed(store: FakeAccountQueries) -> None:
    """Assignees are active users (issue 27): a lapsed training or an expired clearance makes a login inactive
    for cases' staff projection, on the daily pass and when the dates are recorded."""
    today = datetime.now(UTC).date()
    for name in ("fresh", "lapsed", "expired"):
        await _create(FakeUnitOfWork(actor="admin"), username=name)
    store.users["lapsed"]["training_completed_on"] = today - timedelta(days=400)
    store.users["expired"]["clearance_expires_on"] = today - timedelta(days=1)
    uow = FakeUnitOfWork(actor="staff-schedule")
    assert await accounts.announce_activity(uow=uow, today=today, valid_days=365) == 3
    assert {e.username: e.active for e in uow.events} == {"fresh": True, "lapsed": False, "expired": False}
    assert all("password" not in e.model_dump_json() for e in uow.events)

    renewed = FakeUnitOfWork(actor="admin")
    await accounts.update_user(uow=renewed, username="lapsed", changes={"training_completed_on": today})
    assert [(e.username, e.active) for e in renewed.events] == [("lapsed", True)]
    backdated = FakeUnitOfWork(actor="admin")
    await accounts.create_user(
        uow=backdated, username="old.hand", password=PASSWORD, roles={"analyst"}, programs={"M5"},
        training_completed_on=today - timedelta(days=500),
    )  # fmt: skip
    assert [(e.username, e.active) for e in backdated.events] == [("old.hand", False)]


async def test_disabling_a_login_is_audited_announced_inactive_and_refused_twice(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    uow = FakeUnitOfWork(actor="admin")
    row = await accounts.set_enabled(uow=uow, username="maria.k", enabled=False, reason="left the unit")
    assert row["disabled_by"] == "admin" and row["disabled_at"] is not None
    [staff] = uow.events
    assert (staff.username, staff.active) == ("maria.k", False)  # cases takes her out of the assignee picker
    assert [(e.action, e.record_id, e.detail) for e in store.trail[-1:]] == [
        ("user:disable", "maria.k", "left the unit")
    ]
    with pytest.raises(Conflict, match="already disabled"):
        await accounts.set_enabled(uow=FakeUnitOfWork(actor="admin"), username="maria.k", enabled=False)
    uow = FakeUnitOfWork(actor="admin")
    row = await accounts.set_enabled(uow=uow, username="maria.k", enabled=True)
    assert row["disabled_at"] is None and [e.active for e in uow.events] == [True]


async def test_an_admin_never_disables_their_own_login(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork(actor="admin"), username="admin")
    with pytest.raises(Invalid, match="your own login"):
        await accounts.set_enabled(uow=FakeUnitOfWork(actor="admin"), username="admin", enabled=False)


async def test_unlock_lifts_a_lockout_and_is_refused_when_there_is_none(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    with pytest.raises(Conflict, match="not locked"):
        await accounts.unlock(uow=FakeUnitOfWork(actor="admin"), username="maria.k")
    store.users["maria.k"].update(failed_attempts=0, locked_until=datetime.now(UTC) + timedelta(minutes=10))
    row = await accounts.unlock(uow=FakeUnitOfWork(actor="admin"), username="maria.k")
    assert row["locked_until"] is None and row["failed_attempts"] == 0
    assert store.trail[-1].action == "user:unlock"


async def test_a_reset_sets_a_hashed_temporary_password_the_user_must_change(store: FakeAccountQueries) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    with pytest.raises(Invalid, match="temporary_password: a password needs at least 12"):
        await accounts.reset_password(uow=FakeUnitOfWork(actor="admin"), username="maria.k", temporary_password="short")
    await accounts.reset_password(
        uow=FakeUnitOfWork(actor="admin"), username="maria.k", temporary_password="temporary-123456"
    )
    row = store.users["maria.k"]
    assert row["must_change_password"] is True and domain.password_matches(row["password_hash"], "temporary-123456")
    entry = store.trail[-1]
    assert entry.action == "user:reset-password" and "temporary-123456" not in (entry.detail or "")
    with pytest.raises(NotFound):
        await accounts.reset_password(uow=FakeUnitOfWork(actor="admin"), username="nobody", temporary_password="x" * 12)


async def test_a_name_and_email_are_checked_and_named_in_the_trail_without_their_values(
    store: FakeAccountQueries,
) -> None:
    await _create(FakeUnitOfWork(actor="admin"))
    with pytest.raises(Invalid, match="not an e-mail address"):
        await accounts.update_user(uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes={"email": "maria"})
    changes = {"full_name": "Maria Kowalska", "email": "maria.k@tracs.example"}
    row = await accounts.update_user(uow=FakeUnitOfWork(actor="admin"), username="maria.k", changes=changes)
    assert row["email"] == "maria.k@tracs.example"
    detail = store.trail[-1].detail or ""
    assert "email changed" in detail and "Kowalska" not in detail and "tracs.example" not in detail
