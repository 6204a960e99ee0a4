"""Account use cases: the logins of the user store, added by admins and operators, seeded in development."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from services.gateway import domain
from services.gateway.db import accounts as queries
from shared.auth import Principal
from shared.errors import Conflict
from shared.events.gateway import StaffChanged
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def seed_dev_users(*, uow: UnitOfWork, password: str) -> None:
    """Create (or reset) the development logins; only ever called in development."""
    async with uow:
        for username, (roles, programs) in domain.DEV_USERS.items():
            await queries.upsert_user(uow.session, _login(username, password, roles, programs))
            uow.emit(_staff(username, roles, programs))


async def create_user(
    *, uow: UnitOfWork, username: str, password: str, roles: set[str], programs: set[str]
) -> dict[str, Any]:
    """Add a login (admins, or operators from `tracs users create`); an existing name is refused, not overwritten."""
    domain.check_new_user(username, roles, programs, password)
    async with uow:
        if await queries.user(uow.session, username) is not None:
            raise Conflict(f"user {username!r} already exists")
        await queries.upsert_user(uow.session, {**_login(username, password, roles, programs), "updated_by": uow.actor})
        created = dict(await queries.user(uow.session, username))
        uow.emit(_staff(username, roles, programs))
    log.info("user created", user=username, roles=sorted(roles))
    return created


async def list_users(*, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every login with its roles, programs and lockout state, for the admins who manage them."""
    async with uow:
        return [dict(u) for u in await queries.list_users(uow.session)]


async def announce_staff(*, uow: UnitOfWork, principal: Principal) -> None:
    """A user signed in through the identity provider: their roles and programs, as its token says, for the
    services that check who may be given work (cases' staff projection)."""
    async with uow:
        uow.emit(_staff(principal.username, principal.roles, principal.programs))


def _staff(username: str, roles: Set[str], programs: Set[str]) -> StaffChanged:
    """What other services may know of a login (cases checks assignees against it): never its password."""
    return StaffChanged(username=username, roles=sorted(roles), programs=sorted(programs), active=True)


def _login(username: str, password: str, roles: Set[str], programs: Set[str]) -> dict[str, Any]:
    """A user row as stored: the password only as its hash, roles and programs sorted."""
    return {
        "username": username,
        "password_hash": domain.hash_password(password),
        "roles": sorted(roles),
        "programs": sorted(programs),
    }
