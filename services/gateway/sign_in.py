"""Sign-in use cases: a password login with its lockout, and the trail entry of a provider sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.gateway import domain
from services.gateway.db import sign_in as queries
from shared import audit
from shared.auth import Principal
from shared.errors import Forbidden, Unauthorized
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
    training_valid_days: int = 365,
    client: str | None = None,
    now: datetime | None = None,
    new_password: str | None = None,
) -> domain.Account:
    """Check a password; wrong ones count toward a lockout, and the caller learns nothing more.

    A right password of a user whose privacy training has lapsed, whose account is disabled or whose password
    is a temporary one an admin set is refused naming why (only someone who knows the password learns it).
    With `new_password` the right password is replaced (a temporary one must be). Every attempt is audited in
    the same transaction as the counter.
    """
    now = now or datetime.now(UTC)
    reason: str | None = None
    lapsed: str | None = None
    changed = False
    account: domain.Account | None = None
    async with uow:
        row = await queries.account(uow.session, username)
        if row is None:
            domain.password_matches(_DUMMY_HASH, password)
            reason = "unknown user"
        else:
            account = account_of(row)
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
            elif lapsed := domain.access_refusal(account, today=now.date(), valid_days=training_valid_days):
                await queries.update_account(
                    uow.session, username, failed_attempts=0, locked_until=None, updated_by="login"
                )
                reason = _refusal_kind(lapsed)
            elif account.must_change_password and new_password is None:
                await queries.update_account(
                    uow.session, username, failed_attempts=0, locked_until=None, updated_by="login"
                )
                lapsed, reason = domain.MUST_CHANGE, "temporary password"
            elif new_password is not None:
                domain.check_new_password(password, new_password)
                await queries.update_account(
                    uow.session,
                    username,
                    failed_attempts=0,
                    locked_until=None,
                    last_login_at=now,
                    password_hash=domain.hash_password(new_password),
                    must_change_password=False,
                    updated_by=username,
                )
                changed = True
            else:
                await queries.update_account(
                    uow.session, username, failed_attempts=0, locked_until=None, last_login_at=now, updated_by="login"
                )
        known = username if row is not None else None
        detail = reason or ("password changed" if changed else None)
        await queries.record(
            uow.session, [_login_entry(username=known, denied=bool(reason), client=client, detail=detail)]
        )
    if lapsed is not None:
        log.info("login refused", reason=reason)
        if lapsed == domain.MUST_CHANGE:
            raise Forbidden(lapsed, must_change_password=True)
        raise Forbidden(lapsed)
    if reason is not None or account is None:
        log.info("login refused", reason=reason)
        raise Unauthorized("incorrect username or password, or the account is locked")
    log.info("login", user=username)
    return account


async def refresh(
    *, uow: UnitOfWork, principal: Principal, training_valid_days: int, now: datetime | None = None
) -> domain.Account:
    """A new token for a signed-in user, from the store as it is now: roles and programs changed since the
    last token apply, and a lapsed training, an expired clearance or a lockout refuses it (audited)."""
    now = now or datetime.now(UTC)
    if principal.service is not None:
        raise Forbidden("a service identity mints its own tokens; it is never refreshed here")
    async with uow:
        row = await queries.account(uow.session, principal.username)
    if row is None:
        raise Forbidden("this sign-in is not a local login: the identity provider renews its own tokens")
    account = account_of(row)
    if account.is_locked(now):
        raise Forbidden("the account is locked")
    if account.must_change_password:
        raise Forbidden(domain.MUST_CHANGE)
    if refusal := domain.access_refusal(account, today=now.date(), valid_days=training_valid_days):
        log.info("refresh refused", reason="training or clearance")
        raise Forbidden(refusal)
    return account


def account_of(row: Any) -> domain.Account:
    return domain.Account(
        username=row["username"],
        roles=frozenset(row["roles"]),
        programs=frozenset(row["programs"]),
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"],
        training_completed_on=row.get("training_completed_on"),
        clearance_expires_on=row.get("clearance_expires_on"),
        disabled=row.get("disabled_at") is not None,
        must_change_password=bool(row.get("must_change_password")),
    )


def _refusal_kind(refusal: str) -> str:
    """The trail's word for why a right password was refused (the user is told the whole sentence)."""
    if "disabled" in refusal:
        return "disabled"
    return "training lapsed" if "training" in refusal else "clearance expired"


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
