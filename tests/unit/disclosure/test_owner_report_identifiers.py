"""An owner's report names each encounter by what the owner looks it up by (issue 28): the identifiers cases holds,
filtered by the rules of a response and frozen in the report when drafted; accounted as the fields it carried;
stripped at an owner's deletion; and a report left being sent is picked up by the background retry loop."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from services.disclosure import domain, mail, pending, report_sends
from services.disclosure import owner_report_rules as reports
from services.disclosure.domain import Agreement, CaseSummary, EncounterView
from shared.errors import Conflict, Unavailable
from tests.unit.fakes import FakeUnitOfWork

SENT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 4)


def _agreement(**overrides: object) -> Agreement:
    base = dict(
        agreement_id=uuid.uuid4(),
        version=1,
        partner_country=None,
        partner_agency="Department of State (CA/VO)",
        program="*",
        data_owners=frozenset({"DOS"}),
        ous=frozenset({"*"}),
        fields=frozenset({"eid", "fin", "last_name", "encounter_date"}),
        di_categories=frozenset(),
        protected_classes=frozenset(),
        caveat="",
        purposes=frozenset({reports.PURPOSE}),
        valid_from=dt.date(2012, 1, 1),
        valid_to=None,
        recipient_kind="dos",
        use_limits="For official use only.",
    )
    return Agreement(**{**base, **overrides})  # type: ignore[arg-type]


def _encounter(**overrides: object) -> EncounterView:
    base = dict(
        encounter_id=uuid.uuid4(),
        data_owner="DOS",
        ous="DOS/CA",
        protected_class=None,
        not_sharable=False,
        di_shared=None,
        values={"eid": "EID-7741002", "fin": "40512337", "last_name": "Okafor", "encounter_date": "2022-08-19"},
    )
    return EncounterView(**{**base, **overrides})  # type: ignore[arg-type]


def _item(subject: uuid.UUID, encounters: list[uuid.UUID], case_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {
        "accounting_id": uuid.uuid4(),
        "sent_at": SENT,
        "case_id": case_id or uuid.uuid4(),
        "subject_id": subject,
        "program": "M5",
        "partner_country": "GBR",
        "partner_transaction_number": "T-1",
        "recipient_agency": "UK Home Office",
        "encounter_ids": encounters,
    }


def test_an_encounter_is_named_by_the_identifiers_a_response_could_release_never_a_protected_ones() -> None:
    plain, protected = _encounter(), _encounter(protected_class="T")
    hidden, other = _encounter(not_sharable=True), _encounter(data_owner="CBP", ous="CBP/OFO")
    withdrawn = _encounter(withdrawn=True)
    summary = CaseSummary(uuid.uuid4(), "M5", "GBR", True, (plain, protected, hidden, other, withdrawn))
    found = reports.identifiers(summary, _agreement())
    # Identifiers only, never another field (the last name stays in cases), and none of a withheld encounter.
    assert found[str(plain.encounter_id)] == {"eid": "EID-7741002", "fin": "40512337", "encounter_date": "2022-08-19"}
    assert all(found[str(e.encounter_id)] == {} for e in (protected, hidden, other, withdrawn))
    # A field the owner's agreement does not name does not leave either.
    narrow = reports.identifiers(summary, _agreement(fields=frozenset({"fin"})))
    assert narrow[str(plain.encounter_id)] == {"fin": "40512337"}


def test_the_report_prints_each_encounters_identifiers_and_accounts_the_fields_it_carried() -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    e1, e2 = uuid.uuid4(), uuid.uuid4()
    items = reports.frozen_items([_item(alice, [e1]), _item(bob, [e2])])
    held = {str(e1): {"eid": "EID-1", "fin": "F1", "encounter_date": "2022-08"}}
    named = reports.with_identifiers(items, held)
    body = reports.render(owner="DOS", agency="DOS", start=TODAY, end=TODAY, items=named, limits="")
    assert f"   Encounter {e1}: EID EID-1, FIN F1, encounter date 2022-08\n" in body
    assert f"   Encounter {e2}\n" in body  # cases no longer holds it, or nothing of it may leave: its id alone
    assert reports.identifier_fields(named) == {alice: ["eid", "encounter_date", "fin"], bob: []}

    # The send compares with the accounting and with cases now: an identifier corrected since means drafting again.
    reports.require_unchanged(named, reports.with_identifiers(items, {k: dict(v) for k, v in held.items()}))
    reports.require_unchanged(named, items)  # the accounting alone (a report drafted before identifiers) compares
    with pytest.raises(Conflict, match="changed in cases since it was drafted"):
        reports.require_unchanged(named, reports.with_identifiers(items, {str(e1): {"eid": "EID-2"}}))
    with pytest.raises(Conflict, match="accounting of the period changed"):
        reports.require_unchanged(named, reports.with_identifiers(items[:1], held))


def test_an_owners_deletion_takes_the_encounters_identifiers_out_of_a_report_and_keeps_the_rest() -> None:
    e1, e2 = uuid.uuid4(), uuid.uuid4()
    items = reports.with_identifiers(
        reports.frozen_items([_item(uuid.uuid4(), [e1, e2])]),
        {str(e1): {"eid": "EID-1"}, str(e2): {"eid": "EID-2"}},
    )
    body = reports.render(owner="DOS", agency="DOS", start=TODAY, end=TODAY, items=items, limits="")
    kept, stripped = reports.without_encounter(items, body, str(e1), "[identifiers removed]")
    assert "EID-1" not in stripped and f"Encounter {e1}: [identifiers removed]" in stripped and "EID-2" in stripped
    assert kept[0]["identifiers"] == {str(e1): {}, str(e2): {"eid": "EID-2"}}
    assert kept[0]["encounter_ids"] == items[0]["encounter_ids"]


class FakeReportQueries:
    """services.disclosure.db.report_sends, in memory."""

    def __init__(self) -> None:
        self.reports: dict[uuid.UUID, dict[str, Any]] = {}
        self.accounting: list[dict[str, Any]] = []

    async def insert(self, session: object, row: dict[str, Any]) -> None:
        self.reports[row["id"]] = {**row, "sent_at": None, "message": None, "sent_by": None}

    async def report(self, session: object, report_id: uuid.UUID, *, lock: bool = False) -> Any:
        return self.reports.get(report_id)

    async def sending(self, session: object) -> list[Any]:
        return [
            type("Row", (), {"id": r["id"], "message": r["message"], "sent_by": r["sent_by"]})
            for r in self.reports.values()
            if r["status"] == "sending" and r["message"] is not None
        ]

    async def recipient_email_of(self, session: object, report_id: uuid.UUID) -> str | None:
        return next((a["recipient_email"] for a in self.accounting if a["report_id"] == report_id), None)

    async def settle(self, session: object, report_id: uuid.UUID, *, state: str, at: Any, failure: Any) -> int:
        rows = [a for a in self.accounting if a["report_id"] == report_id and a["state"] == "pending"]
        for a in rows:
            a.update(state=state, delivered_at=at)
        return len(rows)

    async def update_report(self, session: object, report_id: uuid.UUID, **values: Any) -> None:
        self.reports[report_id].update(values)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeReportQueries:
    q = FakeReportQueries()
    monkeypatch.setattr(report_sends, "queries", q)
    return q


async def test_a_drafted_report_freezes_the_identifiers_cases_holds_in_its_items_and_text(
    fake: FakeReportQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject, case_id = uuid.uuid4(), uuid.uuid4()
    encounter = _encounter()
    agreement = _agreement()
    asked: list[uuid.UUID] = []

    async def recipient(uow: Any, recipient_id: uuid.UUID) -> dict[str, Any]:
        return {"id": recipient_id, "agreement_id": agreement.agreement_id}

    async def governing(uow: Any, agreement_id: uuid.UUID, version: int | None = None) -> Agreement:
        return agreement

    async def shared(session: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return [_item(subject, [encounter.encounter_id], case_id), _item(subject, [encounter.encounter_id], case_id)]

    async def summary(cases: Any, cid: uuid.UUID, actor: str) -> CaseSummary:
        asked.append(cid)
        return CaseSummary(cid, "M5", "GBR", True, (encounter,))

    monkeypatch.setattr(report_sends.disclosures, "active_recipient", recipient)
    monkeypatch.setattr(report_sends.disclosures, "governing_agreement", governing)
    monkeypatch.setattr(report_sends.disclosures, "case_summary", summary)
    monkeypatch.setattr(report_sends.items_db, "shared_of_owner", shared)
    report_id = await report_sends.draft(
        uow=FakeUnitOfWork(), cases=object(), recipient_id=uuid.uuid4(), start=TODAY, end=TODAY, today=TODAY
    )
    stored = fake.reports[report_id]
    assert asked == [case_id]  # one call per case, however many items name it
    assert [i["identifiers"] for i in stored["items"]] == [
        {str(encounter.encounter_id): {"eid": "EID-7741002", "fin": "40512337", "encounter_date": "2022-08-19"}}
    ] * 2
    assert f"Encounter {encounter.encounter_id}: EID EID-7741002, FIN 40512337" in stored["body"]
    assert "Okafor" not in stored["body"]


async def test_the_background_loop_delivers_a_report_left_being_sent_once_the_relay_takes_it(
    fake: FakeReportQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_id = uuid.uuid4()
    fake.reports[report_id] = {
        "id": report_id,
        "status": "sending",
        "message": b"sealed",
        "sent_by": "analyst",
        "sent_at": None,
    }
    fake.accounting.append({"report_id": report_id, "state": "pending", "recipient_email": "alerts@state.example"})
    handed: list[tuple[bytes, str]] = []
    relay = iter([Unavailable("the mail relay is unavailable"), None])

    async def deliver(message: bytes, *, sender: str, recipient: str, host: str, port: int) -> None:
        if (refusal := next(relay)) is not None:
            raise refusal
        handed.append((message, recipient))

    async def no_pending_disclosures(**kwargs: Any) -> int:
        return 0

    monkeypatch.setattr(mail, "deliver", deliver)
    monkeypatch.setattr(pending.delivery, "resolve_pending", no_pending_disclosures)
    # At start the relay refuses: the report is left being sent, and counted for the loop to go on.
    assert await pending.resolve_all(uow_factory=FakeUnitOfWork, sender="o@x", smtp=("h", 25)) == 1
    assert fake.reports[report_id]["status"] == "sending"
    # The loop tries again and stops once nothing is left: the same bytes went, accounted sent.
    await pending.keep_resolving(uow_factory=FakeUnitOfWork, sender="o@x", smtp=("h", 25), interval=0)
    assert handed == [(b"sealed", "alerts@state.example")]
    assert (fake.reports[report_id]["status"], fake.accounting[0]["state"]) == ("sent", "sent")
    assert fake.reports[report_id]["message"] is None


def test_released_values_follow_a_responses_rules() -> None:
    e = _encounter()
    assert domain.released_values(e, ("fin", "dob"), _agreement()) == {"fin": "40512337"}
    assert domain.released_values(e, ("fin",), _agreement(data_owners=frozenset({"CBP"}))) == {}
