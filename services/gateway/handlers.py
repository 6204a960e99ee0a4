"""Gateway use cases: log in, seed development users."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.gateway import db, domain
from shared.auth import Principal
from shared.errors import Conflict, Unauthorized
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown users keeps their timing like a wrong password's.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


async def authenticate(
    *,
    uow: UnitOfWork,
    username: str,
    password: str,
    threshold: int,
    lock_minutes: int,
    now: datetime | None = None,
) -> Principal:
    """Check a password; wrong ones count toward a lockout, and the caller learns nothing more."""
    now = now or datetime.now(UTC)
    refused = Unauthorized("incorrect username or password, or the account is locked")
    async with uow:
        row = await db.get_user(uow.session, username)
        if row is None:
            _verify(_DUMMY_HASH, password)
            log.info("login refused", reason="unknown user")
            raise refused
        account = domain.Account(
            username=row["username"],
            roles=frozenset(row["roles"]),
            programs=frozenset(row["programs"]),
            failed_attempts=row["failed_attempts"],
            locked_until=row["locked_until"],
        )
        if account.is_locked(now):
            log.info("login refused", reason="locked", user=username)
            raise refused
        if not _verify(row["password_hash"], password):
            failures, locked_until = domain.after_failure(
                account, now=now, threshold=threshold, lock_minutes=lock_minutes
            )
            await db.update_user(uow.session, username, failed_attempts=failures, locked_until=locked_until)
            log.info("login refused", reason="bad password", user=username, locked=locked_until is not None)
            failed = True
        else:
            await db.update_user(uow.session, username, failed_attempts=0, locked_until=None, last_login_at=now)
            failed = False
    if failed:
        raise refused
    log.info("login", user=username)
    return account.principal()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def seed_dev_users(*, uow: UnitOfWork, password: str) -> None:
    """Create (or reset) the development logins; only ever called in development."""
    async with uow:
        for username, (roles, programs) in domain.DEV_USERS.items():
            await db.upsert_user(
                uow.session,
                {
                    "username": username,
                    "password_hash": _hasher.hash(password),
                    "roles": sorted(roles),
                    "programs": sorted(programs),
                },
            )


async def create_user(*, uow: UnitOfWork, username: str, password: str, roles: set[str], programs: set[str]) -> None:
    """Add a login (operators, from `tracs users create`); an existing name is refused, not overwritten."""
    domain.check_new_user(username, roles, programs, password)
    async with uow:
        if await db.get_user(uow.session, username) is not None:
            raise Conflict(f"user {username!r} already exists")
        await db.upsert_user(
            uow.session,
            {
                "username": username,
                "password_hash": _hasher.hash(password),
                "roles": sorted(roles),
                "programs": sorted(programs),
            },
        )
    log.info("user created", user=username, roles=sorted(roles))
