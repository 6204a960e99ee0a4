"""Cases answers a chunk with a JSON-native payload built without pydantic: pin it to the contract."""

from __future__ import annotations

import uuid

from services.cases.handlers import _attached, _failed
from shared.events import decode
from shared.events.cases import EncountersAttached
from shared.events.envelope import wrap_payload
from shared.events.intake import EncounterFields, ImportedRow


def _row(n: int, **fields: str) -> ImportedRow:
    return ImportedRow(
        encounter_id=uuid.uuid4(),
        row_number=n,
        subject_key="FIN:1",
        fields=EncounterFields(fin="1", last_name="Lee", **fields),
        raw={},
    )


def test_the_answer_to_a_chunk_decodes_as_the_contract_and_carries_no_personal_field() -> None:
    subject, case = uuid.uuid4(), uuid.uuid4()
    ok = _row(2, data_owner="FBI-TSC", partner_country="GBR", partner_transaction_number="T-9")
    bad = _row(3)
    payload = {
        "batch_id": str(uuid.uuid4()),
        "chunk": 4,
        "program": "M5",
        "upload_kind": "partner-query",
        "rows": [_attached(ok, subject, case, True, "VAWA")],
        "failed": [_failed(bad, "last_name: longer than 1000 characters")],
    }
    envelope = wrap_payload(EncountersAttached, payload, key="b/4", producer="cases", correlation_id="c")
    _, event = decode(envelope.to_bytes())
    assert isinstance(event, EncountersAttached) and event.chunk == 4
    row = event.rows[0]
    assert (row.encounter_id, row.subject_id, row.case_id, row.case_opened) == (ok.encounter_id, subject, case, True)
    assert (row.data_owner, row.partner_country, row.partner_transaction_number) == ("FBI-TSC", "GBR", "T-9")
    assert row.protected_class == "VAWA" and row.matched
    assert [(f.encounter_id, f.row_number) for f in event.failed] == [(bad.encounter_id, 3)]
    assert "Lee" not in envelope.to_bytes().decode()  # ids and codes only
