"""The person search of the internal API (redress's candidates, other services' look-ups): encounters of every
program, ranked by the rules of `person_match` as the case list (`db.search`) ranks them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db import name_weights, person_match
from services.cases.db.search import names_of, same_fin
from services.cases.db.tables import encounters, subjects
from shared.names import NameQuery

DOCUMENT_FIELDS = ("document_number", "passport_number", "alien_registration_number")


async def search_people(
    session: AsyncSession,
    *,
    name: NameQuery | None,
    dob: str | None,
    document: str | None,
    fin: str | None,
    limit: int,
) -> list[Any]:
    """Encounters of every program matching every criterion given; by name and DOB ranked as the case list
    ranks them (best first), within a rank by token weight (`person_match.weighted`), then in import order."""
    e = encounters.c
    weights = await name_weights.term_weights(session, name.latin) if name is not None else None
    match = person_match.person_match(person_match.NameColumns.of(encounters), e.dob, name, dob, weights)
    conditions = [match.where] if match is not None else []
    rank = match.rank if match is not None else literal(0)
    order = [rank] if match is None or match.weak_weight is None else [rank, match.weak_weight]
    if document:
        conditions.append(or_(*(e.fields[f].astext == document for f in DOCUMENT_FIELDS)))
    conditions += same_fin(encounters, fin)
    stmt = (
        select(
            e.id.label("encounter_id"),
            e.subject_id,
            subjects.c.subject_key,
            e.fin,
            e.name_search,
            *names_of(encounters),
            *(e.fields[f].astext.label(f) for f in DOCUMENT_FIELDS),
            e.program,
            e.data_owner,
            e.imported_at,
            rank.label("rank"),
        )
        .join(subjects, subjects.c.id == e.subject_id)
        .where(*conditions)
        .order_by(*order, e.imported_at, e.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).mappings().all())
