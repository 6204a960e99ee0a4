"""Drafting and sending against an in-memory fake of their queries and of cases' internal API: what the rules
refuse at draft and at send time, and what a send accounts before anything leaves."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from services.disclosure import disclosures, domain, mail, review
from shared.errors import Conflict, Forbidden
from shared.events.disclosure import DisclosureApproved, DisclosureDrafted
from tests.unit.fakes import FakeUnitOfWork

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class FakeCases:
    """Cases' internal API: the disclosure view of one case, as cases holds it now."""

    target = "cases"

    def __init__(self, view: dict[str, Any]) -> None:
        self.view = view

    async def get(self, path: str, *, on_behalf_of: str | None) -> httpx.Response:
        return httpx.Response(200, json=self.view)


class FakeDisclosureQueries:
    """services.disclosure.db.disclosures, in memory."""

    def __init__(self) -> None:
        self.cases: dict[uuid.UUID, dict[str, Any]] = {}
        self.versions: dict[uuid.UUID, dict[str, Any]] = {}
        self.recipients: dict[uuid.UUID, dict[str, Any]] = {}
        self.drafts: dict[uuid.UUID, dict[str, Any]] = {}
        self.accounting: list[dict[str, Any]] = []
        self.in_force: dict[uuid.UUID, int | None] = {}  # the approved version, when not the stored one

    async def case(self, session: object, case_id: uuid.UUID) -> dict[str, Any] | None:
        return self.cases.get(case_id)

    async def case_program(self, session: object, case_id: uuid.UUID) -> str | None:
        return self.cases[case_id]["program"] if case_id in self.cases else None

    async def agreement_version(self, session: object, agreement_id: uuid.UUID, version: int | None) -> Any:
        return self.versions.get(agreement_id)

    async def agreement_in_force(self, session: object, agreement_id: uuid.UUID) -> Any:
        if agreement_id not in self.versions:
            return None
        approved = self.in_force.get(agreement_id, self.versions[agreement_id]["version"])
        return {"id": agreement_id, "approved_version": approved}

    async def recipient(self, session: object, recipient_id: uuid.UUID) -> dict[str, Any] | None:
        return self.recipients.get(recipient_id)

    async def insert_draft(self, session: object, row: dict[str, Any]) -> None:
        self.drafts[row["id"]] = {**row, "sent_at": None}

    async def draft(self, session: object, draft_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
        return self.drafts.get(draft_id)

    async def mark_sending(self, session: object, draft_id: uuid.UUID, *, at: dt.datetime, actor: str) -> None:
        self.drafts[draft_id].update(status="sending", updated_at=at, updated_by=actor)

    async def insert_accounting(self, session: object, row: dict[str, Any]) -> None:
        self.accounting.append(row)


class FakeReviewQueries:
    """services.disclosure.db.review, in memory, over the drafts and accounting of FakeDisclosureQueries."""

    def __init__(self, drafts: FakeDisclosureQueries) -> None:
        self.d = drafts
        self.steps: list[dict[str, Any]] = []

    async def add_step(self, session: object, *, draft_id: uuid.UUID, step: str, actor: str, **kw: Any) -> None:
        self.steps.append({"draft_id": draft_id, "step": step, "actor": actor, **kw})

    async def set_status(self, session: object, draft_id: uuid.UUID, status: str, *, actor: str) -> None:
        self.d.drafts[draft_id]["status"] = status

    async def steps_of(self, draft_id: uuid.UUID) -> list[dict[str, Any]]:
        return [s for s in self.steps if s["draft_id"] == draft_id]

    async def steps(self, session: object, draft_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        return [s for s in self.steps if s["draft_id"] in draft_ids]

    async def approvers_since_last_return(self, session: object, draft_id: uuid.UUID) -> list[str]:
        approvers: list[str] = []
        for s in await self.steps_of(draft_id):
            approvers = [] if s["step"] == "sent-back" else approvers + [s["actor"]] * (s["step"] == "approved")
        return approvers

    async def earlier_disclosures(
        self, session: object, *, case_id: uuid.UUID, agreement_id: uuid.UUID, other_than: uuid.UUID | None = None
    ) -> list[dict[str, Any]]:
        return [
            a
            for a in self.d.accounting
            if a["case_id"] == case_id and a["agreement_id"] == agreement_id and a["draft_id"] != other_than
        ]


CASE_ID, AGREEMENT_ID, RECIPIENT_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SHARED, WITHHELD = uuid.UUID(int=1), uuid.UUID(int=2)


def _view() -> dict[str, Any]:
    """One case, two encounters: a CBP one the agreement covers and an ICE one it does not."""

    def encounter(encounter_id: uuid.UUID, owner: str, last_name: str) -> dict[str, Any]:
        fields = {"fin": f"00{encounter_id.int}", "last_name": last_name, "data_owner": owner, "ous": "CBP/OFO"}
        return {"encounter_id": str(encounter_id), "fields": fields, "flags": {}}

    return {
        "case_id": str(CASE_ID),
        "program": "PCSC",
        "partner_country": "GRC",
        "matched": True,
        "encounters": [encounter(SHARED, "CBP", "Papadakis"), encounter(WITHHELD, "ICE", "Konstantinou")],
        "findings": [
            {
                "finding_id": str(uuid.UUID(int=9)),
                "kind": "no-derogatory-information",
                "text": "Nothing derogatory found",
                "accurate_as_of": "2026-11-20T09:30:00+00:00",
                "encounter_ids": [],
            }
        ],
        "missing_searches": [],
    }


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeDisclosureQueries:
    fake = FakeDisclosureQueries()
    fake.cases[CASE_ID] = {
        "case_id": CASE_ID,
        "subject_id": uuid.uuid4(),
        "program": "PCSC",
        "partner_country": "GRC",
        "partner_transaction_number": "GR-2026-17",
        "matched": True,
        "opened_at": NOW - dt.timedelta(days=2),
    }
    fake.versions[AGREEMENT_ID] = {
        "agreement_id": AGREEMENT_ID,
        "version": 4,
        "partner_country": "GRC",
        "partner_agency": "Hellenic Police",
        "program": "PCSC",
        "data_owners": ["CBP"],
        "ous": ["*"],
        "fields": ["fin", "last_name"],
        "di_categories": [],
        "protected_classes": [],
        "caveat": "",
        "purposes": ["serious-crime"],
        "valid_from": dt.date(2010, 1, 1),
        "valid_to": None,
    }
    fake.recipients[RECIPIENT_ID] = {
        "id": RECIPIENT_ID,
        "agreement_id": AGREEMENT_ID,
        "person": "desk",
        "email": "desk@police.example",
        "certificate_pem": "PEM",
        "retired_at": None,
        "retired_by": None,
    }
    monkeypatch.setattr(disclosures, "queries", fake)
    monkeypatch.setattr(review, "drafts_db", fake)
    reviews = FakeReviewQueries(fake)
    monkeypatch.setattr(review, "queries", reviews)
    monkeypatch.setattr(disclosures, "review_db", reviews)
    return fake


async def _draft(
    note: str = "", view: dict[str, Any] | None = None, uow: FakeUnitOfWork | None = None, **kw: Any
) -> uuid.UUID:
    return await disclosures.create_draft(
        uow=uow or FakeUnitOfWork(actor="ana"),
        cases=FakeCases(view or _view()),  # type: ignore[arg-type]
        case_id=CASE_ID,
        recipient_id=RECIPIENT_ID,
        purpose="serious-crime",
        note=note,
        today=NOW.date(),
        **kw,
    )


async def _approved(**kw: Any) -> uuid.UUID:
    """A draft by the analyst ana, reviewed and approved by the supervisor sam."""
    draft_id = await _draft(**kw)
    await review.request_review(uow=FakeUnitOfWork(actor="ana"), draft_id=draft_id)
    await review.approve(uow=FakeUnitOfWork(actor="sam"), draft_id=draft_id, may_approve=True)
    return draft_id


async def test_a_draft_releases_what_the_agreement_allows_and_names_the_rest_withheld(
    queries: FakeDisclosureQueries,
) -> None:
    draft = queries.drafts[await _draft()]
    assert draft["status"] == "draft"
    assert draft["released"]["encounters"] == {str(SHARED): {"fin": "001", "last_name": "Papadakis"}}
    assert {"item": f"encounter {WITHHELD}", "rule": "data owner not covered"} in draft["withheld"]
    assert "Konstantinou" not in draft["body"] and "PCSC transaction GR-2026-17" in draft["body"]
    assert (draft["agreement_id"], draft["agreement_version"]) == (AGREEMENT_ID, 4)
    assert "Findings accurate as of: 2026-11-20" in draft["body"] and "Result: MATCH" in draft["body"]


async def test_a_case_without_its_required_searches_or_a_finding_is_not_drafted_for(
    queries: FakeDisclosureQueries,
) -> None:
    view = {**_view(), "missing_searches": ["IDENT-SIT"], "findings": []}
    with pytest.raises(Conflict, match="required searches not recorded: IDENT-SIT; no finding recorded") as refused:
        await _draft(view=view)
    assert "override" not in refused.value.message  # an analyst is not offered what only a supervisor may do
    with pytest.raises(Forbidden, match="supervisor"):
        await _draft(view=view, override_reason="the partner's deadline is today")
    assert queries.drafts == {}


async def test_a_supervisor_overrides_readiness_with_a_reason_kept_on_the_draft(queries: FakeDisclosureQueries) -> None:
    view = {**_view(), "missing_searches": ["IDENT-SIT"]}
    uow = FakeUnitOfWork(actor="sam")
    draft = queries.drafts[await _draft(view=view, uow=uow, override_reason="deadline today", may_override=True)]
    override = draft["readiness_override"]
    assert (override["reason"], override["by"], override["missing"]) == (
        "deadline today",
        "sam",
        ["required searches not recorded: IDENT-SIT"],
    )
    (event,) = uow.events
    assert isinstance(event, DisclosureDrafted) and event.readiness_overridden


async def test_a_no_match_response_releases_nothing_and_is_accounted_unmatched(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _approved(matched=False)
    draft = queries.drafts[draft_id]
    assert draft["status"] == "approved" and draft["released"]["encounters"] == {}
    assert {w["rule"] for w in draft["withheld"]} == {"no-match response"}
    assert "Result: NO MATCH" in draft["body"] and "Papadakis" not in draft["body"]
    await _send(_view(), monkeypatch)
    (row,) = queries.accounting
    assert (row["matched"], row["encounter_ids"], row["on_sent"]["event"]["matched"]) == (False, [], False)


async def test_the_drafter_cannot_approve_and_nothing_leaves_unapproved(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _draft()
    with pytest.raises(Conflict, match="needs 1 approval"):
        await _send(_view(), monkeypatch)
    await review.request_review(uow=FakeUnitOfWork(actor="ana"), draft_id=draft_id)
    with pytest.raises(Forbidden, match="cannot review their own draft"):
        await review.approve(uow=FakeUnitOfWork(actor="ana"), draft_id=draft_id, may_approve=True)
    with pytest.raises(Forbidden, match="supervisor role"):
        await review.approve(uow=FakeUnitOfWork(actor="bob"), draft_id=draft_id, may_approve=False)
    await review.send_back(uow=FakeUnitOfWork(actor="sam"), draft_id=draft_id, comment="cite TECS", may_approve=True)
    assert queries.drafts[draft_id]["status"] == "draft"
    await review.request_review(uow=FakeUnitOfWork(actor="ana"), draft_id=draft_id)
    uow = FakeUnitOfWork(actor="sam")
    await review.approve(uow=uow, draft_id=draft_id, may_approve=True)
    (event,) = uow.events
    assert isinstance(event, DisclosureApproved) and (event.approvals, event.approvals_required) == (1, 1)
    await _send(_view(), monkeypatch)
    (row,) = queries.accounting
    assert row["approved_by"] == ["sam"] and row["repeat_reason"] is None


async def test_a_further_disclosure_to_the_same_partner_needs_a_reason_kept_in_the_accounting(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _approved()
    await _send(_view(), monkeypatch)
    queries.accounting[0]["sent_at"] = NOW
    with pytest.raises(Conflict, match="repeat_reason: this case was already disclosed to this partner"):
        await _draft()
    again = await _approved(repeat_reason="the partner asked for the travel history")
    queries.drafts = {again: queries.drafts[again]}  # _send sends the first draft it knows
    await _send(_view(), monkeypatch)
    assert queries.accounting[-1]["repeat_reason"] == "the partner asked for the travel history"


async def test_a_covering_note_quoting_a_withheld_value_is_refused(queries: FakeDisclosureQueries) -> None:
    with pytest.raises(Conflict, match="quotes withheld information") as refused:
        await _draft(note="Also Konstantinou.")
    assert refused.value.details["withheld"] == [f"encounter {WITHHELD}"]
    # The refusal names the words the analyst typed that quote it, so they know exactly what to take out.
    assert refused.value.details["words"] == ["Konstantinou"]
    assert 'remove "Konstantinou" from the note' in refused.value.message
    assert queries.drafts == {}


async def test_a_retired_recipient_is_not_drafted_for(queries: FakeDisclosureQueries) -> None:
    queries.recipients[RECIPIENT_ID].update(retired_at=NOW, retired_by="admin")
    with pytest.raises(Conflict, match="was retired on 2026-11-24 by admin"):
        await _draft()
    assert queries.drafts == {}


async def test_an_agreement_with_no_approved_version_governs_no_draft(queries: FakeDisclosureQueries) -> None:
    queries.in_force[AGREEMENT_ID] = None  # version 1 still awaits the privacy officer
    with pytest.raises(Conflict, match="no approved version of this agreement is in force"):
        await _draft()
    assert queries.drafts == {}


def _sealed(**kw: Any) -> mail.Sealed:
    assert kw["certificate_pem"] == "PEM" and kw["recipient_email"] == "desk@police.example"
    return mail.Sealed("<m1@tracs.local>", b"sealed:" + kw["body"].encode())


async def _send(view: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Send the draft; what `send` handed to delivery (nothing leaves in a unit test)."""
    handed: list[dict[str, Any]] = []

    async def deliver(**kw: Any) -> None:
        handed.append(kw)

    monkeypatch.setattr(disclosures.mail, "seal_to", _sealed)
    monkeypatch.setattr(disclosures.delivery, "deliver", deliver)
    office = mail.OfficeIdentity("office@obim.example", None, None)  # type: ignore[arg-type]
    await disclosures.send(
        uow=FakeUnitOfWork(actor="ana"),
        cases=FakeCases(view),  # type: ignore[arg-type]
        draft_id=next(iter(disclosures.queries.drafts)),  # type: ignore[attr-defined]
        office=office,
        smtp=("relay", 25),
        now=NOW,
    )
    return handed


async def test_a_send_is_accounted_pending_with_its_sealed_message_before_it_is_handed_over(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _approved()
    (handed,) = await _send(_view(), monkeypatch)
    (row,) = queries.accounting
    assert queries.drafts[draft_id]["status"] == "sending"
    assert (row["state"], row["draft_id"], row["analyst"], row["recipient_agency"]) == (
        "pending",
        draft_id,
        "ana",
        "Hellenic Police",
    )
    assert (row["encounter_ids"], row["fields"]) == ([SHARED], ["fin", "last_name"])
    assert row["message_digest"] == mail.Sealed("", row["message"]).digest
    assert row["digest"] == domain.digest(queries.drafts[draft_id]["body"])
    assert row["on_sent"]["owners"] == {"CBP": [str(SHARED)]}  # ICE's encounter was withheld: ICE is not told
    assert row["on_sent"]["event"]["shared_by_owner"] == {"CBP": 1}
    assert (handed["accounting_id"], handed["message"], handed["recipient"]) == (
        row["id"],
        row["message"],
        "desk@police.example",
    )


async def test_a_send_is_refused_when_the_case_changed_since_the_draft(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _approved()
    changed = _view()
    changed["encounters"][0]["fields"]["last_name"] = "Papadaki"  # corrected by redress meanwhile
    with pytest.raises(Conflict, match="changed since this draft was made"):
        await _send(changed, monkeypatch)
    assert queries.accounting == [] and queries.drafts[draft_id]["status"] == "approved"


async def test_a_draft_made_under_a_version_replaced_since_is_not_sent(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _draft()
    queries.in_force[AGREEMENT_ID] = 5  # a privacy officer approved version 5 after the draft (under 4)
    with pytest.raises(Conflict, match="drafted under agreement version 4, and version 5 governs now"):
        await _send(_view(), monkeypatch)
    assert queries.accounting == [] and queries.drafts[draft_id]["status"] == "draft"


async def test_a_draft_already_sent_is_not_sent_again(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _draft()
    queries.drafts[draft_id].update(status="sent", sent_at=NOW)
    with pytest.raises(Conflict, match="already sent at 2026-11-24 12:00 UTC"):
        await _send(_view(), monkeypatch)
    assert queries.accounting == []


async def test_a_recipient_retired_after_the_draft_is_not_sent_to(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = await _approved()
    queries.recipients[RECIPIENT_ID].update(retired_at=NOW, retired_by="admin")
    with pytest.raises(Conflict, match="retired"):
        await _send(_view(), monkeypatch)
    assert queries.accounting == [] and queries.drafts[draft_id]["status"] == "approved"


async def test_an_agreement_may_ask_for_two_approvals_by_different_supervisors(
    queries: FakeDisclosureQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries.versions[AGREEMENT_ID]["approvals_required"] = 2
    draft_id = await _draft()
    assert queries.drafts[draft_id]["approvals_required"] == 2
    await review.request_review(uow=FakeUnitOfWork(actor="ana"), draft_id=draft_id)
    await review.approve(uow=FakeUnitOfWork(actor="sam"), draft_id=draft_id, may_approve=True)
    assert queries.drafts[draft_id]["status"] == "in-review"
    with pytest.raises(Conflict, match="needs 2 approval"):
        await _send(_view(), monkeypatch)
    with pytest.raises(Conflict, match="approved this draft already"):
        await review.approve(uow=FakeUnitOfWork(actor="sam"), draft_id=draft_id, may_approve=True)
    await review.approve(uow=FakeUnitOfWork(actor="kim"), draft_id=draft_id, may_approve=True)
    assert queries.drafts[draft_id]["status"] == "approved"
    await _send(_view(), monkeypatch)
    assert queries.accounting[0]["approved_by"] == ["sam", "kim"]
