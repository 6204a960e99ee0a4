"""Cases rules: who a subject is, what a case is, the workflow, flags, required searches, staleness, and why a
search found a record.

Plain Python: no framework imports.
"""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared import dob as dobs
from shared import names
from shared.errors import Conflict, Invalid
from shared.events import intake as intake_events
from shared.events.cases import names_kst
from shared.events.intake import EncounterFields, subject_key_of
from shared.policy import WORKERS

# Everything imported from IDENT or a partner is locked: only a redress correction may change it.
LOCKED_FIELDS = frozenset(EncounterFields.model_fields)
FLAGS = ("not-sharable", "protected-class", "fast-matcher", "derogatory")
PROTECTED_CLASSES = frozenset(intake_events.PROTECTED_CLASSES)
SEARCH_RESULTS = frozenset({"hit", "no-hit", "not-authorized"})
# "no-derogatory-information" is the explicit finding that the searches found nothing adverse: a finding of its
# own kind, so a case with nothing to report still shows that someone looked (readiness counts it).
NO_DI_FINDING = "no-derogatory-information"
FINDING_KINDS = frozenset({"adverse-action", "travel-history", "fast-matcher-hit", "summary", NO_DI_FINDING})
# What a fast-matcher (watchlist) or DI cell says when the record is *not* on a fast matcher / carries no DI.
NEGATIVE_MARKS = frozenset({"N", "NO", "NONE", "FALSE", "0", "CLEAR", "CLEARED", "NEGATIVE", "NO MATCH", "NO HIT"})
KST_PROGRAM = "KST"


class Status(StrEnum):
    NEW = "new"
    IN_REVIEW = "in-review"
    FINDINGS_READY = "findings-ready"
    RESPONSE_SENT = "response-sent"
    CLOSED = "closed"


# target -> (allowed sources, timestamp column)
TRANSITIONS: dict[Status, tuple[frozenset[Status], str]] = {
    Status.IN_REVIEW: (frozenset({Status.NEW, Status.FINDINGS_READY, Status.CLOSED}), "in_review_at"),
    Status.FINDINGS_READY: (frozenset({Status.IN_REVIEW}), "findings_ready_at"),
    Status.RESPONSE_SENT: (frozenset({Status.FINDINGS_READY}), "response_sent_at"),
    Status.CLOSED: (frozenset({Status.RESPONSE_SENT, Status.IN_REVIEW, Status.NEW}), "closed_at"),
}


def name_fields(fields: EncounterFields) -> dict[str, object]:
    """The names of an encounter by field, as shared.names matches them."""
    return {
        "last_name": fields.last_name,
        "first_name": fields.first_name,
        "middle_name": fields.middle_name,
        "aliases": list(fields.aliases),
    }


def name_keys(fields: EncounterFields) -> dict[str, object]:
    """Search keys of every name and alias of an encounter, as stored columns (shared.names.keys)."""
    return dict(_name_columns(fields.last_name, fields.first_name, fields.middle_name, fields.aliases))


@functools.lru_cache(maxsize=16384)
def _name_columns(
    last: str | None, first: str | None, middle: str | None, aliases: tuple[str, ...]
) -> tuple[tuple[str, object], ...]:
    """Keyed once per distinct set of names: an import repeats them (families, common first names), and joining
    and sorting a record's terms cost more than looking them up (issue 32)."""
    record = {"last_name": last, "first_name": first, "middle_name": middle, "aliases": list(aliases)}
    return tuple(names.keys(record).columns().items())


# Longest text cases stores in an indexed column: PostgreSQL refuses a btree key over ~2.7 KB, and no real
# name, identifier or code comes near this.
MAX_INDEXED_CHARS = 1000
INDEXED_FIELDS = (
    "fin",
    "last_name",
    "first_name",
    "middle_name",
    "partner_country",
    "partner_transaction_number",
    "partner_unique_id",
    "data_owner",
    "search_code",
)


def row_problem(subject_key: str, fields: EncounterFields) -> str | None:
    """Why cases cannot take an imported row, or None: named on the batch, never quoting a value."""
    if subject_key != subject_key_of(fields.fin, fields.partner_unique_id, fields.partner_country):
        return "the row's subject key does not match its FIN or partner identifier"
    for name in INDEXED_FIELDS:
        value = getattr(fields, name)
        if value is not None and len(value) > MAX_INDEXED_CHARS:
            return f"{name}: longer than {MAX_INDEXED_CHARS} characters"
    for alias in fields.aliases:
        if len(alias) > MAX_INDEXED_CHARS:
            return f"aliases: an alias longer than {MAX_INDEXED_CHARS} characters"
    return None


# SQLSTATE classes a row can cause (data exceptions, integrity and check violations), in words.
_REFUSALS = {
    "22": "a value the database cannot store",
    "23": "it breaks an integrity rule",
}


# An encounter's key already taken while its chunk is applied: the same chunk applied at once elsewhere (a
# rebalance), never the row's fault; the chunk is retried and its inbox finds it applied.
DUPLICATE_ENCOUNTER = "encounters_pkey"


def refusal_reason(sqlstate: str | None, constraint: str | None) -> str:
    """The database refused the row: say what kind of refusal, never the value (it may be personal data)."""
    kind = _REFUSALS.get((sqlstate or "")[:2], "the database refused it")
    where = f" ({constraint})" if constraint else ""
    return f"cases could not store the row: {kind}{where}, SQLSTATE {sqlstate or 'unknown'}"


def identity_of(subject_key: str) -> dict[str, str | None]:
    """Split a subject key back into FIN or partner identity."""
    kind, _, rest = subject_key.partition(":")
    if kind == "FIN":
        return {"fin": rest, "partner_country": None, "partner_unique_id": None}
    country, _, pid = rest.partition(":")
    return {"fin": None, "partner_country": None if country == "---" else country, "partner_unique_id": pid}


def case_key(
    *,
    program: str,
    upload_kind: str,
    partner_country: str | None,
    transaction: str | None,
    batch_id: str,
    subject_key: str,
) -> str:
    """One case per partner query match or extract request: the partner's transaction number when the
    spreadsheet carries one, else the subject within its upload batch."""
    if transaction:
        return f"{program}|{upload_kind}|{partner_country or '-'}|TCN:{transaction}|{subject_key}"
    return f"{program}|{upload_kind}|BATCH:{batch_id}|{subject_key}"


def transition(current: str, target: str, *, missing_searches: list[str], reason: str | None) -> tuple[Status, str]:
    """Enforced workflow: new -> in review -> findings ready -> response sent -> closed, and reopening."""
    try:
        to = Status(target)
    except ValueError as exc:
        raise Invalid(f"unknown status {target!r}; one of {', '.join(s.value for s in Status)}") from exc
    if to not in TRANSITIONS:
        raise Conflict(f"a case cannot be moved back to {to.value}")
    sources, stamp = TRANSITIONS[to]
    if current not in sources:
        raise Conflict(f"a case that is {current} cannot move to {to.value}")
    if to == Status.FINDINGS_READY and missing_searches:
        raise Conflict(f"required searches are missing: {', '.join(missing_searches)}", missing=missing_searches)
    if current == Status.CLOSED and not (reason and reason.strip()):
        raise Invalid("reopening a closed case needs a reason")
    return to, stamp


def after_response_sent(current: str) -> Status | None:
    """A response left (approved, accounted): an open case is now response-sent, whatever step it was at (a
    supervisor may have overridden readiness); a case already response-sent or closed stays as it is."""
    if current in (Status.RESPONSE_SENT, Status.CLOSED):
        return None
    return Status.RESPONSE_SENT


def is_reopen(current: str, target: str) -> bool:
    """Taking a closed case back into work (a supervisor's decision)."""
    return current == Status.CLOSED and target != Status.CLOSED


def missing_searches(required: list[str], done: set[str]) -> list[str]:
    """Searches a program requires that have not been logged for the case (any result counts)."""
    return [s for s in required if s not in done]


def check_search(system: str, result: str, catalogue: list[str]) -> None:
    if system not in catalogue:
        raise Invalid(f"unknown source system {system!r}; the catalogue is {', '.join(catalogue)}")
    if result not in SEARCH_RESULTS:
        raise Invalid(f"a search result is one of {', '.join(sorted(SEARCH_RESULTS))}")


def check_finding(kind: str, text: str) -> None:
    if kind not in FINDING_KINDS:
        raise Invalid(f"a finding is one of {', '.join(sorted(FINDING_KINDS))}")
    if not text.strip():
        raise Invalid("a finding has text")


def check_flag_change(changes: dict[str, object]) -> None:
    """Flags may change; imported fields may not (refused as a conflict, and audited by the caller)."""
    locked = sorted(set(changes) & LOCKED_FIELDS)
    if locked:
        raise Conflict(f"imported fields are locked and cannot be edited: {', '.join(locked)}", locked=locked)
    unknown = sorted(set(changes) - set(FLAGS))
    if unknown:
        raise Invalid(f"unknown flags: {', '.join(unknown)}; flags are {', '.join(FLAGS)}")


def check_flag(flag: str, value: dict[str, object]) -> None:
    if flag == "protected-class" and value.get("class") not in (*PROTECTED_CLASSES, None):
        raise Invalid(f"protected class is one of {', '.join(sorted(PROTECTED_CLASSES))} or null")
    if flag == "derogatory" and value.get("set") and not value.get("description"):
        raise Invalid("derogatory information needs its description")


# The person's record as the case page shows it (PIA 2.1): identifiers, documents, DI, fast matcher, O/U/S,
# data owner, partner ids. Every one is an imported field, locked.
RECORD_FIELDS = (
    ("fin", "FIN"),
    ("eid", "EID"),
    ("document_type", "Document type"),
    ("document_country", "Document country"),
    ("document_number", "Document number"),
    ("passport_number", "Passport number"),
    ("alien_registration_number", "Alien registration number"),
    ("derogatory_information", "Derogatory information (DI)"),
    ("di_description", "DI description"),
    ("di_shared", "DI shared"),
    ("fast_matcher_status", "Fast-matcher status"),
    ("ous", "O/U/S"),
    ("data_owner", "Data owner"),
    ("partner_country", "Partner country"),
    ("partner_unique_id", "Partner unique id"),
    ("partner_transaction_number", "Partner transaction number"),
    ("search_code", "Search code"),
)


def person_record(fields: dict[str, Any], corrected: set[str], flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One encounter's record, each value with its source: `file` (as imported), `correction` (changed by an
    accepted redress correction) or `analyst` (a flag set by hand); imported fields are locked, flags are not."""
    out: list[dict[str, Any]] = [
        {
            "field": name,
            "label": label,
            "value": fields.get(name),
            "locked": True,
            "source": "correction" if name in corrected else "file",
        }
        for name, label in RECORD_FIELDS
    ]
    for f in flags:
        value = f["value"]
        out.append(
            {
                "field": f"flag:{f['flag']}",
                "label": f"Flag: {f['flag']}",
                "value": flag_is_on(f["flag"], value),
                "locked": False,
                "source": "file" if f["set_by"] == "system" else "analyst",
                "column": value.get("column"),
                "set_by": f["set_by"],
            }
        )
    return out


def check_assignee(username: str, member: Any, program: str) -> None:
    """A case goes only to an active analyst or supervisor of its program (`member`: the staff row, or None)."""
    if member is None:
        raise Invalid(f"assignee: no TRACS user is called {username!r}", field="assignee")
    if not member["active"]:
        raise Invalid(f"assignee: {username!r} is not an active user", field="assignee")
    if not set(member["roles"]) & WORKERS:
        raise Invalid(f"assignee: {username!r} is not an analyst or supervisor", field="assignee")
    if program not in member["programs"]:
        raise Invalid(f"assignee: {username!r} does not belong to program {program}", field="assignee")


def check_take(current: str | None, me: str) -> None:
    """An analyst takes only an unassigned case: another's assignment is a supervisor's to change."""
    if current not in (None, me):
        raise Conflict(f"the case is assigned to {current}; a supervisor may reassign it")


def allowed_moves(current: str, *, may_reopen: bool) -> list[str]:
    """The statuses a case may move to from `current` (the console offers only these)."""
    return [
        to.value
        for to, (sources, _) in TRANSITIONS.items()
        if current in sources and (may_reopen or not is_reopen(current, to))
    ]


def says_yes(text: str | None) -> bool:
    """A fast-matcher or DI cell that marks the record (anything but blank or a negative such as N, NO, CLEAR)."""
    if text is None or not text.strip():
        return False
    return " ".join(text.upper().replace("-", " ").split()) not in NEGATIVE_MARKS


def is_kst(program: str, fast_matcher_status: str | None) -> bool:
    """A KST match: the fast-matcher status names a known or suspected terrorist, in any program; every match
    of the KST program is one by definition (its partners query the KST records only)."""
    return program == KST_PROGRAM or (says_yes(fast_matcher_status) and names_kst(fast_matcher_status))


def source_column(field: str, value: object, raw: dict[str, str]) -> str:
    """The file's header a parsed value came from (the one cell holding exactly that text), else the field."""
    text = str(value).strip()
    headers = [h for h, cell in raw.items() if cell.strip() == text]
    return headers[0] if len(headers) == 1 else field


def carries_di(fields: EncounterFields) -> bool:
    """The row carries derogatory information: a DI category that is not a negative, or a DI description."""
    return says_yes(fields.derogatory_information) or bool((fields.di_description or "").strip())


def import_flags(
    fields: EncounterFields, raw: dict[str, str], *, protected_caveat: str
) -> dict[str, dict[str, object]]:
    """The flags a row's own cells set on import (protected class, fast matcher, DI), each naming its column."""
    out: dict[str, dict[str, object]] = {}
    if fields.protected_class in PROTECTED_CLASSES:
        # With the caveat language (PIA 6.5, 8.1).
        out["protected-class"] = {
            "set": True,
            "class": fields.protected_class,
            "caveat": protected_caveat,
            "source": "file",
            "column": source_column("protected_class", fields.protected_class, raw),
        }
    if says_yes(fields.fast_matcher_status):
        out["fast-matcher"] = {
            "set": True,
            "status": fields.fast_matcher_status,
            "source": "file",
            "column": source_column("fast_matcher_status", fields.fast_matcher_status, raw),
        }
    if carries_di(fields):
        category = fields.derogatory_information if says_yes(fields.derogatory_information) else None
        out["derogatory"] = {
            "set": True,
            "category": category,
            "description": fields.di_description or category,
            # Disclosure reads the DI-shared indicator from here when the flag is set (None: the file said nothing).
            **({"di_shared": fields.di_shared} if fields.di_shared is not None else {}),
            "source": "file",
            "column": source_column("derogatory_information", category, raw)
            if category
            else source_column("di_description", fields.di_description, raw),
        }
    return out


def flag_is_on(flag: str, value: dict[str, object]) -> bool:
    """Whether a stored flag marks its encounter (an analyst clears one with set: false)."""
    if flag == "protected-class" and value.get("class") is None:
        return False
    return value.get("set", True) is not False


def check_flag_name(flag: str) -> None:
    if flag not in FLAGS:
        raise Invalid(f"unknown flag {flag!r}; flags are {', '.join(FLAGS)}")


def stale_since(findings_as_of: datetime | None, attached: list[datetime]) -> list[int]:
    """Positions of encounters attached after the findings were written (the SIT re-verification)."""
    if findings_as_of is None:
        return []
    return [i for i, at in enumerate(attached) if at > findings_as_of]


def explain_match(
    name: names.NameQuery | None, stored_names: dict[str, Any], dob: str | None, stored_dob: str | None
) -> dict[str, Any] | None:
    """Why a found record matched, for the caller: the name's kind, rule, field(s) and stored value, and the
    DOB's kind and precision (the page only: the SQL of db.person_match already chose and ranked it)."""
    if name is None and dob is None:
        return None
    reason = (names.explain(name, stored_names) if name else None) or {}
    return {
        **{k: v for k, v in reason.items() if k != "rank"},
        "dob": dobs.explain(dob, stored_dob) if dob else None,
    }


def relinked_case_key(case_key: str, from_subject_key: str, to_subject_key: str, relink_id: object) -> str:
    """The case a re-linked encounter joins: the same partner query or extract request as the case it leaves,
    for its right person (the case key's subject part replaced); a key of another shape gets a re-link key."""
    if case_key.endswith(f"|{from_subject_key}"):
        return case_key[: -len(from_subject_key)] + to_subject_key
    return f"{case_key}|RELINK:{relink_id}|{to_subject_key}"


def new_subject_key(subject_id: object) -> str:
    """The key of a subject redress created for a person TRACS had only under someone else's record."""
    return f"RELINK:{subject_id}"
