"""The one gate every outbound disclosure passes: the case is ready, a second person approved, a repeat says why.

Plain Python. DESIGN 4a: a response is drafted only once the program's required searches and a finding are
recorded (a supervisor may override, with a reason); it leaves only after a supervisor other than the drafter
approved exactly what will leave; a further disclosure of a case to the same partner needs a reason. Other
kinds of outbound disclosure (referrals, notices) build on these same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import Conflict, Forbidden, Invalid

NO_DI = "no-derogatory-information"  # the explicit "no derogatory information found" finding kind
MAX_REASON = 2000

# A draft's way out: drafted -> in review -> approved -> sending -> sent; a reviewer may send it back; a draft
# never sent for review may be discarded (kept, marked, never sendable again).
DRAFT, IN_REVIEW, APPROVED, SENDING, SENT, NOT_SENDABLE, DISCARDED = (
    "draft",
    "in-review",
    "approved",
    "sending",
    "sent",
    "not-sendable",
    "discarded",
)
STATUSES = (DRAFT, IN_REVIEW, APPROVED, SENDING, SENT, NOT_SENDABLE, DISCARDED)


@dataclass(frozen=True)
class Readiness:
    """What cases says about a case's work: the program's required searches still missing, the findings."""

    missing_searches: tuple[str, ...]
    findings: int

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> Readiness:
        """From cases' disclosure view. Any recorded finding counts, the explicit no-derogatory-information one
        included. An older cases that does not say which searches are missing is read as missing none."""
        return cls(tuple(view.get("missing_searches") or ()), len(view.get("findings") or ()))

    def problems(self) -> list[str]:
        """What is missing, in words an analyst can act on; empty when a response may be drafted."""
        out = []
        if self.missing_searches:
            out.append(f"required searches not recorded: {', '.join(self.missing_searches)}")
        if not self.findings:
            out.append(f"no finding recorded (record one, or a '{NO_DI}' finding)")
        return out


def readiness_override(
    readiness: Readiness, *, reason: str | None, may_override: bool, actor: str, at: datetime
) -> dict[str, Any] | None:
    """None when the case is ready; the override to store when a supervisor gives a reason; else refused,
    naming what is missing (and, for a supervisor, the field that overrides it)."""
    problems = readiness.problems()
    if not problems:
        return None
    reason = (reason or "").strip()
    if not reason:
        hint = "; a supervisor may override with override_reason" if may_override else ""
        raise Conflict(f"the case is not ready for a response: {'; '.join(problems)}{hint}", missing=problems)
    if not may_override:
        raise Forbidden("overriding readiness needs the supervisor role", action="disclosure:override")
    if len(reason) > MAX_REASON:
        raise Invalid(f"override_reason: at most {MAX_REASON} characters")
    return {"reason": reason, "by": actor, "at": at.isoformat(), "missing": problems}


def repeat_reason(previous: Iterable[Mapping[str, Any]], reason: str | None) -> str | None:
    """A case already disclosed to this partner is disclosed again only with a reason (kept in the accounting)."""
    earlier = sorted(previous, key=lambda p: p["sent_at"])
    reason = (reason or "").strip()
    if not earlier:
        return reason or None
    if not reason:
        when = earlier[-1]["sent_at"].strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            f"repeat_reason: this case was already disclosed to this partner ({len(earlier)} time(s), last at "
            f"{when} UTC); say why it is disclosed again",
            field="repeat_reason",
        )
    if len(reason) > MAX_REASON:
        raise Invalid(f"repeat_reason: at most {MAX_REASON} characters")
    return reason


def approvals_required(*, agreement_minimum: int = 1) -> int:
    """The two-person rule: at least one approval by a second person; an agreement may ask for more, never
    fewer (a release with derogatory information or a protected-class caveat always needs one)."""
    return max(1, agreement_minimum)


def require_status(status: str, allowed: Iterable[str], doing: str) -> None:
    allowed = tuple(allowed)
    if status not in allowed:
        raise Conflict(f"a draft that is {status} cannot be {doing} (it must be {' or '.join(allowed)})")


def require_reviewer(*, drafter: str, reviewer: str, earlier_approvers: Iterable[str], may_approve: bool) -> None:
    """A reviewer is a supervisor who neither drafted the response nor approved it already."""
    if not may_approve:
        raise Forbidden("approving a disclosure needs the supervisor role", action="disclosure:approve")
    if reviewer == drafter:
        raise Forbidden("the drafter cannot review their own draft: a second person must", action="disclosure:approve")
    if reviewer in set(earlier_approvers):
        raise Conflict("you approved this draft already: another supervisor must add the next approval")


def require_discarder(*, drafter: str, actor: str, is_supervisor: bool) -> None:
    """Only the drafter, or a supervisor, discards a draft (another analyst's work is not theirs to throw away)."""
    if actor != drafter and not is_supervisor:
        raise Forbidden(
            f"only its drafter ({drafter}) or a supervisor may discard this draft", action="disclosure:send"
        )


def require_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise Invalid("comment: say what the drafter should change")
    if len(comment) > MAX_REASON:
        raise Invalid(f"comment: at most {MAX_REASON} characters")
    return comment


def require_approved(status: str, approvals: int, required: int) -> None:
    """Nothing leaves before the approvals it needs."""
    if status in (DRAFT, IN_REVIEW) or approvals < required:
        raise Conflict(
            f"this draft needs {required} approval(s) by a supervisor other than its drafter before it is sent "
            f"({approvals} so far); ask for review"
        )
