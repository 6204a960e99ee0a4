"""The analyst's workbench: a case's view, its searches, findings, status and assignment, and encounter flags."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.cases import domain
from services.cases.db import records
from services.cases.db import staff as staff_queries
from services.cases.db import workbench as queries
from shared import policy
from shared.audit import Entry
from shared.errors import Forbidden, Invalid, NotFound
from shared.events.cases import CaseAssigned, CaseStatusChanged, FindingRecorded, FlagSet, SearchLogged
from shared.logging import current_correlation_id
from shared.uow import UnitOfWork


async def _case(uow: UnitOfWork, case_id: uuid.UUID, *, for_update: bool = True) -> Any:
    """The case, if the caller's programs may see it (locked, for a change)."""
    row = await records.get_case(uow.session, case_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no case {case_id}")
    policy.require_visible(row["program"], f"no case {case_id}")
    return row


async def case_view(
    *, uow: UnitOfWork, case_id: uuid.UUID, required: dict[str, list[str]], may_reopen: bool = False
) -> dict[str, Any]:
    """Everything about one case, with the searches its program still requires, what is new since the
    findings (`required`: program -> searches), each encounter's person's record with its sources, and the
    status moves the caller may make (`may_reopen`: supervisors)."""
    async with uow:
        row = await _case(uow, case_id, for_update=False)
        encounters = [dict(e) for e in await records.case_encounter_rows(uow.session, case_id)]
        flags = await records.encounter_flags(uow.session, [e["id"] for e in encounters])
        searches = [dict(s) for s in await queries.searches_of(uow.session, case_id)]
        findings = [dict(f) for f in await queries.findings_recorded(uow.session, case_id)]
        events = [dict(t) for t in await queries.timeline_of(uow.session, case_id)]
        linked = [dict(c) for c in await queries.linked_cases(uow.session, case_id)]
        new = []
        if row["stale"] and row["findings_as_of"] is not None:
            new = [
                dict(n)
                for n in await queries.subject_encounters_after(uow.session, row["subject_id"], row["findings_as_of"])
            ]
    by_encounter: dict[uuid.UUID, list[dict]] = {}
    for f in flags:
        by_encounter.setdefault(f["encounter_id"], []).append(dict(f))
    corrected: dict[str, set[str]] = {}
    for t in events:
        if t["action"] == "encounter-corrected":
            corrected.setdefault(str(t["detail"].get("encounter_id")), set()).add(str(t["detail"].get("field")))
    for e in encounters:
        e["flags"] = by_encounter.get(e["id"], [])
        e["record"] = domain.person_record(e["fields"] or {}, corrected.get(str(e["id"]), set()), e["flags"])
    return {
        **dict(row),
        # Stale means the findings are out of date: a case without findings has none to be stale.
        "stale": bool(row["stale"] and findings),
        "encounters": encounters,
        "searches": searches,
        "findings": findings,
        "timeline": events,
        "missing_searches": domain.missing_searches(required.get(row["program"], []), {s["system"] for s in searches}),
        "new_encounters": new,
        "allowed_moves": domain.allowed_moves(row["status"], may_reopen=may_reopen),
        "linked_cases": linked,
    }


async def log_search(
    *, uow: UnitOfWork, case_id: uuid.UUID, system: str, result: str, notes: str, catalogue: list[str]
) -> None:
    """Which source system was searched for the case, by whom, when, and what came back."""
    domain.check_search(system, result, catalogue)
    async with uow:
        await _case(uow, case_id)
        await queries.add_search(
            uow.session,
            {"case_id": case_id, "system": system, "result": result, "notes": notes, "searched_by": uow.actor},
        )
        await records.add_timeline(
            uow.session, case_id, uow.actor, "search-logged", {"system": system, "result": result}
        )
        uow.emit(SearchLogged(case_id=case_id, system=system, result=result))


async def record_finding(
    *,
    uow: UnitOfWork,
    case_id: uuid.UUID,
    kind: str,
    text: str,
    accurate_as_of: datetime | None,
    encounter_ids: list[uuid.UUID],
) -> uuid.UUID:
    """A finding, accurate as of a moment; writing findings re-verifies the case (it is no longer stale)."""
    domain.check_finding(kind, text)
    finding_id = uuid.uuid4()
    now = datetime.now(UTC)
    as_of = accurate_as_of or now
    async with uow:
        await _case(uow, case_id)
        own = {e["id"] for e in await records.case_encounter_rows(uow.session, case_id)}
        if set(encounter_ids) - own:
            raise Invalid("a finding can refer only to this case's encounters")
        await queries.add_finding(
            uow.session,
            {
                "id": finding_id,
                "case_id": case_id,
                "kind": kind,
                "text": text,
                "accurate_as_of": as_of,
                "encounter_ids": list(encounter_ids),
                "recorded_by": uow.actor,
            },
        )
        await queries.update_case(uow.session, case_id, findings_as_of=now, stale=False, updated_by=uow.actor)
        await records.add_timeline(uow.session, case_id, uow.actor, "finding-recorded", {"kind": kind})
        uow.emit(
            FindingRecorded(
                case_id=case_id,
                finding_id=finding_id,
                kind=kind,
                text=text,
                accurate_as_of=as_of,
                encounter_ids=encounter_ids,
            )
        )
    return finding_id


async def change_status(
    *,
    uow: UnitOfWork,
    case_id: uuid.UUID,
    target: str,
    reason: str | None,
    required: dict[str, list[str]],
    may_reopen: bool = True,
) -> None:
    """`may_reopen` is the caller's right to take a closed case back into review (supervisors)."""
    async with uow:
        row = await _case(uow, case_id)
        if domain.is_reopen(row["status"], target) and not may_reopen:
            raise Forbidden("reopening a closed case needs the supervisor role", action="case:reopen")
        done = {s["system"] for s in await queries.searches_of(uow.session, case_id)}
        missing = domain.missing_searches(required.get(row["program"], []), done)
        status, stamp = domain.transition(row["status"], target, missing_searches=missing, reason=reason)
        await queries.update_case(
            uow.session, case_id, status=status, updated_by=uow.actor, **{stamp: datetime.now(UTC)}
        )
        detail = {"from": row["status"], "to": status.value, **({"reason": reason} if reason else {})}
        await records.add_timeline(uow.session, case_id, uow.actor, "status-changed", detail)
        uow.emit(
            CaseStatusChanged(
                case_id=case_id,
                program=row["program"],
                partner_country=row["partner_country"],
                status=status,
                previous=row["status"],
                opened_at=row["opened_at"],
            )
        )


async def assign(*, uow: UnitOfWork, case_id: uuid.UUID, assignee: str, taking: bool = False) -> None:
    """The analyst who works the case now (the previous one is kept on the timeline): an active analyst or
    supervisor of the case's program, as the gateway's staff events say. `taking`: the caller assigns an
    unassigned case to themselves ("assign to me")."""
    async with uow:
        row = await _case(uow, case_id)
        if taking:
            domain.check_take(row["assignee"], assignee)
        domain.check_assignee(assignee, await staff_queries.member(uow.session, assignee), row["program"])
        await queries.update_case(uow.session, case_id, assignee=assignee, updated_by=uow.actor)
        await records.add_timeline(
            uow.session, case_id, uow.actor, "assigned", {"from": row["assignee"], "to": assignee}
        )
        uow.emit(CaseAssigned(case_id=case_id, assignee=assignee, previous=row["assignee"]))


async def assignees(*, uow: UnitOfWork, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Who the case may be given to: active analysts and supervisors of its program (the console's picker)."""
    async with uow:
        row = await _case(uow, case_id, for_update=False)
        members = await staff_queries.of_program(uow.session, row["program"])
    return [{"username": m["username"], "roles": list(m["roles"])} for m in members if set(m["roles"]) & policy.WORKERS]


async def set_flags(
    *, uow: UnitOfWork, audit_uow: UnitOfWork, encounter_id: uuid.UUID, changes: dict[str, Any]
) -> None:
    """Flags with who, when and why; an attempt to edit an imported field is refused and audited."""
    async with uow:
        encounter = await records.get_encounter(uow.session, encounter_id)
        if encounter is None:
            raise NotFound(f"no encounter {encounter_id}")
        policy.require_visible(encounter["program"], f"no encounter {encounter_id}")
    try:
        domain.check_flag_change(changes)
    except Exception as exc:
        locked = getattr(exc, "details", {}).get("locked")
        if locked:
            async with audit_uow:
                await records.audit(
                    audit_uow.session,
                    [
                        Entry(
                            actor=audit_uow.actor,
                            action="edit-imported-field",
                            record_type="encounter",
                            record_id=str(encounter_id),
                            fields=locked,
                            outcome="denied",
                            correlation_id=current_correlation_id(),
                        )
                    ],
                )
        raise
    rows = []
    for flag, body in changes.items():
        if not isinstance(body, dict) or not str(body.get("reason", "")).strip():
            raise Invalid(f"flag {flag!r} needs an object with a reason")
        value = {k: v for k, v in body.items() if k != "reason"}
        domain.check_flag(flag, value)
        rows.append(
            {"encounter_id": encounter_id, "flag": flag, "value": value, "reason": body["reason"], "set_by": uow.actor}
        )
    async with uow:
        await records.set_flags(uow.session, rows)
        for r in rows:
            for case_id in await records.cases_of_encounter(uow.session, encounter_id):
                await records.add_timeline(
                    uow.session, case_id, uow.actor, "flag-set", {"encounter_id": str(encounter_id), "flag": r["flag"]}
                )
            uow.emit(
                FlagSet(
                    encounter_id=encounter_id,
                    subject_id=encounter["subject_id"],
                    flag=r["flag"],
                    value=r["value"],
                    reason=r["reason"],
                )
            )
