"""Cases answers a chunk with a JSON-native payload built from the contract's row models: pin it to the contract,
and to the bytes the hand-built dicts of earlier releases sent."""

from __future__ import annotations

import uuid

import orjson

from services.cases.attach import _attached, _failed, chunk_answer
from shared.events import decode
from shared.events.cases import EncountersAttached
from shared.events.envelope import wrap_payload
from shared.events.intake import EncounterFields, EncountersImported, ImportedRow


def _row(n: int, **fields: str) -> ImportedRow:
    return ImportedRow(
        encounter_id=uuid.uuid4(),
        row_number=n,
        subject_key="FIN:1",
        fields=EncounterFields(fin="1", last_name="Lee", **fields),
        raw={},
    )


def _chunk(*rows: ImportedRow) -> EncountersImported:
    return EncountersImported(
        batch_id=uuid.uuid4(), chunk=4, program="M5", upload_kind="partner-query", rows=list(rows)
    )


def test_the_answer_to_a_chunk_decodes_as_the_contract_and_carries_no_personal_field() -> None:
    subject, case = uuid.uuid4(), uuid.uuid4()
    ok = _row(
        2,
        data_owner="FBI-TSC",
        partner_country="GBR",
        partner_transaction_number="T-9",
        protected_class="VAWA",
        fast_matcher_status="KST",
        derogatory_information="IMMIGRATION",
    )
    bad = _row(3)
    payload = chunk_answer(
        event=_chunk(ok, bad),
        attached=[_attached(_chunk(ok), ok, subject, case, True)],
        failed=[_failed(bad, "last_name: longer than 1000 characters")],
    )
    envelope = wrap_payload(EncountersAttached, payload, key="b/4", producer="cases", correlation_id="c")
    _, event = decode(envelope.to_bytes())
    assert isinstance(event, EncountersAttached) and event.chunk == 4
    row = event.rows[0]
    assert (row.encounter_id, row.subject_id, row.case_id, row.case_opened) == (ok.encounter_id, subject, case, True)
    assert (row.data_owner, row.partner_country, row.partner_transaction_number) == ("FBI-TSC", "GBR", "T-9")
    assert row.protected_class == "VAWA" and row.matched
    assert (row.fast_matcher, row.kst, row.derogatory) == (True, True, True)
    assert [(f.encounter_id, f.row_number) for f in event.failed] == [(bad.encounter_id, 3)]
    assert "Lee" not in envelope.to_bytes().decode()  # ids and codes only


def test_the_answer_is_the_json_the_hand_built_answer_was_rows_in_row_order() -> None:
    subject, case = uuid.uuid4(), uuid.uuid4()
    first, second, refused = _row(2, partner_country="GBR", protected_class="T"), _row(5, data_owner="FBI-TSC"), _row(3)
    chunk = _chunk(first, refused, second)
    payload = chunk_answer(
        event=chunk,
        attached=[_attached(chunk, second, subject, case, False), _attached(chunk, first, subject, case, True)],
        failed=[_failed(refused, "it breaks an integrity rule")],
    )

    def attached(r: ImportedRow, opened: bool, protected: str | None) -> dict[str, object]:
        return {
            "encounter_id": str(r.encounter_id),
            "row_number": r.row_number,
            "subject_id": str(subject),
            "case_id": str(case),
            "case_opened": opened,
            "partner_transaction_number": r.fields.partner_transaction_number,
            "data_owner": r.fields.data_owner,
            "partner_country": r.fields.partner_country,
            "protected_class": protected,
            "matched": True,
            "fast_matcher": False,
            "kst": False,
            "derogatory": False,
        }

    hand_built = {
        "batch_id": str(chunk.batch_id),
        "chunk": 4,
        "program": "M5",
        "upload_kind": chunk.upload_kind,
        "rows": [attached(first, True, "T"), attached(second, False, None)],
        "failed": [
            {"encounter_id": str(refused.encounter_id), "row_number": 3, "reason": "it breaks an integrity rule"}
        ],
        # Counters read this instead of the rows: matched rows per partner (one subject seen twice) and owner.
        "tally": {
            "rows": 2,
            "partners": [
                {"partner_country": "GBR", "matches": 1, "kst_matches": 0, "subject_ids": [str(subject)]},
                {"partner_country": None, "matches": 1, "kst_matches": 0, "subject_ids": [str(subject)]},
            ],
            "owners": [{"data_owner": None, "matched": 1}, {"data_owner": "FBI-TSC", "matched": 1}],
        },
    }
    assert orjson.dumps(payload) == orjson.dumps(hand_built)
