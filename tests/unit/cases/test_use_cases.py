"""Cases' per-record rules run against an in-memory store standing in for the query modules (no PostgreSQL):
attaching a chunk, a redress correction, findings, status changes and legal holds."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from services.cases import attach, corrections, retention, workbench
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events.cases import EncounterCorrected, EncountersAttached, FindingRecorded
from shared.events.disclosure import InaccuracyCorrected
from shared.events.envelope import wrap
from shared.events.intake import EncounterFields, EncountersImported, ImportedRow
from shared.events.redress import CorrectionAccepted
from shared.events.retention import LegalHoldPlaced, LegalHoldReleased
from shared.inbox import Delivered
from tests.unit.fakes import FakeUnitOfWork


class Store:
    """The query functions the use cases call (db.records, db.workbench, db.attach, db.corrections and
    db.retention), over dicts; the session argument is ignored."""

    def __init__(self) -> None:
        self.cases: dict[uuid.UUID, dict[str, Any]] = {}
        self.encounters: dict[uuid.UUID, dict[str, Any]] = {}
        self.links: list[tuple[uuid.UUID, uuid.UUID]] = []  # (case, encounter)
        self.searches: list[dict[str, Any]] = []
        self.findings: list[dict[str, Any]] = []
        self.timeline: list[tuple[uuid.UUID, str]] = []
        self.flags: list[dict[str, Any]] = []
        self.audited: list[Any] = []
        self.holds: dict[uuid.UUID, dict[str, Any]] = {}
        self.refuse_encounter: uuid.UUID | None = None  # insert_encounters fails as PostgreSQL would
        self.taken_encounter: uuid.UUID | None = None

    def case(self, **values: Any) -> uuid.UUID:
        case_id = uuid.uuid4()
        row = {"id": case_id, "program": "M5", "status": "new", "assignee": None, "stale": True, **values}
        self.cases[case_id] = {"partner_country": "GBR", "opened_at": datetime.now(UTC), **row}
        return case_id

    def encounter(self, case_id: uuid.UUID, **fields: Any) -> uuid.UUID:
        encounter_id = uuid.uuid4()
        self.encounters[encounter_id] = {
            "id": encounter_id,
            "subject_id": uuid.uuid4(),
            "program": "M5",
            "fields": {"fin": "1", "last_name": "Lee", **fields},
        }
        self.links.append((case_id, encounter_id))
        return encounter_id

    # db.records
    async def get_case(self, session: Any, case_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return self.cases.get(case_id)

    async def get_subject(self, session: Any, subject_id: uuid.UUID) -> Any:
        return next(({"id": subject_id} for e in self.encounters.values() if e["subject_id"] == subject_id), None)

    async def get_encounter(self, session: Any, encounter_id: uuid.UUID) -> Any:
        return self.encounters.get(encounter_id)

    async def case_encounter_rows(self, session: Any, case_id: uuid.UUID) -> list[Any]:
        return [self.encounters[e] for c, e in self.links if c == case_id]

    async def cases_of_encounter(self, session: Any, encounter_id: uuid.UUID) -> list[uuid.UUID]:
        return [c for c, e in self.links if e == encounter_id]

    async def set_flags(self, session: Any, rows: list[dict[str, Any]]) -> None:
        self.flags += rows

    async def add_timeline(self, session: Any, case_id: uuid.UUID, actor: str, action: str, detail: dict) -> None:
        self.timeline.append((case_id, action))

    async def audit(self, session: Any, entries: list[Any]) -> None:
        self.audited += entries

    # db.workbench
    async def searches_of(self, session: Any, case_id: uuid.UUID) -> list[Any]:
        return [s for s in self.searches if s["case_id"] == case_id]

    async def update_case(self, session: Any, case_id: uuid.UUID, **values: Any) -> None:
        self.cases[case_id].update(values)

    async def add_finding(self, session: Any, row: dict[str, Any]) -> None:
        self.findings.append(row)

    # db.corrections
    async def correct_encounter(
        self, session: Any, encounter_id: uuid.UUID, fields: dict[str, Any], name_keys: dict[str, Any]
    ) -> None:
        self.encounters[encounter_id]["fields"] = fields

    async def mark_cases_stale(self, session: Any, case_ids: list[uuid.UUID]) -> None:
        for case_id in case_ids:
            self.cases[case_id]["stale"] = True

    # db.retention
    async def add_hold(self, session: Any, row: dict[str, Any]) -> None:
        self.holds[row["id"]] = {**row, "released_at": None}

    async def get_hold(self, session: Any, hold_id: uuid.UUID, *, for_update: bool = False) -> Any:
        return self.holds.get(hold_id)

    async def release_hold(self, session: Any, hold_id: uuid.UUID, actor: str) -> None:
        self.holds[hold_id].update(released_at=datetime.now(UTC), released_by=actor)

    async def hold_scope(
        self, session: Any, *, subject_id: Any, case_id: Any, encounter_id: Any
    ) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        if case_id is not None:
            return [case_id], [e for c, e in self.links if c == case_id]
        return [c for c, e in self.links if e == encounter_id], [encounter_id]

    # db.attach
    async def upsert_subjects(self, session: Any, rows: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
        return {r["subject_key"]: r["id"] for r in rows}

    async def insert_encounters(self, session: Any, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
        if any(r["id"] == self.refuse_encounter for r in rows):
            raise DBAPIError("INSERT", {}, _Refusal("23514"))
        if any(r["id"] == self.taken_encounter for r in rows):  # the same chunk stored at once by another instance
            raise DBAPIError("COPY encounters", {}, _Refusal("23505", "encounters_pkey"))
        self.encounters.update({r["id"]: r for r in rows})
        return [r["id"] for r in rows]

    async def upsert_cases(self, session: Any, rows: list[dict[str, Any]]) -> dict[str, tuple[uuid.UUID, bool]]:
        return {r["case_key"]: (r["id"], True) for r in rows}

    async def link_case_encounters(self, session: Any, rows: list[dict[str, Any]]) -> None:
        self.links += [(r["case_id"], r["encounter_id"]) for r in rows]

    async def link_extracts_to_queries(self, session: Any, opened: list[uuid.UUID]) -> None:
        self.linked_checked = list(opened)

    async def outdate_findings_of_subjects(
        self, session: Any, subject_ids: list[uuid.UUID], keep_fresh: list[uuid.UUID]
    ) -> list[uuid.UUID]:
        return []

    async def attachments(self, session: Any, encounter_ids: list[uuid.UUID]) -> dict:
        return {}


class _Refusal(Exception):
    def __init__(self, sqlstate: str, constraint_name: str | None = None) -> None:
        super().__init__("refused")
        self.sqlstate = sqlstate
        self.constraint_name = constraint_name


class _Session:
    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        yield


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Store:
    fake = Store()
    for module in (attach, corrections, retention, workbench):
        monkeypatch.setattr(module, "records", fake)
        monkeypatch.setattr(module, "queries", fake)
    return fake


def _row(n: int, fin: str, **fields: Any) -> ImportedRow:
    return ImportedRow(
        encounter_id=uuid.uuid4(),
        row_number=n,
        subject_key="FIN:1",
        fields=EncounterFields(fin=fin, last_name="Lee", **fields),
        raw={},
    )


async def _attach(*rows: ImportedRow) -> EncountersAttached:
    chunk = EncountersImported(batch_id=uuid.uuid4(), chunk=0, program="M5", upload_kind="partner-query", rows=rows)
    uow = FakeUnitOfWork(actor="intake")
    uow.session = _Session()
    await attach.attacher("caveat")(uow, [Delivered(wrap(chunk, producer="intake", correlation_id="c"), chunk)])
    assert uow.committed == 1 and len(uow.events) == 1
    answer = uow.events[0]
    assert isinstance(answer, EncountersAttached)
    return answer


async def test_a_row_whose_subject_key_is_not_its_fin_is_named_and_the_rest_of_its_chunk_attaches(
    store: Store,
) -> None:
    good, wrong = _row(2, "1", protected_class="T"), _row(3, "2")
    answer = await _attach(good, wrong)
    assert [(r.encounter_id, r.case_opened, r.protected_class) for r in answer.rows] == [(good.encounter_id, True, "T")]
    assert [(f.row_number, f.reason) for f in answer.failed] == [
        (3, "the row's subject key does not match its FIN or partner identifier")
    ]
    assert wrong.encounter_id not in store.encounters
    assert [(f["encounter_id"], f["flag"], f["value"]["caveat"]) for f in store.flags] == [
        (good.encounter_id, "protected-class", "caveat")
    ]


async def test_a_row_the_database_refuses_is_found_alone_and_named(store: Store) -> None:
    rows = [_row(n, "1") for n in range(2, 7)]
    store.refuse_encounter = rows[3].encounter_id
    answer = await _attach(*rows)
    assert [r.row_number for r in answer.rows] == [2, 3, 4, 6]
    assert [(f.row_number, "SQLSTATE 23514" in f.reason) for f in answer.failed] == [(5, True)]


async def test_an_encounter_key_taken_meanwhile_is_a_race_to_retry_not_a_row_to_blame(store: Store) -> None:
    rows = [_row(n, "1") for n in range(2, 5)]
    store.taken_encounter = rows[1].encounter_id
    with pytest.raises(DBAPIError):  # the inbox retries the chunk, then finds it applied by the other instance
        await _attach(*rows)


def _correction(encounter_id: uuid.UUID) -> Delivered[CorrectionAccepted]:
    event = CorrectionAccepted(
        redress_id=uuid.uuid4(),
        correction_id=uuid.uuid4(),
        encounter_id=encounter_id,
        field="last_name",
        corrected_value="Li",
        data_owner="FBI-TSC",
    )
    return Delivered(wrap(event, producer="redress", correlation_id="c", actor="owner"), event)


async def test_an_accepted_correction_changes_the_field_stales_every_case_and_is_published(store: Store) -> None:
    first = store.case(stale=False)
    encounter_id = store.encounter(first)
    second = store.case(stale=False)
    store.links.append((second, encounter_id))
    uow = FakeUnitOfWork()
    await corrections.apply_corrections(uow, [_correction(encounter_id)])
    assert store.encounters[encounter_id]["fields"]["last_name"] == "Li"
    assert store.cases[first]["stale"] and store.cases[second]["stale"]
    assert store.timeline == [(first, "encounter-corrected"), (second, "encounter-corrected")]
    assert [(a.action, a.outcome) for a in store.audited] == [("redress-correction", "applied")]
    (event,) = uow.events
    assert isinstance(event, EncounterCorrected) and event.stale_cases == [first, second]


async def test_the_correction_resolving_a_recipients_inaccuracy_report_applies_as_a_redress_one(store: Store) -> None:
    case_id = store.case(stale=False)
    encounter_id = store.encounter(case_id)
    event = InaccuracyCorrected(
        report_id=uuid.uuid4(),
        correction_id=uuid.uuid4(),
        encounter_id=encounter_id,
        field="last_name",
        corrected_value="Li",
        data_owner="CBP",
    )
    uow = FakeUnitOfWork()
    delivered = Delivered(wrap(event, producer="disclosure", correlation_id="c", actor="analyst"), event)
    await corrections.apply_inaccuracy_corrections(uow, [delivered])
    assert store.encounters[encounter_id]["fields"]["last_name"] == "Li" and store.cases[case_id]["stale"]
    assert [(a.action, a.outcome) for a in store.audited] == [("inaccuracy-correction", "applied")]
    (published,) = uow.events
    assert isinstance(published, EncounterCorrected)
    assert (published.report_id, published.redress_id, published.correction_id) == (
        event.report_id,
        None,
        event.correction_id,
    )


async def test_a_correction_of_an_unknown_encounter_is_refused_and_nothing_is_published(store: Store) -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(NotFound):
        await corrections.apply_corrections(uow, [_correction(uuid.uuid4())])
    assert uow.events == [] and uow.rolled_back == 1


async def test_a_finding_about_another_cases_encounter_is_refused(store: Store) -> None:
    case_id, other = store.case(), store.case()
    foreign = store.encounter(other)
    uow = FakeUnitOfWork()
    with pytest.raises(Invalid, match="only to this case's encounters"):
        await workbench.record_finding(
            uow=uow, case_id=case_id, kind="summary", text="seen", accurate_as_of=None, encounter_ids=[foreign]
        )
    assert store.findings == [] and uow.events == []


async def test_a_finding_re_verifies_a_stale_case(store: Store) -> None:
    case_id = store.case(stale=True)
    own = store.encounter(case_id)
    uow = FakeUnitOfWork()
    await workbench.record_finding(
        uow=uow, case_id=case_id, kind="summary", text="seen", accurate_as_of=None, encounter_ids=[own]
    )
    assert store.cases[case_id]["stale"] is False and store.cases[case_id]["findings_as_of"] is not None
    assert [f["encounter_ids"] for f in store.findings] == [[own]]
    assert [type(e) for e in uow.events] == [FindingRecorded]


async def test_findings_ready_is_refused_while_a_required_search_is_missing(store: Store) -> None:
    case_id = store.case(status="in-review")
    store.searches.append({"case_id": case_id, "system": "TECS"})
    with pytest.raises(Conflict) as refused:
        await workbench.change_status(
            uow=FakeUnitOfWork(),
            case_id=case_id,
            target="findings-ready",
            reason=None,
            required={"M5": ["IDENT-SIT", "TECS"]},
        )
    assert refused.value.details["missing"] == ["IDENT-SIT"]
    assert store.cases[case_id]["status"] == "in-review"


async def test_only_a_supervisor_reopens_a_closed_case(store: Store) -> None:
    case_id = store.case(status="closed")
    with pytest.raises(Forbidden):
        await workbench.change_status(
            uow=FakeUnitOfWork(), case_id=case_id, target="in-review", reason="new facts", required={}, may_reopen=False
        )
    assert store.timeline == []


async def test_a_legal_hold_names_one_existing_subject_or_case_and_is_released_once(store: Store) -> None:
    with pytest.raises(Invalid):
        await retention.place_hold(uow=FakeUnitOfWork(), subject_id=None, case_id=None, reason="litigation")
    with pytest.raises(NotFound):
        await retention.place_hold(uow=FakeUnitOfWork(), subject_id=None, case_id=uuid.uuid4(), reason="litigation")
    with pytest.raises(Invalid, match="exactly one"):
        await retention.place_hold(
            uow=FakeUnitOfWork(), subject_id=None, case_id=uuid.uuid4(), encounter_id=uuid.uuid4(), reason="x"
        )
    case_id = store.case()
    encounter_id = store.encounter(case_id)
    placing = FakeUnitOfWork(actor="counsel")
    hold_id = await retention.place_hold(uow=placing, subject_id=None, case_id=case_id, reason=" litigation ")
    assert (store.holds[hold_id]["reason"], store.holds[hold_id]["placed_by"]) == ("litigation", "counsel")
    # What the hold covers reaches every other service with it: the case and its encounters, by id.
    [placed] = placing.events
    assert isinstance(placed, LegalHoldPlaced)
    assert (placed.hold_id, placed.case_ids, placed.encounter_ids) == (hold_id, [case_id], [encounter_id])
    assert placed.reason == "litigation" and placed.placed_by == "counsel"
    on_encounter = FakeUnitOfWork()
    await retention.place_hold(uow=on_encounter, subject_id=None, case_id=None, encounter_id=encounter_id, reason="r")
    assert on_encounter.events[0].case_ids == [case_id]  # type: ignore[attr-defined]
    releasing = FakeUnitOfWork()
    await retention.release_hold(uow=releasing, hold_id=hold_id)
    assert releasing.events == [LegalHoldReleased(hold_id=hold_id, released_by="analyst")]
    with pytest.raises(Conflict, match="already released"):
        await retention.release_hold(uow=FakeUnitOfWork(), hold_id=hold_id)
