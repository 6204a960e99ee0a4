"""Re-links from redress: encounters wrongly linked to one person moved to their right subject (or a new one).

The encounter leaves every case of its old subject that held it and joins the case of the same partner query
for its new subject (opened if need be); both sides turn stale with their findings flagged, both timelines say
what moved, and the move is published for disclosure to list who received the encounter. Undo is a re-link back.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.cases import domain
from services.cases.db import records
from services.cases.db import relinks as queries
from shared.audit import Entry
from shared.errors import NotFound
from shared.events.cases import EncountersRelinked, RelinkCase, RelinkedEncounter
from shared.events.redress import RelinkAccepted
from shared.inbox import Delivered
from shared.uow import UnitOfWork


async def apply_relinks(uow: UnitOfWork, delivered: list[Delivered[RelinkAccepted]]) -> None:
    """Each re-link redress decided moves its encounters, in one transaction with its audit and its event."""
    async with uow:
        for d in delivered:
            await _apply(uow, d)


async def _apply(uow: UnitOfWork, d: Delivered[RelinkAccepted]) -> None:
    env, r = d.envelope, d.event
    if r.new_subject:
        await queries.create_subject(uow.session, r.to_subject_id, domain.new_subject_key(r.to_subject_id))
    target = await queries.get_subject(uow.session, r.to_subject_id)
    if target is None:
        raise NotFound(f"re-link {r.relink_id} names subject {r.to_subject_id}, unknown to cases")
    why = f"an encounter of this case was re-linked by redress {r.redress_id} (re-link {r.relink_id}); verify again"
    moved: list[RelinkedEncounter] = []
    opened: list[RelinkCase] = []
    touched: set[uuid.UUID] = set()
    history: list[dict[str, Any]] = []
    for encounter_id in r.encounter_ids:
        row = await queries.encounter_for_update(uow.session, encounter_id)
        if row is None:
            raise NotFound(f"re-link {r.relink_id} names encounter {encounter_id}, unknown to cases")
        if row["subject_id"] == r.to_subject_id:
            continue  # already there: nothing moves, nothing to tell
        source = await queries.get_subject(uow.session, row["subject_id"])
        holding = await queries.cases_holding(uow.session, encounter_id)
        to_case_id, new_case = await _receiving_case(uow, r, holding, source["subject_key"], target["subject_key"])
        if new_case is not None:
            opened.append(new_case)
        from_case_ids = [c["id"] for c in holding if c["id"] != to_case_id]
        await queries.move_encounter(
            uow.session,
            encounter_id,
            to_subject_id=r.to_subject_id,
            from_case_ids=from_case_ids,
            to_case_id=to_case_id,
        )
        detail = {"encounter_id": str(encounter_id), "redress_id": str(r.redress_id), "relink_id": str(r.relink_id)}
        for case_id in from_case_ids:
            out = {**detail, "to_subject_id": str(r.to_subject_id)}
            await records.add_timeline(uow.session, case_id, env.actor, "encounter-relinked-out", out)
        into = {**detail, "from_subject_id": str(row["subject_id"])}
        await records.add_timeline(uow.session, to_case_id, env.actor, "encounter-relinked-in", into)
        touched |= {to_case_id, *from_case_ids}
        moved.append(
            RelinkedEncounter(
                encounter_id=encounter_id,
                from_subject_id=row["subject_id"],
                from_case_ids=from_case_ids,
                to_case_id=to_case_id,
            )
        )
        history.append(
            {
                "relink_id": r.relink_id,
                "encounter_id": encounter_id,
                "redress_id": r.redress_id,
                "from_subject_id": row["subject_id"],
                "to_subject_id": r.to_subject_id,
                "from_case_ids": from_case_ids,
                "to_case_id": to_case_id,
                "undoes": r.undoes,
                "relinked_by": env.actor,
            }
        )
    stale = sorted(touched)
    await queries.mark_for_review(uow.session, stale, why, env.actor)
    await queries.record(uow.session, history)
    await records.audit(
        uow.session,
        [
            Entry(
                actor=env.actor,
                action="redress-relink",
                record_type="encounter",
                record_id=str(m.encounter_id),
                fields=["subject_id"],
                outcome="applied",
                correlation_id=env.correlation_id,
            )
            for m in moved
        ],
    )
    if moved:
        uow.emit(
            EncountersRelinked(
                relink_id=r.relink_id,
                redress_id=r.redress_id,
                to_subject_id=r.to_subject_id,
                moved=moved,
                opened_cases=opened,
                stale_cases=stale,
            ),
            causation_id=str(env.event_id),
            correlation_id=env.correlation_id,
        )


async def _receiving_case(
    uow: UnitOfWork, r: RelinkAccepted, holding: list[Any], from_key: str, to_key: str
) -> tuple[uuid.UUID, RelinkCase | None]:
    """The new subject's case of the same partner query as the (first) case that held the encounter; opened
    when the subject has none (returned as the second value then)."""
    if not holding:
        raise NotFound(f"re-link {r.relink_id}: an encounter to move belongs to no case")
    old = holding[0]
    key = domain.relinked_case_key(old["case_key"], from_key, to_key, r.relink_id)
    case_id = uuid.uuid5(r.relink_id, key)
    row = {
        "id": case_id,
        "case_key": key,
        "subject_id": r.to_subject_id,
        "program": old["program"],
        "upload_kind": old["upload_kind"],
        "partner_country": old["partner_country"],
        "partner_unique_id": old["partner_unique_id"],
        "partner_transaction_number": old["partner_transaction_number"],
        "search_code": old["search_code"],
        "updated_by": "system",
    }
    got = await queries.ensure_case(uow.session, row)
    if got != case_id:
        return got, None
    return case_id, RelinkCase(
        case_id=case_id,
        program=old["program"],
        partner_country=old["partner_country"],
        partner_transaction_number=old["partner_transaction_number"],
    )
