"""The envelope and the contract registry: round trips, versions, unknown types, garbage."""

from __future__ import annotations

import uuid

import orjson
import pytest

from shared.events import UndecodableEvent, UnsupportedVersion, decode, wrap
from shared.events.intake import EncounterFields, EncountersImported, ImportedRow, subject_key

BATCH = uuid.uuid4()


def _event() -> EncountersImported:
    row = ImportedRow(
        encounter_id=uuid.uuid4(),
        row_number=2,
        subject_key="FIN:0042",
        fields=EncounterFields(fin="0042", last_name="Ødegård"),
        raw={"FIN": "0042"},
    )
    return EncountersImported(batch_id=BATCH, chunk=0, program="M5", upload_kind="partner-query", rows=[row])


def test_an_event_round_trips_through_the_wire_format() -> None:
    event = _event()
    env = wrap(event, producer="intake", correlation_id="c1", actor="analyst")
    decoded_env, decoded = decode(env.to_bytes())
    assert decoded == event
    assert decoded_env.event_id == env.event_id and decoded_env.key == f"{BATCH}/0"
    assert (decoded_env.producer, decoded_env.actor, decoded_env.correlation_id) == ("intake", "analyst", "c1")


def test_consumers_ignore_fields_they_do_not_know() -> None:
    raw = wrap(_event(), producer="intake", correlation_id="c").model_dump(mode="json")
    raw["payload"]["added_in_a_later_minor"] = "x"
    raw["new_envelope_field"] = 1
    _, event = decode(orjson.dumps(raw))
    assert isinstance(event, EncountersImported)


def test_an_unreadable_schema_version_is_rejected_not_skipped() -> None:
    env = wrap(_event(), producer="intake", correlation_id="c").model_copy(update={"schema_version": 3})
    with pytest.raises(UnsupportedVersion, match="schema_version 3"):
        decode(env.to_bytes())


def test_an_unknown_event_type_decodes_to_no_payload() -> None:
    env = wrap(_event(), producer="intake", correlation_id="c").model_copy(update={"event_type": "FutureThing"})
    envelope, event = decode(env.to_bytes())
    assert event is None and envelope.event_type == "FutureThing"


@pytest.mark.parametrize("raw", [b"", b"not json", b"{}", b'{"event_type": 1}'])
def test_garbage_is_undecodable(raw: bytes) -> None:
    with pytest.raises(UndecodableEvent):
        decode(raw)


def test_a_payload_breaking_its_contract_is_undecodable() -> None:
    raw = wrap(_event(), producer="intake", correlation_id="c").model_dump(mode="json")
    raw["payload"]["chunk"] = "two"
    with pytest.raises(UndecodableEvent, match="payload invalid"):
        decode(orjson.dumps(raw))


def test_subjects_are_keyed_by_fin_else_partner_identifier() -> None:
    assert subject_key(EncounterFields(fin="007", partner_unique_id="P1")) == "FIN:007"
    assert subject_key(EncounterFields(partner_unique_id="P1", partner_country="GBR")) == "PARTNER:GBR:P1"
    assert subject_key(EncounterFields(last_name="x")) is None
