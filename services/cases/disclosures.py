"""What left TRACS about a case: disclosure's steps on the case's timeline, and a sent response moves its status.

Disclosure owns drafts, reviews and the accounting; cases records each step it announces (ids only, so the
timeline links to the draft) and, when a response has left, moves the case to response-sent by its own rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.cases import domain
from services.cases.db import records
from services.cases.db import workbench as queries
from shared.events.cases import CaseStatusChanged
from shared.events.disclosure import (
    DisclosureApproved,
    DisclosureDrafted,
    DisclosureReviewRequested,
    DisclosureSent,
    DisclosureSentBack,
    DisclosureStep,
)
from shared.inbox import Delivered
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

STEPS: dict[type[DisclosureStep], str] = {
    DisclosureDrafted: "disclosure-drafted",
    DisclosureReviewRequested: "disclosure-review-requested",
    DisclosureSentBack: "disclosure-sent-back",
    DisclosureApproved: "disclosure-approved",
}


def _detail(step: DisclosureStep) -> dict[str, object]:
    detail: dict[str, object] = {"draft_id": str(step.draft_id), "matched": step.matched}
    if isinstance(step, DisclosureDrafted) and step.readiness_overridden:
        detail["readiness_overridden"] = True
    if isinstance(step, DisclosureApproved):
        detail["approvals"] = f"{step.approvals}/{step.approvals_required}"
    return detail


async def record_steps(uow: UnitOfWork, delivered: list[Delivered[DisclosureStep]]) -> None:
    """Each step of a draft on its case's timeline (a case purged since is skipped: nothing to record on)."""
    async with uow:
        for d in delivered:
            step = d.event
            if await records.get_case(uow.session, step.case_id) is None:
                log.info("disclosure step for an unknown case skipped", case_id=str(step.case_id))
                continue
            await records.add_timeline(uow.session, step.case_id, d.envelope.actor, STEPS[type(step)], _detail(step))


async def response_sent(uow: UnitOfWork, delivered: list[Delivered[DisclosureSent]]) -> None:
    """A response left: on the timeline with its draft and accounting, and the case moves to response-sent."""
    async with uow:
        for d in delivered:
            sent = d.event
            row = await records.get_case(uow.session, sent.case_id, for_update=True)
            if row is None:
                log.info("disclosure sent for an unknown case skipped", case_id=str(sent.case_id))
                continue
            detail = {
                "draft_id": str(sent.draft_id) if sent.draft_id else None,
                "accounting_id": str(sent.accounting_id),
                "matched": sent.matched,
            }
            await records.add_timeline(uow.session, sent.case_id, d.envelope.actor, "disclosure-sent", detail)
            status = domain.after_response_sent(row["status"])
            if status is None:
                continue
            await queries.update_case(
                uow.session,
                sent.case_id,
                status=status,
                updated_by=d.envelope.actor,
                response_sent_at=datetime.now(UTC),
            )
            await records.add_timeline(
                uow.session,
                sent.case_id,
                d.envelope.actor,
                "status-changed",
                {"from": row["status"], "to": status.value, "reason": "response sent"},
            )
            uow.emit(
                CaseStatusChanged(
                    case_id=sent.case_id,
                    program=row["program"],
                    partner_country=row["partner_country"],
                    status=status,
                    previous=row["status"],
                    opened_at=row["opened_at"],
                )
            )
