"""Retention runs outside cases, one shape in every service: each service declares its record kinds (a row of
`shared/retention_schedule.py`, how to find what is due, how to dispose of it) and this runs them.

A run takes a per-service advisory lock, asks each kind for the records whose clock reads before the schedule's
cutoff, counts apart those a legal hold covers (they stay), and, unless it is a dry run, disposes of the rest,
audits each record in the same transaction and publishes `RecordsDisposed` (counts per kind and rule, no id)
for the disposal report. Legal holds are placed in cases; every other service keeps the `legal_holds` projection
below, fed by `LegalHoldPlaced` / `LegalHoldReleased`, and asks `covered(...)` whether a record is held.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, DateTime, MetaData, Table, Text, Uuid, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared import retention_schedule as schedule
from shared.errors import Conflict, Invalid
from shared.events.retention import DisposedCount, LegalHoldPlaced, LegalHoldReleased, RecordsDisposed
from shared.inbox import Delivered
from shared.logging import current_correlation_id, get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

Due = Callable[[AsyncSession, datetime], Awaitable[tuple[list[uuid.UUID], int]]]
Dispose = Callable[[AsyncSession, list[uuid.UUID]], Awaitable[None]]


@dataclass(frozen=True)
class Disposal:
    """One record kind a service disposes of under its row of the schedule.

    `due(session, cutoff)` answers the ids due and not held, and how many more are due but held;
    `dispose(session, ids)` deletes them (or strips them to what must survive) with what hangs on them."""

    row: schedule.Kind
    record_type: str
    due: Due
    dispose: Dispose


@dataclass(frozen=True)
class ServiceRetention:
    """A service's rows of the schedule: kind name -> (audit record type, due query, disposal)."""

    service: str
    kinds: Mapping[str, tuple[str, Due, Dispose]]
    metadata: MetaData

    def disposals(self, years: Mapping[str, int] | None = None) -> list[Disposal]:
        """The kinds with the periods a deployment configured (`TRACS_<SERVICE>_RETENTION_YEARS`)."""
        years = years or {}
        unknown = sorted(set(years) - set(self.kinds))
        if unknown:
            raise ValueError(f"no retention rule for {self.service} record kind {unknown[0]!r}; known: "
                             f"{', '.join(self.kinds)}")  # fmt: skip
        return [
            Disposal(schedule.kind(self.service, name, years.get(name)), record_type, due, dispose)
            for name, (record_type, due, dispose) in self.kinds.items()
        ]

    async def run(
        self, *, uow: UnitOfWork, now: datetime, dry_run: bool, years: Mapping[str, int] | None = None
    ) -> dict[str, Any]:
        """Dispose of what is due as of `now` (held records spared); a dry run only counts."""
        return await run(
            uow=uow,
            service=self.service,
            disposals=self.disposals(years),
            audit_table=self.metadata.tables["audit_trail"],
            now=now,
            dry_run=dry_run,
        )

    def rules(self, years: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
        """Each kind's period, clock and basis as configured."""
        return [
            {"kind": d.row.kind, "years": d.row.years, "clock": d.row.clock.value, "end_of_year": d.row.end_of_year,
             "rule": rule_words(d.row), "basis": d.row.basis}
            for d in self.disposals(years)
        ]  # fmt: skip


def rule_words(row: schedule.Kind) -> str:
    """The rule as the disposal report and the audit entry state it."""
    rounding = "the end of the year " if row.end_of_year else ""
    return f"{row.service} {row.kind}: {row.years} years after {rounding}{row.clock.value}"


def judged_as_of(as_of: datetime | None, *, dry_run: bool, allow_as_of: bool) -> datetime:
    """A run someone asked for is judged as of now; only a dry run (or a test stack's run) may name the day."""
    if as_of is None:
        return datetime.now(UTC)
    if not dry_run and not allow_as_of:
        raise Invalid("as_of is only allowed with dry_run: a real disposal is always judged as of now")
    return (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).astimezone(UTC)


async def run(
    *,
    uow: UnitOfWork,
    service: str,
    disposals: Sequence[Disposal],
    audit_table: Table,
    now: datetime,
    dry_run: bool,
) -> dict[str, Any]:
    """Dispose of every record due as of `now` (held ones spared and counted); a dry run only counts."""
    run_id = uuid.uuid4()
    counts: list[DisposedCount] = []
    async with uow:
        if not await _lock(uow.session, service):
            raise Conflict("another retention run is in progress; try again when it has finished")
        for d in disposals:
            ids, held = await d.due(uow.session, schedule.cutoff(d.row, now))
            rule = rule_words(d.row)
            if ids and not dry_run:
                await d.dispose(uow.session, ids)
                await audit.append(uow.session, audit_table, [_entry(uow.actor, d, i, rule) for i in ids])
            counts.append(DisposedCount(kind=d.row.kind, count=len(ids), held=held, rule=rule))
        if not dry_run and any(c.count for c in counts):
            uow.emit(RecordsDisposed(service=service, run_id=run_id, as_of=now, counts=counts))
    log.info("retention run", service=service, dry_run=dry_run, disposed=sum(c.count for c in counts))
    return {
        "service": service,
        "run_id": str(run_id),
        "as_of": now.isoformat(),
        "dry_run": dry_run,
        "counts": [c.model_dump() for c in counts],
    }


async def _lock(session: AsyncSession, service: str) -> bool:
    """One run at a time per service, across its instances (scheduled or asked for)."""
    lock = func.pg_try_advisory_xact_lock(func.hashtext(f"tracs-retention-{service}"))
    return bool(await session.scalar(select(lock)))


def _entry(actor: str, d: Disposal, record_id: uuid.UUID, rule: str) -> audit.Entry:
    return audit.Entry(
        actor=actor,
        action="retention-purge",
        record_type=d.record_type,
        record_id=str(record_id),
        outcome="purged",
        correlation_id=current_correlation_id(),
        detail=f"{rule} ({d.row.basis})",
    )


# ---- legal holds, as every service but cases keeps them -------------------------------------------------------


def hold_table(metadata: MetaData) -> Table:
    """Cases' legal holds as placed, with everything each covered when placed (ids only, no personal data)."""
    return Table(
        "legal_holds",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("subject_id", Uuid),
        Column("case_ids", ARRAY(Uuid), nullable=False),
        Column("encounter_ids", ARRAY(Uuid), nullable=False),
        Column("reason", Text, nullable=False),
        Column("placed_by", Text, nullable=False),
        Column("placed_at", DateTime(timezone=True), nullable=False),
        Column("released_by", Text),
        Column("released_at", DateTime(timezone=True)),
    )


def covered(
    holds: Table,
    *,
    subject_id: Any = None,
    case_id: Any = None,
    encounter_id: Any = None,
    encounter_ids: Any = None,
) -> ColumnElement[bool]:
    """True where a hold in force covers the record whose columns are given (a correlated EXISTS)."""
    named = []
    if subject_id is not None:
        named.append(holds.c.subject_id == subject_id)
    if case_id is not None:
        named.append(case_id == func.any(holds.c.case_ids))
    if encounter_id is not None:
        named.append(encounter_id == func.any(holds.c.encounter_ids))
    if encounter_ids is not None:
        named.append(holds.c.encounter_ids.overlap(encounter_ids))
    return exists().where(holds.c.released_at.is_(None), or_(*named))


async def split_held(
    session: AsyncSession, id_column: Any, due: ColumnElement[bool], held: ColumnElement[bool] | None
) -> tuple[list[uuid.UUID], int]:
    """The ids due and not held, and how many due records a hold spares (`held` None: no hold can cover them)."""
    held = false() if held is None else held
    rows = (await session.execute(select(id_column, held.label("held")).where(due))).all()
    return [r[0] for r in rows if not r[1]], sum(1 for r in rows if r[1])


def hold_handlers(metadata: MetaData) -> dict[type, Callable[[UnitOfWork, list[Delivered[Any]]], Awaitable[None]]]:
    """The handlers that keep a service's `legal_holds` projection (idempotent: a hold is inserted once, a release
    sets its time once), each arrival audited with the hold's reason."""
    holds, trail = metadata.tables["legal_holds"], metadata.tables["audit_trail"]

    async def placed(uow: UnitOfWork, delivered: list[Delivered[LegalHoldPlaced]]) -> None:
        async with uow:
            for d in delivered:
                h = d.event
                await uow.session.execute(
                    insert(holds)
                    .values(
                        id=h.hold_id,
                        subject_id=h.subject_id,
                        case_ids=h.case_ids,
                        encounter_ids=h.encounter_ids,
                        reason=h.reason,
                        placed_by=h.placed_by,
                        placed_at=d.envelope.occurred_at,
                    )
                    .on_conflict_do_nothing(index_elements=["id"])
                )
                await audit.append(uow.session, trail, [_hold_entry(d, "legal-hold-placed", h.hold_id, h.reason)])

    async def released(uow: UnitOfWork, delivered: list[Delivered[LegalHoldReleased]]) -> None:
        async with uow:
            for d in delivered:
                h = d.event
                await uow.session.execute(
                    holds.update()
                    .where(holds.c.id == h.hold_id, holds.c.released_at.is_(None))
                    .values(released_at=d.envelope.occurred_at, released_by=h.released_by)
                )
                await audit.append(uow.session, trail, [_hold_entry(d, "legal-hold-released", h.hold_id, None)])

    return {LegalHoldPlaced: placed, LegalHoldReleased: released}


def _hold_entry(d: Delivered[Any], action: str, hold_id: uuid.UUID, reason: str | None) -> audit.Entry:
    return audit.Entry(
        actor=d.envelope.actor,
        action=action,
        record_type="legal-hold",
        record_id=str(hold_id),
        outcome="applied",
        correlation_id=d.envelope.correlation_id,
        detail=reason,
    )


async def list_holds(session: AsyncSession, holds: Table) -> list[dict[str, Any]]:
    """The holds this service knows, in force first."""
    stmt = select(holds).order_by(holds.c.released_at.is_not(None), holds.c.placed_at)
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]
