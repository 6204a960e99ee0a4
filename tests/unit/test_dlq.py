"""tracs/dlq.py without I/O: message ids, and what a dead letter says about its original record."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from shared.events import wrap
from shared.events.cases import FlagSet
from shared.settings import TracsSettings
from tracs import dlq

SETTINGS = TracsSettings(topic_prefix="stage.")


def _record(value: bytes, headers: list[tuple[str, bytes]]) -> SimpleNamespace:
    return SimpleNamespace(
        topic="stage.tracs.cases.v1.dlq",
        partition=1,
        offset=42,
        timestamp=1_700_000_000_000,
        key=b"FIN:1",
        value=value,
        headers=[
            *headers,
            ("dlq_error", b"IntegrityError: refused"),
            ("dlq_consumer", b"disclosure.cases"),
            ("dlq_source", b"stage.tracs.cases.v1:1:7"),
            ("dlq_trace", b"sqlalchemy.exc.IntegrityError: refused\n"),
        ],
    )


def test_an_id_names_a_dlq_topic_partition_and_offset_with_or_without_the_prefix() -> None:
    assert dlq.parse_id("tracs.cases.v1.dlq:2:17", SETTINGS) == ("tracs.cases.v1.dlq", 2, 17)
    assert dlq.parse_id("stage.tracs.cases.v1.dlq:2:17", SETTINGS) == ("tracs.cases.v1.dlq", 2, 17)


@pytest.mark.parametrize("bad", ["tracs.cases.v1:2:17", "tracs.cases.v1.dlq:2", "tracs.cases.v1.dlq:x:1", "x"])
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(dlq.UnknownDeadLetter):
        dlq.parse_id(bad, SETTINGS)


def test_a_dead_letter_keeps_the_original_headers_apart_from_what_the_consumer_added() -> None:
    event = FlagSet(encounter_id=uuid.uuid4(), subject_id=uuid.uuid4(), flag="derogatory", value={}, reason="file")
    envelope = wrap(event, producer="cases", correlation_id="c-1")
    letter = dlq._dead_letter(_record(envelope.to_bytes(), [("correlation_id", b"c-1")]), SETTINGS)
    assert letter.id == "tracs.cases.v1.dlq:1:42"
    assert letter.headers == (("correlation_id", b"c-1"),)
    assert (letter.consumer, letter.service, letter.source_topic) == (
        "disclosure.cases",
        "disclosure",
        "stage.tracs.cases.v1",
    )
    assert letter.error == "IntegrityError: refused"
    # No relay headers: the id and type come from the envelope itself.
    assert (letter.event_id, letter.event_type) == (str(envelope.event_id), "FlagSet")


def test_an_undecodable_body_has_no_event_id_and_a_relay_header_wins_over_the_body() -> None:
    garbage = dlq._dead_letter(_record(b"\xff not json", []), SETTINGS)
    assert (garbage.event_id, garbage.event_type) == (None, None)
    headed = dlq._dead_letter(_record(b"\xff", [("event_id", b"e-1"), ("event_type", b"CaseOpened")]), SETTINGS)
    assert (headed.event_id, headed.event_type) == ("e-1", "CaseOpened")


async def test_a_service_named_by_a_header_must_be_a_tracs_service() -> None:
    operator = dlq.Operator(lambda service: pytest.fail(f"settings of {service} must not be loaded"))
    forged = dlq._dead_letter(_record(b"{}", [("event_id", str(uuid.uuid4()).encode())]), SETTINGS)
    forged = dlq.DeadLetter(**{**forged.__dict__, "consumer": "os.path"})
    with pytest.raises(dlq.UnknownDeadLetter, match="no service 'os'"):
        await operator.mark_dropped(forged)
