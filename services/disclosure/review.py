"""A draft's review (the two-person rule) and what a case has had disclosed: ask, approve, send back, list.

The reviewer sees the draft's stored body, the very text the mail carries; each step records that body's digest,
and `send` refuses a draft without the approvals it needs (`gate.require_approved`).
"""

from __future__ import annotations

import uuid
from typing import Any

from services.disclosure import domain, gate
from services.disclosure.db import disclosures as drafts_db
from services.disclosure.db import review as queries
from shared import policy
from shared.errors import Conflict, Invalid, NotFound
from shared.events.disclosure import (
    DisclosureApproved,
    DisclosureDiscarded,
    DisclosureReviewRequested,
    DisclosureSentBack,
)
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def _draft(uow: UnitOfWork, draft_id: uuid.UUID) -> Any:
    """The draft, locked, if the caller may see its case (an unseen one is not found)."""
    row = await drafts_db.draft(uow.session, draft_id, lock=True)
    missing = f"no disclosure draft {draft_id}"
    if row is None:
        raise NotFound(missing)
    policy.require_visible(await drafts_db.case_program(uow.session, row["case_id"]), missing)
    return row


async def request_review(*, uow: UnitOfWork, draft_id: uuid.UUID) -> None:
    """The drafter (or any worker) asks a supervisor to review what will leave."""
    async with uow:
        row = await _draft(uow, draft_id)
        gate.require_status(row["status"], (gate.DRAFT,), "sent for review")
        await queries.add_step(
            uow.session,
            draft_id=draft_id,
            step="review-requested",
            actor=uow.actor,
            body_digest=domain.digest(row["body"]),
        )
        await queries.set_status(uow.session, draft_id, gate.IN_REVIEW, actor=uow.actor)
        program = await drafts_db.case_program(uow.session, row["case_id"])
        uow.emit(
            DisclosureReviewRequested(
                draft_id=draft_id, case_id=row["case_id"], matched=row["matched"], program=program
            )
        )


async def approve(*, uow: UnitOfWork, draft_id: uuid.UUID, may_approve: bool) -> None:
    """A supervisor other than the drafter approves exactly the stored body; enough approvals make it sendable."""
    async with uow:
        row = await _draft(uow, draft_id)
        gate.require_status(row["status"], (gate.IN_REVIEW,), "approved")
        earlier = await queries.approvers_since_last_return(uow.session, draft_id)
        gate.require_reviewer(
            drafter=row["created_by"], reviewer=uow.actor, earlier_approvers=earlier, may_approve=may_approve
        )
        await queries.add_step(
            uow.session, draft_id=draft_id, step="approved", actor=uow.actor, body_digest=domain.digest(row["body"])
        )
        approvals = len(earlier) + 1
        if approvals >= row["approvals_required"]:
            await queries.set_status(uow.session, draft_id, gate.APPROVED, actor=uow.actor)
        uow.emit(
            DisclosureApproved(
                draft_id=draft_id,
                case_id=row["case_id"],
                matched=row["matched"],
                approvals=approvals,
                approvals_required=row["approvals_required"],
            )
        )
    log.info("disclosure approved", draft_id=str(draft_id), approvals=approvals)


async def send_back(*, uow: UnitOfWork, draft_id: uuid.UUID, comment: str, may_approve: bool) -> None:
    """The reviewer returns the draft with a comment; approvals given so far no longer count."""
    comment = gate.require_comment(comment)
    async with uow:
        row = await _draft(uow, draft_id)
        gate.require_status(row["status"], (gate.IN_REVIEW, gate.APPROVED), "sent back")
        gate.require_reviewer(
            drafter=row["created_by"], reviewer=uow.actor, earlier_approvers=(), may_approve=may_approve
        )
        await queries.add_step(
            uow.session,
            draft_id=draft_id,
            step="sent-back",
            actor=uow.actor,
            body_digest=domain.digest(row["body"]),
            comment=comment,
        )
        await queries.set_status(uow.session, draft_id, gate.DRAFT, actor=uow.actor)
        uow.emit(DisclosureSentBack(draft_id=draft_id, case_id=row["case_id"], matched=row["matched"]))


async def discard(*, uow: UnitOfWork, draft_id: uuid.UUID, is_supervisor: bool) -> None:
    """Discard a draft that was never sent for review (its drafter or a supervisor): it stays, marked discarded
    with who and when (a review step), and can never be sent. A referral's draft is redrafted, not discarded."""
    async with uow:
        row = await _draft(uow, draft_id)
        gate.require_status(row["status"], (gate.DRAFT,), "discarded")
        gate.require_discarder(drafter=row["created_by"], actor=uow.actor, is_supervisor=is_supervisor)
        if await queries.referral_of(uow.session, draft_id) is not None:
            raise Conflict("this draft is a referral's message: draft the referral again instead of discarding it")
        await queries.add_step(
            uow.session, draft_id=draft_id, step="discarded", actor=uow.actor, body_digest=domain.digest(row["body"])
        )
        await queries.set_status(uow.session, draft_id, gate.DISCARDED, actor=uow.actor)
        uow.emit(DisclosureDiscarded(draft_id=draft_id, case_id=row["case_id"], matched=row["matched"]))
    log.info("disclosure draft discarded", draft_id=str(draft_id))


async def approvals(uow: UnitOfWork, draft_id: uuid.UUID) -> list[str]:
    """Who approved the draft since it was last sent back (inside the caller's unit of work)."""
    return await queries.approvers_since_last_return(uow.session, draft_id)


async def case_disclosures(*, uow: UnitOfWork, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every draft of a case with its review steps and accounting, newest first (the case page lists them)."""
    async with uow:
        program = await drafts_db.case_program(uow.session, case_id)
        policy.require_visible(program, f"no case {case_id} known to disclosure")
        rows = await queries.drafts_of_case(uow.session, case_id)
        steps = await queries.steps(uow.session, [r["id"] for r in rows])
    by_draft: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for s in steps:
        by_draft.setdefault(s["draft_id"], []).append(s)
    return [{**r, "reviews": by_draft.get(r["id"], [])} for r in rows]


async def worklist(
    *,
    uow: UnitOfWork,
    mine: bool,
    statuses: list[str] | None,
    awaiting_review: bool,
    may_approve: bool,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Drafts across cases: one's own (`mine`), every one of one's programs, or those awaiting one's review
    (in review, drafted by someone else, for a supervisor; nobody else has any to review)."""
    for status in statuses or ():
        if status not in gate.STATUSES:
            raise Invalid(f"status: one of {', '.join(gate.STATUSES)}")
    if awaiting_review and not may_approve:
        return []
    async with uow:
        rows = await queries.drafts_listed(
            uow.session,
            programs=policy.visible_programs(),
            created_by=uow.actor if mine else None,
            not_created_by=uow.actor if awaiting_review else None,
            statuses=[gate.IN_REVIEW] if awaiting_review else statuses,
            limit=limit,
            offset=offset,
        )
        steps = await queries.steps(uow.session, [r["id"] for r in rows])
    by_draft: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for s in steps:
        by_draft.setdefault(s["draft_id"], []).append(s)
    out = [{**r, "reviews": by_draft.get(r["id"], [])} for r in rows]
    if awaiting_review:  # an approval already given since the last return is not asked of the same person again
        out = [r for r in out if uow.actor not in _approvers(r["reviews"])]
    return out


def _approvers(steps: list[dict[str, Any]]) -> set[str]:
    approvers: set[str] = set()
    for step in steps:
        if step["step"] == "sent-back":
            approvers = set()
        elif step["step"] == "approved":
            approvers.add(step["actor"])
    return approvers


async def steps_of(uow: UnitOfWork, draft_id: uuid.UUID) -> list[dict[str, Any]]:
    """A draft's review steps (inside the caller's unit of work)."""
    return await queries.steps(uow.session, [draft_id])
