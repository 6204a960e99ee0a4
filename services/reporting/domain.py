"""Reporting rules: which facts of which events count, small-cell suppression, the bulletin workflow.

Nothing personal is ever kept: counters are keyed by day, program, partner country and data owner;
distinct subjects are counted through a keyed digest of cases' internal subject id, never a name or FIN.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shared.errors import Conflict
from shared.events.cases import EncounterAttached
from shared.events.disclosure import DisclosureSent
from shared.events.envelope import Envelope, Event
from shared.events.intake import BatchImported
from shared.events.redress import RedressStatusChanged

NO_PARTNER = "-"
SUPPRESSED = "suppressed"
DOSR_METRICS = ("subjects_processed", "matches", "kst_matches", "no_matches", "transactions")


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
    counters: list[Increment]
    owners: list[OwnerIncrement]
    subjects: list[SubjectSeen]
    redress: list[dict[str, object]] = field(default_factory=list)


def subject_digest(subject_id: object, key: bytes) -> bytes:
    """Keyed digest: counts distinct subjects without a reversible identifier."""
    return hashlib.blake2b(str(subject_id).encode(), key=key[:64], digest_size=16).digest()


def facts(envelope: Envelope, event: Event, *, digest_key: bytes) -> Facts:
    day = envelope.occurred_at.date()
    out = Facts([], [], [])
    if isinstance(event, DisclosureSent):
        partner = event.partner_country or NO_PARTNER
        seconds = max(0, int((event.sent_at - event.case_opened_at).total_seconds()))
        out.counters += [
            Increment(day, event.program, partner, "disclosures", 1),
            Increment(day, event.program, partner, "response_seconds", seconds),
        ]
        out.owners += [OwnerIncrement(day, owner, "shared", n) for owner, n in event.shared_by_owner.items()]
    elif isinstance(event, RedressStatusChanged):
        # Processing-time facts only: a request's id, source, dates and outcome; never the requester.
        closed = day if event.status == "closed" else None
        out.redress.append(
            {
                "redress_id": event.redress_id,
                "source": event.source,
                "status": event.status,
                "received_on": event.received_on,
                "due_on": event.due_on,
                "closed_on": closed,
                "determination": event.determination,
                "changed_at": envelope.occurred_at,
            }
        )
    if isinstance(event, BatchImported):
        # Every spreadsheet row is one partner transaction; no-match rows were not imported (PIA 2.5).
        out.counters += [
            Increment(day, event.program, NO_PARTNER, "transactions", event.rows_total),
            Increment(day, event.program, NO_PARTNER, "no_matches", event.rows_no_match),
            Increment(day, event.program, NO_PARTNER, "batches_confirmed", 1),
            Increment(day, event.program, NO_PARTNER, "rows_invalid", event.rows_invalid),
        ]
    elif isinstance(event, EncounterAttached) and event.matched:
        partner = event.partner_country or NO_PARTNER
        out.counters.append(Increment(day, event.program, partner, "matches", 1))
        if event.program == "KST":
            out.counters.append(Increment(day, event.program, partner, "kst_matches", 1))
        out.subjects.append(SubjectSeen(day, event.program, partner, subject_digest(event.subject_id, digest_key)))
        if event.upload_kind == "partner-query":
            out.owners.append(OwnerIncrement(day, event.data_owner or "UNKNOWN", "matched", 1))
    return out


def merge(items: list[Increment]) -> dict[tuple[date, str, str, str], int]:
    """Sum a batch of increments so each counter is written once per transaction."""
    totals: dict[tuple[date, str, str, str], int] = {}
    for i in items:
        key = (i.day, i.program, i.partner, i.metric)
        totals[key] = totals.get(key, 0) + i.amount
    return totals


def suppress(value: int | None, threshold: int) -> int | str:
    """A broken-down count below the threshold could single out a person: show it as suppressed."""
    v = value or 0
    return SUPPRESSED if 0 < v < threshold else v


def match_rate(matches: int | str, no_matches: int | str) -> float | str | None:
    if SUPPRESSED in (matches, no_matches):
        return SUPPRESSED
    total = int(matches) + int(no_matches)
    return round(int(matches) / total, 4) if total else None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def dosr_rows(
    counters: dict[tuple[date, str, str, str], int], subjects: dict[tuple[date, str, str], int], threshold: int
) -> dict[str, list[dict[str, Any]]]:
    """DOSR tables: per day and program, per day/program/partner, per ISO week and program, and totals."""
    daily: dict[tuple[date, str], dict[str, int]] = {}
    partners: dict[tuple[date, str, str], dict[str, int]] = {}
    for (day, program, partner, metric), value in counters.items():
        if metric not in DOSR_METRICS:
            continue
        row = daily.setdefault((day, program), dict.fromkeys(DOSR_METRICS, 0))
        row[metric] += value
        if partner != NO_PARTNER and metric in ("matches", "kst_matches"):
            partners.setdefault((day, program, partner), {"matches": 0, "kst_matches": 0})[metric] += value
    for (day, program, _partner), n in subjects.items():
        daily.setdefault((day, program), dict.fromkeys(DOSR_METRICS, 0))["subjects_processed"] += n
    weekly: dict[tuple[str, str], dict[str, int]] = {}
    totals = dict.fromkeys(DOSR_METRICS, 0)
    for (day, program), row in daily.items():
        week = weekly.setdefault((iso_week(day), program), dict.fromkeys(DOSR_METRICS, 0))
        for m in DOSR_METRICS:
            week[m] += row[m]
            totals[m] += row[m]

    def shown(row: dict[str, int]) -> dict[str, Any]:
        cells: dict[str, Any] = {m: suppress(row[m], threshold) for m in DOSR_METRICS}
        cells["match_rate"] = match_rate(cells["matches"], cells["no_matches"])
        return cells

    return {
        "daily": [{"day": d, "program": p, **shown(r)} for (d, p), r in sorted(daily.items())],
        "by_partner": [
            {"day": d, "program": p, "partner": c, **{m: suppress(v, threshold) for m, v in r.items()}}
            for (d, p, c), r in sorted(partners.items())
        ],
        "weekly": [{"week": w, "program": p, **shown(r)} for (w, p), r in sorted(weekly.items())],
        # Totals over everything are not broken down by partner or program: never suppressed.
        "totals": [{**totals, "match_rate": match_rate(totals["matches"], totals["no_matches"])}],
    }


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


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def epr_rows(
    redress: list[dict[str, Any]],
    responses: dict[str, tuple[int, int]],
    start: date,
    end: date,
) -> dict[str, list[dict[str, Any]]]:
    """Executive Performance Report: redress received, closed, backlog, processing times and share within
    SLA per month and quarter; disclosures and mean time from match to response per month."""
    import statistics

    def period_rows(key: Any) -> list[dict[str, Any]]:
        periods = sorted(
            {key(r["received_on"]) for r in redress if start <= r["received_on"] <= end}
            | {key(r["closed_on"]) for r in redress if r["closed_on"] and start <= r["closed_on"] <= end}
        )
        rows = []
        for p in periods:
            received = [r for r in redress if key(r["received_on"]) == p and start <= r["received_on"] <= end]
            closed = [
                r for r in redress if r["closed_on"] and key(r["closed_on"]) == p and start <= r["closed_on"] <= end
            ]
            days = [(r["closed_on"] - r["received_on"]).days for r in closed]
            rows.append(
                {
                    "period": p,
                    "received": len(received),
                    "closed": len(closed),
                    "average_days": round(statistics.mean(days), 1) if days else None,
                    "median_days": statistics.median(days) if days else None,
                    "longest_days": max(days) if days else None,
                    "within_sla": round(sum(1 for r in closed if r["closed_on"] <= r["due_on"]) / len(closed), 4)
                    if closed
                    else None,
                }
            )
        return rows

    backlog = sum(1 for r in redress if r["received_on"] <= end and (r["closed_on"] is None or r["closed_on"] > end))
    all_days = [
        (r["closed_on"] - r["received_on"]).days for r in redress if r["closed_on"] and start <= r["closed_on"] <= end
    ]
    closed_in = [r for r in redress if r["closed_on"] and start <= r["closed_on"] <= end]
    return {
        "redress_by_month": period_rows(lambda d: d.strftime("%Y-%m")),
        "redress_by_quarter": period_rows(quarter),
        "redress_totals": [
            {
                "received": sum(1 for r in redress if start <= r["received_on"] <= end),
                "closed": len(closed_in),
                "open_backlog_at_end": backlog,
                "average_days": round(statistics.mean(all_days), 1) if all_days else None,
                "median_days": statistics.median(all_days) if all_days else None,
                "longest_days": max(all_days) if all_days else None,
                "within_sla": round(sum(1 for r in closed_in if r["closed_on"] <= r["due_on"]) / len(closed_in), 4)
                if closed_in
                else None,
            }
        ],
        "disclosures_by_month": [
            {"month": m, "disclosures": n, "average_hours_match_to_response": round(secs / n / 3600, 2)}
            for m, (n, secs) in sorted(responses.items())
            if n
        ],
    }
