"""The bulk path builds EncounterImported payloads without pydantic: pin them to the contract."""

from __future__ import annotations

import uuid

import orjson

from services.intake import domain
from services.intake.handlers import _record, encounter_payload
from services.intake.rows import parse_row
from shared.events import decode
from shared.events.envelope import wrap_payload
from shared.events.intake import EncounterImported

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


def _staged(cells: list[str], partner_country: str | None = None) -> tuple[dict, dict]:
    """A staged row as the confirm step reads it back from PostgreSQL (JSON columns decoded)."""
    batch = {"id": uuid.uuid4(), "program": "M5", "upload_kind": "partner-extract"}
    row = parse_row(5, cells, domain.map_columns(HEADER), partner_country=partner_country)
    assert row.valid, row.problems
    rec = _record(batch["id"], row)
    staged = {
        "encounter_id": rec[2],
        "row_number": rec[1],
        "raw": orjson.loads(rec[3]),
        "parsed": orjson.loads(rec[4]),
        "extra": orjson.loads(rec[5]),
    }
    return staged, batch


def test_bulk_payloads_validate_against_the_contract_and_survive_the_wire() -> None:
    staged, batch = _staged(
        ["00077", "P-1", "gb", "Ó Súilleabháin", "Sully; O'S", "1961-04", "y", "vawa", "43528.5", "d9"]
    )
    payload = encounter_payload(staged, batch)
    event = EncounterImported.model_validate(payload)
    assert event.subject_key == "FIN:00077"
    assert event.fields.aliases == ("Sully", "O'S") and event.fields.di_shared is True
    assert event.fields.protected_class == "VAWA" and event.fields.partner_country == "GBR"
    assert event.fields.encounter_date == "2019-03-04T12:00:00" and event.extra == {"Desk": "d9"}
    assert (event.fields.dob, event.fields.dob_precision, event.fields.encounter_date_precision) == (
        "1961-04",
        "month",
        "time",
    )
    envelope = wrap_payload(EncounterImported, payload, key=event.subject_key, producer="intake", correlation_id="c")
    _, decoded = decode(envelope.to_bytes())
    assert decoded == event


def test_a_partner_identified_subject_is_keyed_by_country_and_id() -> None:
    staged, batch = _staged(["", "P-9", "AUS", "Lee", "", "", "", "", "", ""])
    assert EncounterImported.model_validate(encounter_payload(staged, batch)).subject_key == "PARTNER:AUS:P-9"


def test_unknown_values_are_absent_from_the_event_and_the_batch_partner_keys_the_subject() -> None:
    staged, batch = _staged(["", "P-9", "N/A", "UNKNOWN", "", "unk", "", "", "", ""], partner_country="NZL")
    event = EncounterImported.model_validate(encounter_payload(staged, batch))
    assert event.subject_key == "PARTNER:NZL:P-9" and event.fields.partner_country == "NZL"
    assert event.fields.last_name is None and event.fields.dob is None and event.fields.dob_precision is None
    assert event.raw["DOB"] == "unk" and event.raw["Last Name"] == "UNKNOWN"
