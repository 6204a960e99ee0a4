"""Cases applying a redress re-link, over an in-memory store standing in for db.relinks and db.records."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.cases import relinks
from shared.errors import NotFound
from shared.events.cases import EncountersRelinked
from shared.events.envelope import wrap
from shared.events.redress import RelinkAccepted
from shared.inbox import Delivered
from tests.unit.fakes import FakeUnitOfWork


class Store:
    def __init__(self) -> None:
        self.subjects: dict[uuid.UUID, str] = {}
        self.encounters: dict[uuid.UUID, uuid.UUID] = {}  # encounter -> subject
        self.cases: dict[uuid.UUID, dict[str, Any]] = {}
        self.members: set[tuple[uuid.UUID, uuid.UUID]] = set()  # (case, encounter)
        self.reviewed: dict[uuid.UUID, str] = {}
        self.history: list[dict[str, Any]] = []
        self.timeline: list[tuple[uuid.UUID, str]] = []
        self.audited: list[Any] = []

    def subject(self, key: str) -> uuid.UUID:
        subject_id = uuid.uuid4()
        self.subjects[subject_id] = key
        return subject_id

    def case(self, subject_id: uuid.UUID, tcn: str) -> uuid.UUID:
        case_id = uuid.uuid4()
        key = f"PCSC|partner-query|GRC|TCN:{tcn}|{self.subjects[subject_id]}"
        self.cases[case_id] = {
            "id": case_id,
            "case_key": key,
            "subject_id": subject_id,
            "program": "PCSC",
            "upload_kind": "partner-query",
            "partner_country": "GRC",
            "partner_unique_id": None,
            "partner_transaction_number": tcn,
            "search_code": None,
            "opened_at": len(self.cases),
        }
        return case_id

    def encounter(self, case_id: uuid.UUID) -> uuid.UUID:
        encounter_id = uuid.uuid4()
        self.encounters[encounter_id] = self.cases[case_id]["subject_id"]
        self.members.add((case_id, encounter_id))
        return encounter_id

    # db.relinks
    async def get_subject(self, session: Any, subject_id: uuid.UUID) -> Any:
        key = self.subjects.get(subject_id)
        return None if key is None else {"id": subject_id, "subject_key": key}

    async def create_subject(self, session: Any, subject_id: uuid.UUID, subject_key: str) -> None:
        self.subjects.setdefault(subject_id, subject_key)

    async def encounter_for_update(self, session: Any, encounter_id: uuid.UUID) -> Any:
        s = self.encounters.get(encounter_id)
        return None if s is None else {"id": encounter_id, "subject_id": s}

    async def cases_holding(self, session: Any, encounter_id: uuid.UUID) -> list[Any]:
        held = [self.cases[c] for c, e in self.members if e == encounter_id]
        return sorted(held, key=lambda c: c["opened_at"])

    async def ensure_case(self, session: Any, row: dict[str, Any]) -> uuid.UUID:
        for c in self.cases.values():
            if c["case_key"] == row["case_key"]:
                return c["id"]
        self.cases[row["id"]] = {**row, "opened_at": len(self.cases)}
        return row["id"]

    async def move_encounter(self, session: Any, encounter_id: uuid.UUID, **kw: Any) -> None:
        self.members -= {(c, encounter_id) for c in kw["from_case_ids"]}
        self.members.add((kw["to_case_id"], encounter_id))
        self.encounters[encounter_id] = kw["to_subject_id"]

    async def mark_for_review(self, session: Any, case_ids: list[uuid.UUID], why: str, actor: str) -> None:
        self.reviewed.update({c: why for c in case_ids})

    async def record(self, session: Any, rows: list[dict[str, Any]]) -> None:
        self.history += rows

    # db.records
    async def add_timeline(self, session: Any, case_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
        self.timeline.append((case_id, action))

    async def audit(self, session: Any, entries: list[Any]) -> None:
        self.audited += entries


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    fake = Store()
    monkeypatch.setattr(relinks, "queries", fake)
    monkeypatch.setattr(relinks, "records", fake)
    return fake


def _relink(encounter: uuid.UUID, source: uuid.UUID, target: uuid.UUID, **kw: Any) -> Delivered[RelinkAccepted]:
    event = RelinkAccepted(
        redress_id=uuid.uuid4(),
        relink_id=uuid.uuid4(),
        encounter_ids=[encounter],
        from_subject_id=source,
        to_subject_id=target,
        **kw,
    )
    return Delivered(wrap(event, producer="redress", correlation_id="c", actor="officer"), event)


async def test_an_encounter_moves_to_the_same_querys_case_of_its_person_and_back(store: Store) -> None:
    a, b = store.subject("FIN:1"), store.subject("FIN:2")
    case_a, case_b_other = store.case(a, "T1"), store.case(b, "T9")
    keep, wrong = store.encounter(case_a), store.encounter(case_a)
    store.encounter(case_b_other)
    uow = FakeUnitOfWork()
    await relinks.apply_relinks(uow, [_relink(wrong, a, b)])
    (event,) = uow.events
    assert isinstance(event, EncountersRelinked)
    (opened,) = event.opened_cases
    assert store.cases[opened.case_id]["case_key"].endswith("TCN:T1|FIN:2")  # the same query, her case
    assert store.encounters[wrong] == b and (case_a, keep) in store.members
    assert (case_a, wrong) not in store.members and (opened.case_id, wrong) in store.members
    assert set(event.stale_cases) == {case_a, opened.case_id} == set(store.reviewed)
    assert store.timeline == [(case_a, "encounter-relinked-out"), (opened.case_id, "encounter-relinked-in")]
    assert [(e.action, e.record_id) for e in store.audited] == [("redress-relink", str(wrong))]

    back = FakeUnitOfWork()
    await relinks.apply_relinks(back, [_relink(wrong, b, a)])
    (undo,) = back.events
    assert undo.opened_cases == [] and undo.moved[0].to_case_id == case_a  # the very case it left
    assert store.encounters[wrong] == a and (case_a, wrong) in store.members
    assert len(store.history) == 2  # both steps kept


async def test_a_new_subject_is_created_with_the_id_redress_named(store: Store) -> None:
    a = store.subject("FIN:1")
    wrong = store.encounter(store.case(a, "T1"))
    new = uuid.uuid4()
    await relinks.apply_relinks(FakeUnitOfWork(), [_relink(wrong, a, new, new_subject=True)])
    assert store.subjects[new] == f"RELINK:{new}" and store.encounters[wrong] == new


async def test_an_unknown_subject_or_encounter_is_refused_and_nothing_is_published(store: Store) -> None:
    a = store.subject("FIN:1")
    wrong = store.encounter(store.case(a, "T1"))
    for delivered in (_relink(wrong, a, uuid.uuid4()), _relink(uuid.uuid4(), a, a)):
        uow = FakeUnitOfWork()
        with pytest.raises(NotFound):
            await relinks.apply_relinks(uow, [delivered])
        assert uow.events == [] and uow.rolled_back == 1


async def test_an_encounter_already_with_its_subject_moves_nothing(store: Store) -> None:
    a = store.subject("FIN:1")
    e = store.encounter(store.case(a, "T1"))
    uow = FakeUnitOfWork()
    await relinks.apply_relinks(uow, [_relink(e, a, a)])
    assert uow.events == [] and store.timeline == [] and store.history == []
