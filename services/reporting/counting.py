"""The consumer's use cases: each event type folded into counters and processing facts, nothing personal kept.

Each handler receives only its own event type (consumers.py); a run of events is written with one statement
per table, whatever its size.
"""

from __future__ import annotations

from datetime import date

from services.reporting import domain
from services.reporting.db import counting as queries
from shared.events.cases import EncountersAttachedCounts, EncounterWithdrawn, RecordsPurged, tally_in
from shared.events.disclosure import DisclosureSent
from shared.events.intake import BatchImported
from shared.events.redress import RedressStatusChanged
from shared.inbox import BatchHandler, Delivered
from shared.uow import UnitOfWork


def _day(delivered: Delivered) -> date:
    """Counters are kept by the day the event happened."""
    return delivered.envelope.occurred_at.date()


async def _add(uow: UnitOfWork, facts: list[domain.Facts]) -> None:
    """Bump the counters, data-owner counters and subject digests of a run of events."""
    owners: dict[tuple[date, str, str], int] = {}
    for o in (o for f in facts for o in f.owners):
        owners[(o.day, o.data_owner, o.metric)] = owners.get((o.day, o.data_owner, o.metric), 0) + o.amount
    subjects = [
        {"day": s.day, "program": s.program, "partner": s.partner, "digest": s.digest}
        for f in facts
        for s in f.subjects
    ]
    async with uow:
        await queries.add_counts(uow.session, domain.merge([c for f in facts for c in f.counters]))
        await queries.add_owner_counts(uow.session, owners)
        await queries.add_subjects(uow.session, subjects)


async def count_batches(uow: UnitOfWork, delivered: list[Delivered[BatchImported]]) -> None:
    """A confirmed batch: its transactions, no-matches and invalid rows."""
    await _add(uow, [domain.batch_facts(_day(d), d.event) for d in delivered])


def attachment_counter(digest_key: bytes) -> BatchHandler:
    """The handler of cases' chunk answers, closed over the subject digest key from settings."""

    async def count_attachments(uow: UnitOfWork, delivered: list[Delivered[EncountersAttachedCounts]]) -> None:
        """Matches per partner, distinct subjects (as digests) and matches per data owner, from each answer's
        tally: the subscription decodes answers without their rows (EncountersAttachedCounts)."""
        await _add(
            uow,
            [
                domain.attachment_facts(_day(d), d.event, tally_in(d.event, d.envelope.payload), digest_key=digest_key)
                for d in delivered
            ],
        )

    return count_attachments


async def uncount_withdrawn(uow: UnitOfWork, delivered: list[Delivered[EncounterWithdrawn]]) -> None:
    """An encounter its owner had removed no longer counts in the DOSR or the component report."""
    await _add(uow, [domain.withdrawal_facts(d.event) for d in delivered])


async def count_disclosures(uow: UnitOfWork, delivered: list[Delivered[DisclosureSent]]) -> None:
    """Disclosures, their response times and what each data owner's records shared."""
    await _add(uow, [domain.disclosure_facts(_day(d), d.event) for d in delivered])


async def track_redress(uow: UnitOfWork, delivered: list[Delivered[RedressStatusChanged]]) -> None:
    """Keep each request's latest processing facts and move the redress day counters in the same transaction."""
    latest = domain.latest_per_request([domain.redress_fact(d.envelope.occurred_at, d.event) for d in delivered])
    async with uow:
        stored = await queries.current_redress(uow.session, list(latest))
        changed, deltas = domain.redress_moves(latest, stored)
        await queries.save_redress(uow.session, changed)
        await queries.add_redress_days(uow.session, deltas)


async def acknowledge_purge(uow: UnitOfWork, delivered: list[Delivered[RecordsPurged]]) -> None:
    """A purge leaves every aggregate as it was: reporting holds no personal data and no per-subject row.

    The subscription still takes the event so its inbox records that the purge reached reporting (an auditor
    checks that every service saw it); the counts it made before stay exact.
    """
