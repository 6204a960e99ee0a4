"""Gateway rules: development users, passwords (argon2), the login lockout, and access that lapses with training."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth import PROGRAMS, ROLES, Principal
from shared.errors import Invalid

CASE_PROGRAMS = frozenset({"UK-VISA", "M5", "PCSC", "KST"})

# The development logins README promises; every one has the password TRACS_DEV_PASSWORD.
DEV_USERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "admin": (frozenset({"admin"}), frozenset()),
    "analyst": (frozenset({"analyst"}), PROGRAMS),
    "supervisor": (frozenset({"supervisor"}), PROGRAMS),
    "auditor": (frozenset({"auditor"}), PROGRAMS),
    "privacy": (frozenset({"privacy-officer"}), frozenset()),
}


@dataclass
class Account:
    username: str
    roles: frozenset[str]
    programs: frozenset[str]
    failed_attempts: int
    locked_until: datetime | None
    training_completed_on: date | None = None
    clearance_expires_on: date | None = None
    disabled: bool = False
    must_change_password: bool = False

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


MIN_PASSWORD_LENGTH = 12
MUST_CHANGE = "a new password must be set before signing in: the current one is temporary"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Only the argon2 hash of a password is stored."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """A wrong password and an unreadable hash are the same refusal."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_user(username: str, roles: set[str], programs: set[str], password: str) -> None:
    """Refuse a login that could not be used or audited properly."""
    if not re.fullmatch(r"[a-z][a-z0-9._-]{1,63}", username):
        raise Invalid("a username is 2-64 lowercase letters, digits, dots, dashes or underscores")
    check_grant(roles, programs)
    check_password(password)


def check_password(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"{field}: a password needs at least {MIN_PASSWORD_LENGTH} characters")


def check_new_password(old: str, new: str) -> None:
    """A new password replaces a temporary or old one: long enough, and not the same."""
    check_password(new, field="new_password")
    if new == old:
        raise Invalid("new_password: choose a password other than the current one")


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}")


def check_contact(full_name: str | None, email: str | None) -> None:
    """A colleague's name and work address (where notifications are mailed): short, one line, an address."""
    if full_name is not None and (len(full_name) > 200 or any(c in full_name for c in "\r\n")):
        raise Invalid("full_name: one line of at most 200 characters")
    if email is not None and email != "" and not _EMAIL.fullmatch(email):
        raise Invalid(f"email: {email[:100]!r} is not an e-mail address")


def lock_state(account: Account, now: datetime) -> str:
    """What the admin page says of a login: disabled, locked (until a time), or active."""
    if account.disabled:
        return "disabled"
    if account.is_locked(now):
        return "locked"
    return "active"


def check_grant(roles: set[str], programs: set[str]) -> None:
    """Roles and programs the policy knows; at least one role."""
    if not roles or not roles <= ROLES:
        raise Invalid(f"roles must be one or more of {', '.join(sorted(ROLES))}")
    if not programs <= PROGRAMS:
        raise Invalid(f"programs must be among {', '.join(sorted(PROGRAMS))}")


def training_lapses_on(completed_on: date | None, *, valid_days: int) -> date | None:
    """The first day access is refused: `valid_days` after the last annual privacy training (PIA 8.2)."""
    return None if completed_on is None else completed_on + timedelta(days=valid_days)


def access_refusal(account: Account, *, today: date, valid_days: int) -> str | None:
    """Why a correct password (or a valid token) still may not open a session; None when access stands.

    PIA 8.2: "All system users must complete annual refresher training to retain system access"; 8.3:
    users "must hold a security clearance" (enforced when its expiry is recorded).
    """
    if account.disabled:
        return "this account is disabled by an administrator: ask an administrator to enable it"
    lapses = training_lapses_on(account.training_completed_on, valid_days=valid_days)
    if lapses is None:
        return "no privacy training is recorded for this account: complete the annual privacy training first"
    if today >= lapses:
        return (
            f"privacy training completed {account.training_completed_on.isoformat()} lapsed on "  # type: ignore[union-attr]
            f"{lapses.isoformat()}: complete the annual privacy training to keep access"
        )
    if account.clearance_expires_on is not None and today >= account.clearance_expires_on:
        return f"the security clearance expired on {account.clearance_expires_on.isoformat()}"
    return None


def check_access_dates(training_completed_on: date | None, clearance_granted_on: date | None, *, today: date) -> None:
    """Training and clearance are recorded once they happened, never ahead of time."""
    for name, value in (
        ("training_completed_on", training_completed_on),
        ("clearance_granted_on", clearance_granted_on),
    ):
        if value is not None and value > today:
            raise Invalid(f"{name} {value.isoformat()} is in the future")


def role_change(before: dict, roles: set[str] | None, programs: set[str] | None) -> str | None:
    """The audit detail of a change of roles or programs (names only), or None when neither changes."""
    parts = []
    if roles is not None and sorted(roles) != sorted(before["roles"]):
        parts.append(f"roles {','.join(sorted(before['roles'])) or '-'} -> {','.join(sorted(roles))}")
    if programs is not None and sorted(programs) != sorted(before["programs"]):
        parts.append(f"programs {','.join(sorted(before['programs'])) or '-'} -> {','.join(sorted(programs)) or '-'}")
    return "; ".join(parts) or None
