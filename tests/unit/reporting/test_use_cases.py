"""Reporting's per-event and per-bulletin rules through its use cases, on a fake unit of work and in-memory
queries: what each event type adds, how a request's redress facts move the day counters, the bulletin steps."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.reporting import bulletins, counting, reports
from shared.errors import Conflict, Invalid, NotFound
from shared.events import wrap
from shared.events.cases import AttachedRow, EncountersAttached, EncountersAttachedCounts, tally_of
from shared.events.envelope import Event, decode
from shared.events.redress import RedressStatusChanged
from shared.inbox import Delivered
from tests.unit.fakes import FakeUnitOfWork

KEY = b"k" * 32
VIEWS = {EncountersAttachedCounts.event_type: EncountersAttachedCounts}
WHEN = datetime(2026, 3, 2, 10, tzinfo=UTC)


class FakeCountingQueries:
    """db/counting.py in memory: counters summed, digests kept once, redress facts by request."""

    def __init__(self) -> None:
        self.counts: dict[tuple[Any, ...], int] = {}
        self.owner_counts: dict[tuple[Any, ...], int] = {}
        self.digests: set[tuple[Any, ...]] = set()
        self.redress: dict[uuid.UUID, dict[str, Any]] = {}
        self.redress_days: dict[tuple[date, str], int] = {}

    async def add_counts(self, session: Any, totals: Mapping[tuple[Any, ...], int]) -> None:
        for key, n in totals.items():
            self.counts[key] = self.counts.get(key, 0) + n

    async def add_owner_counts(self, session: Any, totals: Mapping[tuple[Any, ...], int]) -> None:
        for key, n in totals.items():
            self.owner_counts[key] = self.owner_counts.get(key, 0) + n

    async def add_subjects(self, session: Any, rows: list[dict[str, Any]]) -> None:
        self.digests |= {(r["day"], r["program"], r["partner"], r["digest"]) for r in rows}

    async def current_redress(self, session: Any, redress_ids: list[Any]) -> dict[Any, Mapping[str, Any]]:
        return {i: self.redress[i] for i in redress_ids if i in self.redress}

    async def save_redress(self, session: Any, facts: list[dict[str, Any]]) -> None:
        self.redress |= {f["redress_id"]: f for f in facts}

    async def add_redress_days(self, session: Any, deltas: Mapping[tuple[date, str], int]) -> None:
        for key, n in deltas.items():
            self.redress_days[key] = self.redress_days.get(key, 0) + n


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> FakeCountingQueries:
    fake = FakeCountingQueries()
    monkeypatch.setattr(counting, "queries", fake)
    return fake


def _delivered(event: Event, at: datetime = WHEN) -> Delivered[Any]:
    return Delivered(wrap(event, producer="t", correlation_id="c", occurred_at=at), event)


def _as_counted(event: EncountersAttached) -> Delivered[Any]:
    sent = event.model_copy(update={"tally": tally_of(event.rows)})
    envelope, view = decode(wrap(sent, producer="cases", correlation_id="c", occurred_at=WHEN).to_bytes(), VIEWS)
    assert isinstance(view, EncountersAttachedCounts)
    return Delivered(envelope, view)


def _attached(subject: uuid.UUID, *, matched: bool = True) -> EncountersAttached:
    row = AttachedRow(
        encounter_id=uuid.uuid4(),
        row_number=2,
        subject_id=subject,
        case_id=uuid.uuid4(),
        partner_country="GBR",
        matched=matched,
        kst=True,
    )
    return EncountersAttached(batch_id=uuid.uuid4(), chunk=0, program="KST", upload_kind="partner-query", rows=[row])


async def test_attachments_count_matches_and_subjects_by_digest_only(counters: FakeCountingQueries) -> None:
    subject = uuid.uuid4()
    uow = FakeUnitOfWork()
    count = counting.attachment_counter(KEY)
    chunks = [_attached(subject), _attached(subject), _attached(uuid.uuid4(), matched=False)]
    # As the subscription receives them: cases' answers (with their tally) decoded through the counting view.
    await count(uow, [_as_counted(c) for c in chunks])

    day = WHEN.date()
    assert counters.counts == {(day, "KST", "GBR", "matches"): 2, (day, "KST", "GBR", "kst_matches"): 2}
    assert counters.owner_counts == {(day, "UNKNOWN", "matched"): 2}
    [(_, _, _, digest)] = counters.digests  # one matched subject seen twice: one digest, not its id
    assert str(subject).encode() not in digest and len(digest) == 16
    assert uow.committed == 1


def _status(redress_id: uuid.UUID, status: str) -> RedressStatusChanged:
    return RedressStatusChanged(
        redress_id=redress_id,
        source="TRIP",
        status=status,
        received_on=date(2026, 2, 1),
        due_on=date(2026, 3, 3),
        determination=None,
    )


async def test_a_closed_request_moves_its_counters_once_and_a_late_earlier_step_changes_nothing(
    counters: FakeCountingQueries,
) -> None:
    redress_id = uuid.uuid4()
    await counting.track_redress(FakeUnitOfWork(), [_delivered(_status(redress_id, "received"), WHEN)])
    assert counters.redress_days == {(date(2026, 2, 1), "received"): 1}

    closed_at = WHEN.replace(day=5)
    await counting.track_redress(FakeUnitOfWork(), [_delivered(_status(redress_id, "closed"), closed_at)])
    expected = {
        (date(2026, 2, 1), "received"): 1,
        (date(2026, 3, 5), "closed"): 1,
        (date(2026, 3, 5), "closed_days"): 32,
        (date(2026, 3, 5), "closed_within"): 0,  # two days past its due date
    }
    assert counters.redress_days == expected

    late = _delivered(_status(redress_id, "under-review"), WHEN.replace(day=3))
    await counting.track_redress(FakeUnitOfWork(), [late])
    assert counters.redress_days == expected
    assert counters.redress[redress_id]["status"] == "closed"


async def test_a_report_period_is_checked_before_anything_is_read() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(Invalid, match="before 'from'"):
        await reports.dosr(uow=uow, start=date(2026, 3, 2), end=date(2026, 3, 1), threshold=5)
    with pytest.raises(Invalid, match="at most"):
        await reports.epr(uow=uow, start=date(2000, 1, 1), end=date(2026, 1, 1), threshold=5)
    assert (uow.committed, uow.rolled_back) == (0, 0)


class FakeBulletinQueries:
    """db/bulletins.py in memory."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []

    async def add_iteration(self, session: Any, bulletin_id: uuid.UUID, text: dict[str, Any], written_by: str) -> None:
        n = 1 + sum(1 for h in self.history if h["bulletin_id"] == bulletin_id)
        self.history.append({"bulletin_id": bulletin_id, "iteration": n, **text, "written_by": written_by})

    async def iterations(self, session: Any, bulletin_id: uuid.UUID) -> list[dict[str, Any]]:
        return [h for h in self.history if h["bulletin_id"] == bulletin_id]

    async def insert_bulletin(self, session: Any, row: dict[str, Any]) -> None:
        self.rows[row["id"]] = dict(row)

    async def get_bulletin(self, session: Any, bulletin_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return self.rows.get(bulletin_id)

    async def update_bulletin(self, session: Any, bulletin_id: uuid.UUID, **values: Any) -> None:
        self.rows[bulletin_id].update(values)

    async def delete_bulletin(self, session: Any, bulletin_id: uuid.UUID) -> None:
        del self.rows[bulletin_id]


FIELDS = {"title": "T", "description": "D", "case_summary": "S", "services_provided": "P", "outcome": ""}


async def test_a_bulletin_changes_only_while_draft_and_its_steps_are_dated(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = FakeBulletinQueries()
    monkeypatch.setattr(bulletins, "queries", rows)
    bulletin_id = await bulletins.create_bulletin(uow=FakeUnitOfWork(actor="writer"), fields=FIELDS)
    assert (rows.rows[bulletin_id]["status"], rows.rows[bulletin_id]["author"]) == ("draft", "writer")

    await bulletins.edit_bulletin(uow=FakeUnitOfWork(), bulletin_id=bulletin_id, fields={"title": "Better"})
    await bulletins.advance_bulletin(uow=FakeUnitOfWork(), bulletin_id=bulletin_id, action="send")
    assert rows.rows[bulletin_id]["title"] == "Better"
    assert rows.rows[bulletin_id]["status"] == "sent" and rows.rows[bulletin_id]["sent_at"] is not None

    with pytest.raises(Conflict, match="only draft"):
        await bulletins.edit_bulletin(uow=FakeUnitOfWork(), bulletin_id=bulletin_id, fields={"title": "Again"})
    with pytest.raises(Conflict, match="only draft"):
        await bulletins.delete_bulletin(uow=FakeUnitOfWork(), bulletin_id=bulletin_id)
    with pytest.raises(Conflict, match="only from draft; it is sent"):
        await bulletins.advance_bulletin(uow=FakeUnitOfWork(), bulletin_id=bulletin_id, action="send")
    assert rows.rows[bulletin_id]["title"] == "Better"

    with pytest.raises(NotFound):
        await bulletins.get_bulletin(uow=FakeUnitOfWork(), bulletin_id=uuid.uuid4())


async def test_every_iteration_of_a_bulletin_is_kept_with_its_author_and_who_sent_and_approved_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = FakeBulletinQueries()
    monkeypatch.setattr(bulletins, "queries", rows)
    bulletin_id = await bulletins.create_bulletin(uow=FakeUnitOfWork(actor="writer"), fields=FIELDS)
    await bulletins.edit_bulletin(uow=FakeUnitOfWork(actor="editor"), bulletin_id=bulletin_id, fields={"title": "T2"})
    await bulletins.edit_bulletin(uow=FakeUnitOfWork(actor="writer"), bulletin_id=bulletin_id, fields={"outcome": "O"})
    history = await bulletins.iterations(uow=FakeUnitOfWork(), bulletin_id=bulletin_id)
    assert [(h["iteration"], h["title"], h["outcome"], h["written_by"]) for h in history] == [
        (1, "T", "", "writer"),
        (2, "T2", "", "editor"),
        (3, "T2", "O", "writer"),
    ]
    await bulletins.advance_bulletin(uow=FakeUnitOfWork(actor="writer"), bulletin_id=bulletin_id, action="send")
    await bulletins.advance_bulletin(uow=FakeUnitOfWork(actor="chief"), bulletin_id=bulletin_id, action="approve")
    assert (rows.rows[bulletin_id]["sent_by"], rows.rows[bulletin_id]["approved_by"]) == ("writer", "chief")
    with pytest.raises(NotFound):
        await bulletins.iterations(uow=FakeUnitOfWork(), bulletin_id=uuid.uuid4())
