"""Retention runs in disclosure, redress and reporting (`shared/disposal.py`): every record kind of each service at
the year boundaries (31 December / 1 January, 29 February), held records spared and counted, a dry run that
changes nothing, and counts (never ids) for the disposal report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.disclosure.retention import RETENTION as DISCLOSURE
from services.redress.retention import RETENTION as REDRESS
from services.reporting.retention import RETENTION as REPORTING
from shared import disposal
from shared.errors import Conflict, Invalid
from shared.events.retention import RecordsDisposed
from tests.unit.fakes import FakeUnitOfWork

SERVICES = (DISCLOSURE, REDRESS, REPORTING)
KINDS = [(r, name) for r in SERVICES for name in r.kinds]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class Records:
    """One service's records of each kind in memory: (id, clock, held); `due` and `dispose` as the queries do."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[uuid.UUID, tuple[datetime, bool]]] = {}
        self.disposed: list[uuid.UUID] = []

    def add(self, kind: str, clock: datetime, *, held: bool = False) -> uuid.UUID:
        record_id = uuid.uuid4()
        self.rows.setdefault(kind, {})[record_id] = (clock, held)
        return record_id

    def wired(self, retention: disposal.ServiceRetention) -> list[disposal.Disposal]:
        """The service's real rows of the schedule, with these in-memory queries in place of the SQL."""
        out = []
        for d in retention.disposals():

            async def due(session: Any, cutoff: datetime, kind: str = d.row.kind) -> tuple[list[uuid.UUID], int]:
                found = [(i, held) for i, (clock, held) in self.rows.get(kind, {}).items() if clock < cutoff]
                return [i for i, held in found if not held], sum(1 for _, held in found if held)

            async def dispose(session: Any, ids: list[uuid.UUID], kind: str = d.row.kind) -> None:
                for i in ids:
                    del self.rows[kind][i]
                self.disposed += ids

            out.append(disposal.Disposal(d.row, d.record_type, due, dispose))
        return out


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    entries: list[Any] = []

    async def append(session: Any, table: Any, new: list[Any]) -> None:
        entries.extend(new)

    async def lock(session: Any, service: str) -> bool:
        return True

    monkeypatch.setattr(disposal.audit, "append", append)
    monkeypatch.setattr(disposal, "_lock", lock)
    return entries


async def _run(retention: disposal.ServiceRetention, records: Records, now: datetime, **kw: Any) -> tuple[dict, Any]:
    uow = FakeUnitOfWork(actor="privacy-officer")
    report = await disposal.run(
        uow=uow, service=retention.service, disposals=records.wired(retention), audit_table=None,  # type: ignore[arg-type]
        now=now, dry_run=kw.get("dry_run", False),
    )  # fmt: skip
    return report, uow


@pytest.mark.parametrize(("retention", "kind"), KINDS, ids=lambda v: getattr(v, "service", v))
@pytest.mark.parametrize("clock", [at(2004, 1, 1), at(2004, 2, 29, 12), at(2004, 12, 31, 23, 59, 59)])
async def test_every_kind_of_every_service_stays_through_new_years_eve_and_goes_on_new_years_day(
    retention: disposal.ServiceRetention, kind: str, clock: datetime, audited: list[Any]
) -> None:
    records = Records()
    [row] = [d.row for d in retention.disposals() if d.row.kind == kind]
    record = records.add(kind, clock)
    last_day = at(2004 + row.years, 12, 31, 23, 59, 59)
    report, _ = await _run(retention, records, last_day)
    assert records.disposed == [] and all(c["count"] == 0 for c in report["counts"])
    report, _ = await _run(retention, records, last_day + timedelta(seconds=1))
    assert records.disposed == [record]
    assert {c["kind"]: c["count"] for c in report["counts"]}[kind] == 1
    assert [e.record_id for e in audited] == [str(record)] and audited[0].action == "retention-purge"
    assert f"{row.years} years after the end of the year" in audited[0].detail


async def test_a_leap_day_record_goes_with_the_rest_of_its_year(audited: list[Any]) -> None:
    records = Records()
    leap, new_year = records.add("accounting", at(2024, 2, 29)), records.add("accounting", at(2025, 1, 1))
    await _run(DISCLOSURE, records, at(2100, 1, 1))  # 2024 + 75 = 2099, kept through its 31 December
    assert records.disposed == [leap] and new_year in records.rows["accounting"]


async def test_a_held_record_is_counted_and_stays_and_a_dry_run_changes_nothing(audited: list[Any]) -> None:
    records = Records()
    old = at(1990, 6, 1)
    held = records.add("redress-request", old, held=True)
    free = records.add("redress-request", old)
    report, uow = await _run(REDRESS, records, at(2026, 1, 1), dry_run=True)
    counts = {c["kind"]: c for c in report["counts"]}
    assert (counts["redress-request"]["count"], counts["redress-request"]["held"]) == (1, 1)
    assert report["dry_run"] and records.disposed == [] and uow.events == [] and audited == []
    report, uow = await _run(REDRESS, records, at(2026, 1, 1))
    assert records.disposed == [free] and held in records.rows["redress-request"]
    [event] = uow.events
    assert isinstance(event, RecordsDisposed) and event.service == "redress"
    # Counts per kind and rule only: no id of any record travels to the disposal report.
    assert str(free) not in event.model_dump_json() and str(held) not in event.model_dump_json()
    assert {c.kind: (c.count, c.held) for c in event.counts}["redress-request"] == (1, 1)


async def test_a_run_that_disposes_of_nothing_publishes_nothing(audited: list[Any]) -> None:
    _, uow = await _run(REPORTING, Records(), at(2026, 1, 1))
    assert uow.events == []


async def test_a_second_run_while_one_holds_the_lock_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def taken(session: Any, service: str) -> bool:
        return False

    monkeypatch.setattr(disposal, "_lock", taken)
    with pytest.raises(Conflict, match="in progress"):
        await _run(REPORTING, Records(), at(2026, 1, 1))


def test_configured_periods_replace_the_schedules_and_unknown_kinds_are_named() -> None:
    assert {d.row.kind: d.row.years for d in REDRESS.disposals({"redress-request": 20})}["redress-request"] == 20
    with pytest.raises(ValueError, match="no retention rule for reporting record kind 'counters'"):
        REPORTING.disposals({"counters": 3})
    with pytest.raises(ValueError, match="at least one year"):
        DISCLOSURE.disposals({"draft": 0})


def test_a_real_run_is_judged_as_of_now_and_only_a_dry_run_names_another_day() -> None:
    assert disposal.judged_as_of(at(2090, 1, 1), dry_run=True, allow_as_of=False) == at(2090, 1, 1)
    with pytest.raises(Invalid, match="only allowed with dry_run"):
        disposal.judged_as_of(at(2090, 1, 1), dry_run=False, allow_as_of=False)
    assert abs(disposal.judged_as_of(None, dry_run=False, allow_as_of=False) - datetime.now(UTC)) < timedelta(5)


def test_the_accounting_outlives_the_privacy_acts_five_years_and_every_service_kind_is_in_the_schedule() -> None:
    rows = {(r.service, d.row.kind): d.row for r in SERVICES for d in r.disposals()}
    assert rows[("disclosure", "accounting")].years >= 5 and rows[("disclosure", "owner-notice")].years >= 5
    assert set(rows) == {(r.service, k) for r, k in KINDS}
