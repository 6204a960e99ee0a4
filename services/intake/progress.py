"""A batch's progress: cases' answer per chunk (EncountersAttached) counts its rows attached and failed."""

from __future__ import annotations

import uuid

from services.intake.db import progress as queries
from shared.events.cases import EncountersAttachedCounts, tally_in
from shared.inbox import Delivered
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def record_attached(uow: UnitOfWork, delivered: list[Delivered[EncountersAttachedCounts]]) -> None:
    """Cases' answer per chunk -> the batch's progress and its failed rows; a repeated answer counts once.

    Answers arrive without their rows (the subscription decodes EncountersAttachedCounts): the tally says how many.
    """
    answers = [d.event for d in delivered]
    attached = {(d.event.batch_id, d.event.chunk): tally_in(d.event, d.envelope.payload).rows for d in delivered}
    if not answers:
        return
    async with uow:
        known = await queries.known_batches(uow.session, list({a.batch_id for a in answers}))
        if len(known) < len({a.batch_id for a in answers}):  # rows another producer sent straight to cases
            log.warning(
                "answers for batches intake never staged ignored", batches=len({a.batch_id for a in answers} - known)
            )
        answers = [a for a in answers if a.batch_id in known]
        fresh = set(
            await queries.record_chunk_answers(
                uow.session,
                [
                    {
                        "batch_id": a.batch_id,
                        "chunk": a.chunk,
                        "rows_attached": attached[(a.batch_id, a.chunk)],
                        "rows_failed": len(a.failed),
                    }
                    for a in {(a.batch_id, a.chunk): a for a in answers}.values()
                ],
            )
        )
        progress: dict[uuid.UUID, list[int]] = {}
        failed = []
        for a in answers:
            if (a.batch_id, a.chunk) not in fresh:
                continue
            fresh.discard((a.batch_id, a.chunk))
            counts = progress.setdefault(a.batch_id, [0, 0])
            counts[0] += attached[(a.batch_id, a.chunk)]
            counts[1] += len(a.failed)
            failed += [
                {"batch_id": a.batch_id, "row_number": f.row_number, "encounter_id": f.encounter_id, "reason": f.reason}
                for f in a.failed
            ]
        for batch_id, (attached, n_failed) in sorted(progress.items()):
            await queries.add_progress(uow.session, batch_id, attached, n_failed)
        await queries.record_failures(uow.session, failed)
