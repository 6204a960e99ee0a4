"""Agreement coverage: which partners each program's agreements cover, projected from disclosure's events."""

from __future__ import annotations

import uuid

from services.intake.db import coverage as queries
from shared.events.disclosure import AgreementChanged
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def project_agreements(uow: UnitOfWork, delivered: list[Delivered[AgreementChanged]]) -> None:
    """Keep which partners each program's agreements cover (disclosure's AgreementChanged), newest version."""
    latest: dict[uuid.UUID, AgreementChanged] = {}
    for e in (d.event for d in delivered):
        if e.agreement_id not in latest or latest[e.agreement_id].version < e.version:
            latest[e.agreement_id] = e
    if latest:
        async with uow:
            await queries.project_agreements(uow.session, [e.model_dump() for e in latest.values()])
