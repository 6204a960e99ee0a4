"""Contracts published by intake."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events import topics
from shared.events.envelope import Event, contract

UploadKind = Literal["partner-query", "partner-extract"]
DatePrecision = Literal["year", "month", "day", "time"]


class EncounterFields(BaseModel):
    """Parsed PIA 2.1 fields of one imported row; dates are ISO strings so partial DOBs stay partial.

    A field is absent (None) when its cell was blank or said the value is unknown; the raw cell says which.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    fin: str | None = None
    eid: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    aliases: tuple[str, ...] = ()
    dob: str | None = None  # "1980", "1980-05" or "1980-05-17": the text's length is its precision
    dob_precision: DatePrecision | None = None
    country_of_birth: str | None = None
    gender: str | None = None
    nationality: str | None = None
    document_country: str | None = None
    document_number: str | None = None
    document_type: str | None = None
    passport_number: str | None = None
    alien_registration_number: str | None = None
    encounter_date: str | None = None  # ISO year, year-month, date or date-time
    encounter_date_precision: DatePrecision | None = None
    reason_fingerprinted: str | None = None
    location_fingerprinted: str | None = None
    ous: str | None = None
    data_owner: str | None = None
    derogatory_information: str | None = None
    di_description: str | None = None
    di_shared: bool | None = None
    fast_matcher_status: str | None = None
    protected_class: str | None = None
    trip_number: str | None = None
    match_result: str | None = None
    partner_country: str | None = None
    partner_unique_id: str | None = None
    partner_transaction_number: str | None = None
    search_code: str | None = None
    notes: str | None = None


class ImportedRow(BaseModel):
    """One confirmed row inside a chunk: parsed fields plus the verbatim cells they came from."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    encounter_id: uuid.UUID
    row_number: int
    subject_key: str
    fields: EncounterFields
    raw: dict[str, str]
    extra: dict[str, str] = {}


# The special-protected classes a source may mark an encounter with (PIA 6.5, 8.1: T, U and VAWA status,
# asylees, refugees, TPS), in the order forms list them; one list for every service that reads the field.
PROTECTED_CLASSES: tuple[str, ...] = ("T", "U", "VAWA", "ASYLEE", "REFUGEE", "TPS")

# A chunk is cut at whichever comes first (DESIGN 2: per-event costs are paid per chunk, not per row).
CHUNK_MAX_ROWS = 1000
CHUNK_MAX_BYTES = 1 << 20


@contract
class EncountersImported(Event):
    """Up to CHUNK_MAX_ROWS confirmed rows (at most CHUNK_MAX_BYTES) of one batch, in row order.

    Keyed by batch and chunk number, so a large file spreads over partitions and cases instances. Chunks are
    cut by row number, not by subject: two rows of one subject may travel in different chunks, and cases
    attaches each to the same subject by its subject key (an upsert), whichever chunk comes first.
    """

    event_type = "EncountersImported"
    schema_version = 2
    topic = topics.INTAKE_CHUNKS

    batch_id: uuid.UUID
    chunk: int
    program: str
    upload_kind: UploadKind
    rows: list[ImportedRow]

    def partition_key(self) -> str:
        return chunk_key(self.batch_id, self.chunk)


def chunk_key(batch_id: uuid.UUID | str, chunk: int) -> str:
    return f"{batch_id}/{chunk}"


@contract
class BatchImported(Event):
    """A batch was confirmed; counts only, so reporting can use it without PII."""

    event_type = "BatchImported"
    schema_version = 1
    topic = topics.INTAKE_BATCH

    batch_id: uuid.UUID
    program: str
    upload_kind: UploadKind
    file_sha256: str
    rows_total: int
    rows_imported: int
    rows_invalid: int
    rows_no_match: int
    confirmed_at: datetime

    def partition_key(self) -> str:
        return str(self.batch_id)


def subject_key(fields: EncounterFields) -> str | None:
    """Subjects are keyed by FIN, else by the partner's own identifier (scoped by partner country)."""
    return subject_key_of(fields.fin, fields.partner_unique_id, fields.partner_country)


def subject_key_of(fin: str | None, partner_unique_id: str | None, partner_country: str | None) -> str | None:
    if fin:
        return f"FIN:{fin}"
    if partner_unique_id:
        return f"PARTNER:{partner_country or '---'}:{partner_unique_id}"
    return None
