"""Disclosure rules: what an information-sharing agreement lets leave, and why everything else stays.

Plain Python. `prepare` is the only way a response is built, and `render` reads only what `prepare`
released, so nothing an agreement does not allow can reach a partner, whatever the analyst edits.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any

from shared.errors import Conflict, Invalid
from shared.events import intake as intake_events
from shared.events.cases import AttachedRow

# Special protected classes (8 U.S.C. 1367 and others): withheld unless an agreement names the class.
PROTECTED_CLASSES = frozenset(intake_events.PROTECTED_CLASSES)
DI_FIELDS = frozenset({"derogatory_information", "di_description"})
ANY = "*"


def projection_row(row: AttachedRow, program: str) -> dict[str, object]:
    """The facts a sharing decision needs from cases' answers: owner, program, partner, protection; no names."""
    return {
        "encounter_id": row.encounter_id,
        "subject_id": row.subject_id,
        "program": program,
        "data_owner": row.data_owner,
        "partner_country": row.partner_country,
        "protected_class": row.protected_class,
        "special_protected": row.protected_class in PROTECTED_CLASSES,
    }


TSC = "FBI-TSC"
# Who an agreement's recipient organisation is: a foreign partner names a country; the others do not.
FOREIGN = "foreign-partner"
RECIPIENT_KINDS = frozenset({FOREIGN, "dhs-component", "tsc", "dos", "usg-agency"})


def tsc_notice(row: AttachedRow, *, upload_kind: str) -> dict[str, object] | None:
    """A partner query matching an FBI-TSC record is reported to TSC, shared or not (PIA 6.1)."""
    if upload_kind != "partner-query" or row.data_owner != TSC:
        return None
    return {
        "id": uuid.uuid5(row.encounter_id, "tsc-match"),
        "data_owner": TSC,
        "case_id": row.case_id,
        "encounter_ids": [row.encounter_id],
        "shared": False,
        "partner_country": row.partner_country,
    }


@dataclass(frozen=True)
class Agreement:
    """One version of an ISAA, as data: who may receive what, about whom, for which purposes, until when."""

    agreement_id: uuid.UUID
    version: int
    partner_country: str | None  # None for a recipient inside the United States (see RECIPIENT_KINDS)
    partner_agency: str
    program: str
    data_owners: frozenset[str]
    ous: frozenset[str]  # O/U/S prefixes whose encounters may be shared; "*" for any
    fields: frozenset[str]
    di_categories: frozenset[str]
    protected_classes: frozenset[str]  # empty: never share special-protected-class encounters
    caveat: str
    purposes: frozenset[str]
    valid_from: date
    valid_to: date | None
    recipient_kind: str = FOREIGN
    use_limits: str = ""  # re-dissemination and use limits, stated on every release under this version
    approvals_required: int = 1  # the two-person rule, made stricter by the agreement (never below 1)

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class EncounterView:
    encounter_id: uuid.UUID
    data_owner: str | None
    ous: str | None
    protected_class: str | None
    not_sharable: bool
    di_shared: bool | None
    values: dict[str, str]  # PIA 2.1 field -> value, present fields only
    withdrawn: bool = False  # removed at its owner's request: never released again


@dataclass(frozen=True)
class FindingView:
    finding_id: uuid.UUID
    kind: str
    text: str
    encounter_ids: frozenset[uuid.UUID] = frozenset()  # empty: about the case as a whole
    accurate_as_of: str | None = None  # ISO date-time the analyst vouches for


@dataclass(frozen=True)
class CaseSummary:
    case_id: uuid.UUID
    program: str
    partner_country: str
    matched: bool
    encounters: tuple[EncounterView, ...] = ()
    findings: tuple[FindingView, ...] = ()


def summary_from_view(view: dict[str, Any]) -> CaseSummary:
    """Cases' disclosure view of a case (its internal API, JSON) as the summary a draft is prepared from:
    each encounter's current values (corrections applied) and flags, findings oldest first."""
    encounters = []
    for e in sorted(view["encounters"], key=lambda x: uuid.UUID(str(x["encounter_id"]))):
        fields: dict[str, Any] = e["fields"] or {}
        flags: dict[str, Any] = e.get("flags") or {}
        protected = (flags.get("protected-class") or {}).get("class") or fields.get("protected_class")
        encounters.append(
            EncounterView(
                encounter_id=uuid.UUID(str(e["encounter_id"])),
                data_owner=fields.get("data_owner"),
                ous=fields.get("ous"),
                protected_class=protected,
                not_sharable=bool((flags.get("not-sharable") or {}).get("set")),
                di_shared=(flags.get("derogatory") or {}).get("di_shared", fields.get("di_shared")),
                values={k: str(v) for k, v in fields.items() if v not in (None, "", []) and not isinstance(v, list)},
                # An encounter its owner had removed (TSC's "remove") is out of every later release.
                withdrawn=bool((flags.get("withdrawn") or {}).get("set")),
            )
        )
    findings = tuple(
        FindingView(
            uuid.UUID(str(f["finding_id"])),
            f["kind"],
            f["text"],
            frozenset(uuid.UUID(str(i)) for i in f.get("encounter_ids") or ()),
            str(f["accurate_as_of"]) if f.get("accurate_as_of") else None,
        )
        for f in view["findings"]
    )
    return CaseSummary(
        uuid.UUID(str(view["case_id"])),
        view["program"],
        view["partner_country"] or "",
        bool(view["matched"]),
        tuple(encounters),
        findings,
    )


@dataclass(frozen=True)
class Withheld:
    item: str
    rule: str


@dataclass
class Draft:
    """What will leave (released) and, separately, everything withheld with the rule that withheld it."""

    case_id: uuid.UUID
    agreement_id: uuid.UUID
    agreement_version: int
    matched: bool
    sendable: bool
    released: dict[uuid.UUID, dict[str, str]] = field(default_factory=dict)
    findings: list[FindingView] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    limits: str = ""
    as_of: str | None = None  # the findings' "as of" date the partner is told (the oldest one)


def _agreement_refusal(summary: CaseSummary, agreement: Agreement, purpose: str, on: date) -> str | None:
    if on < agreement.valid_from:
        return "agreement not yet in force"
    if agreement.valid_to is not None and on > agreement.valid_to:
        return "agreement expired"
    if agreement.program not in (ANY, summary.program):
        return "agreement does not cover this partner and program"
    if agreement.recipient_kind == FOREIGN and agreement.partner_country != summary.partner_country:
        return "agreement does not cover this partner and program"
    if purpose not in agreement.purposes:
        return "purpose not allowed by the agreement"
    return None


PRECISION_SUFFIX = "_precision"


def _encounter_refusal(e: EncounterView, agreement: Agreement) -> str | None:
    if e.withdrawn:
        return "withdrawn at its data owner's request"
    if e.not_sharable:
        return "non-sharable flag"
    if e.protected_class and e.protected_class not in agreement.protected_classes:
        return "special protected class"
    if (e.data_owner or "") not in agreement.data_owners:
        return "data owner not covered"
    if ANY not in agreement.ous and not any((e.ous or "").startswith(p) for p in agreement.ous):
        return "O/U/S not covered"
    return None


def _field_refusal(e: EncounterView, name: str, agreement: Agreement) -> str | None:
    if name.endswith(PRECISION_SUFFIX):
        # A date's precision (year, month, day) leaves with the date and is withheld with it.
        return _field_refusal(e, name.removesuffix(PRECISION_SUFFIX), agreement)
    if name not in agreement.fields:
        return "field not allowed"
    if name in DI_FIELDS:
        category = e.values.get("derogatory_information", "")
        if e.di_shared is not True or category not in agreement.di_categories:
            return "derogatory information not sharable"
    return None


def released_values(e: EncounterView, names: Sequence[str], agreement: Agreement) -> dict[str, str]:
    """The named fields of an encounter that a release under the agreement may carry, by a response's rules: none
    of a withdrawn, not-sharable or protected encounter's, nor of another owner's; only fields the agreement names."""
    if _encounter_refusal(e, agreement) is not None:
        return {}
    return {n: e.values[n] for n in names if n in e.values and _field_refusal(e, n, agreement) is None}


NO_MATCH = "no-match response"


def prepare(summary: CaseSummary, agreement: Agreement, *, purpose: str, on: date, matched: bool = True) -> Draft:
    """Apply the agreement to a case summary; every item ends up released or withheld, never both.

    A no-match response (the analyst's conclusion) releases nothing: every item is withheld as such."""
    draft = Draft(summary.case_id, agreement.agreement_id, agreement.version, matched, sendable=True)
    draft.limits = agreement.use_limits
    draft.as_of = min((f.accurate_as_of[:10] for f in summary.findings if f.accurate_as_of), default=None)
    refusal = _agreement_refusal(summary, agreement, purpose, on) or (None if matched else NO_MATCH)
    if refusal is not None:
        draft.sendable = refusal == NO_MATCH
        draft.withheld += [Withheld(f"encounter {e.encounter_id}", refusal) for e in summary.encounters]
        draft.withheld += [Withheld(f"finding {f.finding_id}", refusal) for f in summary.findings]
        return draft
    for e in summary.encounters:
        rule = _encounter_refusal(e, agreement)
        if rule is not None:
            draft.withheld.append(Withheld(f"encounter {e.encounter_id}", rule))
            continue
        released: dict[str, str] = {}
        for name, value in sorted(e.values.items()):
            field_rule = _field_refusal(e, name, agreement)
            if field_rule is None:
                released[name] = value
            else:
                draft.withheld.append(Withheld(f"encounter {e.encounter_id} field {name}", field_rule))
        draft.released[e.encounter_id] = released
        if e.protected_class and agreement.caveat and agreement.caveat not in draft.caveats:
            draft.caveats.append(agreement.caveat)
    for f in summary.findings:
        if f.encounter_ids - set(draft.released):
            draft.withheld.append(Withheld(f"finding {f.finding_id}", "refers to a withheld encounter"))
        elif "findings" not in agreement.fields:
            draft.withheld.append(Withheld(f"finding {f.finding_id}", "field not allowed"))
        else:
            draft.findings.append(f)
    return draft


def released_json(draft: Draft) -> dict[str, Any]:
    """What a draft releases, as stored with it: a send re-prepares it and must find the very same."""
    return {
        "encounters": {str(k): v for k, v in draft.released.items()},
        "findings": [{"id": str(f.finding_id), "kind": f.kind, "text": f.text} for f in draft.findings],
        "caveats": draft.caveats,
        "matched": draft.matched,
        "as_of": draft.as_of,
    }


def case_reference(case: Mapping[str, Any]) -> str:
    """How a response names the partner's query: its transaction number, else the case id."""
    return f"{case['program']} transaction {case['partner_transaction_number'] or case['case_id']}"


def require_active(recipient: Mapping[str, Any]) -> None:
    """A retired recipient is never drafted for or sent to again."""
    if recipient["retired_at"] is not None:
        when = recipient["retired_at"].date().isoformat()
        raise Conflict(
            f"recipient {recipient['id']} was retired on {when} by {recipient['retired_by']}: choose another "
            "recipient of the agreement"
        )


def require_unsent(status: str, sent_at: datetime | None) -> None:
    """A draft leaves once: not when it was sent, nor while it is being sent."""
    if status == "sent":
        raise Conflict(f"this draft was already sent at {sent_at:%Y-%m-%d %H:%M} UTC")
    if status == "sending":
        raise Conflict("this draft is being sent; its accounting is pending until the relay takes it")
    if status == "discarded":
        raise Conflict("this draft was discarded: draft the response again")


def require_sendable(draft: Draft, *, drafted: dict[str, Any]) -> None:
    """At send time the agreement still allows the response, and it releases exactly what was drafted."""
    if not draft.sendable:
        rules = sorted({w.rule for w in draft.withheld}) or ["agreement not in force"]
        raise Conflict(f"cannot send: {', '.join(rules)}")
    if released_json(draft) != drafted:
        raise Conflict("the case changed since this draft was made; draft it again")


def shared_by_owner(summary: CaseSummary, draft: Draft) -> dict[str, list[str]]:
    """Each data owner whose encounters were released, with those encounters (it is told of its own only)."""
    owners: dict[str, list[str]] = {}
    for e in summary.encounters:
        if e.encounter_id in draft.released:
            owners.setdefault(e.data_owner or "UNKNOWN", []).append(str(e.encounter_id))
    return owners


def disclosed_fields(draft: Draft) -> list[str]:
    """The fields a response released, as the accounting lists them."""
    return sorted({f for values in draft.released.values() for f in values})


# The first line says what the message is: a notice to TSC or a referral to an owner is not a partner's response.
HEADINGS = {
    "watchlist-match-notification": "Notice of a watchlist match on",
    "owner-referral": "Referral of a match on",
    "fast-matcher-removal": "Fast-matcher removal recommendation for",
}


def render(draft: Draft, *, case_reference: str, note: str = "", purpose: str = "", heading: str | None = None) -> str:
    """The email body: only what `prepare` released, plus the analyst's covering note."""
    heading = heading or HEADINGS.get(purpose, "Response to")
    lines = [f"{heading} {case_reference}", f"Result: {'MATCH' if draft.matched else 'NO MATCH'}"]
    lines += [f"Findings accurate as of: {draft.as_of}"] if draft.as_of else []
    lines.append("")
    for n, (_, values) in enumerate(draft.released.items(), start=1):
        lines.append(f"Encounter {n}:")
        lines += [f"  {name}: {value}" for name, value in values.items()]
    for f in draft.findings:
        lines.append(f"Finding ({f.kind}): {f.text}")
    for caveat in draft.caveats:
        lines += ["", f"CAVEAT: {caveat}"]
    if draft.limits:
        lines += ["", f"USE AND RE-DISSEMINATION LIMITS: {draft.limits}"]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def digest(body: str) -> str:
    """What the accounting of disclosures keeps of the content: its SHA-256, not the content."""
    return hashlib.sha256(body.encode()).hexdigest()


PROGRAMS = frozenset({"UK-VISA", "M5", "PCSC", "KST"})


def shareable_fields() -> frozenset[str]:
    """Every PIA 2.1 field an agreement may name, plus the analyst's findings."""
    return frozenset(intake_events.EncounterFields.model_fields) | {"findings"}


def check_terms(terms: dict[str, object]) -> None:
    """Refuse an agreement version that could not be applied as written."""
    kind = terms.get("recipient_kind", FOREIGN)
    if kind not in RECIPIENT_KINDS:
        raise Invalid(f"recipient_kind must be one of {', '.join(sorted(RECIPIENT_KINDS))}")
    country = str(terms["partner_country"] or "")
    if kind == FOREIGN and (len(country) != 3 or not country.isalpha() or not country.isupper()):
        raise Invalid("partner_country is an ISO 3166 alpha-3 code such as GBR")
    if kind != FOREIGN and terms["partner_country"]:
        raise Invalid("partner_country names a foreign partner only; leave it empty for a recipient in the US")
    # A recipient inside the US may receive about every program's cases ('*'); a foreign partner about one.
    if terms["program"] not in PROGRAMS and not (kind != FOREIGN and terms["program"] == ANY):
        raise Invalid(f"program must be one of {', '.join(sorted(PROGRAMS))}")
    unknown = set(terms["fields"]) - shareable_fields()  # type: ignore[arg-type]
    if unknown:
        raise Invalid(f"unknown fields: {', '.join(sorted(unknown))}")
    classes = set(terms["protected_classes"]) - PROTECTED_CLASSES  # type: ignore[arg-type]
    if classes:
        raise Invalid(f"unknown protected classes: {', '.join(sorted(classes))}")
    if terms["protected_classes"] and not str(terms["caveat"]).strip():
        raise Invalid("an agreement that shares protected classes must carry their caveat language")
    if not terms["purposes"]:
        raise Invalid("an agreement names at least one purpose")
    if terms["valid_to"] is not None and terms["valid_to"] < terms["valid_from"]:  # type: ignore[operator]
        raise Invalid("valid_to is before valid_from")


_SET_TERMS = frozenset({"data_owners", "ous", "fields", "di_categories", "protected_classes", "purposes"})


def agreement_from_row(row: Mapping[str, Any]) -> Agreement:
    """One stored agreement version as the rules read it (its lists as sets)."""
    names = [f.name for f in dataclass_fields(Agreement) if f.name in row]  # a term not stored takes its default
    return Agreement(**{n: frozenset(row[n]) if n in _SET_TERMS else row[n] for n in names})


def audit_problems(
    *,
    sent_on: date,
    fields: list[str],
    purpose: str,
    owners: list[str | None],
    recipient_matches: bool,
    allowed_fields: list[str],
    purposes: list[str],
    valid_from: date,
    valid_to: date | None,
    data_owners: list[str],
) -> list[str]:
    """What the annual sharing audit says about one disclosure measured against its agreement version."""
    problems = []
    if sent_on < valid_from or (valid_to is not None and sent_on > valid_to):
        problems.append("sent outside the agreement's validity")
    # A date's precision leaves with the date (`_field_refusal`), so it is allowed wherever the date is.
    allowed = set(allowed_fields) | {f + PRECISION_SUFFIX for f in allowed_fields}
    problems += [f"field {f} not allowed by the agreement" for f in sorted(set(fields) - allowed)]
    if purpose not in purposes:
        problems.append(f"purpose {purpose} not allowed by the agreement")
    problems += [f"data owner {o} not covered" for o in sorted({o or "UNKNOWN" for o in owners} - set(data_owners))]
    if not recipient_matches:
        problems.append("recipient does not belong to the agreement")
    return problems
