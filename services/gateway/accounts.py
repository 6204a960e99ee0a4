"""Account use cases: the logins of the user store, added by admins and operators, seeded in development;
their training and clearance dates, and role or program changes with who approved them."""

from __future__ import annotations

from collections.abc import Set
from datetime import UTC, date, datetime
from typing import Any

from services.gateway import domain
from services.gateway.db import accounts as queries
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound
from shared.events.gateway import StaffChanged
from shared.logging import current_correlation_id, get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def seed_dev_users(*, uow: UnitOfWork, password: str) -> None:
    """Create (or reset) the development logins, trained today; only ever called in development."""
    async with uow:
        for username, (roles, programs) in domain.DEV_USERS.items():
            row = _login(username, password, roles, programs)
            await queries.upsert_user(uow.session, {**row, "training_completed_on": datetime.now(UTC).date()})
            uow.emit(_staff(username, roles, programs))


async def create_user(
    *,
    uow: UnitOfWork,
    username: str,
    password: str,
    roles: set[str],
    programs: set[str],
    training_completed_on: date | None = None,
    clearance_granted_on: date | None = None,
    clearance_expires_on: date | None = None,
    training_valid_days: int = 365,
) -> dict[str, Any]:
    """Add a login (admins, or operators from `tracs users create`); an existing name is refused, not overwritten.

    Without a training date the login is taken as trained the day it is created: DHS trains staff on entry
    (PIA 8.2) before any system access is asked for, and the admin creating the login attests it.
    """
    today = datetime.now(UTC).date()
    domain.check_new_user(username, roles, programs, password)
    domain.check_access_dates(training_completed_on, clearance_granted_on, today=today)
    async with uow:
        if await queries.user(uow.session, username) is not None:
            raise Conflict(f"user {username!r} already exists")
        row = {
            **_login(username, password, roles, programs),
            "updated_by": uow.actor,
            "training_completed_on": training_completed_on or today,
            "clearance_granted_on": clearance_granted_on,
            "clearance_expires_on": clearance_expires_on,
        }
        await queries.upsert_user(uow.session, row)
        created = dict(await queries.user(uow.session, username))
        uow.emit(_staff(username, roles, programs, _may_work(created, today=today, valid_days=training_valid_days)))
    log.info("user created", user=username, roles=sorted(roles))
    return created


async def update_user(
    *,
    uow: UnitOfWork,
    username: str,
    changes: dict[str, Any],
    approved_by: str | None = None,
    client: str | None = None,
    training_valid_days: int = 365,
) -> dict[str, Any]:
    """Record training or clearance dates, or change roles and programs.

    A change of roles or programs names who approved it: another existing user than the admin making it,
    written to the gateway's trail with the before and after (names only). A token already issued keeps
    its roles until it expires; the next sign-in or refresh takes the new ones.
    """
    today = datetime.now(UTC).date()
    domain.check_access_dates(changes.get("training_completed_on"), changes.get("clearance_granted_on"), today=today)
    domain.check_contact(changes.get("full_name"), changes.get("email"))
    if "email" in changes:
        changes = {**changes, "email": changes["email"] or None}
    roles = set(changes["roles"]) if changes.get("roles") is not None else None
    programs = set(changes["programs"]) if changes.get("programs") is not None else None
    async with uow:
        before = await queries.user(uow.session, username)
        if before is None:
            raise NotFound(f"no user {username!r}")
        if roles is not None or programs is not None:
            domain.check_grant(roles if roles is not None else set(before["roles"]), programs or set())
        detail = domain.role_change(dict(before), roles, programs)
        if detail is not None:
            if not approved_by:
                raise Invalid("a change of roles or programs names who approved it (approved_by)")
            if approved_by in (uow.actor, username):
                raise Invalid("a change of roles or programs is approved by someone other than its maker or its user")
            if await queries.user(uow.session, approved_by) is None:
                raise Invalid(f"approved_by {approved_by!r} is not a user")
        values = {k: v for k, v in changes.items() if k not in ("roles", "programs")}
        if roles is not None:
            values["roles"] = sorted(roles)
        if programs is not None:
            values["programs"] = sorted(programs)
        await queries.update_user(uow.session, username, updated_by=uow.actor, **values)
        # A colleague's name and address are named as changed, not copied into the trail.
        entry_detail = "; ".join(
            [
                *(
                    f"{k} {v}" if k not in CONTACT else f"{k} changed"
                    for k, v in sorted(changes.items())
                    if k not in ("roles", "programs")
                )
            ]
            + ([f"{detail}; approved by {approved_by}"] if detail else [])
        )
        await queries.record(
            uow.session,
            [
                audit.Entry(
                    actor=uow.actor,
                    action="user:change",
                    record_type="user",
                    record_id=username,
                    outcome="allowed",
                    fields=sorted(changes),
                    correlation_id=current_correlation_id(),
                    client=client,
                    detail=entry_detail[:2000] or None,
                )
            ],
        )
        updated = dict(await queries.user(uow.session, username))
        if detail is not None or {"training_completed_on", "clearance_expires_on"} & set(changes):
            # cases checks assignees against roles, programs and access: tell it in the same commit
            active = _may_work(updated, today=today, valid_days=training_valid_days)
            uow.emit(_staff(username, set(updated["roles"]), set(updated["programs"]), active))
    log.info("user changed", user=username, fields=sorted(changes))
    return updated


CONTACT = frozenset({"full_name", "email"})


async def set_enabled(
    *,
    uow: UnitOfWork,
    username: str,
    enabled: bool,
    reason: str = "",
    client: str | None = None,
    training_valid_days: int = 365,
) -> dict[str, Any]:
    """Disable a login (it can no longer sign in or refresh, and cases stops offering it work) or enable it
    again; an admin never disables their own login (nobody would be left to undo it)."""
    if not enabled and username == uow.actor:
        raise Invalid("you cannot disable your own login: another admin must")
    reason = reason.strip()
    if len(reason) > 500:
        raise Invalid("reason: at most 500 characters")
    now = datetime.now(UTC)
    async with uow:
        before = await _existing(uow, username)
        if enabled == (before.get("disabled_at") is None):
            raise Conflict(f"user {username!r} is already {'enabled' if enabled else 'disabled'}")
        values: dict[str, Any] = {"disabled_at": None, "disabled_by": None}
        if not enabled:
            values = {"disabled_at": now, "disabled_by": uow.actor}
        await queries.update_user(uow.session, username, updated_by=uow.actor, **values)
        action = "user:enable" if enabled else "user:disable"
        await queries.record(uow.session, [_entry(uow, action, username, reason or None, client)])
        updated = dict(await queries.user(uow.session, username))
        active = _may_work(updated, today=now.date(), valid_days=training_valid_days)
        uow.emit(_staff(username, set(updated["roles"]), set(updated["programs"]), active))
    log.info("user enabled" if enabled else "user disabled", user=username)
    return updated


async def unlock(*, uow: UnitOfWork, username: str, client: str | None = None) -> dict[str, Any]:
    """Lift a lockout after failed sign-ins before it runs out (the count of failures starts again)."""
    async with uow:
        before = await _existing(uow, username)
        if not before.get("failed_attempts") and before.get("locked_until") is None:
            raise Conflict(f"user {username!r} is not locked and has no failed sign-in to clear")
        await queries.update_user(uow.session, username, updated_by=uow.actor, failed_attempts=0, locked_until=None)
        detail = f"failed attempts {before['failed_attempts']}; locked until {before['locked_until'] or '-'}"
        await queries.record(uow.session, [_entry(uow, "user:unlock", username, detail, client)])
        updated = dict(await queries.user(uow.session, username))
    log.info("user unlocked", user=username)
    return updated


async def reset_password(
    *, uow: UnitOfWork, username: str, temporary_password: str, client: str | None = None
) -> dict[str, Any]:
    """An admin sets a temporary password: the user must choose their own at the next sign-in (before any token
    is issued). Only the hash is stored; a lockout is lifted with it."""
    domain.check_password(temporary_password, field="temporary_password")
    async with uow:
        await _existing(uow, username)
        await queries.update_user(
            uow.session,
            username,
            updated_by=uow.actor,
            password_hash=domain.hash_password(temporary_password),
            must_change_password=True,
            failed_attempts=0,
            locked_until=None,
        )
        detail = "temporary password set; to be changed at next sign-in"
        await queries.record(uow.session, [_entry(uow, "user:reset-password", username, detail, client)])
        updated = dict(await queries.user(uow.session, username))
    log.info("user password reset", user=username)
    return updated


async def _existing(uow: UnitOfWork, username: str) -> Any:
    row = await queries.user(uow.session, username)
    if row is None:
        raise NotFound(f"no user {username!r}")
    return row


def _entry(uow: UnitOfWork, action: str, username: str, detail: str | None, client: str | None) -> audit.Entry:
    return audit.Entry(
        actor=uow.actor,
        action=action,
        record_type="user",
        record_id=username,
        outcome="allowed",
        correlation_id=current_correlation_id(),
        client=client,
        detail=detail,
    )


async def list_users(*, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every login with its roles, programs and lockout state, for the admins who manage them."""
    async with uow:
        return [dict(u) for u in await queries.list_users(uow.session)]


async def announce_staff(*, uow: UnitOfWork, principal: Principal) -> None:
    """A user signed in through the identity provider: their roles and programs, as its token says, for the
    services that check who may be given work (cases' staff projection)."""
    async with uow:
        uow.emit(_staff(principal.username, principal.roles, principal.programs))


def _staff(username: str, roles: Set[str], programs: Set[str], active: bool = True) -> StaffChanged:
    """What other services may know of a login (cases checks assignees against it): never its password."""
    return StaffChanged(username=username, roles=sorted(roles), programs=sorted(programs), active=active)


def _may_work(row: Any, *, today: date, valid_days: int) -> bool:
    """A login may be given work while it may sign in: training current, clearance not expired (PIA 8.2, 8.3)."""
    account = domain.Account(
        username=row["username"],
        roles=frozenset(row["roles"]),
        programs=frozenset(row["programs"]),
        failed_attempts=0,  # a lockout passes within minutes: it does not take work away
        locked_until=None,
        training_completed_on=row.get("training_completed_on"),
        clearance_expires_on=row.get("clearance_expires_on"),
        disabled=row.get("disabled_at") is not None,
    )
    return domain.access_refusal(account, today=today, valid_days=valid_days) is None


async def announce_activity(*, uow: UnitOfWork, today: date, valid_days: int) -> int:
    """Every local login, active or not as of today, for cases' staff projection: training lapses with the
    calendar, not with an edit, so a daily pass tells cases who may no longer be given work (and who may again).
    Consumers keep the newest event per username, so announcing an unchanged login changes nothing."""
    async with uow:
        users = await queries.list_users(uow.session)
        for u in users:
            active = _may_work(u, today=today, valid_days=valid_days)
            uow.emit(_staff(u["username"], set(u["roles"]), set(u["programs"]), active))
    return len(users)


async def lapsing(*, uow: UnitOfWork, within_days: int, valid_days: int) -> list[dict[str, Any]]:
    """Who loses access within `within_days` (or has already), soonest first, with the day it lapses."""
    today = datetime.now(UTC).date()
    out = []
    for user in await list_users(uow=uow):
        lapses = domain.training_lapses_on(user.get("training_completed_on"), valid_days=valid_days)
        if lapses is None or (lapses - today).days <= within_days:
            out.append({**user, "training_lapses_on": lapses, "lapsed": lapses is None or lapses <= today})
    return sorted(out, key=lambda u: (u["training_lapses_on"] or date.min, u["username"]))


def _login(username: str, password: str, roles: Set[str], programs: Set[str]) -> dict[str, Any]:
    """A user row as stored: the password only as its hash, roles and programs sorted."""
    return {
        "username": username,
        "password_hash": domain.hash_password(password),
        "roles": sorted(roles),
        "programs": sorted(programs),
    }
