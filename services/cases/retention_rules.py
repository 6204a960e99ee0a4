"""Cases' rows of the retention schedule (`shared/retention_schedule.py`): how long each record class lives,
and when one falls due. Periods run from the end of the calendar year of their clock.

- `partner-record`: an imported encounter, an international record (75 years after the end of the year gathered);
- `international-case`: a case, one partner query match or extract request, also an international record;
- `analysis-record`: the case's searches, findings, notes and timeline (15 years after the end of the year of
  last use). They live in the case, so a case is due only when both its rules have run.
A deployment may change periods through settings (`TRACS_CASES_RETENTION_YEARS='{"analysis-record": 20}'`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared import retention_schedule as schedule

# The names this service has always used for its record classes -> the schedule's kinds.
CLASSES = {"partner-record": "encounter", "international-case": "case", "analysis-record": "analysis"}


@dataclass(frozen=True)
class Rule:
    record_class: str
    row: schedule.Kind

    @property
    def years(self) -> int:
        return self.row.years

    @property
    def basis(self) -> str:
        return f"{self.row.years} years after the end of the year {self.row.clock.value}"


def rules(overrides: dict[str, int] | None = None) -> dict[str, Rule]:
    """Cases' rules with the periods a deployment configured (`TRACS_CASES_RETENTION_YEARS`)."""
    unknown = set(overrides or {}) - set(CLASSES)
    if unknown:
        name = sorted(unknown)[0]
        raise ValueError(f"no retention rule for record class {name!r}; known: {', '.join(sorted(CLASSES))}")
    return {
        name: Rule(name, schedule.kind("cases", kind, (overrides or {}).get(name))) for name, kind in CLASSES.items()
    }


DEFAULT_RULES = rules()


def describe(rules: dict[str, Rule]) -> dict[str, dict[str, object]]:
    """Each record class's period, clock and basis, as a deployment shows them."""
    return {
        name: {"years": r.years, "clock": r.row.clock.value, "end_of_year": r.row.end_of_year, "basis": r.row.basis}
        for name, r in rules.items()
    }


def cutoff(rule: Rule, now: datetime) -> datetime:
    """Records whose clock reads strictly before this instant are due on `now`."""
    return schedule.cutoff(rule.row, now)


def is_due(rule: Rule, moment: datetime, now: datetime) -> bool:
    return schedule.is_due(rule.row, moment, now)
