"""Rules of a recipient's report of a possible inaccuracy (PIA 2.5; issue 28 item 6). Plain Python.

A recipient that received information from a disclosure tells OBIM that something in it may be wrong; OBIM
coordinates with the data owner, and the report ends either in a correction the owner confirmed (applied in cases,
listed for every past recipient) or in a documented "no change" with its reason, and the recipient is answered.
It is not a redress request: no individual asked, and the report is about one disclosure to one recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from shared.errors import Conflict, Invalid
from shared.events.intake import EncounterFields

CORRECTION, NO_CHANGE = "correction", "no-change"
RESOLUTIONS = (CORRECTION, NO_CHANGE)
# The encounter fields a correction may change: every PIA 2.1 field but the partner's match result.
CORRECTABLE_FIELDS = frozenset(EncounterFields.model_fields) - {"match_result"}
# received -> (correcting ->) resolved -> answer-drafted -> answered
RECEIVED, CORRECTING, RESOLVED, ANSWER_DRAFTED, ANSWERED = (
    "received",
    "correcting",
    "resolved",
    "answer-drafted",
    "answered",
)
STATUSES = (RECEIVED, CORRECTING, RESOLVED, ANSWER_DRAFTED, ANSWERED)


def check_report(
    *,
    disclosure: Mapping[str, Any],
    encounter_id: Any,
    field: str | None,
    received_on: dt.date,
    today: dt.date,
) -> None:
    """A report is about a disclosure that left for a recipient, one encounter it carried, and maybe one field it
    released; it was received between the disclosure's sending and today."""
    if disclosure["draft_id"] is None:
        raise Invalid("that accounting row is not a disclosure to a recipient (a notice by another hand)")
    if disclosure["state"] != "sent":
        raise Conflict("that disclosure has not been delivered yet: nothing was received to report on")
    if encounter_id not in disclosure["encounter_ids"]:
        raise Invalid(f"encounter {encounter_id} was not in that disclosure")
    if field is not None and field not in disclosure["fields"]:
        raise Invalid(f"field {field!r} was not released in that disclosure")
    if received_on > today:
        raise Invalid("received_on is in the future")
    if received_on < disclosure["sent_at"].date():
        raise Invalid(f"received_on is before the disclosure was sent ({disclosure['sent_at'].date().isoformat()})")


def check_resolution(resolution: str, *, note: str, field: str | None, value: str | None) -> None:
    """A correction names a correctable field and a value that field can hold; either way the reason is written."""
    if resolution not in RESOLUTIONS:
        raise Invalid(f"resolution must be one of {', '.join(RESOLUTIONS)}")
    if not note.strip():
        raise Invalid("note: say why (the data owner's answer, or why nothing changes)")
    if resolution == NO_CHANGE:
        if field is not None or value is not None:
            raise Invalid("a 'no-change' resolution changes no field: leave field and corrected_value out")
        return
    if field not in CORRECTABLE_FIELDS:
        raise Invalid(f"field: {field!r} is not a correctable encounter field")
    if value is None or not value.strip():
        raise Invalid("corrected_value: a correction gives the value the data owner confirmed")
    try:
        EncounterFields.model_validate({field: value})
    except ValidationError as exc:
        raise Invalid(f"corrected_value is not a valid {field}: {exc.errors()[0]['msg']}") from exc


def status(*, resolution: str | None, correction_applied: bool, answer_drafted: bool, answered: bool) -> str:
    """Where the report stands; a correction is resolved only once cases applied it."""
    if answered:
        return ANSWERED
    if answer_drafted:
        return ANSWER_DRAFTED
    if resolution is None:
        return RECEIVED
    if resolution == CORRECTION and not correction_applied:
        return CORRECTING
    return RESOLVED


def require_status(current: str, allowed: tuple[str, ...], doing: str) -> None:
    """A wrong move names where the report stands and what it needs first."""
    if current in allowed:
        return
    why = {
        RECEIVED: "resolve it first (a correction or no change)",
        CORRECTING: "the correction is not applied in cases yet; try again in a moment",
        RESOLVED: "it is resolved already",
        ANSWER_DRAFTED: "its answer is drafted already",
        ANSWERED: "it was answered already",
    }[current]
    raise Conflict(f"this report is {current}: it cannot be {doing}; {why}")


def answer_note(
    *, received_on: dt.date, disclosed_on: dt.date, resolution: str, resolution_note: str, field: str | None, note: str
) -> str:
    """The answer's covering text: which report it answers and how it was resolved (the analyst may add a note)."""
    lines = [
        f"Answer to your report of a possible inaccuracy, received {received_on.isoformat()}, about the "
        f"information we sent on {disclosed_on.isoformat()}.",
    ]
    if resolution == CORRECTION:
        lines.append(
            f"Resolution: corrected. The data owner corrected {field} in its system of origin; the information "
            "above is as corrected. Please correct your copy."
        )
    else:
        lines.append("Resolution: no change. The information we sent stands.")
    lines.append(f"Reason: {resolution_note.strip()}")
    if note.strip():
        lines += ["", note.strip()]
    return "\n".join(lines)
