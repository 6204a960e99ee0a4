"""How much each word of a name query says: IDF-like weights from the stored names' own statistics.

A rare surname tells more than a common given name. PostgreSQL already counts the commonest terms of
`encounters.name_terms` (ANALYZE's element statistics: `pg_stats.most_common_elems` and their frequencies), so
a word's weight is read from there rather than from a count over a million rows: -ln(frequency), and a word
too rare to be listed is taken at half the least frequency listed. Without statistics every word weighs 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_FREQUENCIES = text(
    "SELECT u.e AS term, u.f AS freq, "
    "s.most_common_elem_freqs[cardinality(s.most_common_elems::text::text[]) + 1] AS least "
    "FROM pg_stats s LEFT JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) "
    "AS u(e, f) ON u.e = ANY(CAST(:words AS text[])) "
    "WHERE s.schemaname = current_schema() AND s.tablename = 'encounters' AND s.attname = 'name_terms'"
)


def weights_of(words: Sequence[str], frequencies: dict[str, float], least: float | None) -> list[float]:
    """-ln(frequency) per word; an unlisted word at half the least listed frequency; 1 each without statistics."""
    if not least:
        return [1.0] * len(words)
    return [-math.log(min(frequencies.get(w, least / 2), 1.0) or least / 2) for w in words]


async def term_weights(session: AsyncSession, words: Sequence[str]) -> list[float]:
    """The weight of each query word among the stored names (one small read of the planner's statistics)."""
    rows = (await session.execute(_FREQUENCIES, {"words": list(words)})).mappings().all()
    least = next((float(r["least"]) for r in rows if r["least"] is not None), None)
    frequencies = {r["term"]: float(r["freq"]) for r in rows if r["term"] is not None}
    return weights_of(words, frequencies, least)
