"""Gateway rules: development users, passwords (argon2) and the login lockout policy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

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


MIN_PASSWORD_LENGTH = 12
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
    if not roles or not roles <= ROLES:
        raise Invalid(f"roles must be one or more of {', '.join(sorted(ROLES))}")
    if not programs <= PROGRAMS:
        raise Invalid(f"programs must be among {', '.join(sorted(PROGRAMS))}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
