"""Agreement use cases against an in-memory fake of their queries: versions only ever added, recipients retired
once, every change announced."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import pytest

from services.disclosure import agreements
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events.disclosure import AgreementChanged
from tests.unit.fakes import FakeUnitOfWork

TERMS = copy.deepcopy(agreements.DEV_AGREEMENTS[0][2])


class FakeAgreementQueries:
    """services.disclosure.db.agreements, in memory."""

    def __init__(self) -> None:
        self.agreements: dict[uuid.UUID, dict[str, Any]] = {}
        self.versions: list[dict[str, Any]] = []
        self.recipients: dict[uuid.UUID, dict[str, Any]] = {}

    async def agreement_by_name(self, session: object, name: str) -> dict[str, Any] | None:
        return next((a for a in self.agreements.values() if a["name"] == name), None)

    async def insert_agreement(self, session: object, row: dict[str, Any]) -> None:
        self.agreements[row["id"]] = {"approved_version": None, **row}

    async def insert_version(self, session: object, *, agreement_id: uuid.UUID, version: int, **rest: Any) -> None:
        terms = rest.pop("terms")
        self.versions.append(
            {
                "agreement_id": agreement_id,
                "version": version,
                **terms,
                **rest,
                "status": "draft",
                "changed_by": rest["actor"],
            }
        )

    async def lock_agreement(self, session: object, agreement_id: uuid.UUID) -> dict[str, Any] | None:
        return self.agreements.get(agreement_id)

    async def set_current_version(self, session: object, agreement_id: uuid.UUID, version: int, actor: str) -> None:
        self.agreements[agreement_id].update(current_version=version, updated_by=actor)

    async def versions_of(self, agreement_id: uuid.UUID) -> list[dict[str, Any]]:
        return [v for v in self.versions if v["agreement_id"] == agreement_id]

    async def version(self, session: object, agreement_id: uuid.UUID, number: int) -> dict[str, Any] | None:
        return next((v for v in await self.versions_of(agreement_id) if v["version"] == number), None)

    async def review_version(
        self, session: object, agreement_id: uuid.UUID, number: int, *, status: str, reviewer: str, note: str
    ) -> None:
        row = await self.version(session, agreement_id, number)
        row.update(status=status, reviewed_by=reviewer, review_note=note)  # type: ignore[union-attr]

    async def set_status(self, session: object, agreement_id: uuid.UUID, number: int, status: str) -> None:
        (await self.version(session, agreement_id, number)).update(status=status)  # type: ignore[union-attr]

    async def set_approved_version(self, session: object, agreement_id: uuid.UUID, number: int, actor: str) -> None:
        self.agreements[agreement_id].update(approved_version=number)

    async def open_draft(self, session: object, agreement_id: uuid.UUID) -> dict[str, Any] | None:
        return next((v for v in await self.versions_of(agreement_id) if v["status"] == "draft"), None)

    async def recipient_for_update(
        self, session: object, agreement_id: uuid.UUID, recipient_id: uuid.UUID
    ) -> dict[str, Any] | None:
        row = self.recipients.get(recipient_id)
        return row if row is not None and row["agreement_id"] == agreement_id else None

    async def retire_recipient(self, session: object, recipient_id: uuid.UUID, *, by: str, reason: str) -> None:
        now = dt.datetime.now(dt.UTC)
        self.recipients[recipient_id].update(retired_at=now, retired_by=by, retired_reason=reason)

    async def agreement_recipients(self, session: object, agreement_id: uuid.UUID) -> list[dict[str, Any]]:
        return [r for r in self.recipients.values() if r["agreement_id"] == agreement_id]


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> FakeAgreementQueries:
    fake = FakeAgreementQueries()
    monkeypatch.setattr(agreements, "queries", fake)
    return fake


async def test_a_new_agreement_is_a_draft_version_1_announced_only_once_a_privacy_officer_approves_it(
    queries: FakeAgreementQueries,
) -> None:
    uow = FakeUnitOfWork(actor="admin")
    agreement_id = await agreements.create_agreement(uow=uow, name="MOU", terms=TERMS, note="signed")
    assert queries.agreements[agreement_id]["current_version"] == 1
    assert queries.agreements[agreement_id]["approved_version"] is None
    assert [(v["version"], v["note"], v["actor"], v["status"]) for v in queries.versions] == [
        (1, "signed", "admin", "draft")
    ]
    assert uow.events == []  # a draft covers no partner yet
    uow = FakeUnitOfWork(actor="privacy")
    await agreements.review_version(uow=uow, agreement_id=agreement_id, version=1, approve=True, note="PLCY cleared")
    assert queries.agreements[agreement_id]["approved_version"] == 1
    assert (queries.versions[0]["status"], queries.versions[0]["reviewed_by"]) == ("approved", "privacy")
    (event,) = uow.events
    assert isinstance(event, AgreementChanged)
    assert (event.agreement_id, event.version, event.program, event.partner_country) == (
        agreement_id,
        1,
        "UK-VISA",
        "GBR",
    )


async def test_a_second_agreement_of_the_same_name_is_refused_and_nothing_is_written(
    queries: FakeAgreementQueries,
) -> None:
    await agreements.create_agreement(uow=FakeUnitOfWork(), name="MOU", terms=TERMS, note="signed")
    uow = FakeUnitOfWork()
    with pytest.raises(Conflict, match="exists already"):
        await agreements.create_agreement(uow=uow, name="MOU", terms=TERMS, note="again")
    assert (len(queries.agreements), len(queries.versions), uow.events, uow.rolled_back) == (1, 1, [], 1)


async def test_terms_that_cannot_be_applied_are_refused_before_anything_is_read(
    queries: FakeAgreementQueries,
) -> None:
    with pytest.raises(Invalid, match="partner_country"):
        await agreements.create_agreement(
            uow=FakeUnitOfWork(), name="MOU", terms={**TERMS, "partner_country": "UK"}, note="x"
        )
    assert queries.agreements == {}


async def test_a_revision_is_a_draft_the_version_in_force_keeps_governing_until_its_approval_retires_it(
    queries: FakeAgreementQueries,
) -> None:
    agreement_id = await agreements.create_agreement(uow=FakeUnitOfWork(), name="MOU", terms=TERMS, note="signed")
    await agreements.review_version(
        uow=FakeUnitOfWork(actor="privacy"), agreement_id=agreement_id, version=1, approve=True, note="ok"
    )
    uow = FakeUnitOfWork(actor="admin2")
    version = await agreements.revise_agreement(
        uow=uow, agreement_id=agreement_id, terms={**TERMS, "valid_to": dt.date(2030, 1, 1)}, note="ends"
    )
    assert version == 2 and uow.events == []
    assert [(v["version"], v["status"]) for v in queries.versions] == [(1, "approved"), (2, "draft")]
    assert (
        queries.agreements[agreement_id]["current_version"],
        queries.agreements[agreement_id]["approved_version"],
    ) == (2, 1)
    with pytest.raises(Conflict, match="version 2 awaits a privacy officer's review"):
        await agreements.revise_agreement(uow=FakeUnitOfWork(), agreement_id=agreement_id, terms=TERMS, note="again")
    uow = FakeUnitOfWork(actor="privacy")
    await agreements.review_version(uow=uow, agreement_id=agreement_id, version=2, approve=True, note="ok")
    assert [(v["version"], v["status"]) for v in queries.versions] == [(1, "retired"), (2, "approved")]
    assert [(e.version, e.valid_to) for e in uow.events] == [(2, dt.date(2030, 1, 1))]


async def test_the_author_never_approves_their_own_version_and_only_a_draft_is_reviewed(
    queries: FakeAgreementQueries,
) -> None:
    agreement_id = await agreements.create_agreement(
        uow=FakeUnitOfWork(actor="pat"), name="MOU", terms=TERMS, note="signed"
    )
    uow = FakeUnitOfWork(actor="pat")
    with pytest.raises(Forbidden, match="written by pat: another privacy officer approves it"):
        await agreements.review_version(uow=uow, agreement_id=agreement_id, version=1, approve=True, note="mine")
    assert queries.agreements[agreement_id]["approved_version"] is None and uow.events == []
    await agreements.review_version(
        uow=FakeUnitOfWork(actor="privacy"),
        agreement_id=agreement_id,
        version=1,
        approve=False,
        note="no PLCY sign-off",
    )
    assert (queries.versions[0]["status"], queries.versions[0]["review_note"]) == ("rejected", "no PLCY sign-off")
    assert queries.agreements[agreement_id]["approved_version"] is None
    with pytest.raises(Conflict, match="version 1 is rejected; only a draft"):
        await agreements.review_version(
            uow=FakeUnitOfWork(actor="privacy"), agreement_id=agreement_id, version=1, approve=True, note="now"
        )
    with pytest.raises(NotFound, match="has no version 7"):
        await agreements.review_version(
            uow=FakeUnitOfWork(actor="privacy"), agreement_id=agreement_id, version=7, approve=True, note="x"
        )


async def test_revising_an_unknown_agreement_is_not_found(queries: FakeAgreementQueries) -> None:
    with pytest.raises(NotFound):
        await agreements.revise_agreement(uow=FakeUnitOfWork(), agreement_id=uuid.uuid4(), terms=TERMS, note="x")
    assert queries.versions == []


async def test_a_recipient_is_retired_once_and_kept(queries: FakeAgreementQueries) -> None:
    agreement_id, recipient_id = uuid.uuid4(), uuid.uuid4()
    queries.recipients[recipient_id] = {
        "id": recipient_id,
        "agreement_id": agreement_id,
        "person": "desk",
        "email": "desk@partner.example",
        "certificate_pem": None,
        "created_at": dt.datetime.now(dt.UTC),
        "created_by": "admin",
        "retired_at": None,
        "retired_by": None,
        "retired_reason": None,
    }
    out = await agreements.retire_recipient(
        uow=FakeUnitOfWork(actor="admin"), agreement_id=agreement_id, recipient_id=recipient_id, reason="left"
    )
    assert (out["retired_by"], out["retired_reason"], out["has_certificate"]) == ("admin", "left", False)
    with pytest.raises(Conflict, match="already retired by admin"):
        await agreements.retire_recipient(
            uow=FakeUnitOfWork(actor="other"), agreement_id=agreement_id, recipient_id=recipient_id, reason="again"
        )
    assert queries.recipients[recipient_id]["retired_reason"] == "left"
