"""Login lockout policy and the development users."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
    assert roles == {"admin", "analyst", "supervisor", "auditor", "privacy-officer"}
    assert domain.DEV_USERS["analyst"][1] >= domain.CASE_PROGRAMS


def _trained(on: date | None, clearance_until: date | None = None) -> domain.Account:
    return domain.Account("ana", frozenset({"analyst"}), frozenset({"M5"}), 0, None, on, clearance_until)


def test_training_keeps_access_for_a_year_and_lapses_on_the_anniversary_in_a_leap_year() -> None:
    # 2024 is a leap year: 365 days after 2023-03-01 is 2024-02-29, not 2024-03-01.
    assert domain.training_lapses_on(date(2023, 3, 1), valid_days=365) == date(2024, 2, 29)
    trained = _trained(date(2023, 3, 1))
    assert domain.access_refusal(trained, today=date(2024, 2, 28), valid_days=365) is None
    refusal = domain.access_refusal(trained, today=date(2024, 2, 29), valid_days=365)
    assert refusal is not None and "privacy training" in refusal and "2024-02-29" in refusal


def test_no_recorded_training_is_refused_and_an_expired_clearance_too() -> None:
    assert "no privacy training" in (
        domain.access_refusal(_trained(None), today=date(2026, 1, 1), valid_days=365) or ""
    )
    expired = _trained(date(2025, 12, 1), clearance_until=date(2026, 1, 1))
    assert domain.access_refusal(expired, today=date(2025, 12, 31), valid_days=365) is None
    assert "clearance expired on 2026-01-01" in (
        domain.access_refusal(expired, today=date(2026, 1, 1), valid_days=365) or ""
    )


def test_a_role_change_is_described_by_names_and_no_change_is_none() -> None:
    before = {"roles": ["analyst"], "programs": ["M5"]}
    assert domain.role_change(before, {"analyst"}, None) is None
    assert domain.role_change(before, {"analyst", "supervisor"}, {"M5", "PCSC"}) == (
        "roles analyst -> analyst,supervisor; programs M5 -> M5,PCSC"
    )
