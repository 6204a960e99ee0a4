"""Gateway use cases: log in, seed development users."""

from __future__ import annotations

from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.gateway import db, domain
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, Unauthorized
from shared.logging import current_correlation_id, get_logger
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
    client: str | None = None,
    now: datetime | None = None,
) -> Principal:
    """Check a password; wrong ones count toward a lockout, and the caller learns nothing more.

    Every attempt, allowed or refused, is audited in the same transaction as the lockout counter.
    """
    now = now or datetime.now(UTC)
    reason: str | None = None
    account: domain.Account | None = None
    async with uow:
        row = await db.get_user(uow.session, username)
        if row is None:
            _verify(_DUMMY_HASH, password)
            reason = "unknown user"
        else:
            account = domain.Account(
                username=row["username"],
                roles=frozenset(row["roles"]),
                programs=frozenset(row["programs"]),
                failed_attempts=row["failed_attempts"],
                locked_until=row["locked_until"],
            )
            if account.is_locked(now):
                reason = "locked"
            elif not _verify(row["password_hash"], password):
                failures, locked_until = domain.after_failure(
                    account, now=now, threshold=threshold, lock_minutes=lock_minutes
                )
                await db.update_user(
                    uow.session, username, failed_attempts=failures, locked_until=locked_until, updated_by="login"
                )
                reason = "bad password, now locked" if locked_until is not None else "bad password"
            else:
                await db.update_user(
                    uow.session, username, failed_attempts=0, locked_until=None, last_login_at=now, updated_by="login"
                )
        entry = audit.Entry(
            actor=username[:64] if row is not None else "unknown",
            action="login",
            record_type="user",
            record_id=username[:64] if row is not None else None,
            outcome="denied" if reason else "allowed",
            correlation_id=current_correlation_id(),
            client=client,
            detail=reason,
        )
        await audit.append(uow.session, db.audit_trail, [entry])
    if reason is not None or account is None:
        log.info("login refused", reason=reason)
        raise Unauthorized("incorrect username or password, or the account is locked")
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
                "updated_by": uow.actor,
            },
        )
    log.info("user created", user=username, roles=sorted(roles))


PROVIDER_REFUSALS = frozenset(
    {"state mismatch", "provider error", "token endpoint failed", "token refused", "id token refused", "no role"}
)


def provider_sign_in_entry(
    *, username: str | None, refused: str | None = None, client: str | None = None
) -> audit.Entry:
    """A console sign-in through the identity provider, audited like a password login.

    The caller names the user only from a verified token; a refusal records its kind alone (never the
    provider's words, the code or an unverified claim, any of which may carry personal data).
    """
    if refused is not None and refused not in PROVIDER_REFUSALS:
        raise ValueError(f"not a kind of refused provider sign-in: {refused!r}")
    return audit.Entry(
        actor=username[:64] if username else "unknown",
        action="login",
        record_type="user",
        record_id=username[:64] if username else None,
        outcome="denied" if refused else "allowed",
        correlation_id=current_correlation_id(),
        client=client,
        detail=f"identity provider: {refused}" if refused else "identity provider",
    )
