"""Reporting use cases: fold events into counters; build DOSR and component reports; bulletins."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.reporting import db, domain
from services.reporting.exports import Chart, Report
from shared.errors import Invalid, NotFound
from shared.inbox import Delivered
from shared.uow import UnitOfWork

MAX_REPORT_DAYS = 3700


def event_counter(digest_key: bytes):  # type: ignore[no-untyped-def]
    """The consumer's handler, closed over the digest key from settings."""

    async def count_events(uow: UnitOfWork, delivered: list[Delivered]) -> None:
        """Bump counters for a batch of events: one statement per table, whatever the batch size."""
        counters, owners, subjects, redress = [], {}, [], []
        for d in delivered:
            f = domain.facts(d.envelope, d.event, digest_key=digest_key)
            counters += f.counters
            redress += f.redress
            for o in f.owners:
                owners[(o.day, o.data_owner, o.metric)] = owners.get((o.day, o.data_owner, o.metric), 0) + o.amount
            subjects += [
                {"day": s.day, "program": s.program, "partner": s.partner, "digest": s.digest} for s in f.subjects
            ]
        async with uow:
            await db.add_counts(uow.session, domain.merge(counters))
            await db.add_owner_counts(uow.session, owners)
            await db.add_subjects(uow.session, subjects)
            await db.record_redress(uow.session, redress)

    return count_events


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise Invalid("'to' is before 'from'")
    if (end - start).days > MAX_REPORT_DAYS:
        raise Invalid(f"a report covers at most {MAX_REPORT_DAYS} days")


async def dosr(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Director's Operations Status Report: daily and weekly figures per program, matches per partner."""
    _check_period(start, end)
    async with uow:
        counters = await db.counters(uow.session, start, end)
        subjects = await db.distinct_subjects(uow.session, start, end)
    tables = domain.dosr_rows(counters, subjects, threshold)
    per_day: dict[date, list[int]] = {}
    for row in tables["daily"]:
        totals = per_day.setdefault(row["day"], [0, 0])
        for i, metric in enumerate(("matches", "no_matches")):
            if isinstance(row[metric], int):
                totals[i] += row[metric]
    days = sorted(per_day)
    charts = [
        Chart("Daily matches", [d.isoformat() for d in days], {"matches": [per_day[d][0] for d in days]}),
        Chart(
            "Daily match rate (%)",
            [d.isoformat() for d in days],
            {"match rate": [round(100 * m / (m + n), 1) if m + n else 0.0 for m, n in (per_day[d] for d in days)]},
        ),
    ]
    subtitle = f"{start.isoformat()} to {end.isoformat()}; counts below {threshold} by program or partner suppressed"
    return Report("Director's Operations Status Report", subtitle, tables, charts)


async def components(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Per data owner: how many of its encounters matched inbound partner queries, and how many were shared."""
    _check_period(start, end)
    async with uow:
        rows = await db.owners(uow.session, start, end)
    by_owner: dict[str, dict[str, Any]] = {}
    for owner, metric, value in rows:
        by_owner.setdefault(owner, {"data_owner": owner, "matched": 0, "shared": 0})[metric] = domain.suppress(
            int(value), threshold
        )
    table = sorted(by_owner.values(), key=lambda r: r["data_owner"])
    chart = Chart(
        "Matches per data owner",
        [r["data_owner"] for r in table],
        {"matched": [r["matched"] if isinstance(r["matched"], int) else 0 for r in table]},
        kind="bar",
    )
    return Report(
        "Component notification report", f"{start.isoformat()} to {end.isoformat()}", {"data_owners": table}, [chart]
    )


async def epr(*, uow: UnitOfWork, start: date, end: date) -> Report:
    """Executive Performance Report: redress processing and disclosure responsiveness."""
    _check_period(start, end)
    async with uow:
        redress = await db.redress_rows(uow.session)
        counters = await db.counters(uow.session, start, end)
    responses: dict[str, tuple[int, int]] = {}
    for (day, _program, _partner, metric), value in counters.items():
        if metric in ("disclosures", "response_seconds"):
            n, secs = responses.get(day.strftime("%Y-%m"), (0, 0))
            responses[day.strftime("%Y-%m")] = (n + value, secs) if metric == "disclosures" else (n, secs + value)
    tables = domain.epr_rows(redress, responses, start, end)
    months = tables["redress_by_month"]
    chart = Chart(
        "Redress processing time (average days to close)",
        [m["period"] for m in months],
        {"average days": [m["average_days"] or 0 for m in months]},
        kind="bar",
    )
    return Report("Executive Performance Report", f"{start.isoformat()} to {end.isoformat()}", tables, [chart])


BULLETIN_FIELDS = ("title", "description", "case_summary", "services_provided", "outcome")


async def create_bulletin(*, uow: UnitOfWork, fields: dict[str, str]) -> uuid.UUID:
    """A new information bulletin, in draft; its author is the only personal name it carries."""
    bulletin_id = uuid.uuid4()
    async with uow:
        await db.insert_bulletin(
            uow.session,
            {
                "id": bulletin_id,
                **fields,
                "author": uow.actor,
                "status": domain.BulletinStatus.DRAFT,
                "updated_by": uow.actor,
            },
        )
    return bulletin_id


async def get_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        row = await db.get_bulletin(uow.session, bulletin_id)
    if row is None:
        raise NotFound(f"no bulletin {bulletin_id}")
    return dict(row)


async def list_bulletins(*, uow: UnitOfWork, status: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await db.list_bulletins(uow.session, status, limit, offset)]


async def edit_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID, fields: dict[str, str]) -> None:
    async with uow:
        row = await _locked(uow, bulletin_id)
        domain.check_editable(row["status"])
        if fields:
            await db.update_bulletin(uow.session, bulletin_id, **fields, updated_by=uow.actor)


async def delete_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID) -> None:
    async with uow:
        row = await _locked(uow, bulletin_id)
        domain.check_editable(row["status"])
        await db.delete_bulletin(uow.session, bulletin_id)


async def advance_bulletin(*, uow: UnitOfWork, bulletin_id: uuid.UUID, action: str) -> None:
    """Send to the Executive Secretariat, or record its approval; each step is dated."""
    async with uow:
        row = await _locked(uow, bulletin_id)
        status, stamp = domain.bulletin_transition(action, row["status"])
        await db.update_bulletin(
            uow.session, bulletin_id, status=status, updated_by=uow.actor, **{stamp: datetime.now(UTC)}
        )


async def _locked(uow: UnitOfWork, bulletin_id: uuid.UUID) -> Any:
    row = await db.get_bulletin(uow.session, bulletin_id, for_update=True)
    if row is None:
        raise NotFound(f"no bulletin {bulletin_id}")
    return row
