"""Reporting rules: which facts of which events count, and nothing personal is ever kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.events.cases import EncounterAttached
from shared.events.envelope import Envelope, Event
from shared.events.intake import BatchImported


@dataclass(frozen=True)
class Increment:
    """One counter to bump: day, program, metric. Keys are codes, never names or identifiers."""

    day: date
    program: str
    metric: str
    amount: int


def increments(envelope: Envelope, event: Event) -> list[Increment]:
    day = envelope.occurred_at.date()
    if isinstance(event, BatchImported):
        return [
            Increment(day, event.program, "batches_confirmed", 1),
            Increment(day, event.program, "rows_imported", event.rows_imported),
            Increment(day, event.program, "rows_invalid", event.rows_invalid),
            Increment(day, event.program, "no_matches", event.rows_no_match),
        ]
    if isinstance(event, EncounterAttached):
        return [Increment(day, event.program, "encounters_attached", 1)]
    return []


def merge(items: list[Increment]) -> dict[tuple[date, str, str], int]:
    """Sum a batch of increments so each counter is written once per transaction."""
    totals: dict[tuple[date, str, str], int] = {}
    for i in items:
        key = (i.day, i.program, i.metric)
        totals[key] = totals.get(key, 0) + i.amount
    return totals
