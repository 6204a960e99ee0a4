"""Redress rules: how a request moves from receipt to closure, when it is overdue, what a correction needs.

Plain Python. The clock is always passed in, so time-dependent rules are tested at any date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shared.errors import Conflict, Invalid
from shared.events.intake import EncounterFields

CHANNELS = frozenset({"mail", "email", "fax", "agency-referral"})
DETERMINATIONS = frozenset({"corrected", "no-change-warranted", "referred"})
CORRECTABLE_FIELDS = frozenset(EncounterFields.model_fields) - {"match_result"}


class Status(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under-review"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Decision(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


# action -> (allowed from, to, timestamp column set on the step)
TRANSITIONS: dict[str, tuple[frozenset[Status], Status, str]] = {
    "start-review": (frozenset({Status.RECEIVED}), Status.UNDER_REVIEW, "review_started_at"),
    "resolve": (frozenset({Status.UNDER_REVIEW}), Status.RESOLVED, "resolved_at"),
    "close": (frozenset({Status.RESOLVED}), Status.CLOSED, "closed_at"),
    "reopen": (frozenset({Status.RESOLVED, Status.CLOSED}), Status.UNDER_REVIEW, "reopened_at"),
}


@dataclass(frozen=True)
class Intake:
    source: str  # "TRIP" or "non-TRIP"
    trip_number: str | None
    channel: str | None
    sent_on: date
    received_on: date


def check_intake(i: Intake, *, today: date) -> None:
    """DHS TRIP requests carry their TRIP number; others say how they came; dates must make sense."""
    if i.source == "TRIP":
        if not i.trip_number or not re.fullmatch(r"[0-9A-Za-z-]{4,32}", i.trip_number):
            raise Invalid("a DHS TRIP request needs its TRIP/redress number (4-32 letters, digits or dashes)")
        if i.channel is not None:
            raise Invalid("a DHS TRIP request comes through TRIP; leave channel empty")
    elif i.source == "non-TRIP":
        if i.channel not in CHANNELS:
            raise Invalid(f"a non-TRIP request names its channel: one of {', '.join(sorted(CHANNELS))}")
        if i.trip_number:
            raise Invalid("only DHS TRIP requests carry a TRIP number")
    else:
        raise Invalid("source is 'TRIP' or 'non-TRIP'")
    if i.received_on < i.sent_on:
        raise Invalid("the request cannot be received before it was sent")
    if i.received_on > today:
        raise Invalid("the received date is in the future")


def due_on(received_on: date, sla_days: int) -> date:
    return received_on + timedelta(days=sla_days)


def is_overdue(status: str, due: date, *, today: date) -> bool:
    return status != Status.CLOSED and today > due


def transition(
    action: str,
    status: str,
    *,
    determination: str | None = None,
    reason: str | None = None,
    decisions: list[str] | None = None,
    response_recorded: bool = False,
    missing_searches: list[str] | None = None,
) -> Status:
    """Enforced workflow; each refusal says what is missing."""
    if action not in TRANSITIONS:
        raise Invalid(f"unknown action {action!r}; one of {', '.join(TRANSITIONS)}")
    sources, target, _ = TRANSITIONS[action]
    if status not in sources:
        raise Conflict(f"cannot {action} a request that is {status}")
    if action == "resolve":
        if determination not in DETERMINATIONS:
            raise Invalid(f"resolving needs a determination: one of {', '.join(sorted(DETERMINATIONS))}")
        pending = [d for d in decisions or [] if d == Decision.PENDING]
        if pending:
            raise Conflict(f"{len(pending)} correction(s) still await the data owner's decision")
        if determination == "corrected" and Decision.ACCEPTED not in (decisions or []):
            raise Conflict("'corrected' needs at least one correction accepted by its data owner")
        if missing_searches:
            raise Conflict(f"required searches are missing: {', '.join(missing_searches)}", missing=missing_searches)
    if action == "close" and not response_recorded:
        raise Conflict("record the findings sent to TRIP or the response to the requester before closing")
    if action == "reopen" and not (reason and reason.strip()):
        raise Invalid("reopening needs a reason")
    return target


def check_response(source: str, kind: str, channel: str | None) -> None:
    """TRIP requests are answered by submitting findings to TRIP; others by the channel they came through."""
    if source == "TRIP" and kind != "trip-findings":
        raise Conflict("a DHS TRIP request is answered by submitting the findings to TRIP")
    if source == "non-TRIP":
        if kind not in ("individual", "agency"):
            raise Conflict("a non-TRIP request is answered to the individual or the submitting agency")
        if channel not in CHANNELS - {"agency-referral"}:
            raise Invalid("the response goes by mail, email or fax")


def check_correction(field: str, proposed: str) -> None:
    if field not in CORRECTABLE_FIELDS:
        raise Invalid(f"{field!r} is not a correctable encounter field")
    if not proposed.strip():
        raise Invalid("a correction proposes a value")


def check_decision(current: str, decision: str) -> None:
    if decision not in (Decision.ACCEPTED, Decision.DECLINED):
        raise Invalid("the data owner's decision is 'accepted' or 'declined'")
    if current != Decision.PENDING:
        raise Conflict(f"this correction was already {current}")


# -- the search log ------------------------------------------------------------------------------------------

SEARCH_RESULTS = frozenset({"hit", "no-hit", "not-authorized"})


def check_search(system: str, result: str, catalogue: list[str]) -> None:
    if system not in catalogue:
        raise Invalid(f"unknown source system {system!r}; the catalogue is {', '.join(catalogue)}")
    if result not in SEARCH_RESULTS:
        raise Invalid(f"a search result is one of {', '.join(sorted(SEARCH_RESULTS))}")


def missing_searches(required: list[str], done: set[str]) -> list[str]:
    """The searches the redress program requires that no entry of the log shows (any result counts)."""
    return [s for s in required if s not in done]


# -- re-links ------------------------------------------------------------------------------------------------


def check_relink(
    encounter_ids: list[object], subjects: dict[object, object], linked: set[object], to_subject: object | None
) -> object:
    """A re-link moves records of this request that belong to one subject, to another: returns that subject.

    `subjects`: encounter -> its subject now (as cases knows it); `to_subject` None asks for a new subject."""
    if not encounter_ids:
        raise Invalid("name the records to re-link")
    if len(set(encounter_ids)) != len(encounter_ids):
        raise Invalid("a record is named twice")
    unlinked = [str(e) for e in encounter_ids if e not in linked]
    if unlinked:
        raise Conflict(f"link the record to this request before re-linking it: {', '.join(unlinked)}")
    sources = {subjects[e] for e in encounter_ids}
    if len(sources) != 1:
        raise Conflict("the records to re-link belong to different subjects; re-link each subject's records apart")
    (source,) = sources
    if to_subject is not None and to_subject == source:
        raise Conflict("the records already belong to that subject")
    return source


def check_undo(relink: dict[str, object], current: dict[object, object]) -> None:
    """Undo moves the records back; refused if any has since moved elsewhere (undo that re-link first)."""
    moved = [str(e) for e, s in current.items() if s != relink["to_subject_id"]]
    if moved:
        raise Conflict(
            f"a record of this re-link is not with its subject now: {', '.join(moved)} (cases has not applied the "
            "re-link yet, or a later re-link moved it: undo that one first)"
        )


# -- notices to system owners --------------------------------------------------------------------------------

NOTICE_CHANNELS = frozenset({"email", "mail", "fax", "phone", "system-ticket"})
OWNER_DECISIONS = frozenset({"remove", "keep", "correct"})


def check_notice(owner: str, discrepancy: str, channel: str) -> None:
    if not owner.strip():
        raise Invalid("name the system owner told of the discrepancy")
    if not discrepancy.strip():
        raise Invalid("say what the discrepancy is")
    if channel not in NOTICE_CHANNELS:
        raise Invalid(f"the notice goes by one of {', '.join(sorted(NOTICE_CHANNELS))}")


def check_reply(notice: dict[str, object], text: str) -> None:
    if notice["reply"] is not None:
        raise Conflict("the owner's reply is already recorded")
    if not text.strip():
        raise Invalid("record what the owner replied")


def check_owner_decision(notice: dict[str, object], decision: str, decided_by: str) -> None:
    """The owner's decision on the discrepancy, with who made it (a person at the owner, not the officer)."""
    if decision not in OWNER_DECISIONS:
        raise Invalid(f"the owner's decision is one of {', '.join(sorted(OWNER_DECISIONS))}")
    if not decided_by.strip():
        raise Invalid("name who made the decision at the system owner")
    if notice["decision"] is not None:
        raise Conflict(f"the owner's decision is already recorded ({notice['decision']})")
