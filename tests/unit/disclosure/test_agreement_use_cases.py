"""Agreement use cases against an in-memory fake of their queries: versions only ever added, recipients retired
once, every change announced."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import pytest

from services.disclosure import agreements
from shared.errors import Conflict, Invalid, NotFound
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
        self.agreements[row["id"]] = dict(row)

    async def insert_version(self, session: object, *, agreement_id: uuid.UUID, version: int, **rest: Any) -> None:
        self.versions.append({"agreement_id": agreement_id, "version": version, **rest})

    async def lock_agreement(self, session: object, agreement_id: uuid.UUID) -> dict[str, Any] | None:
        return self.agreements.get(agreement_id)

    async def set_current_version(self, session: object, agreement_id: uuid.UUID, version: int, actor: str) -> None:
        self.agreements[agreement_id].update(current_version=version, updated_by=actor)

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


async def test_a_new_agreement_is_version_1_and_is_announced(queries: FakeAgreementQueries) -> None:
    uow = FakeUnitOfWork(actor="admin")
    agreement_id = await agreements.create_agreement(uow=uow, name="MOU", terms=TERMS, note="signed")
    assert queries.agreements[agreement_id]["current_version"] == 1
    assert [(v["version"], v["note"], v["actor"]) for v in queries.versions] == [(1, "signed", "admin")]
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


async def test_a_revision_adds_the_next_version_and_announces_it(queries: FakeAgreementQueries) -> None:
    agreement_id = await agreements.create_agreement(uow=FakeUnitOfWork(), name="MOU", terms=TERMS, note="signed")
    uow = FakeUnitOfWork(actor="admin2")
    version = await agreements.revise_agreement(
        uow=uow, agreement_id=agreement_id, terms={**TERMS, "valid_to": dt.date(2030, 1, 1)}, note="ends"
    )
    assert version == 2
    assert [v["version"] for v in queries.versions] == [1, 2]  # version 1 kept as it was
    assert queries.agreements[agreement_id]["current_version"] == 2
    assert [(e.version, e.valid_to) for e in uow.events] == [(2, dt.date(2030, 1, 1))]


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
