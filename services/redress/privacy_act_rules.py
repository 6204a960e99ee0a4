"""Privacy Act access and amendment requests (PIA 7.1, 7.2): their clocks and their workflow.

Plain Python, the clock passed in. Statutory clocks count working days (weekends and the configured federal
holidays left out): an access request is answered within 20 (DHS applies FOIA's time limit, 6 CFR 5.21 and
5 U.S.C. 552(a)(6)); an amendment is acknowledged within 10 (5 U.S.C. 552a(d)(2)(A)) and decided within the
configured days; an appeal of an adverse determination is decided within 30 (552a(d)(3)).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from shared.errors import Conflict, Invalid

KINDS = ("access", "amendment")
EXEMPTIONS = ("none", "(j)(2)", "(k)(2)")
DECISIONS = ("granted", "partially-granted", "denied")
ADVERSE = frozenset({"partially-granted", "denied"})
APPEAL_DECISIONS = ("upheld", "reversed", "partially-reversed")
CHANNELS = ("mail", "email", "fax")


class Status(StrEnum):
    RECEIVED = "received"
    DECIDED = "decided"
    RESPONDED = "responded"
    APPEALED = "appealed"
    APPEAL_DECIDED = "appeal-decided"
    CLOSED = "closed"


def add_working_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The day `days` working days after `start` (the day of receipt itself not counted)."""
    off = set(holidays)
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


def check_intake(kind: str, *, received_on: date, today: date, proposed_amendment: str | None) -> None:
    """An amendment request states the proposed amendment (PIA 7.2); dates make sense."""
    if kind not in KINDS:
        raise Invalid(f"a Privacy Act request is one of {', '.join(KINDS)}")
    if received_on > today:
        raise Invalid("the received date is in the future")
    if kind == "amendment" and not (proposed_amendment and proposed_amendment.strip()):
        raise Invalid("an amendment request states the proposed amendment")
    if kind == "access" and proposed_amendment:
        raise Invalid("only an amendment request proposes an amendment")


def running_clock(status: str, due_on: date, appeal_due_on: date | None) -> date | None:
    """The date the running statutory clock ends: the request's until it is answered, the appeal's while one
    is pending; none while nothing is owed."""
    if status in (Status.RECEIVED, Status.DECIDED):
        return due_on
    if status == Status.APPEALED:
        return appeal_due_on
    return None


def is_overdue(status: str, due_on: date, appeal_due_on: date | None, *, today: date) -> bool:
    clock = running_clock(status, due_on, appeal_due_on)
    return clock is not None and today > clock


def check_exemption_review(status: str, exemption: str, basis: str) -> None:
    """Access or amendment may be limited under 552a(j)(2) or (k)(2); a claimed exemption says why."""
    if status != Status.RECEIVED:
        raise Conflict(f"the exemption review comes before the decision; this request is {status}")
    if exemption not in EXEMPTIONS:
        raise Invalid(f"the exemption claimed is one of {', '.join(EXEMPTIONS)}")
    if exemption != "none" and not basis.strip():
        raise Invalid(f"claiming {exemption} needs its basis")


def check_decision(status: str, decision: str, *, exemption: str | None, reason: str) -> None:
    if status != Status.RECEIVED:
        raise Conflict(f"a decision is recorded once; this request is {status}")
    if decision not in DECISIONS:
        raise Invalid(f"the decision is one of {', '.join(DECISIONS)}")
    if exemption is None:
        raise Conflict("record the exemption review (even 'none') before deciding")
    if decision in ADVERSE and not reason.strip():
        raise Invalid("an adverse determination states its reason (the requester may appeal it)")


def check_response(status: str, channel: str, sent_on: date, *, received_on: date) -> None:
    if status != Status.DECIDED:
        raise Conflict(f"respond after the decision; this request is {status}")
    if channel not in CHANNELS:
        raise Invalid(f"the response goes by {', '.join(CHANNELS)}")
    if sent_on < received_on:
        raise Invalid("the response cannot be sent before the request was received")


def check_appeal(status: str, decision: str | None, appealed_on: date, *, responded_on: date, today: date) -> None:
    """Only an adverse determination may be appealed (6 CFR Part 5, Subpart B), after it was sent."""
    if status != Status.RESPONDED:
        raise Conflict(f"an appeal follows the response; this request is {status}")
    if decision not in ADVERSE:
        raise Conflict("only an adverse determination (denied or partially granted) may be appealed")
    if appealed_on < responded_on or appealed_on > today:
        raise Invalid("the appeal date falls between the response and today")


def check_appeal_decision(status: str, decision: str, reason: str) -> None:
    if status != Status.APPEALED:
        raise Conflict(f"no appeal is pending; this request is {status}")
    if decision not in APPEAL_DECISIONS:
        raise Invalid(f"the appeal decision is one of {', '.join(APPEAL_DECISIONS)}")
    if not reason.strip():
        raise Invalid("the appeal decision states its reason")


def check_close(status: str) -> None:
    if status not in (Status.RESPONDED, Status.APPEAL_DECIDED):
        raise Conflict(f"close a request once it was answered (or its appeal decided); this request is {status}")
