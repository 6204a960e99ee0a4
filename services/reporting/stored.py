"""Stored reports (PIA 3: "Automated reports are stored in TRACS"): the weekly DOSR and the monthly EPR and
component reports generated on schedule and kept as generated, in every export format with the suppression they
were published with, listed and downloaded byte for byte as they were."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import orjson

from services.reporting import domain, exports, reports
from services.reporting.db import stored as queries
from shared.errors import Invalid, NotFound
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)
BUILDERS = {"dosr": reports.dosr, "epr": reports.epr, "components": reports.components}


def _json(report: exports.Report) -> bytes:
    """The JSON export exactly as the live report route sends it."""
    return orjson.dumps(
        {"title": report.title, "subtitle": report.subtitle, **report.tables, "suppression": report.suppression}
    )


async def store(*, uow: UnitOfWork, kind: str, start: date, end: date, threshold: int) -> tuple[dict[str, Any], bool]:
    """Generate a report and keep it; a kind and period stored before is returned as it was (never redone).

    Returns the stored report's listing and whether this call stored it."""
    if kind not in BUILDERS:
        raise Invalid(f"kind must be one of {', '.join(sorted(BUILDERS))}")
    async with uow:
        existing = await queries.find(uow.session, kind, start, end)
    if existing is not None:
        return dict(existing), False
    report = await BUILDERS[kind](uow=uow, start=start, end=end, threshold=threshold)
    row = {
        "id": uuid.uuid4(),
        "kind": kind,
        "period_start": start,
        "period_end": end,
        "threshold": threshold,
        "generated_by": uow.actor,
        "json": _json(report),
        **{fmt: exports.render(report, fmt) for fmt in ("csv", "xlsx", "pdf")},
    }
    async with uow:
        stored_id = await queries.keep(uow.session, row)
        kept = await queries.find(uow.session, kind, start, end)
    log.info("report stored", kind=kind, start=str(start), end=str(end), new=stored_id is not None)
    return dict(kept), stored_id is not None


async def store_due(*, uow_factory: Any, today: date, threshold: int) -> int:
    """The scheduled run: each automated report's last complete period, stored if it is not yet (replicas
    racing store it once: the unique period index)."""
    stored = 0
    for kind in domain.SCHEDULED:
        start, end = domain.last_complete_period(kind, today)
        _, new = await store(uow=uow_factory(), kind=kind, start=start, end=end, threshold=threshold)
        stored += new
    return stored


async def listing(*, uow: UnitOfWork, kind: str | None, limit: int) -> list[dict[str, Any]]:
    async with uow:
        return [dict(r) for r in await queries.listing(uow.session, kind, limit)]


async def download(*, uow: UnitOfWork, report_id: uuid.UUID, fmt: str) -> tuple[dict[str, Any], bytes]:
    """A stored report in one format, the bytes as they were stored."""
    async with uow:
        row = await queries.content(uow.session, report_id, fmt)
    if row is None:
        raise NotFound(f"no stored report {report_id}")
    listed = {k: v for k, v in row.items() if k != "content"}
    return listed, bytes(row["content"])
