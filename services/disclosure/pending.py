"""What a crash or a relay that cannot take a message left undelivered: pending disclosures (drafts, referrals,
notices, answers) and owners' reports left being sent. Both are resolved before serving; what the relay cannot
take then is tried again in the background, every `resolve_pending_interval` seconds, until none is left."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from services.disclosure import delivery, report_sends
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def resolve_all(*, uow_factory: Callable[..., UnitOfWork], sender: str, smtp: tuple[str, int]) -> int:
    """Deliver every pending disclosure and every owner's report being sent again; the number still undelivered."""
    left = await delivery.resolve_pending(uow_factory=uow_factory, sender=sender, smtp=smtp)
    return left + await report_sends.resolve_pending(uow_factory=uow_factory, sender=sender, smtp=smtp)


async def keep_resolving(
    *,
    uow_factory: Callable[..., UnitOfWork],
    sender: str,
    smtp: tuple[str, int],
    interval: float,
    resolve: Callable[..., Awaitable[int]] = resolve_all,
) -> None:
    """While a disclosure or an owner's report stays undelivered (relay down), try again every `interval` s."""
    left = True
    while left:
        await asyncio.sleep(interval)
        try:
            left = bool(await resolve(uow_factory=uow_factory, sender=sender, smtp=smtp))
        except Exception:  # the database may be away too: keep trying, the rows are safe as pending
            log.exception("resolving pending disclosures failed; trying again")
