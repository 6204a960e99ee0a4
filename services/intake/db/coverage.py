"""Queries of the agreements projection: which partners each program's agreements cover."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Text, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.db.tables import agreement_coverage
from shared.db import any_array


async def project_agreements(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or update each agreement's coverage; an older version arriving late changes nothing."""
    stmt = insert(agreement_coverage).values(rows)
    excluded = stmt.excluded
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[agreement_coverage.c.agreement_id],
            set_={c: excluded[c] for c in ("version", "name", "program", "partner_country", "valid_from", "valid_to")}
            | {"projected_at": func.now()},
            where=agreement_coverage.c.version < excluded.version,
        )
    )


async def covered_partners(session: AsyncSession, program: str, countries: list[str], on: date) -> set[str]:
    """The countries among `countries` that an agreement of `program` in force on `on` covers."""
    if not countries:
        return set()
    c = agreement_coverage.c
    stmt = select(c.partner_country).where(
        c.program == program,
        c.partner_country == any_array(countries, Text),
        c.valid_from <= on,
        or_(c.valid_to.is_(None), c.valid_to >= on),
    )
    return set((await session.execute(stmt)).scalars().all())
