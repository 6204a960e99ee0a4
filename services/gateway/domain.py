"""Gateway rules: development users and the login lockout policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.auth import PROGRAMS, Principal

CASE_PROGRAMS = frozenset({"UK-VISA", "M5", "PCSC", "KST"})

# The development logins README promises; every one has the password TRACS_DEV_PASSWORD.
DEV_USERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "admin": (frozenset({"admin"}), frozenset()),
    "analyst": (frozenset({"analyst"}), PROGRAMS),
    "supervisor": (frozenset({"supervisor"}), PROGRAMS),
    "auditor": (frozenset({"auditor"}), PROGRAMS),
}


@dataclass
class Account:
    username: str
    roles: frozenset[str]
    programs: frozenset[str]
    failed_attempts: int
    locked_until: datetime | None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def principal(self) -> Principal:
        return Principal(self.username, self.roles, self.programs)


def after_failure(account: Account, *, now: datetime, threshold: int, lock_minutes: int) -> tuple[int, datetime | None]:
    """Count a failed password; the threshold-th failure in a row locks the account for a while."""
    failures = account.failed_attempts + 1
    if failures >= threshold:
        return 0, now + timedelta(minutes=lock_minutes)
    return failures, account.locked_until
