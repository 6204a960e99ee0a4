"""Queries of notifications: add them once, list and count a user's, mark read, the mail that is due."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db.tables import audit_trail, notifications, users
from shared import audit


async def recipients(session: AsyncSession, usernames: list[str]) -> dict[str, Any]:
    """Active logins among `usernames`, with their mail preference and address."""
    if not usernames:
        return {}
    u = users.c
    stmt = select(u.username, u.email, u.notify_by_mail).where(u.username.in_(usernames), u.disabled_at.is_(None))
    return {r.username: r for r in (await session.execute(stmt)).mappings().all()}


async def reviewers(session: AsyncSession, program: str | None) -> list[str]:
    """Active supervisors of a case program (any program when the event did not say)."""
    u = users.c
    stmt = select(u.username).where(u.roles.any("supervisor"), u.disabled_at.is_(None))
    if program:
        stmt = stmt.where(u.programs.any(program))
    return list((await session.execute(stmt.order_by(u.username))).scalars().all())


async def add(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert notifications; one already there (same user, kind, record and label) is not added twice."""
    if not rows:
        return 0
    stmt = insert(notifications).values(rows).on_conflict_do_nothing(constraint="uq_notifications_once")
    result = await session.execute(stmt.returning(notifications.c.id))
    return len(result.all())


async def listed(session: AsyncSession, username: str, *, unread: bool, limit: int, offset: int) -> list[Any]:
    n = notifications.c
    stmt = select(notifications).where(n.username == username)
    if unread:
        stmt = stmt.where(n.read_at.is_(None))
    stmt = stmt.order_by(n.created_at.desc(), n.id).limit(limit).offset(offset)
    return list((await session.execute(stmt)).mappings().all())


async def unread_count(session: AsyncSession, username: str) -> int:
    n = notifications.c
    stmt = select(func.count()).where(n.username == username, n.read_at.is_(None))
    return int(await session.scalar(stmt) or 0)


async def mark_read(session: AsyncSession, username: str, ids: list[uuid.UUID] | None, now: dt.datetime) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None); another's are never touched."""
    n = notifications.c
    stmt = update(notifications).where(n.username == username, n.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(n.id.in_(ids))
    result = await session.execute(stmt.values(read_at=now).returning(n.id))
    return len(result.all())


async def mail_due(session: AsyncSession, limit: int) -> list[Any]:
    """Notifications to mail, oldest first, with their user's address; locked so two instances share them."""
    n, u = notifications.c, users.c
    stmt = (
        select(n.id, n.username, n.label, n.link, n.kind, u.email)
        .join(users, u.username == n.username)
        .where(n.mail_state == "due")
        .order_by(n.created_at)
        .limit(limit)
        .with_for_update(of=notifications, skip_locked=True)
    )
    return list((await session.execute(stmt)).mappings().all())


async def set_mail_state(session: AsyncSession, ids: list[uuid.UUID], state: str, at: dt.datetime | None) -> None:
    if ids:
        stmt = update(notifications).where(notifications.c.id.in_(ids))
        await session.execute(stmt.values(mail_state=state, mailed_at=at))


async def set_preference(session: AsyncSession, username: str, notify_by_mail: bool) -> Any:
    stmt = update(users).where(users.c.username == username)
    await session.execute(stmt.values(notify_by_mail=notify_by_mail, updated_at=func.now(), updated_by=username))
    u = users.c
    row = select(u.username, u.email, u.notify_by_mail).where(u.username == username)
    return (await session.execute(row)).mappings().first()


async def record(session: AsyncSession, entries: list[audit.Entry]) -> None:
    await audit.append(session, audit_trail, entries)
