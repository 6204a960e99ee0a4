"""An owner's request to remove an encounter (TSC's "remove", issue 28): withdrawn from sharing and reports.

The encounter and its imported fields stay: the record of what came in and of why it was withdrawn (a
`withdrawn` flag naming who asked, and the case timeline) is kept; only its sharing and counting stop.
"""

from __future__ import annotations

from services.cases import domain
from services.cases.db import records
from shared.audit import Entry
from shared.events.cases import EncounterWithdrawn, FlagSet
from shared.events.disclosure import EncounterRemovalRequested
from shared.inbox import Delivered
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
WITHDRAWN = "withdrawn"


async def withdraw(uow: UnitOfWork, delivered: list[Delivered[EncounterRemovalRequested]]) -> None:
    """Flag each named encounter withdrawn (once), note it on its cases, and publish the fact."""
    async with uow:
        for d in delivered:
            env, r = d.envelope, d.event
            for encounter_id in r.encounter_ids:
                row = await records.get_encounter(uow.session, encounter_id)
                if row is None:  # purged since the notice left: nothing is left to withdraw
                    log.warning("removal request names an unknown encounter", encounter_id=str(encounter_id))
                    continue
                current = {f["flag"]: f["value"] for f in await records.encounter_flags(uow.session, [encounter_id])}
                if (current.get(WITHDRAWN) or {}).get("set"):
                    continue
                value = {"set": True, "requested_by": r.requested_by, "referral_id": str(r.referral_id)}
                reason = f"removal requested by {r.requested_by}: {r.reason}"
                await records.set_flags(
                    uow.session,
                    [
                        {
                            "encounter_id": encounter_id,
                            "flag": WITHDRAWN,
                            "value": value,
                            "reason": reason,
                            "set_by": env.actor,
                        }
                    ],
                )
                case_ids = await records.cases_of_encounter(uow.session, encounter_id)
                for case_id in case_ids:
                    detail = {"encounter_id": str(encounter_id), "requested_by": r.requested_by, "reason": r.reason}
                    await records.add_timeline(uow.session, case_id, env.actor, "encounter-withdrawn", detail)
                await records.audit(
                    uow.session,
                    [
                        Entry(
                            actor=env.actor,
                            action="withdraw-encounter",
                            record_type="encounter",
                            record_id=str(encounter_id),
                            fields=[WITHDRAWN],
                            outcome="applied",
                            correlation_id=env.correlation_id,
                        )
                    ],
                )
                links = {"causation_id": str(env.event_id), "correlation_id": env.correlation_id}
                uow.emit(
                    FlagSet(
                        encounter_id=encounter_id,
                        subject_id=row["subject_id"],
                        flag=WITHDRAWN,
                        value=value,
                        reason=reason,
                    ),
                    **links,
                )
                uow.emit(
                    EncounterWithdrawn(
                        encounter_id=encounter_id,
                        subject_id=row["subject_id"],
                        case_ids=case_ids,
                        program=row["program"],
                        upload_kind=row["upload_kind"],
                        partner_country=row["partner_country"],
                        data_owner=row["data_owner"],
                        attached_on=row["attached_at"].date(),
                        kst=domain.is_kst(row["program"], (row["fields"] or {}).get("fast_matcher_status")),
                        requested_by=r.requested_by,
                        referral_id=r.referral_id,
                    ),
                    **links,
                )
