"""An owner's "remove" (issue 28): the encounter withdrawn once, its why kept on its cases, the fact published."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.cases import withdrawals
from shared.events.cases import EncounterWithdrawn, FlagSet
from shared.events.disclosure import EncounterRemovalRequested
from shared.events.envelope import wrap
from shared.inbox import Delivered
from tests.unit.cases.test_use_cases import Store
from tests.unit.fakes import FakeUnitOfWork


class FlagStore(Store):
    async def encounter_flags(self, session: Any, encounter_ids: list[uuid.UUID]) -> list[Any]:
        return [f for f in self.flags if f["encounter_id"] in encounter_ids]


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> FlagStore:
    fake = FlagStore()
    monkeypatch.setattr(withdrawals, "records", fake)
    return fake


def _removal(*encounter_ids: uuid.UUID) -> Delivered[EncounterRemovalRequested]:
    event = EncounterRemovalRequested(
        referral_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        encounter_ids=list(encounter_ids),
        requested_by="FBI-TSC",
        reason="no longer in the TSDB",
    )
    return Delivered(wrap(event, producer="disclosure", correlation_id="c", actor="analyst"), event)


async def test_a_removal_withdraws_the_encounter_once_keeps_why_and_publishes_it(store: FlagStore) -> None:
    case_id = store.case()
    encounter_id = store.encounter(case_id)
    store.encounters[encounter_id].update(
        upload_kind="partner-query",
        partner_country="GBR",
        data_owner="FBI-TSC",
        attached_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        program="KST",
    )
    uow = FakeUnitOfWork()
    unknown = uuid.uuid4()  # purged since the notice left: skipped, the rest applies
    await withdrawals.withdraw(uow, [_removal(encounter_id, unknown)])
    (flag,) = store.flags
    assert (flag["flag"], flag["value"]["set"], flag["value"]["requested_by"]) == ("withdrawn", True, "FBI-TSC")
    assert "no longer in the TSDB" in flag["reason"]
    assert store.timeline == [(case_id, "encounter-withdrawn")]
    assert [(a.action, a.record_id) for a in store.audited] == [("withdraw-encounter", str(encounter_id))]
    flag_set, withdrawn = uow.events
    assert isinstance(flag_set, FlagSet) and flag_set.flag == "withdrawn"
    assert isinstance(withdrawn, EncounterWithdrawn)
    assert (withdrawn.program, withdrawn.attached_on.isoformat(), withdrawn.case_ids) == (
        "KST",
        "2026-03-02",
        [case_id],
    )
    # A second request (TSC answered twice, or a Component asked too) changes nothing more.
    again = FakeUnitOfWork()
    await withdrawals.withdraw(again, [_removal(encounter_id)])
    assert again.events == [] and len(store.flags) == 1
