"""Sign-in use cases: a password login with its lockout, and the trail entry of a provider sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway import domain
from services.gateway.db import sign_in as queries
from shared import audit
from shared.auth import Principal
from shared.errors import Unauthorized
from shared.logging import current_correlation_id, get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
# Verifying against a dummy hash for unknown users keeps their timing like a wrong password's.
_DUMMY_HASH = domain.hash_password("not-a-real-password")


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
        row = await queries.account(uow.session, username)
        if row is None:
            domain.password_matches(_DUMMY_HASH, password)
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
            elif not domain.password_matches(row["password_hash"], password):
                failures, locked_until = domain.after_failure(
                    account, now=now, threshold=threshold, lock_minutes=lock_minutes
                )
                await queries.update_account(
                    uow.session, username, failed_attempts=failures, locked_until=locked_until, updated_by="login"
                )
                reason = "bad password, now locked" if locked_until is not None else "bad password"
            else:
                await queries.update_account(
                    uow.session, username, failed_attempts=0, locked_until=None, last_login_at=now, updated_by="login"
                )
        known = username if row is not None else None
        await queries.record(
            uow.session, [_login_entry(username=known, denied=bool(reason), client=client, detail=reason)]
        )
    if reason is not None or account is None:
        log.info("login refused", reason=reason)
        raise Unauthorized("incorrect username or password, or the account is locked")
    log.info("login", user=username)
    return account.principal()


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
    detail = f"identity provider: {refused}" if refused else "identity provider"
    return _login_entry(username=username, denied=bool(refused), client=client, detail=detail)


def _login_entry(*, username: str | None, denied: bool, client: str | None, detail: str | None) -> audit.Entry:
    """A sign-in names its user only once the user is known (an unknown name may be a mistyped password)."""
    return audit.Entry(
        actor=username[:64] if username else "unknown",
        action="login",
        record_type="user",
        record_id=username[:64] if username else None,
        outcome="denied" if denied else "allowed",
        correlation_id=current_correlation_id(),
        client=client,
        detail=detail,
    )
