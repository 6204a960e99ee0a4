"""Reporting turns events into counters and nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.reporting import domain
from shared.events import wrap
from shared.events.cases import EncounterAttached
from shared.events.intake import BatchImported


def test_a_confirmed_batch_and_attached_encounters_become_day_program_counters() -> None:
    batch = BatchImported(
        batch_id=uuid.uuid4(),
        program="PCSC",
        upload_kind="partner-query",
        file_sha256="0" * 64,
        rows_total=10,
        rows_imported=7,
        rows_invalid=2,
        rows_no_match=1,
        confirmed_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    attached = EncounterAttached(
        encounter_id=uuid.uuid4(),
        subject_id=uuid.uuid4(),
        batch_id=batch.batch_id,
        program="PCSC",
        upload_kind="partner-query",
    )
    when = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    items = [
        *domain.increments(wrap(batch, producer="intake", correlation_id="c", occurred_at=when), batch),
        *[
            i
            for _ in range(3)
            for i in domain.increments(wrap(attached, producer="cases", correlation_id="c", occurred_at=when), attached)
        ],
    ]
    day = date(2026, 3, 1)
    assert domain.merge(items) == {
        (day, "PCSC", "batches_confirmed"): 1,
        (day, "PCSC", "rows_imported"): 7,
        (day, "PCSC", "rows_invalid"): 2,
        (day, "PCSC", "no_matches"): 1,
        (day, "PCSC", "encounters_attached"): 3,
    }
