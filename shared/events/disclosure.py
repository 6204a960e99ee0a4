"""Contracts published by disclosure: counts and times (reporting builds on them) and agreement coverage."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from shared.events import topics
from shared.events.envelope import Event, contract


@contract
class DisclosureSent(Event):
    """A response left for a partner: when, under which program, how many encounters per data owner."""

    event_type = "DisclosureSent"
    schema_version = 1
    topic = topics.DISCLOSURE

    accounting_id: uuid.UUID
    case_id: uuid.UUID
    program: str
    partner_country: str | None = None
    matched: bool
    sent_at: datetime
    case_opened_at: datetime
    shared_by_owner: dict[str, int] = {}
    # Added compatibly (optional): the draft that left, so cases can link its timeline entry to it.
    draft_id: uuid.UUID | None = None

    def partition_key(self) -> str:
        return str(self.case_id)


class DisclosureStep(Event):
    """One step of a draft on its way out, for the case's timeline: ids and the step only, no values or text
    (a reviewer's comment and an override's reason stay in disclosure, shown from its API)."""

    topic = topics.DISCLOSURE
    schema_version = 1

    draft_id: uuid.UUID
    case_id: uuid.UUID
    matched: bool

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class DisclosureDrafted(DisclosureStep):
    """A response was drafted; `readiness_overridden` when a supervisor drafted it before the case was ready."""

    event_type = "DisclosureDrafted"
    readiness_overridden: bool = False


@contract
class DisclosureReviewRequested(DisclosureStep):
    """The drafter (the envelope's actor) asks a supervisor of the case's program to review the draft."""

    event_type = "DisclosureReviewRequested"
    program: str | None = None  # added compatibly: whose supervisors may review it (the gateway notifies them)


@contract
class DisclosureSentBack(DisclosureStep):
    """The reviewer sent the draft back to its drafter (the comment is on the draft in disclosure)."""

    event_type = "DisclosureSentBack"


@contract
class DisclosureDiscarded(DisclosureStep):
    """Its drafter or a supervisor discarded a draft never sent for review (it stays in disclosure, unsendable)."""

    event_type = "DisclosureDiscarded"


@contract
class DisclosureApproved(DisclosureStep):
    """A second person (supervisor, never the drafter) approved exactly what will leave."""

    event_type = "DisclosureApproved"
    approvals: int
    approvals_required: int


@contract
class AgreementChanged(Event):
    """An agreement was created or revised: which program and partner its current version covers, and when.

    Only coverage travels; the terms stay in disclosure. Intake keeps it to warn about files no agreement covers.
    """

    event_type = "AgreementChanged"
    schema_version = 1
    topic = topics.DISCLOSURE

    agreement_id: uuid.UUID
    version: int
    name: str
    program: str
    partner_country: str
    valid_from: date
    valid_to: date | None = None

    def partition_key(self) -> str:
        return str(self.agreement_id)


@contract
class ReferralReplied(Event):
    """A data owner's (or TSC's) reply to a referral or notice was recorded: ids, kinds and the decision only
    (the reply's note stays in disclosure). The gateway tells the analyst who made the referral."""

    event_type = "ReferralReplied"
    schema_version = 1
    topic = topics.DISCLOSURE

    referral_id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    decision: str
    recipient_org: str
    referred_by: str

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class EncounterRemovalRequested(Event):
    """The owner of an encounter (TSC, a Component) asked, in its reply to a notice or referral, that the
    encounter be removed: cases withdraws it from sharing and reports and keeps the record of why."""

    event_type = "EncounterRemovalRequested"
    schema_version = 1
    topic = topics.DISCLOSURE

    referral_id: uuid.UUID
    case_id: uuid.UUID
    encounter_ids: list[uuid.UUID]
    requested_by: str  # the organisation that asked (FBI-TSC, CBP, ...)
    reason: str  # the reply's note, as recorded by the analyst (no imported value)

    def partition_key(self) -> str:
        return str(self.case_id)


@contract
class InaccuracyCorrected(Event):
    """A recipient reported a possible inaccuracy and the data owner confirmed a correction in its system of
    origin: cases applies it to the encounter as it applies a redress correction (the only ways a field changes),
    and disclosure lists every past recipient of the old value."""

    event_type = "InaccuracyCorrected"
    schema_version = 1
    topic = topics.DISCLOSURE

    report_id: uuid.UUID
    correction_id: uuid.UUID
    encounter_id: uuid.UUID
    field: str
    corrected_value: str
    data_owner: str

    def partition_key(self) -> str:
        return str(self.encounter_id)
