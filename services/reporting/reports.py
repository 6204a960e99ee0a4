"""The reports asked for: the DOSR, the EPR and the component report over a period, read from the counters
and tabulated with complementary suppression (tabulation.py), ready for export (exports.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from services.reporting import domain, suppression, tabulation
from services.reporting.db import reports as queries
from services.reporting.exports import Report
from shared.uow import UnitOfWork


def _report(
    title: str, start: date, end: date, threshold: int, built: tabulation.Built, keys: tuple[str, ...]
) -> Report:
    cells = tabulation.suppressed_cells(built.tables, keys)
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


def _around(start: date, end: date, span: Callable[[date, date], tuple[date, date]]) -> tuple[date, date]:
    """The whole weeks or years around a period a report may cover: it reads them all, so that a count is shown
    or suppressed the same way in every report."""
    domain.check_period(start, end)
    return span(start, end)


async def dosr(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Director's Operations Status Report: daily and weekly figures per program, matches per partner."""
    lo, hi = _around(start, end, suppression.week_span)
    async with uow:
        per_program = await queries.program_counters(uow.session, lo, hi, tuple(tabulation.PROGRAM_METRICS))
        per_partner = await queries.partner_matches(uow.session, lo, hi)
        per_partner_kst = await queries.partner_matches(uow.session, lo, hi, "kst_matches")
    built = tabulation.dosr(per_program, per_partner, start, end, threshold, partner_kst=per_partner_kst)
    return _report("Director's Operations Status Report", start, end, threshold, built, tabulation.DOSR_KEYS)


async def components(*, uow: UnitOfWork, start: date, end: date, threshold: int) -> Report:
    """Per data owner: how many of its encounters matched inbound partner queries, and how many were shared."""
    lo, hi = _around(start, end, suppression.year_span)
    async with uow:
        owner_days = await queries.owners(uow.session, lo, hi)
    built = tabulation.components(owner_days, start, end, threshold)
    return _report("Component notification report", start, end, threshold, built, tabulation.COMPONENT_KEYS)


async def epr(*, uow: UnitOfWork, start: date, end: date, threshold: int, as_of: date | None = None) -> Report:
    """Executive Performance Report: redress processing and disclosure responsiveness, and each goal's trend
    projected to the period's end from the months up to `as_of` (today)."""
    lo, hi = _around(start, end, suppression.year_span)
    async with uow:
        redress_days = await queries.redress_counts(uow.session, lo, hi)
        before = await queries.redress_before(uow.session, lo)
        closing = await queries.closing_histograms(uow.session, start, end)
        per_program = await queries.program_counters(uow.session, lo, hi, ("disclosures", "response_seconds"))
    disclosures: dict[tuple[date, str], int] = {}
    for (day, _program, metric), value in per_program.items():
        disclosures[(day, metric)] = disclosures.get((day, metric), 0) + value
    today = as_of or datetime.now(UTC).date()
    built = tabulation.epr(redress_days, before, closing, disclosures, start, end, threshold, as_of=today)
    return _report("Executive Performance Report", start, end, threshold, built, tabulation.EPR_KEYS)
