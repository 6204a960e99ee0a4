"""The bulk path builds chunk payloads without pydantic (staged JSON embedded as text): pin them to the contract."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from services.intake import domain
from services.intake.batches import _record
from services.intake.dispatch import _chunk_row, _cut
from services.intake.rows import parse_row
from shared.events import decode
from shared.events.envelope import wrap_payload
from shared.events.intake import EncountersImported, ImportedRow

HEADER = [
    "FIN",
    "Partner ID",
    "Partner Country",
    "Last Name",
    "Aliases",
    "DOB",
    "DI Shared",
    "Protected Class",
    "Encounter Date",
    "Desk",
]


def _staged(cells: list[str], partner_country: str | None = None) -> Any:
    """A staged row as the dispatcher reads it back from PostgreSQL: json columns as the text written."""
    row = parse_row(5, cells, domain.map_columns(HEADER), partner_country=partner_country)
    assert row.valid, row.problems
    rec = _record(uuid.uuid4(), row)
    return SimpleNamespace(
        encounter_id=rec[2], row_number=rec[1], raw=rec[3], parsed=rec[4], extra=rec[5], subject_key=rec[9]
    )


def _over_the_wire(*staged: Any) -> EncountersImported:
    batch_id = uuid.uuid4()
    payload = {
        "batch_id": str(batch_id),
        "chunk": 3,
        "program": "M5",
        "upload_kind": "partner-extract",
        "rows": [_chunk_row(r) for r in staged],
    }
    envelope = wrap_payload(EncountersImported, payload, key=f"{batch_id}/3", producer="intake", correlation_id="c")
    _, decoded = decode(envelope.to_bytes())
    assert isinstance(decoded, EncountersImported) and decoded.batch_id == batch_id and decoded.chunk == 3
    return decoded


def _row(cells: list[str], partner_country: str | None = None) -> ImportedRow:
    return _over_the_wire(_staged(cells, partner_country)).rows[0]


def test_bulk_payloads_validate_against_the_contract_and_survive_the_wire() -> None:
    event = _row(["00077", "P-1", "gb", "Ó Súilleabháin", "Sully; O'S", "1961-04", "y", "vawa", "43528.5", "d9"])
    assert event.subject_key == "FIN:00077" and event.row_number == 5
    assert event.fields.aliases == ("Sully", "O'S") and event.fields.di_shared is True
    assert event.fields.protected_class == "VAWA" and event.fields.partner_country == "GBR"
    assert event.fields.last_name == "Ó Súilleabháin"
    assert event.fields.encounter_date == "2019-03-04T12:00:00" and event.extra == {"Desk": "d9"}
    assert (event.fields.dob, event.fields.dob_precision, event.fields.encounter_date_precision) == (
        "1961-04",
        "month",
        "time",
    )


def test_a_partner_identified_subject_is_keyed_by_country_and_id() -> None:
    assert _row(["", "P-9", "AUS", "Lee", "", "", "", "", "", ""]).subject_key == "PARTNER:AUS:P-9"


def test_unknown_values_are_absent_from_the_event_and_the_batch_partner_keys_the_subject() -> None:
    event = _row(["", "P-9", "N/A", "UNKNOWN", "", "unk", "", "", "", ""], partner_country="NZL")
    assert event.subject_key == "PARTNER:NZL:P-9" and event.fields.partner_country == "NZL"
    assert event.fields.last_name is None and event.fields.dob is None and event.fields.dob_precision is None
    assert event.raw["DOB"] == "unk" and event.raw["Last Name"] == "UNKNOWN"


def test_a_chunk_is_cut_by_size_never_inside_a_row() -> None:
    rows = [_staged([f"{n:05d}", "", "", "Lee", "", "", "", "", "", "x" * 300]) for n in range(10)]
    one = len(rows[0].raw) + len(rows[0].parsed) + len(rows[0].extra)
    assert len(_cut(rows, one * 3 + 500)) == 3
    assert len(_cut(rows, 1)) == 1  # a row bigger than the limit still travels, alone
    assert _cut(rows, 10**9) == rows
    assert [r.row_number for r in _over_the_wire(*rows[:3]).rows] == [5, 5, 5]
