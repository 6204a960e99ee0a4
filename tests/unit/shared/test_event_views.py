"""A view of a contract: a consumer that only counts decodes a chunk answer without its rows (issue 32)."""

from __future__ import annotations

import uuid

import pytest

from shared.events.cases import (
    AttachedRow,
    EncountersAttached,
    EncountersAttachedCounts,
    FailedRow,
    tally_in,
    tally_of,
)
from shared.events.envelope import UnsupportedVersion, decode, wrap, wrap_payload

VIEWS = {EncountersAttachedCounts.event_type: EncountersAttachedCounts}


def _row(
    n: int, subject: uuid.UUID, *, partner: str | None = "GBR", owner: str | None = "DOS", **kw: bool
) -> AttachedRow:
    return AttachedRow(
        encounter_id=uuid.uuid4(),
        row_number=n,
        subject_id=subject,
        case_id=uuid.uuid4(),
        partner_country=partner,
        data_owner=owner,
        **kw,
    )


def _answer(rows: list[AttachedRow], *, with_tally: bool = True) -> EncountersAttached:
    failed = [FailedRow(encounter_id=uuid.uuid4(), row_number=99, reason="too long")]
    return EncountersAttached(
        batch_id=uuid.uuid4(),
        chunk=3,
        program="M5",
        upload_kind="partner-query",
        rows=rows,
        failed=failed,
        tally=tally_of(rows) if with_tally else None,
    )


def test_a_view_decodes_the_tally_and_failures_and_never_the_rows() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    rows = [_row(2, a, kst=True), _row(3, a), _row(4, b, partner=None, owner=None), _row(5, b, matched=False)]
    raw = wrap(_answer(rows), producer="cases", correlation_id="c").to_bytes()

    _, full = decode(raw)
    envelope, counts = decode(raw, VIEWS)

    assert isinstance(full, EncountersAttached) and len(full.rows) == 4
    assert isinstance(counts, EncountersAttachedCounts) and not hasattr(counts, "rows")
    assert [f.row_number for f in counts.failed] == [99]
    tally = tally_in(counts, envelope.payload)
    assert tally.rows == 4  # every attached row, matched or not: intake's progress
    by_partner = {p.partner_country: (p.matches, p.kst_matches, set(p.subject_ids)) for p in tally.partners}
    assert by_partner == {"GBR": (2, 1, {a}), None: (1, 0, {b})}  # the unmatched row is not a match
    assert {o.data_owner: o.matched for o in tally.owners} == {"DOS": 2, None: 1}


def test_an_answer_sent_before_the_tally_is_counted_from_its_rows() -> None:
    rows = [_row(2, uuid.uuid4()), _row(3, uuid.uuid4(), partner="AUS")]
    old = _answer(rows, with_tally=False).model_dump(mode="json")
    old.pop("tally")
    raw = wrap_payload(EncountersAttached, old, key="b/3", producer="cases", correlation_id="c").to_bytes()

    envelope, counts = decode(raw, VIEWS)

    assert isinstance(counts, EncountersAttachedCounts) and counts.tally is None
    assert tally_in(counts, envelope.payload) == tally_of(rows)


def test_a_view_reads_only_fields_of_its_contract_as_the_contract_types_them() -> None:
    contract, view = EncountersAttached.model_fields, EncountersAttachedCounts.model_fields
    assert EncountersAttachedCounts.view_of is EncountersAttached
    assert (EncountersAttachedCounts.event_type, EncountersAttachedCounts.schema_version) == (
        EncountersAttached.event_type,
        EncountersAttached.schema_version,
    )
    assert set(view) <= set(contract)
    assert all(view[name].annotation == contract[name].annotation for name in view)


def test_another_version_of_the_viewed_contract_is_not_read_through_the_view() -> None:
    payload = _answer([_row(2, uuid.uuid4())]).model_dump(mode="json")
    envelope = wrap_payload(EncountersAttached, payload, key="b/3", producer="cases", correlation_id="c")
    envelope.schema_version = EncountersAttached.schema_version + 1

    with pytest.raises(UnsupportedVersion):
        decode(envelope.to_bytes(), VIEWS)
