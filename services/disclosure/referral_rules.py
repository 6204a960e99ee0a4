"""Rules of referrals and notices to the owners of the data (PIA 3.1, 6.1; issue 28). Plain Python.

A referral is a message outside OBIM about a case: to a Component data owner, to TSC, to DOS or to another
USG agency. What leaves is a draft prepared under the recipient's agreement like a partner response; here
are the rules of which kind goes to whom, what the reply may say and when it is overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.errors import Conflict, Invalid

REMOVE = "remove"


@dataclass(frozen=True)
class Kind:
    """One kind of referral: who may receive it, the purpose it is sent for, the replies it may get."""

    purpose: str
    recipients: frozenset[str]  # agreement recipient kinds
    decisions: frozenset[str]
    reply_within_days: int


KINDS: dict[str, Kind] = {
    # A match forwarded to the Component that owns the encounters (CBP, ICE, USCIS, TSA, ...).
    "owner-referral": Kind(
        "owner-referral", frozenset({"dhs-component"}), frozenset({"acknowledged", "keep", REMOVE}), 30
    ),
    # A match disseminated to the appropriate USG agency.
    "usg-dissemination": Kind("national-security", frozenset({"usg-agency"}), frozenset({"acknowledged"}), 30),
    # TSC hears of every match on its records, shared or not; it may answer that the encounter must go.
    "tsc-notice": Kind("watchlist-match-notification", frozenset({"tsc"}), frozenset({"keep", REMOVE}), 14),
    # DOS is alerted that its encounters matched a partner's query.
    "dos-alert": Kind("owner-referral", frozenset({"dos"}), frozenset({"acknowledged"}), 30),
    # A recommendation that the owner take an identity off IDENT's fast matcher; the owner decides.
    "fast-matcher-removal": Kind(
        "fast-matcher-removal", frozenset({"dhs-component", "tsc"}), frozenset({"approved", "declined"}), 30
    ),
}


def kind(name: str) -> Kind:
    if name not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(sorted(KINDS))}")
    return KINDS[name]


def check_recipient(kind_name: str, recipient_kind: str, recipient_agency: str) -> None:
    """A referral goes only to the kind of recipient it is for (a TSC notice to TSC, ...)."""
    allowed = kind(kind_name).recipients
    if recipient_kind not in allowed:
        raise Invalid(
            f"a {kind_name} goes to a recipient of kind {', '.join(sorted(allowed))}; "
            f"{recipient_agency} is {recipient_kind}"
        )


def check_reply(
    kind_name: str, decision: str, *, sent_at: dt.datetime | None, replied_on: dt.date, today: dt.date
) -> None:
    """A reply is recorded once the referral has left, on a date between its sending and today."""
    decisions = kind(kind_name).decisions
    if decision not in decisions:
        raise Invalid(f"a {kind_name} is answered {', '.join(sorted(decisions))}, not {decision!r}")
    if sent_at is None:
        raise Conflict("this referral has not been sent: there is no reply to record yet")
    if replied_on > today:
        raise Invalid("replied_on is in the future")
    if replied_on < sent_at.date():
        raise Invalid(f"replied_on is before the referral was sent ({sent_at.date().isoformat()})")


def due_at(sent_at: dt.datetime | None, reply_within_days: int) -> dt.datetime | None:
    """When the reply is due: counted from the moment the referral left."""
    return None if sent_at is None else sent_at + dt.timedelta(days=reply_within_days)


def status(*, drafted: bool, sent_at: dt.datetime | None, decision: str | None) -> str:
    """due (to be drafted) -> drafted -> sent (awaiting its reply) -> replied."""
    if decision is not None:
        return "replied"
    if sent_at is not None:
        return "sent"
    return "drafted" if drafted else "due"


def overdue(*, sent_at: dt.datetime | None, reply_within_days: int, decision: str | None, now: dt.datetime) -> bool:
    """Sent, unanswered, and past its due time."""
    due = due_at(sent_at, reply_within_days)
    return due is not None and decision is None and now > due
