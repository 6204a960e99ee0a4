"""Reporting rules: which facts of which events count, report periods, the bulletin workflow (tables: tabulation.py).

Nothing personal is ever kept: counters are keyed by day, program, partner country and data owner;
distinct subjects are counted through a keyed digest of cases' internal subject id, never a name or FIN.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.errors import Conflict, Invalid
from shared.events.cases import AttachmentTally, EncountersAttached, EncountersAttachedCounts, EncounterWithdrawn
from shared.events.disclosure import DisclosureSent
from shared.events.intake import BatchImported
from shared.events.redress import RedressStatusChanged

NO_PARTNER = "-"


@dataclass(frozen=True)
class Increment:
    """One counter to bump. Keys are codes, never names or identifiers."""

    day: date
    program: str
    partner: str
    metric: str
    amount: int


@dataclass(frozen=True)
class OwnerIncrement:
    day: date
    data_owner: str
    metric: str
    amount: int


@dataclass(frozen=True)
class SubjectSeen:
    day: date
    program: str
    partner: str
    digest: bytes


@dataclass
class Facts:
    """What one event adds to the counters: plain codes and digests, nothing personal."""

    counters: list[Increment] = field(default_factory=list)
    owners: list[OwnerIncrement] = field(default_factory=list)
    subjects: list[SubjectSeen] = field(default_factory=list)


def subject_digest(subject_id: object, key: bytes) -> bytes:
    """Keyed digest: counts distinct subjects without a reversible identifier."""
    return hashlib.blake2b(str(subject_id).encode(), key=key[:64], digest_size=16).digest()


def batch_facts(day: date, event: BatchImported) -> Facts:
    """Every spreadsheet row is one partner transaction; no-match rows were not imported (PIA 2.5)."""
    return Facts(
        counters=[
            Increment(day, event.program, NO_PARTNER, "transactions", event.rows_total),
            Increment(day, event.program, NO_PARTNER, "no_matches", event.rows_no_match),
            Increment(day, event.program, NO_PARTNER, "batches_confirmed", 1),
            Increment(day, event.program, NO_PARTNER, "rows_invalid", event.rows_invalid),
        ]
    )


def attachment_facts(
    day: date, event: EncountersAttached | EncountersAttachedCounts, tally: AttachmentTally, *, digest_key: bytes
) -> Facts:
    """One chunk answer from cases, by its tally: matched rows count per partner, distinct subjects as digests,
    matches per data owner for a partner query (failed rows were never imported)."""
    out = Facts()
    for p in tally.partners:
        partner = p.partner_country or NO_PARTNER
        out.counters.append(Increment(day, event.program, partner, "matches", p.matches))
        if p.kst_matches:  # read by cases from the row's fast-matcher flag, in every program
            out.counters.append(Increment(day, event.program, partner, "kst_matches", p.kst_matches))
        out.subjects += [SubjectSeen(day, event.program, partner, subject_digest(s, digest_key)) for s in p.subject_ids]
    if event.upload_kind == "partner-query":
        out.owners += [OwnerIncrement(day, o.data_owner or "UNKNOWN", "matched", o.matched) for o in tally.owners]
    return out


def withdrawal_facts(event: EncounterWithdrawn) -> Facts:
    """An encounter withdrawn at its owner's request leaves the counts it made on the day it was attached
    (matches, KST matches, its owner's matches). Distinct-subject counts keep it: a digest is not per encounter."""
    day, partner = event.attached_on, event.partner_country or NO_PARTNER
    out = Facts(counters=[Increment(day, event.program, partner, "matches", -1)])
    if event.kst:  # as attachment_facts counted it: from the row's fast-matcher flag, in every program
        out.counters.append(Increment(day, event.program, partner, "kst_matches", -1))
    if event.upload_kind == "partner-query":
        out.owners.append(OwnerIncrement(day, event.data_owner or "UNKNOWN", "matched", -1))
    return out


def disclosure_facts(day: date, event: DisclosureSent) -> Facts:
    """A disclosure, the time from the case's opening to it, and what each data owner's records shared."""
    partner = event.partner_country or NO_PARTNER
    seconds = max(0, int((event.sent_at - event.case_opened_at).total_seconds()))
    return Facts(
        counters=[
            Increment(day, event.program, partner, "disclosures", 1),
            Increment(day, event.program, partner, "response_seconds", seconds),
        ],
        owners=[OwnerIncrement(day, owner, "shared", n) for owner, n in event.shared_by_owner.items()],
    )


def redress_fact(changed_at: datetime, event: RedressStatusChanged) -> dict[str, Any]:
    """Processing-time facts only: a request's id, source, dates and outcome; never the requester."""
    return {
        "redress_id": event.redress_id,
        "source": event.source,
        "status": event.status,
        "received_on": event.received_on,
        "due_on": event.due_on,
        "closed_on": changed_at.date() if event.status == "closed" else None,
        "determination": event.determination,
        "changed_at": changed_at,
    }


def latest_per_request(facts: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Latest state per request wins, judged by when it changed (replays and reordering are harmless)."""
    latest: dict[Any, dict[str, Any]] = {}
    for r in facts:
        if r["redress_id"] not in latest or r["changed_at"] >= latest[r["redress_id"]]["changed_at"]:
            latest[r["redress_id"]] = r
    return latest


def redress_moves(
    latest: Mapping[Any, dict[str, Any]], stored: Mapping[Any, Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], dict[tuple[date, str], int]]:
    """The facts that replace the stored ones, and how the day counters move from each request's previous
    state to its new one; an earlier step arriving late changes nothing."""
    deltas: dict[tuple[date, str], int] = {}
    changed = []
    for redress_id, new in latest.items():
        old = stored.get(redress_id)
        if old is not None and old["changed_at"] > new["changed_at"]:
            continue
        for sign, fact in ((1, new), (-1, old)):
            for key, n in (redress_counts(fact) if fact is not None else {}).items():
                deltas[key] = deltas.get(key, 0) + sign * n
        changed.append(new)
    return changed, deltas


def redress_counts(fact: Mapping[str, Any]) -> dict[tuple[date, str], int]:
    """What one request adds to the redress day counters in its current state: received on its day, and
    once closed, closed (with its days to close and whether it beat the due date) on the day it closed."""
    out = {(fact["received_on"], "received"): 1}
    if closed := fact["closed_on"]:
        out[(closed, "closed")] = 1
        out[(closed, "closed_days")] = (closed - fact["received_on"]).days
        out[(closed, "closed_within")] = int(closed <= fact["due_on"])
    return out


def merge(items: list[Increment]) -> dict[tuple[date, str, str, str], int]:
    """Sum a batch of increments so each counter is written once per transaction."""
    totals: dict[tuple[date, str, str, str], int] = {}
    for i in items:
        key = (i.day, i.program, i.partner, i.metric)
        totals[key] = totals.get(key, 0) + i.amount
    return totals


MAX_REPORT_DAYS = 3700
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)  # reports read the whole weeks and years around


def check_period(start: date, end: date) -> None:
    """A report's period: in order, within the calendar the reports can read around it, and bounded."""
    if end < start:
        raise Invalid("'to' is before 'from'")
    if start < EARLIEST or end > LATEST:
        raise Invalid(f"a report covers days from {EARLIEST} to {LATEST}")
    if (end - start).days > MAX_REPORT_DAYS:
        raise Invalid(f"a report covers at most {MAX_REPORT_DAYS} days")


class BulletinStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"


BULLETIN_FLOW = {
    "send": (BulletinStatus.DRAFT, BulletinStatus.SENT, "sent_at"),
    "approve": (BulletinStatus.SENT, BulletinStatus.APPROVED, "approved_at"),
}


def bulletin_transition(action: str, status: str) -> tuple[BulletinStatus, str]:
    """Draft -> sent to the Executive Secretariat -> approved; anything else is refused."""
    source, target, stamp = BULLETIN_FLOW[action]
    if status != source:
        raise Conflict(f"a bulletin can be {target.value} only from {source.value}; it is {status}")
    return target, stamp


def check_editable(status: str) -> None:
    if status != BulletinStatus.DRAFT:
        raise Conflict(f"only draft bulletins can be changed or deleted; this one is {status}")


# The automated reports and the period each covers (PIA 3: DOSR weekly, EPR and component reports monthly).
SCHEDULED = {"dosr": "week", "epr": "month", "components": "month"}


def last_complete_period(kind: str, today: date) -> tuple[date, date]:
    """The latest whole ISO week (Monday-Sunday) or calendar month that ended before `today`."""
    if SCHEDULED[kind] == "week":
        end = date.fromordinal(today.toordinal() - today.isoweekday())  # last Sunday before today
        return date.fromordinal(end.toordinal() - 6), end
    end = date.fromordinal(today.replace(day=1).toordinal() - 1)  # the last day of the month before
    return end.replace(day=1), end
