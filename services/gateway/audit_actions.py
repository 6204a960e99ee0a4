"""The audit trail in business actions: each user action named, with the HTTP calls behind it folded beneath.

Named at read time from what every entry already says: its `action` column is "<permission> <METHOD>
<route template>" (shared/web.py), and it is part of the content the entry's hash and Merkle leaf cover. So a
name is a pure function of proven content (it cannot drift from what the checkpoints sign), no service needs
a migration, old entries are named too, and what the chain covers is unchanged. One console page view or
form post is one correlation id (the console sends its own with every API call it makes), so the entries
sharing one are one action; the most telling of them (a write over a read, a record over a list) names it.
Plain Python: no framework here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# (method, route template pattern, name). First match wins; patterns are anchored at both ends.
_RULES: tuple[tuple[str, str, str], ...] = (
    # cases
    ("GET", r"/api/v1/cases", "listed cases"),
    ("GET", r"/api/v1/cases/count", "counted cases"),
    ("GET", r"/api/v1/cases/\{case_id\}", "viewed case"),
    ("GET", r"/api/v1/cases/\{case_id\}/assignees", "listed assignees"),
    ("GET", r"/api/v1/cases/\{case_id\}/disclosure", "prepared disclosure of case"),
    ("POST", r"/api/v1/cases/\{case_id\}/assign", "assigned case"),
    ("POST", r"/api/v1/cases/\{case_id\}/take", "took case"),
    ("POST", r"/api/v1/cases/\{case_id\}/findings", "recorded finding"),
    ("POST", r"/api/v1/cases/\{case_id\}/searches", "logged search"),
    ("POST", r"/api/v1/cases/\{case_id\}/status", "changed case status"),
    ("PATCH", r"/api/v1/encounters/\{encounter_id\}/flags", "set flags"),
    ("GET", r"/api/v1/encounters", "listed encounters"),
    ("GET", r"/api/v1/encounters/\{encounter_id\}", "viewed encounter"),
    ("GET", r"/api/v1/subjects/\{subject_id\}", "viewed subject"),
    ("GET", r"/api/v1/subjects/\{subject_id\}/export", "exported subject's data"),
    ("GET", r"/api/v1/people", "searched people"),
    ("GET", r"/api/v1/holds", "listed legal holds"),
    ("GET", r"/api/v1/holds/\{hold_id\}", "viewed legal hold"),
    ("POST", r"/api/v1/holds", "placed legal hold"),
    ("POST", r"/api/v1/holds/\{hold_id\}/release", "released legal hold"),
    ("GET", r"/api/v1/retention/rules", "viewed retention rules"),
    ("POST", r"/api/v1/retention/run", "ran retention"),
    ("POST", r"/api/v1/(disclosures|redress|reports)/retention/run", "ran retention"),
    ("GET", r"/api/v1/(disclosures|redress|reports)/retention/(rules|holds)", "viewed retention rules"),
    ("POST", r"/api/v1/encounters/\{encounter_id\}/owner-deletion", "recorded owner's deletion"),
    # intake
    ("POST", r"/api/v1/intake/batches", "imported file"),
    ("POST", r"/api/v1/intake/entries", "entered encounter by hand"),
    ("POST", r"/api/v1/intake/batches/\{batch_id\}/confirm", "confirmed import"),
    ("POST", r"/api/v1/intake/batches/\{batch_id\}/reject", "rejected import"),
    ("GET", r"/api/v1/intake/batches(/\{batch_id\}(/\w+)?)?", "viewed import"),
    # disclosure
    ("POST", r"/api/v1/disclosures", "drafted disclosure"),
    ("GET", r"/api/v1/disclosures", "listed disclosures"),
    ("GET", r"/api/v1/disclosures/\{draft_id\}", "viewed disclosure"),
    ("POST", r"/api/v1/disclosures/\{draft_id\}/review", "asked for review"),
    ("POST", r"/api/v1/disclosures/\{draft_id\}/approve", "approved disclosure"),
    ("POST", r"/api/v1/disclosures/\{draft_id\}/send-back", "sent disclosure back"),
    ("POST", r"/api/v1/disclosures/\{draft_id\}/send", "sent disclosure"),
    ("POST", r"/api/v1/disclosures/\{draft_id\}/discard", "discarded draft"),
    ("GET", r"/api/v1/disclosures/accounting", "read accounting of disclosures"),
    ("GET", r"/api/v1/disclosures/audit", "read disclosure audit"),
    ("POST", r"/api/v1/disclosures/referrals", "referred case"),
    ("POST", r"/api/v1/disclosures/referrals/\{referral_id\}/draft", "drafted referral"),
    ("POST", r"/api/v1/disclosures/referrals/\{referral_id\}/send", "sent referral"),
    ("POST", r"/api/v1/disclosures/referrals/\{referral_id\}/reply", "recorded owner's reply"),
    ("GET", r"/api/v1/disclosures/referrals/\{referral_id\}", "viewed referral"),
    ("GET", r"/api/v1/disclosures/referrals", "listed referrals"),
    ("POST", r"/api/v1/disclosures/inaccuracies", "recorded inaccuracy report"),
    ("POST", r"/api/v1/disclosures/inaccuracies/\{report_id\}/resolve", "resolved inaccuracy report"),
    ("POST", r"/api/v1/disclosures/inaccuracies/\{report_id\}/answer", "drafted answer to inaccuracy report"),
    ("POST", r"/api/v1/disclosures/inaccuracies/\{report_id\}/send", "sent answer to inaccuracy report"),
    ("POST", r"/api/v1/disclosures/owner-reports", "drafted owner's report"),
    ("POST", r"/api/v1/disclosures/owner-reports/\{report_id\}/review", "asked for review of owner's report"),
    ("POST", r"/api/v1/disclosures/owner-reports/\{report_id\}/approve", "approved owner's report"),
    ("POST", r"/api/v1/disclosures/owner-reports/\{report_id\}/send-back", "sent owner's report back"),
    ("POST", r"/api/v1/disclosures/owner-reports/\{report_id\}/send", "sent owner's report"),
    ("GET", r"/api/v1/disclosures/.*", "read disclosure records"),
    ("POST", r"/api/v1/agreements.*", "changed agreement"),
    ("PUT", r"/api/v1/agreements.*", "changed agreement"),
    ("GET", r"/api/v1/agreements.*", "viewed agreements"),
    # redress
    ("POST", r"/api/v1/redress(/privacy-act)?", "opened redress request"),
    ("GET", r"/api/v1/redress(/privacy-act)?", "listed redress requests"),
    ("GET", r"/api/v1/redress(/privacy-act)?/\{(redress|request)_id\}", "viewed redress request"),
    ("GET", r"/api/v1/redress/\{redress_id\}/candidates", "viewed redress candidates"),
    ("POST", r"/api/v1/redress/\{redress_id\}/reviewers", "assigned redress reviewer"),
    ("POST", r"/api/v1/redress/\{redress_id\}/findings", "recorded redress finding"),
    ("POST", r"/api/v1/redress/\{redress_id\}/searches", "logged redress search"),
    ("POST", r"/api/v1/redress/\{redress_id\}/corrections", "recorded correction"),
    ("POST", r"/api/v1/redress/\{redress_id\}/corrections/\{correction_id\}/decision", "decided correction"),
    ("POST", r"/api/v1/redress/\{redress_id\}/relinks/\{relink_id\}/undo", "undid relink"),
    ("POST", r"/api/v1/redress/\{redress_id\}/(links|relinks)", "linked redress records"),
    ("POST", r"/api/v1/redress/\{redress_id\}/owner-notices/\{notice_id\}/decision", "decided on owner's notice"),
    ("POST", r"/api/v1/redress/\{redress_id\}/owner-notices(/\{notice_id\}/reply)?", "noticed data owner"),
    ("POST", r"/api/v1/redress(/privacy-act)?/\{(redress|request)_id\}/response", "responded to redress"),
    ("POST", r"/api/v1/redress(/privacy-act)?/\{(redress|request)_id\}/(status|close)", "changed redress status"),
    ("POST", r"/api/v1/redress/privacy-act/\{request_id\}/.*", "decided Privacy Act request"),
    # reporting
    ("GET", r"/api/v1/reports/stored.*", "viewed stored reports"),
    ("POST", r"/api/v1/reports/stored", "stored report"),
    ("GET", r"/api/v1/reports.*", "viewed report"),
    ("DELETE", r"/api/v1/bulletins/\{bulletin_id\}", "withdrew bulletin"),
    ("PATCH", r"/api/v1/bulletins/\{bulletin_id\}", "edited bulletin"),
    ("POST", r"/api/v1/bulletins", "published bulletin"),
    ("POST", r"/api/v1/bulletins/\{bulletin_id\}/\{action\}", "changed bulletin state"),
    ("GET", r"/api/v1/bulletins.*", "viewed bulletins"),
    # gateway
    ("GET", r"/api/v1/audit(/.*)?", "viewed audit trail"),
    ("GET", r"/audit(/.*)?", "viewed audit trail"),
    ("GET", r"/api/v1/users(/lapsing)?", "listed users"),
    ("POST", r"/api/v1/users", "added user"),
    ("PATCH", r"/api/v1/users/\{username\}", "changed user"),
    ("POST", r"/api/v1/users/\{username\}/disable", "disabled user"),
    ("POST", r"/api/v1/users/\{username\}/enable", "enabled user"),
    ("POST", r"/api/v1/users/\{username\}/unlock", "unlocked user"),
    ("POST", r"/api/v1/users/\{username\}/password", "set temporary password"),
    ("POST", r"/api/v1/auth/password", "changed own password"),
    ("GET", r"/api/v1/notifications(/unread)?", "read notifications"),
    ("POST", r"/api/v1/notifications/read", "marked notifications read"),
    ("PUT", r"/api/v1/notifications/preference", "changed notification preference"),
    ("POST", r"/api/v1/auth/refresh", "renewed session"),
    ("POST", r"/api/v1/auth/token", "signed in"),
    # services calling services for a user (the entry says on whose behalf)
    ("GET", r"/internal/v1/cases/\{case_id\}/disclosure", "read case for disclosure (service)"),
    ("GET", r"/internal/v1/.*", "searched records (service)"),
)
_COMPILED = tuple((m, re.compile(p), name) for m, p, name in _RULES)
# Entries the web middleware did not write name themselves (sign-in, the sequencer's own): by their first word.
_WORDS = {
    "authenticate": "refused unauthenticated call",
    "login": "signed in",
    "user:change": "changed user",
    "edit-imported-field": "tried to change an imported field",
    "withdraw-encounter": "withdrew encounter",
    "redress-correction": "corrected record (redress)",
    "redress-relink": "relinked encounter (redress)",
    "retention-purge": "purged record (retention)",
}


@dataclass(frozen=True)
class Call:
    """One entry read as the HTTP call it records."""

    permission: str
    method: str | None
    route: str | None

    @classmethod
    def parse(cls, action: str) -> Call:
        parts = action.split(" ", 2)
        if len(parts) == 3 and parts[1].isupper():
            return cls(parts[0], parts[1], parts[2])
        return cls(action, None, None)

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS


def name_of(action: str) -> str:
    """The business name of one entry's call ("recorded finding"), or words made from its permission."""
    call = Call.parse(action)
    if call.permission in _WORDS:  # before the routes: an unauthenticated call names no route of its own
        return _WORDS[call.permission]
    if call.method and call.route:
        for method, pattern, name in _COMPILED:
            if method == call.method and pattern.fullmatch(call.route):
                return name
    area, _, verb = call.permission.partition(":")
    if call.method is None:
        return call.permission.replace("-", " ")
    return f"{'changed' if call.writes else 'viewed'} {area}" + (f" ({verb})" if verb and verb != "read" else "")


def is_named(action: str) -> bool:
    """Whether the catalog knows the call (a unit test holds every secured route to this)."""
    call = Call.parse(action)
    return bool(call.method and call.route) and any(
        m == call.method and p.fullmatch(call.route or "") for m, p, _ in _COMPILED
    )


def _rank(entry: dict[str, Any]) -> tuple[int, int, int, int, str]:
    """How telling an entry is of what the user did (lowest first): a write; then a route of the gateway's own (the
    merged trail, the subject export: it makes the services' calls beside it); an allowed call; one naming a
    record; the earliest (a page asks for its own record before the sections around it)."""
    call = Call.parse(entry.get("action") or "")
    own = entry.get("service") == "gateway" and call.method is not None
    allowed, named = entry.get("outcome") == "allowed", bool(entry.get("record_id"))
    return (-int(call.writes), -int(own), -int(allowed), -int(named), str(entry["at"]))


@dataclass
class Action:
    """One thing a user did: named by its most telling call, with every call behind it."""

    key: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lead(self) -> dict[str, Any]:
        return min(self.entries, key=_rank)

    def as_json(self) -> dict[str, Any]:
        lead = self.lead
        return {
            "at": min(str(e["at"]) for e in self.entries),
            "actor": lead.get("actor"),
            "action": name_of(lead.get("action") or ""),
            "record_type": lead.get("record_type"),
            "record_id": lead.get("record_id"),
            "outcome": lead.get("outcome"),  # each call's own is in `calls`
            "client": lead.get("client"),
            "correlation_id": lead.get("correlation_id"),
            "calls": [_call(e) for e in sorted(self.entries, key=lambda e: str(e["at"]))],
        }


def _call(entry: dict[str, Any]) -> dict[str, Any]:
    call = Call.parse(entry.get("action") or "")
    return {
        **entry,
        "method": call.method,
        "route": call.route,
        "path": concrete_path(call.route, entry.get("record_type"), entry.get("record_id")),
        "permission": call.permission,
        "name": name_of(entry.get("action") or ""),
    }


def concrete_path(route: str | None, record_type: str | None, record_id: str | None) -> str | None:
    """The route with the record it acted on put back in (`/cases/{case_id}` -> `/cases/2edf...`)."""
    if route is None or not record_type or not record_id:
        return route
    return route.replace("{" + record_type + "_id}", record_id)


def group(entries: list[dict[str, Any]]) -> list[Action]:
    """Entries sharing a correlation id (and actor) are one action; newest action first."""
    actions: dict[str, Action] = {}
    for e in entries:
        cid = e.get("correlation_id")
        key = f"{e.get('actor')}|{cid}" if cid else f"{e.get('service')}#{e.get('seq') or e.get('at')}"
        actions.setdefault(key, Action(key)).entries.append(e)
    return sorted(actions.values(), key=lambda a: max(str(e["at"]) for e in a.entries), reverse=True)


@dataclass(frozen=True)
class ActionFilter:
    """The actions an auditor asked for by name (record, user and days are asked of the services)."""

    action: str | None = None  # a business name, or a part of one ("finding")

    def keeps(self, action: dict[str, Any]) -> bool:
        return not self.action or self.action.strip().lower() in action["action"].lower()


# Names an auditor can pick from (the filter's list), in the catalog's order without repeats.
ACTION_NAMES: tuple[str, ...] = tuple(dict.fromkeys(name for _, _, name in _RULES))


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading apostrophe (OWASP)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text
