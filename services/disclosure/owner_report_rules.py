"""Rules of an owner's report sent as a disclosure (PIA 3.1: DOS's report of its encounters subsequently shared).
Plain Python.

The report goes to a recipient of the owner's own agreement (DOS, or a DHS Component), names only that owner's
encounters, one item per response that carried them, and is accounted per subject it itemises: it tells the owner
that these people's records left for a partner, so each person's accounting of disclosures shows it. Each
encounter is named by what the owner looks it up by in its own system (EID, FIN, encounter date), as cases holds
them when the report is drafted and as the owner's agreement lets them leave (a response's rules), frozen in the
items; the accounting lists those fields, so a later correction of one reaches the report's recipient.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from services.disclosure import domain
from shared.errors import Conflict, Invalid

RECIPIENT_KINDS = frozenset({"dos", "dhs-component"})
PURPOSE = "owner-referral"  # the purpose an owner's agreement names for what OBIM tells it about its data
MAX_DAYS = 366
# What the owner looks its encounter up by in its own system, in the order the report prints them.
IDENTIFIER_FIELDS = ("eid", "fin", "encounter_date")
LABELS = {"eid": "EID", "fin": "FIN", "encounter_date": "encounter date"}


def check_period(start: dt.date, end: dt.date, *, today: dt.date) -> None:
    if end < start:
        raise Invalid("to is before from")
    if (end - start).days >= MAX_DAYS:
        raise Invalid(f"a report covers at most {MAX_DAYS} days")
    if end > today:
        raise Invalid("to is in the future: a report covers days that are over")


def owner_of(recipient_kind: str, data_owners: Sequence[str], agency: str) -> str:
    """The owner the report is about: the one data owner the recipient's agreement covers."""
    if recipient_kind not in RECIPIENT_KINDS:
        raise Invalid(
            f"an owner's report goes to a recipient of kind dos or dhs-component; {agency} is {recipient_kind}"
        )
    if len(data_owners) != 1:
        raise Invalid(f"{agency}'s agreement covers {len(data_owners)} data owners: a report is about one owner's data")
    return data_owners[0]


def frozen_items(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The items as stored with the report (JSON), in a fixed order: a send compares them with the accounting now."""
    out = [
        {
            "accounting_id": str(i["accounting_id"]),
            "sent_at": i["sent_at"].isoformat(),
            "case_id": str(i["case_id"]),
            "subject_id": str(i["subject_id"]),
            "program": i["program"],
            "partner_country": i["partner_country"],
            "partner_transaction_number": i["partner_transaction_number"],
            "recipient_agency": i["recipient_agency"],
            "encounter_ids": sorted(str(e) for e in i["encounter_ids"]),
        }
        for i in items
    ]
    return sorted(out, key=lambda i: (i["sent_at"], i["accounting_id"]))


def require_items(items: Sequence[Any], owner: str) -> None:
    if not items:
        raise Conflict(f"nothing of {owner}'s was shared in that period: there is nothing to report")


def identifiers(summary: domain.CaseSummary, agreement: domain.Agreement) -> dict[str, dict[str, str]]:
    """Each encounter of a case with the identifiers the owner's agreement lets leave (a response's rules: none of a
    withdrawn, not-sharable or protected encounter's, only fields the agreement names)."""
    return {str(e.encounter_id): domain.released_values(e, IDENTIFIER_FIELDS, agreement) for e in summary.encounters}


def with_identifiers(
    items: Sequence[Mapping[str, Any]], found: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """The items with each encounter's identifiers frozen beside it (none for one cases no longer holds)."""
    return [{**i, "identifiers": {e: dict(found.get(e, {})) for e in i["encounter_ids"]}} for i in items]


def _accounted(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in i.items() if k != "identifiers"} for i in items]


def require_unchanged(drafted: Sequence[Mapping[str, Any]], now: Sequence[Mapping[str, Any]]) -> None:
    """What leaves is what was approved: a response accounted or withdrawn since, or an identifier corrected in
    cases since, means drafting it again (`now` with or without identifiers: only what it has is compared)."""
    if _accounted(drafted) != _accounted(now):
        raise Conflict("the accounting of the period changed since this report was drafted; draft it again")
    if any("identifiers" in i for i in now) and [i.get("identifiers") for i in drafted] != [
        i.get("identifiers") for i in now
    ]:
        raise Conflict("an encounter the report names changed in cases since it was drafted; draft it again")


def render(
    *, owner: str, agency: str, start: dt.date, end: dt.date, items: Sequence[Mapping[str, Any]], limits: str
) -> str:
    """The report's body: one line per response with the owner's encounters it carried; the agreement's limits."""
    encounters = sum(len(i["encounter_ids"]) for i in items)
    lines = [
        f"Report to {agency}: {owner} encounters subsequently shared, {start.isoformat()} to {end.isoformat()}",
        f"Responses: {len(items)}; encounters shared: {encounters}",
        "",
    ]
    for n, i in enumerate(items, start=1):
        reference = i["partner_transaction_number"] or i["case_id"]
        partner = f"{i['recipient_agency']} ({i['partner_country']})" if i["partner_country"] else i["recipient_agency"]
        lines.append(f"{n}. Sent {i['sent_at'][:16].replace('T', ' ')} UTC to {partner}, {i['program']} {reference}")
        for e in i["encounter_ids"]:
            named = (i.get("identifiers") or {}).get(e) or {}
            shown = ", ".join(f"{LABELS[f]} {named[f]}" for f in IDENTIFIER_FIELDS if f in named)
            lines.append(f"   Encounter {e}: {shown}" if shown else f"   Encounter {e}")
    if limits:
        lines += ["", f"USE AND RE-DISSEMINATION LIMITS: {limits}"]
    return "\n".join(lines) + "\n"


def per_subject(items: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, tuple[uuid.UUID, list[uuid.UUID]]]:
    """Each subject the report itemises: its first case in the report and its encounters (the accounting rows)."""
    out: dict[uuid.UUID, tuple[uuid.UUID, list[uuid.UUID]]] = {}
    for i in items:
        subject = uuid.UUID(i["subject_id"])
        _, ids = out.setdefault(subject, (uuid.UUID(i["case_id"]), []))
        ids += [uuid.UUID(e) for e in i["encounter_ids"] if uuid.UUID(e) not in ids]
    return out


def identifier_fields(items: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, list[str]]:
    """Each subject's identifier fields the report carried, as its accounting row lists them (what a correction of
    one of them is matched against)."""
    out: dict[uuid.UUID, set[str]] = {}
    for i in items:
        named = out.setdefault(uuid.UUID(i["subject_id"]), set())
        for values in (i.get("identifiers") or {}).values():
            named.update(values)
    return {s: sorted(f) for s, f in out.items()}


def without_encounter(
    items: Sequence[Mapping[str, Any]], body: str, encounter_id: str, removed: str
) -> tuple[list[dict[str, Any]], str]:
    """A report after its owner deleted an encounter it names: the encounter's identifiers are gone from the items
    and the body (its line says why); the rest, and the accounting's ids and digest, stay as they were sent."""
    kept = [
        {**i, "identifiers": {e: ({} if e == encounter_id else v) for e, v in i["identifiers"].items()}}
        if "identifiers" in i
        else dict(i)
        for i in items
    ]
    prefix = f"   Encounter {encounter_id}"
    lines = [f"{prefix}: {removed}" if line.startswith(prefix) else line for line in body.split("\n")]
    return kept, "\n".join(lines)
