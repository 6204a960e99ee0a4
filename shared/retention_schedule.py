"""The retention schedule as data: every record kind of every service, its rule, its clock and the line of
the PIA or statute it implements. Plain Python, shared because every service applies its own rows.

A period runs from the end of the calendar year of its clock (NARA schedule DAA-0563-2013-0001 as the PIA
quotes it: "75 years after the end of the calendar year in which the data is gathered", "15 years after the
end of calendar year of last use"), so a record gathered on any day of 2001 falls due on 1 January 2077, never
on an anniversary. The clock is always passed in, so tests and dry runs ask "what would go on that day".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class Clock(StrEnum):
    GATHERED = "gathered"  # imported, opened, received, written
    LAST_USE = "last-use"  # the last time the record was read into or changed by analysis
    CLOSED = "closed"  # a redress request's resolution
    SENT = "sent"  # a disclosure, notice or report leaving TRACS


@dataclass(frozen=True)
class Kind:
    service: str
    kind: str
    years: int
    clock: Clock
    basis: str  # the PIA or statute line the rule implements
    applied: str  # how the owning service applies it (or, honestly, that it does not yet)
    end_of_year: bool = True


_INTERNATIONAL = "PIA 5.1, NARA DAA-0563-2013-0001: international records, 75 years after the end of the year gathered"
_ANALYSIS = "PIA 5.1, NARA DAA-0563-2013-0001: analysis records, 15 years after the end of the year of last use"
_ACCOUNTING = "5 U.S.C. 552a(c)(2): the accounting is kept 5 years or the life of the record, whichever is longer"

SCHEDULE: tuple[Kind, ...] = (
    Kind("intake", "staged-row", 0, Clock.GATHERED, "PIA 2.4 minimisation: a staged copy lives until decided",
         "purged 30 days after the batch is decided (TRACS_INTAKE_STAGING_RETENTION_DAYS)", end_of_year=False),
    Kind("cases", "encounter", 75, Clock.GATHERED, _INTERNATIONAL,
         "tracs retention run: deleted once no surviving case needs it"),
    Kind("cases", "case", 75, Clock.GATHERED, _INTERNATIONAL + " (a partner query match is an international record)",
         "tracs retention run: due when this and the case's analysis rule have both run"),
    Kind("cases", "analysis", 15, Clock.LAST_USE, _ANALYSIS + " (searches, findings, notes, timeline of a case)",
         "tracs retention run: with its case, which keeps it while the longer rule runs"),
    Kind("disclosure", "accounting", 75, Clock.SENT, _ACCOUNTING + "; the disclosed record lives 75 years",
         "tracs retention run --service disclosure: the row with the draft it sent, its review, referral and notices"),
    Kind("disclosure", "owner-notice", 75, Clock.SENT, _ACCOUNTING + " (a notice to a data owner is a disclosure)",
         "tracs retention run --service disclosure"),
    Kind("disclosure", "draft", 15, Clock.LAST_USE, _ANALYSIS + " (a response never sent is analysis; last edit)",
         "tracs retention run --service disclosure (and with its case when cases purges it)"),
    Kind("redress", "redress-request", 15, Clock.CLOSED, _ANALYSIS + " (last use of a request is its closing)",
         "tracs retention run --service redress: with its timeline, links, findings, corrections, notices"),
    Kind("redress", "privacy-act-access", 6, Clock.CLOSED,
         "NARA GRS 4.2 item 020: access request files, 6 years after final agency action",
         "tracs retention run --service redress"),
    Kind("redress", "privacy-act-amendment", 75, Clock.CLOSED,
         "NARA GRS 4.2 item 090: amendment request files go with the record they amend (75 years), or 4 years "
         "after the case is closed, whichever is later", "tracs retention run --service redress"),
    Kind("reporting", "bulletin", 15, Clock.SENT, _ANALYSIS + " (a bulletin is analysis; a draft's clock is its "
         "last edit)", "tracs retention run --service reporting: with its iterations"),
    Kind("reporting", "stored-report", 15, Clock.GATHERED, _ANALYSIS + " (aggregates only, kept as generated)",
         "tracs retention run --service reporting (the only DELETE the immutability trigger lets through)"),
    Kind("every service", "audit-entry", 75, Clock.GATHERED,
         "PIA 8.3 auditing: the trail lives as long as the longest record it can account for (the accounting's "
         "75 years); each entry is a leaf of the Merkle tree every later proof needs",
         "never deleted: kept for the life of the records it covers and beyond (append-only; a trigger refuses "
         "DELETE, and deleting a leaf would break every later inclusion and consistency proof)"),
)  # fmt: skip

KINDS: dict[tuple[str, str], Kind] = {(k.service, k.kind): k for k in SCHEDULE}


def kind(service: str, name: str, years: int | None = None) -> Kind:
    """A row of the schedule, with the period a deployment configured instead (at least one year)."""
    try:
        row = KINDS[(service, name)]
    except KeyError:
        known = ", ".join(k for s, k in KINDS if s == service)
        raise ValueError(f"no retention rule for {service} record kind {name!r}; known: {known}") from None
    if years is None:
        return row
    if years < 1:
        raise ValueError(f"retention of {service} {name} must be at least one year")
    return Kind(row.service, row.kind, years, row.clock, row.basis, row.applied, row.end_of_year)


def cutoff(row: Kind, now: datetime) -> datetime:
    """Records whose clock reads strictly before this instant are due on `now`.

    With end-of-year rounding, a clock in year Y keeps the record until the end of Y + years: due from
    1 January of Y + years + 1, whatever the day in Y (29 February included)."""
    now = now.astimezone(UTC)
    if row.end_of_year:
        return datetime(now.year - row.years, 1, 1, tzinfo=UTC)
    try:
        return now.replace(year=now.year - row.years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - row.years, day=28)


def is_due(row: Kind, clock: datetime, now: datetime) -> bool:
    return clock.astimezone(UTC) < cutoff(row, now)


def disposal_date(row: Kind, clock: datetime) -> datetime:
    """The first instant the record may be disposed of."""
    if row.end_of_year:
        return datetime(clock.astimezone(UTC).year + row.years + 1, 1, 1, tzinfo=UTC)
    return clock


def table() -> list[dict[str, object]]:
    """The schedule as a deployment shows it (API, docs)."""
    return [
        {"service": k.service, "kind": k.kind, "years": k.years, "clock": k.clock.value,
         "end_of_year": k.end_of_year, "basis": k.basis, "applied": k.applied}
        for k in SCHEDULE
    ]  # fmt: skip
