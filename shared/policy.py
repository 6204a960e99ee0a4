"""Who may do what: one declarative table every service enforces for itself.

The PIA admits TRACS had no roles and every user saw everything. Here an action needs a role (and, for the
redress and reporting areas, membership of that program); a record of a case program the caller does not
belong to is answered as if it did not exist. Plain Python: the web layer turns a refusal into 403/404.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from shared.auth import PROGRAMS, ROLES, SERVICE_ROLE, Principal
from shared.errors import Forbidden, NotFound

CASE_PROGRAMS = frozenset({"UK-VISA", "M5", "PCSC", "KST"})

WORKERS = frozenset({"analyst", "supervisor"})
READERS = WORKERS | {"auditor"}
SERVICES = frozenset({SERVICE_ROLE})  # another TRACS service, on its internal API only


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    program: str | None = None  # an area program the caller must belong to (REDRESS, REPORTING)
    description: str = ""


POLICY: dict[str, Rule] = {
    "case:read": Rule(READERS, description="read cases, encounters and subjects of one's programs"),
    "case:work": Rule(WORKERS, description="log searches, record findings, change status, set flags"),
    "case:assign": Rule(frozenset({"supervisor"}), description="assign a case to an analyst"),
    "case:take": Rule(WORKERS, description="take an unassigned case of one's program (assign to me)"),
    "case:reopen": Rule(frozenset({"supervisor"}), description="reopen a closed case"),
    "intake:read": Rule(READERS, description="see upload batches and their problems"),
    "intake:import": Rule(WORKERS, description="upload, confirm or reject a batch"),
    "intake:oversee": Rule(
        frozenset({"supervisor", "auditor"}), description="list everyone's imports, not only one's own"
    ),
    "agreement:read": Rule(READERS | {"admin", "privacy-officer"}, description="read sharing agreements"),
    "agreement:manage": Rule(frozenset({"admin"}), description="create and revise agreements and recipients"),
    "agreement:approve": Rule(
        frozenset({"privacy-officer"}), description="approve or reject a draft agreement version (never its author)"
    ),
    "disclosure:read": Rule(READERS, description="read drafts, notices and projections"),
    "disclosure:send": Rule(WORKERS, description="draft and send a response to a partner"),
    "disclosure:approve": Rule(
        frozenset({"supervisor"}), description="approve a draft or send it back (never one's own: two-person rule)"
    ),
    "disclosure:override": Rule(
        frozenset({"supervisor"}), description="draft a response before the case is ready, with a reason"
    ),
    "accounting:read": Rule(READERS, description="the accounting of disclosures about a person or to a recipient"),
    "disclosure:audit": Rule(frozenset({"supervisor", "auditor"}), description="the annual sharing audit"),
    "redress:read": Rule(READERS, "REDRESS", "read redress cases"),
    "redress:work": Rule(WORKERS, "REDRESS", "work redress cases"),
    "redress:assign": Rule(frozenset({"supervisor"}), "REDRESS", "assign redress reviewers"),
    "report:read": Rule(READERS, "REPORTING", "statistics-only reports"),
    "report:store": Rule(
        frozenset({"supervisor"}), "REPORTING", "store a report now (they are stored on schedule too)"
    ),
    "bulletin:read": Rule(READERS, "REPORTING", "read information bulletins"),
    "bulletin:write": Rule(WORKERS, "REPORTING", "write information bulletins"),
    "audit:read": Rule(frozenset({"auditor"}), description="read every service's audit trail"),
    "subject:export": Rule(frozenset({"auditor"}), description="subject access export (PIA 7.1)"),
    "user:manage": Rule(frozenset({"admin"}), description="manage users"),
    "session:refresh": Rule(ROLES, description="renew one's own token (refused once training has lapsed)"),
    "notification:read": Rule(ROLES, description="one's own notifications and how they arrive (in-app, mail)"),
    "retention:manage": Rule(
        frozenset({"admin", "privacy-officer"}), description="retention runs, legal holds and the disposal report"
    ),
    # Internal API of cases (/internal/v1), for services only: not program-scoped (the calling service applies
    # its own caller's visibility first: disclosure checks the case's program, redress needs REDRESS).
    "case:disclose": Rule(SERVICES, description="disclosure: a case's current values, flags and findings for a draft"),
    "person:search": Rule(SERVICES, description="redress: every program's records matching a requester"),
}

assert all(rule.roles <= ROLES | SERVICES for rule in POLICY.values())
assert all(SERVICE_ROLE not in rule.roles or rule.roles == SERVICES for rule in POLICY.values())
assert all(rule.program in PROGRAMS for rule in POLICY.values() if rule.program)


class Hidden(NotFound):
    """A record of a program the caller does not belong to: answered exactly like an unknown id."""


def allows(principal: Principal, action: str) -> bool:
    rule = POLICY[action]
    if not principal.roles & rule.roles:
        return False
    return rule.program is None or rule.program in principal.programs


def authorize(principal: Principal, action: str) -> None:
    if action not in POLICY:
        raise KeyError(f"no policy for action {action!r}")
    if not allows(principal, action):
        rule = POLICY[action]
        need = f"one of the roles {', '.join(sorted(rule.roles))}"
        if rule.program:
            need += f" and membership of {rule.program}"
        raise Forbidden(f"{action} needs {need}", action=action)


# The case programs the current request may see; None outside a request (consumers, operator commands).
_visible: ContextVar[frozenset[str] | None] = ContextVar("tracs_visible_programs", default=None)


def enter(principal: Principal) -> None:
    """Scope the rest of this request to the caller's case programs (a service identity holds none: its
    internal routes do not consult the scope, they answer what the calling service asked for)."""
    _visible.set(principal.programs & CASE_PROGRAMS)


def visible_programs() -> frozenset[str] | None:
    return _visible.get()


def is_visible(program: str | None) -> bool:
    scope = _visible.get()
    return scope is None or program in scope


def require_visible(program: str | None, message: str) -> None:
    """Raise the same 404 an unknown id gets, so guessing ids reveals nothing."""
    if not is_visible(program):
        raise Hidden(message)


def any_visible(programs: Iterable[str]) -> bool:
    scope = _visible.get()
    return scope is None or bool(scope.intersection(programs))
