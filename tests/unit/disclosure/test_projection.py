"""The read model of cases against an in-memory fake of its queries, fed through the subscription's own routing
(each event type to its handler, in topic order)."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from services.disclosure import consumers, projection
from shared.events.cases import AttachedRow, EncounterCorrected, EncountersAttached, FlagSet, RecordsPurged
from shared.events.envelope import Event, wrap
from shared.inbox import Delivered, route_by_type
from tests.unit.fakes import FakeUnitOfWork


class FakeProjectionQueries:
    """services.disclosure.db.projection, in memory (insert-if-absent where the real one is)."""

    def __init__(self) -> None:
        self.encounters: dict[uuid.UUID, dict[str, Any]] = {}
        self.notifications: dict[uuid.UUID, dict[str, Any]] = {}
        self.cases: dict[uuid.UUID, dict[str, Any]] = {}
        self.members: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.flags: dict[tuple[uuid.UUID, str], Any] = {}
        self.accounting: list[SimpleNamespace] = []
        self.notices: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
        self.forgotten: list[tuple[list[uuid.UUID], list[uuid.UUID]]] = []
        self.due: dict[uuid.UUID, dict[str, Any]] = {}

    async def add_due_notices(self, session: object, rows: list[dict[str, Any]]) -> None:
        for row in rows:  # a later chunk adds its encounters to the notice still due
            if row["id"] in self.due:
                self.due[row["id"]]["encounter_ids"] = sorted(
                    {*self.due[row["id"]]["encounter_ids"], *row["encounter_ids"]}
                )
            else:
                self.due[row["id"]] = dict(row)

    async def project(self, session: object, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.encounters.setdefault(r["encounter_id"], r)

    async def notify_owners(self, session: object, notices: list[dict[str, Any]]) -> None:
        for n in notices:
            self.notifications.setdefault(n["id"], n)

    async def open_cases(self, session: object, cases: list[dict[str, Any]]) -> None:
        for c in cases:
            self.cases.setdefault(c["case_id"], c)

    async def cases_of_encounter(self, session: object, encounter_id: uuid.UUID) -> list[uuid.UUID]:
        return [c for c, e in self.members if e == encounter_id]

    async def add_members(self, session: object, members: list[dict[str, Any]]) -> None:
        self.members |= {(m["case_id"], m["encounter_id"]) for m in members}

    async def set_flags(self, session: object, flags: list[dict[str, Any]]) -> None:
        keys = [(f["encounter_id"], f["flag"]) for f in flags]
        assert len(keys) == len(set(keys)), "one statement cannot touch a row twice"
        self.flags.update({(f["encounter_id"], f["flag"]): f["value"] for f in flags})

    async def disclosures_with(self, session: object, *, encounter_id: uuid.UUID, field: str) -> list[Any]:
        return [a for a in self.accounting if encounter_id in a.encounter_ids and field in a.fields]

    async def list_notices(self, session: object, notices: list[dict[str, Any]]) -> None:
        for n in notices:
            self.notices.setdefault((n["correction_id"], n["accounting_id"]), n)

    async def forget(self, session: object, *, case_ids: list[uuid.UUID], encounter_ids: list[uuid.UUID]) -> None:
        self.forgotten.append((case_ids, encounter_ids))


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeProjectionQueries:
    fake = FakeProjectionQueries()
    monkeypatch.setattr(projection, "queries", fake)
    return fake


async def _consume(*events: Event) -> FakeUnitOfWork:
    """One batch through the subscription's routing, in one unit of work, as the inbox consumer runs it."""
    (subscription,) = [s for s in consumers.SUBSCRIPTIONS if s.name == "cases"]
    delivered = [Delivered(wrap(e, producer="cases", correlation_id="t"), e) for e in events]
    uow = FakeUnitOfWork()
    async with uow:
        await route_by_type(subscription.handlers)(uow, delivered)  # type: ignore[arg-type]
    return uow


def _row(**kw: Any) -> AttachedRow:
    base = {"encounter_id": uuid.uuid4(), "row_number": 1, "subject_id": uuid.uuid4(), "case_id": uuid.uuid4()}
    return AttachedRow(**{**base, **kw})


def _attached(*rows: AttachedRow, kind: str = "partner-query") -> EncountersAttached:
    return EncountersAttached(batch_id=uuid.uuid4(), chunk=1, program="M5", upload_kind=kind, rows=list(rows))


async def test_attached_encounters_are_projected_and_a_tsc_match_is_reported_to_tsc(
    queries: FakeProjectionQueries,
) -> None:
    tsc = _row(data_owner="FBI-TSC", partner_country="AUS", case_opened=True, partner_transaction_number="T1")
    cbp = _row(data_owner="CBP", case_id=tsc.case_id, subject_id=tsc.subject_id, protected_class="ASYLEE")
    not_a_query = _row(data_owner="FBI-TSC")
    await _consume(_attached(tsc, cbp), _attached(not_a_query, kind="bulk-load"))
    assert set(queries.encounters) == {tsc.encounter_id, cbp.encounter_id, not_a_query.encounter_id}
    assert queries.encounters[cbp.encounter_id]["special_protected"] is True
    (notice,) = queries.notifications.values()  # the partner query's TSC row only, shared or not
    assert (notice["data_owner"], notice["encounter_ids"], notice["shared"]) == ("FBI-TSC", [tsc.encounter_id], False)
    assert list(queries.cases) == [tsc.case_id] and queries.cases[tsc.case_id]["partner_transaction_number"] == "T1"
    assert (tsc.case_id, cbp.encounter_id) in queries.members
    assert queries.flags == {(cbp.encounter_id, "protected-class"): {"class": "ASYLEE"}}
    (due,) = queries.due.values()  # TSC's notice is due for its match, whatever is later shared
    assert (due["kind"], due["recipient_org"], due["case_id"]) == ("tsc-notice", "FBI-TSC", tsc.case_id)
    assert due["encounter_ids"] == [tsc.encounter_id]


async def test_a_kst_match_makes_one_tsc_notice_per_case_and_a_redelivery_adds_none(
    queries: FakeProjectionQueries,
) -> None:
    first = _row(data_owner="CBP", partner_country="GBR")
    second = _row(data_owner="ICE", case_id=first.case_id, subject_id=first.subject_id)
    kst = EncountersAttached(batch_id=uuid.uuid4(), chunk=1, program="KST", upload_kind="partner-query", rows=[first])
    later = EncountersAttached(
        batch_id=kst.batch_id, chunk=2, program="KST", upload_kind="partner-query", rows=[second]
    )
    await _consume(kst, later, kst)
    (due,) = queries.due.values()
    assert due["id"] == uuid.uuid5(first.case_id, "tsc-notice")
    assert due["encounter_ids"] == sorted([first.encounter_id, second.encounter_id])


async def test_a_kst_status_in_any_program_or_a_kst_flag_set_later_makes_tsc_s_notice_due(
    queries: FakeProjectionQueries,
) -> None:
    """Issue 28: TSC hears of every watchlist match: an M5 row whose fast-matcher status names a KST, and a case
    whose encounter an analyst later flags as a KST (not a cleared flag, nor another watchlist)."""
    m5_kst = _row(data_owner="CBP", kst=True, fast_matcher=True)
    plain = _row(data_owner="CBP")
    await _consume(_attached(m5_kst), _attached(plain))
    assert [d["case_id"] for d in queries.due.values()] == [m5_kst.case_id]

    def flag(value: dict[str, Any]) -> FlagSet:
        return FlagSet(
            encounter_id=plain.encounter_id, subject_id=plain.subject_id, flag="fast-matcher", value=value, reason="r"
        )

    await _consume(flag({"set": True, "status": "BIO-WATCH"}), flag({"set": False, "status": "KST"}))
    assert plain.case_id not in {d["case_id"] for d in queries.due.values()}
    await _consume(flag({"set": True, "status": "Known or suspected terrorist"}))
    due = queries.due[uuid.uuid5(plain.case_id, "tsc-notice")]
    assert (due["kind"], due["encounter_ids"], due["created_by"]) == ("tsc-notice", [plain.encounter_id], "system")


async def test_flags_apply_in_topic_order_the_latest_setting_winning(queries: FakeProjectionQueries) -> None:
    row = _row(protected_class="ASYLEE")

    def flag(value: dict[str, Any]) -> FlagSet:
        return FlagSet(
            encounter_id=row.encounter_id, subject_id=row.subject_id, flag="protected-class", value=value, reason="r"
        )

    await _consume(_attached(row), flag({"class": "REFUGEE"}), flag({"class": "T"}))
    assert queries.flags == {(row.encounter_id, "protected-class"): {"class": "T"}}


async def test_a_correction_lists_every_recipient_who_received_the_corrected_field(
    queries: FakeProjectionQueries,
) -> None:
    encounter_id, sent = uuid.uuid4(), dt.datetime(2026, 1, 5, tzinfo=dt.UTC)

    def disclosed(fields: list[str]) -> SimpleNamespace:
        return SimpleNamespace(
            id=uuid.uuid4(),
            encounter_ids=[encounter_id],
            fields=fields,
            recipient_email="desk@partner.example",
            recipient_agency="Home Affairs",
            sent_at=sent,
        )

    with_dob, without = disclosed(["dob", "fin"]), disclosed(["fin"])
    queries.accounting = [with_dob, without]
    correction = EncounterCorrected(
        encounter_id=encounter_id,
        subject_id=uuid.uuid4(),
        field="dob",
        redress_id=uuid.uuid4(),
        correction_id=uuid.uuid4(),
        value="1971-02-03",
    )
    await _consume(correction)
    (notice,) = queries.notices.values()
    assert (notice["accounting_id"], notice["field"], notice["disclosed_at"]) == (with_dob.id, "dob", sent)
    assert notice["redress_id"] == correction.redress_id


async def test_purged_records_are_forgotten(queries: FakeProjectionQueries) -> None:
    case_id, encounter_id = uuid.uuid4(), uuid.uuid4()
    await _consume(RecordsPurged(subject_id=uuid.uuid4(), case_ids=[case_id], encounter_ids=[encounter_id]))
    assert queries.forgotten == [([case_id], [encounter_id])]
