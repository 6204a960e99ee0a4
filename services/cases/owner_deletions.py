"""A data owner's deletion notice (PIA 5.2: owners' deletions reach TRACS): the encounter's personal data leaves
cases, unless a legal hold covers it; a case it was the only encounter of goes with it (its analysis was about
it), and the subject once nothing of it is left. `EncounterDeleted` takes the deletion to every service:
intake drops its staged copy, disclosure strips drafts and sealed messages to the accounting's minimum and lists
the past recipients to tell."""

from __future__ import annotations

import uuid
from typing import Any

from services.cases.db import owner_deletions as queries
from services.cases.db import records
from services.cases.db import retention as retention_queries
from shared import policy
from shared.audit import Entry
from shared.errors import Conflict, NotFound
from shared.events.cases import EncounterDeleted
from shared.logging import current_correlation_id
from shared.uow import UnitOfWork


async def delete_at_owners_notice(
    *, uow: UnitOfWork, encounter_id: uuid.UUID, data_owner: str, reason: str
) -> dict[str, Any]:
    """Delete one encounter its data owner asked to delete; refused for another owner's record or a held one."""
    async with uow:
        row = await records.get_encounter(uow.session, encounter_id)
        if row is None:
            raise NotFound(f"no encounter {encounter_id}")
        # Acting on a record by its id follows program scoping: outside the program it does not exist (404).
        policy.require_visible(row["program"], f"no encounter {encounter_id}")
        if (row["data_owner"] or "").casefold() != data_owner.strip().casefold():
            raise Conflict(
                f"{data_owner} is not the data owner of encounter {encounter_id} ({row['data_owner'] or 'none named'}):"
                " an owner's notice deletes only its own records"
            )
        case_ids = await records.cases_of_encounter(uow.session, encounter_id)
        hold = await queries.hold_covering(
            uow.session, encounter_id=encounter_id, subject_id=row["subject_id"], case_ids=case_ids
        )
        if hold is not None:
            raise Conflict(
                f"legal hold {hold} covers encounter {encounter_id}: nothing of it is deleted while it holds"
            )
        emptied = await queries.cases_only_of(uow.session, encounter_id)
        subject_removed = await retention_queries.purge(uow.session, row["subject_id"], emptied, [encounter_id])
        detail = {"encounter_id": str(encounter_id), "data_owner": row["data_owner"], "reason": reason}
        for case_id in sorted(set(case_ids) - set(emptied)):
            await records.add_timeline(uow.session, case_id, uow.actor, "encounter-deleted", detail)
        await records.audit(
            uow.session,
            [
                Entry(
                    actor=uow.actor,
                    action="owner-deletion",
                    record_type="encounter",
                    record_id=str(encounter_id),
                    outcome="applied",
                    correlation_id=current_correlation_id(),
                    detail=f"deleted at {row['data_owner']}'s notice: {reason}",
                ),
                *(
                    Entry(actor=uow.actor, action="owner-deletion", record_type="case", record_id=str(c),
                          outcome="applied", correlation_id=current_correlation_id(),
                          detail=f"its only encounter was deleted at {row['data_owner']}'s notice")
                    for c in emptied
                ),
            ],
        )  # fmt: skip
        uow.emit(
            EncounterDeleted(
                encounter_id=encounter_id,
                subject_id=row["subject_id"],
                batch_id=row["batch_id"],
                row_number=row["row_number"],
                case_ids=case_ids,
                cases_removed=emptied,
                subject_removed=subject_removed,
                data_owner=row["data_owner"],
                reason=reason,
            )
        )
    return {
        "encounter_id": str(encounter_id),
        "data_owner": row["data_owner"],
        "cases_removed": [str(c) for c in emptied],
        "subject_removed": subject_removed,
    }
