"""Contracts published by cases; enough data for disclosure and reporting projections, no free text."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.events import topics
from shared.events.envelope import Event, contract

# What a fast-matcher status says when it names a known or suspected terrorist: cases reads an imported cell and
# disclosure a flag set by hand with the same words, so a KST is a KST wherever it was marked.
KST_MARKS = ("KST", "KNOWN OR SUSPECTED TERRORIST")


def names_kst(status: object) -> bool:
    return isinstance(status, str) and any(mark in status.upper() for mark in KST_MARKS)


class AttachedRow(BaseModel):
    """What other services need of one imported row: ids and non-personal attributes, no name or DOB."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    encounter_id: uuid.UUID
    row_number: int
    subject_id: uuid.UUID
    case_id: uuid.UUID
    case_opened: bool = False  # this row opened its case (the first of its partner transaction)
    partner_transaction_number: str | None = None
    data_owner: str | None = None
    partner_country: str | None = None
    protected_class: str | None = None  # a special-protected class marked by the source (flag set on import)
    matched: bool = True
    # Flags the row's own cells set on import (non-personal facts; added compatibly, absent = False):
    fast_matcher: bool = False  # on a fast matcher (watchlist) per its fast-matcher status column
    kst: bool = False  # a KST match: the fast-matcher status names a KST (or the KST program's match)
    derogatory: bool = False  # the row carries derogatory information (DI / DI description columns)


class FailedRow(BaseModel):
    """A row cases could not apply: named on its batch, the rest of its chunk applied."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    encounter_id: uuid.UUID
    row_number: int
    reason: str


class PartnerTally(BaseModel):
    """A chunk's matched rows for one partner country: counts, and the distinct subjects they were about."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    partner_country: str | None = None
    matches: int = 0
    kst_matches: int = 0
    subject_ids: list[uuid.UUID] = []


class OwnerTally(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    data_owner: str | None = None
    matched: int = 0


class AttachmentTally(BaseModel):
    """What a consumer that only counts needs of a chunk answer (intake's progress, reporting's counters): a few
    numbers and ids per partner and owner, so it never reads the chunk's rows (issue 32)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    rows: int  # rows attached, as len(EncountersAttached.rows)
    partners: list[PartnerTally] = []  # matched rows, by partner country (None: no partner)
    owners: list[OwnerTally] = []  # matched rows, by data owner (None: no owner named)


def tally_of(rows: list[AttachedRow]) -> AttachmentTally:
    """The tally of attached rows: cases sends it with each answer, and a counter computes it from the rows of an
    answer sent before the tally existed."""
    partners: dict[str | None, tuple[list[int], dict[uuid.UUID, None]]] = {}
    owners: dict[str | None, int] = {}
    for row in rows:
        if not row.matched:
            continue
        counts, subjects = partners.setdefault(row.partner_country, ([0, 0], {}))
        counts[0] += 1
        counts[1] += row.kst
        subjects[row.subject_id] = None
        owners[row.data_owner] = owners.get(row.data_owner, 0) + 1
    return AttachmentTally(
        rows=len(rows),
        partners=[
            PartnerTally(partner_country=p, matches=m, kst_matches=k, subject_ids=list(s))
            for p, ([m, k], s) in partners.items()
        ],
        owners=[OwnerTally(data_owner=o, matched=n) for o, n in owners.items()],
    )


@contract
class EncountersAttached(Event):
    """Cases' answer to one chunk of imported rows (the per-row CaseOpened and EncounterAttached are gone).

    `rows` are attached (a row already attached by an earlier delivery is listed again, so a count of
    rows attached per chunk is exact); `failed` names each row that could not be applied and why.
    """

    event_type = "EncountersAttached"
    schema_version = 2
    topic = topics.CASES

    batch_id: uuid.UUID
    chunk: int
    program: str
    upload_kind: str
    rows: list[AttachedRow] = []
    failed: list[FailedRow] = []
    tally: AttachmentTally | None = None  # added compatibly (issue 32); absent from answers sent before it

    def partition_key(self) -> str:
        return f"{self.batch_id}/{self.chunk}"  # as intake's chunk_key


class EncountersAttachedCounts(Event):
    """A view of EncountersAttached for consumers that only count: the same event, decoded without its rows.

    Not a contract of its own (nothing publishes it): a subscription that names it as its handler's type gets
    each EncountersAttached validated against these fields only (`shared.events.envelope.decode`), so a chunk
    of a thousand rows costs a counter a few ids instead of a thousand models (`tally_in` reads the rows only
    for an answer sent before cases added the tally).
    """

    event_type = EncountersAttached.event_type
    schema_version = EncountersAttached.schema_version
    topic = EncountersAttached.topic
    view_of = EncountersAttached

    batch_id: uuid.UUID
    chunk: int
    program: str
    upload_kind: str
    failed: list[FailedRow] = []
    tally: AttachmentTally | None = None

    def partition_key(self) -> str:
        return f"{self.batch_id}/{self.chunk}"


@contract
class FlagSet(Event):
    """An analyst (or the import) set a flag on an encounter: who, when and why travel in the envelope."""

    event_type = "FlagSet"
    schema_version = 1
    topic = topics.CASES

    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    flag: str  # not-sharable, protected-class, fast-matcher, derogatory
    value: dict[str, str | bool | None]
    reason: str

    def partition_key(self) -> str:
        return str(self.subject_id)


@contract
class SearchLogged(Event):
    """A source-system search for a case, and its result (hit / no hit / not authorized)."""

    event_type = "SearchLogged"
    schema_version = 1
    topic = topics.CASES

    case_id: uuid.UUID
    system: str
    result: str

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class FindingRecorded(Event):
    """An analyst's finding, accurate as of a moment; disclosure drafts responses from these."""

    event_type = "FindingRecorded"
    schema_version = 1
    topic = topics.CASES

    case_id: uuid.UUID
    finding_id: uuid.UUID
    kind: str
    text: str
    accurate_as_of: datetime
    encounter_ids: list[uuid.UUID] = []

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class CaseStatusChanged(Event):
    """A step of the case workflow, with its time (reporting measures match-to-response durations)."""

    event_type = "CaseStatusChanged"
    schema_version = 1
    topic = topics.CASES

    case_id: uuid.UUID
    program: str
    partner_country: str | None = None
    status: str
    previous: str
    opened_at: datetime

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class EncounterCorrected(Event):
    """A redress correction changed an imported field (the only way one changes); disclosure lists who got
    the old value so they can be told (Privacy Act 552a(c)(4))."""

    event_type = "EncounterCorrected"
    schema_version = 1
    topic = topics.CASES

    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    field: str
    # What made it: a redress request, or (added compatibly) a recipient's report of a possible inaccuracy.
    redress_id: uuid.UUID | None = None
    correction_id: uuid.UUID
    value: str
    stale_cases: list[uuid.UUID] = []
    report_id: uuid.UUID | None = None

    def partition_key(self) -> str:
        return str(self.subject_id)


@contract
class CaseAssigned(Event):
    """A supervisor or analyst gave the case to an analyst."""

    event_type = "CaseAssigned"
    schema_version = 1
    topic = topics.CASES

    case_id: uuid.UUID
    assignee: str
    previous: str | None = None

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class RecordsPurged(Event):
    """Retention removed records of one subject from cases; every service drops its copies of them.

    Reporting keeps its aggregates untouched: it never held the records, only counts.
    """

    event_type = "RecordsPurged"
    schema_version = 1
    topic = topics.CASES

    subject_id: uuid.UUID
    case_ids: list[uuid.UUID] = []
    encounter_ids: list[uuid.UUID] = []
    subject_removed: bool = False
    rules: list[str] = []  # the record classes whose retention period ran out

    def partition_key(self) -> str:
        return str(self.subject_id)


class RelinkedEncounter(BaseModel):
    """One encounter moved by a re-link: the subject and cases it left, the case it joined."""

    encounter_id: uuid.UUID
    from_subject_id: uuid.UUID
    from_case_ids: list[uuid.UUID] = []
    to_case_id: uuid.UUID


class RelinkCase(BaseModel):
    """A case opened on the receiving subject for a moved encounter (the same partner query, its right person)."""

    case_id: uuid.UUID
    program: str
    partner_country: str | None = None
    partner_transaction_number: str | None = None


@contract
class EncountersRelinked(Event):
    """Cases moved encounters to another subject (a redress re-link); disclosure moves its projection and lists
    every recipient of the moved encounters for a correction notice (Privacy Act 552a(c)(4))."""

    event_type = "EncountersRelinked"
    schema_version = 1
    topic = topics.CASES

    relink_id: uuid.UUID
    redress_id: uuid.UUID
    to_subject_id: uuid.UUID
    moved: list[RelinkedEncounter]
    opened_cases: list[RelinkCase] = []
    stale_cases: list[uuid.UUID] = []

    def partition_key(self) -> str:
        return str(self.to_subject_id)


@contract
class EncounterWithdrawn(Event):
    """An encounter was withdrawn from sharing and reports at its owner's request (the record stays, with why).

    Carries what reporting needs to take it out of the counts it made when the encounter was attached."""

    event_type = "EncounterWithdrawn"
    schema_version = 1
    topic = topics.CASES

    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    case_ids: list[uuid.UUID] = []
    program: str
    upload_kind: str
    partner_country: str | None = None
    data_owner: str | None = None
    attached_on: date  # the day reporting counted it
    kst: bool = False  # counted as a KST match when attached (added compatibly)
    requested_by: str
    referral_id: uuid.UUID | None = None

    def partition_key(self) -> str:
        return str(self.subject_id)


@contract
class EncounterDeleted(Event):
    """A data owner's deletion notice (PIA 5.2) removed an encounter from cases: every service drops what it holds
    of the encounter's personal data (intake its staged row and chunk copies, disclosure its drafts' values and
    sealed messages), keeps the accounting's minimum (date, recipient, purpose, ids) and lists past recipients.

    Ids and the notice's facts only: the deleted values never travel."""

    event_type = "EncounterDeleted"
    schema_version = 1
    topic = topics.CASES

    encounter_id: uuid.UUID
    subject_id: uuid.UUID
    batch_id: uuid.UUID
    row_number: int
    case_ids: list[uuid.UUID] = []  # the cases it was in
    cases_removed: list[uuid.UUID] = []  # those it was the only encounter of: gone with it
    subject_removed: bool = False
    data_owner: str
    reason: str

    def partition_key(self) -> str:
        return str(self.subject_id)


def tally_in(event: EncountersAttached | EncountersAttachedCounts, payload: dict[str, Any]) -> AttachmentTally:
    """A chunk answer's tally: as cases sent it, or from its rows (`payload`) when an older cases sent none."""
    if event.tally is not None:
        return event.tally
    rows = event.rows if isinstance(event, EncountersAttached) else EncountersAttached.model_validate(payload).rows
    return tally_of(rows)
