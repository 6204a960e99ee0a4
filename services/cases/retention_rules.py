"""Cases' retention rules as data: how long each record class lives, and when one record falls due.

The PIA admits retention was never enforced. Each class names its basis and period; a deployment may
change periods through settings. The clock is always passed in, so tests and dry runs can ask "what
would go on that day".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class Basis(StrEnum):
    END_OF_YEAR_COLLECTED = "end-of-year-collected"
    LAST_USE = "last-use"


@dataclass(frozen=True)
class Rule:
    record_class: str
    years: int
    basis: Basis
    description: str


DEFAULT_RULES: dict[str, Rule] = {
    r.record_class: r
    for r in (
        Rule(
            "partner-record",
            75,
            Basis.END_OF_YEAR_COLLECTED,
            "international partner records (imported encounters): 75 years after the end of the year collected",
        ),
        Rule(
            "analysis-record",
            15,
            Basis.LAST_USE,
            "analysis records (cases, searches, findings, timeline): 15 years after the last use",
        ),
    )
}


def rules(overrides: dict[str, int] | None = None) -> dict[str, Rule]:
    """The default rules with periods a deployment configured (`TRACS_RETENTION_YEARS`)."""
    out = dict(DEFAULT_RULES)
    for name, years in (overrides or {}).items():
        if name not in out:
            raise ValueError(f"no retention rule for record class {name!r}; known: {', '.join(sorted(out))}")
        if years < 1:
            raise ValueError(f"retention of {name} must be at least one year")
        base = out[name]
        out[name] = Rule(base.record_class, years, base.basis, base.description)
    return out


def describe(rules: dict[str, Rule]) -> dict[str, dict[str, object]]:
    """Each record class's period, basis and description, as a deployment shows them."""
    return {name: {"years": r.years, "basis": r.basis.value, "description": r.description} for name, r in rules.items()}


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year - years, day=28)


def cutoff(rule: Rule, now: datetime) -> datetime:
    """Records collected (or last used) strictly before this instant are due on `now`."""
    if rule.basis is Basis.END_OF_YEAR_COLLECTED:
        # Collected in year Y, kept until the end of Y + years: due from 1 January of Y + years + 1.
        return datetime(now.year - rule.years, 1, 1, tzinfo=UTC)
    return _years_before(now.astimezone(UTC), rule.years)


def is_due(rule: Rule, moment: datetime, now: datetime) -> bool:
    return moment < cutoff(rule, now)
