"""Login lockout policy and the development users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.gateway import domain

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _account(failures: int = 0, locked_until: datetime | None = None) -> domain.Account:
    return domain.Account("ana", frozenset({"analyst"}), frozenset({"M5"}), failures, locked_until)


def test_the_threshold_th_failure_locks_the_account_for_a_while() -> None:
    assert domain.after_failure(_account(3), now=NOW, threshold=5, lock_minutes=15) == (4, None)
    failures, until = domain.after_failure(_account(4), now=NOW, threshold=5, lock_minutes=15)
    assert failures == 0 and until == NOW + timedelta(minutes=15)
    assert _account(0, until).is_locked(NOW + timedelta(minutes=14))
    assert not _account(0, until).is_locked(NOW + timedelta(minutes=16))


def test_development_logins_cover_every_role() -> None:
    roles = set().union(*(r for r, _ in domain.DEV_USERS.values()))
    assert roles == {"admin", "analyst", "supervisor", "auditor"}
    assert domain.DEV_USERS["analyst"][1] >= domain.CASE_PROGRAMS
