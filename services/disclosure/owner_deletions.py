"""A data owner's deletion reached disclosure (`EncounterDeleted`): the read model forgets the encounter (and the
cases that went with it), drafts, owners' reports and sealed messages that carried its values are stripped to the
accounting's minimum, which stays (Privacy Act 552a(c)(2): date, nature, purpose, recipient), and every past
recipient of the encounter, an owner's report's included, is listed for a notice, as a removal is
(`GET /api/v1/disclosures/removals?encounter=`)."""

from __future__ import annotations

from services.disclosure import owner_report_rules
from services.disclosure.db import notices as notice_queries
from services.disclosure.db import owner_deletions as queries
from services.disclosure.db import projection as projection_queries
from services.disclosure.db import tables
from shared import audit
from shared.events.cases import EncounterDeleted
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def deleted(uow: UnitOfWork, delivered: list[Delivered[EncounterDeleted]]) -> None:
    async with uow:
        for d in delivered:
            e = d.event
            reason = f"deleted at {e.data_owner}'s notice: {e.reason}"
            found = await notice_queries.disclosures_of_encounter(uow.session, e.encounter_id)
            await notice_queries.list_removals(
                uow.session,
                [
                    {
                        "encounter_id": e.encounter_id,
                        "accounting_id": r.id,
                        "referral_id": None,
                        "requested_by": e.data_owner,
                        "reason": reason,
                        "recipient_email": r.recipient_email,
                        "recipient_agency": r.recipient_agency,
                        "disclosed_at": r.sent_at,
                    }
                    for r in found
                ],
            )
            notice = {"data_owner": e.data_owner, "reason": e.reason, "encounter_id": str(e.encounter_id)}
            drafts, sealed = await queries.strip_values(uow.session, e.encounter_id, notice)
            # An owner's report named the encounter by its identifiers: they go, the rest of the report stays.
            reports = await queries.reports_naming(uow.session, e.encounter_id)
            for r in reports:
                items, body = owner_report_rules.without_encounter(
                    r["items"],
                    r["body"],
                    str(e.encounter_id),
                    f"[identifiers removed at {e.data_owner}'s deletion notice]",
                )
                await queries.rewrite_report(uow.session, r["id"], items=items, body=body)
            # The case's own row (ids, program, partner) stays even when cases removed the case: the accounting
            # that names it stays listed on it for the programs that may see it.
            await projection_queries.forget(uow.session, case_ids=[], encounter_ids=[e.encounter_id])
            await audit.append(
                uow.session,
                tables.metadata.tables["audit_trail"],
                [
                    audit.Entry(
                        actor=d.envelope.actor,
                        action="owner-deletion",
                        record_type="encounter",
                        record_id=str(e.encounter_id),
                        outcome="applied",
                        correlation_id=d.envelope.correlation_id,
                        detail=f"{reason}; {drafts} drafts, {len(reports)} owner reports and {sealed} sealed "
                        f"messages stripped, {len(found)} past recipients listed",
                    )
                ],
            )
