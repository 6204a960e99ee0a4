"""Reporting use cases: fold events into counters; build the DOSR, EPR and component reports; bulletins."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.reporting import db, domain, reports, suppression
from services.reporting.exports import Report
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


EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)  # reports read the whole weeks and years around


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise Invalid("'to' is before 'from'")
    if start < EARLIEST or end > LATEST:
        raise Invalid(f"a report covers days from {EARLIEST} to {LATEST}")
    if (end - start).days > MAX_REPORT_DAYS:
        raise Invalid(f"a report covers at most {MAX_REPORT_DAYS} days")


def _report(title: str, start: date, end: date, threshold: int, built: reports.Built, keys: tuple[str, ...]) -> Report:
    cells = reports.suppressed_cells(built.tables, keys)
    suppression = {
        "method": "complementary",
        "threshold": threshold,
        "note": (
            f"Counts from 1 to {threshold - 1}, and as many other counts as it takes to keep them from being "
            "derived from this or any other report (by rows, columns, totals or overlapping periods), are shown "
            "as 'suppressed'; partial weeks, months and period totals are shown only when they follow from "
            "counts that are shown."
        ),
        "cells": cells,
    }
    subtitle = f"{start.isoformat()} to {end.isoformat()}; complementary suppression below {threshold}"
    return Report(title, subtitle, built.tables, built.series, suppression)


async def dosr(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Director's Operations Status Report: daily and weekly figures per program, matches per partner."""
    _check_period(start, end)
    lo, hi = suppression.week_span(start, end)
    async with uow:
        per_program = await db.program_counters(uow.session, lo, hi, tuple(reports.PROGRAM_METRICS))
        per_partner = await db.partner_matches(uow.session, lo, hi)
    built = reports.dosr(per_program, per_partner, start, end, threshold)
    return _report("Director's Operations Status Report", start, end, threshold, built, reports.DOSR_KEYS)


async def components(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Per data owner: how many of its encounters matched inbound partner queries, and how many were shared."""
    _check_period(start, end)
    lo, hi = suppression.year_span(start, end)
    async with uow:
        owner_days = await db.owners(uow.session, lo, hi)
    built = reports.components(owner_days, start, end, threshold)
    return _report("Component notification report", start, end, threshold, built, reports.COMPONENT_KEYS)


async def epr(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Executive Performance Report: redress processing and disclosure responsiveness."""
    _check_period(start, end)
    lo, hi = suppression.year_span(start, end)
    async with uow:
        redress_days = await db.redress_counts(uow.session, lo, hi)
        before = await db.redress_before(uow.session, lo)
        closing = await db.closing_histograms(uow.session, start, end)
        per_program = await db.program_counters(uow.session, lo, hi, ("disclosures", "response_seconds"))
    disclosures: dict[tuple[date, str], int] = {}
    for (day, _program, metric), value in per_program.items():
        disclosures[(day, metric)] = disclosures.get((day, metric), 0) + value
    built = reports.epr(redress_days, before, closing, disclosures, start, end, threshold)
    return _report("Executive Performance Report", start, end, threshold, built, reports.EPR_KEYS)


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
