"""Retention in cases: legal holds, and the run that purges what is due (the rules live in `retention_rules`).

A purge deletes the records here, audits each one, and publishes `RecordsPurged` so disclosure and redress
drop their copies; reporting's aggregates stay as they are. A dry run reports the same list and changes
nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.cases import retention_rules
from services.cases.db import records
from services.cases.db import retention as queries
from shared import audit
from shared.disposal import rule_words
from shared.errors import Conflict, Invalid, NotFound
from shared.events.cases import RecordsPurged
from shared.events.retention import DisposedCount, LegalHoldPlaced, LegalHoldReleased, RecordsDisposed
from shared.logging import current_correlation_id, get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def run(
    *, uow: UnitOfWork, now: datetime, dry_run: bool, rules: dict[str, retention_rules.Rule]
) -> dict[str, Any]:
    """Purge every record due as of `now` (held ones spared), audited and published; a dry run only lists them."""
    analysis, partner, case = rules["analysis-record"], rules["partner-record"], rules["international-case"]
    async with uow:
        if not await queries.try_retention_lock(uow.session):
            raise Conflict("another retention run is in progress; try again when it has finished")
        due = await queries.due_records(
            uow.session,
            analysis_cutoff=retention_rules.cutoff(analysis, now),
            partner_cutoff=retention_rules.cutoff(partner, now),
            case_cutoff=retention_rules.cutoff(case, now),
        )
        subjects_removed = 0
        if not dry_run:
            entries = []
            for subject_id, found in due.items():
                removed = await queries.purge(uow.session, subject_id, found["cases"], found["encounters"])
                subjects_removed += removed
                classes = [
                    name
                    for name, ids in (("analysis-record", found["cases"]), ("partner-record", found["encounters"]))
                    if ids
                ]
                uow.emit(
                    RecordsPurged(
                        subject_id=subject_id,
                        case_ids=found["cases"],
                        encounter_ids=found["encounters"],
                        subject_removed=removed,
                        rules=classes,
                    )
                )
                entries += [_entry(uow.actor, "case", c, case, analysis) for c in found["cases"]]
                entries += [_entry(uow.actor, "encounter", e, partner) for e in found["encounters"]]
                if removed:
                    entries.append(_entry(uow.actor, "subject", subject_id))
            await records.audit(uow.session, entries)
            counts = _counts(due, case, analysis, partner)
            if any(c.count for c in counts):
                uow.emit(RecordsDisposed(service="cases", run_id=uuid.uuid4(), as_of=now, counts=counts))
    report = {
        "as_of": now.isoformat(),
        "dry_run": dry_run,
        "rules": {name: {"years": r.years, "basis": r.basis} for name, r in rules.items()},
        "cases": sorted(str(c) for found in due.values() for c in found["cases"]),
        "encounters": sorted(str(e) for found in due.values() for e in found["encounters"]),
        "subjects": len(due),
        "subjects_removed": subjects_removed,
    }
    log.info("retention run", dry_run=dry_run, cases=len(report["cases"]), encounters=len(report["encounters"]))
    return report


async def run_on_request(
    *, uow: UnitOfWork, dry_run: bool, as_of: datetime | None, allow_as_of: bool, rules: dict[str, retention_rules.Rule]
) -> dict[str, Any]:
    """A run someone asked for, judged as of now; only a dry run (or any run on a test stack) may name the day."""
    if as_of is not None and not dry_run and not allow_as_of:
        raise Invalid("as_of is only allowed with dry_run: a real purge is always judged as of now")
    now = (as_of.astimezone(UTC) if as_of and as_of.tzinfo else as_of.replace(tzinfo=UTC)) if as_of else None
    return await run(uow=uow, now=now or datetime.now(UTC), dry_run=dry_run, rules=rules)


def _counts(
    due: dict[uuid.UUID, dict[str, list[uuid.UUID]]],
    case: retention_rules.Rule,
    analysis: retention_rules.Rule,
    partner: retention_rules.Rule,
) -> list[DisposedCount]:
    """The run for the disposal report: counts per kind and rule, no id (a case goes when both its rules ran)."""
    cases = sum(len(found["cases"]) for found in due.values())
    encounters = sum(len(found["encounters"]) for found in due.values())
    both = f"{rule_words(case.row)} and {rule_words(analysis.row)}"
    return [
        DisposedCount(kind="case", count=cases, rule=both),
        DisposedCount(kind="encounter", count=encounters, rule=rule_words(partner.row)),
    ]


def _entry(actor: str, record_type: str, record_id: uuid.UUID, *rules: retention_rules.Rule) -> audit.Entry:
    """One purged record, naming every rule that had to run out before it could go."""
    return audit.Entry(
        actor=actor,
        action="retention-purge",
        record_type=record_type,
        record_id=str(record_id),
        outcome="purged",
        correlation_id=current_correlation_id(),
        detail="; ".join(f"{r.record_class}: {r.basis}" for r in rules) or "nothing of it left",
    )


async def place_hold(
    *,
    uow: UnitOfWork,
    subject_id: uuid.UUID | None,
    case_id: uuid.UUID | None,
    reason: str,
    encounter_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A hold names one subject (all their records), one case or one encounter; it must point at something that
    exists. What it covers is published (`LegalHoldPlaced`) so every service spares its records about it."""
    if sum(x is not None for x in (subject_id, case_id, encounter_id)) != 1:
        raise Invalid("a legal hold names exactly one of subject_id, case_id or encounter_id")
    if not reason.strip():
        raise Invalid("a legal hold needs a reason")
    hold_id = uuid.uuid4()
    async with uow:
        if subject_id is not None and await records.get_subject(uow.session, subject_id) is None:
            raise NotFound(f"no subject {subject_id}")
        if case_id is not None and await records.get_case(uow.session, case_id) is None:
            raise NotFound(f"no case {case_id}")
        if encounter_id is not None and await records.get_encounter(uow.session, encounter_id) is None:
            raise NotFound(f"no encounter {encounter_id}")
        row = {"id": hold_id, "subject_id": subject_id, "case_id": case_id, "encounter_id": encounter_id}
        await queries.add_hold(
            uow.session, {**row, "reason": reason.strip(), "placed_by": uow.actor, "updated_by": uow.actor}
        )
        case_ids, encounter_ids = await queries.hold_scope(
            uow.session, subject_id=subject_id, case_id=case_id, encounter_id=encounter_id
        )
        uow.emit(
            LegalHoldPlaced(
                hold_id=hold_id,
                subject_id=subject_id,
                case_ids=case_ids,
                encounter_ids=encounter_ids,
                reason=reason.strip(),
                placed_by=uow.actor,
            )
        )
    return hold_id


async def release_hold(*, uow: UnitOfWork, hold_id: uuid.UUID) -> None:
    """A hold released stops sparing its records from the next run; it is kept, with who released it."""
    async with uow:
        hold = await queries.get_hold(uow.session, hold_id, for_update=True)
        if hold is None:
            raise NotFound(f"no legal hold {hold_id}")
        if hold["released_at"] is not None:
            raise Conflict(f"legal hold {hold_id} was already released")
        await queries.release_hold(uow.session, hold_id, uow.actor)
        uow.emit(LegalHoldReleased(hold_id=hold_id, released_by=uow.actor))


async def holds(*, uow: UnitOfWork, active_only: bool) -> list[dict[str, Any]]:
    """The legal holds in the order they were placed (by default those still in force)."""
    async with uow:
        return [dict(h) for h in await queries.list_holds(uow.session, active_only=active_only)]


async def get_hold(*, uow: UnitOfWork, hold_id: uuid.UUID) -> dict[str, Any]:
    """One legal hold, in force or released."""
    async with uow:
        hold = await queries.get_hold(uow.session, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}")
    return dict(hold)
