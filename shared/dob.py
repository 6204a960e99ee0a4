"""Dates of birth of any precision: "1980", "1980-05" or "1980-05-17" (ISO text, as intake stores them).

Plain Python. A query and a stored date match when they agree as far as the less precise of the two
goes: a year-only DOB matches a full-date query for that year, and a year query finds full dates.
"""

from __future__ import annotations

import re

from shared.errors import Invalid

PRECISIONS = {4: "year", 7: "month", 10: "day"}
_QUERY = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# rank of a DOB match (below the name's rank): the same date at the same precision, then the rest
EXACT, PARTIAL = 0, 1


def precision(value: str | None) -> str | None:
    """ "year", "month" or "day" from the ISO text's length; None when there is no date."""
    return PRECISIONS.get(len(value)) if value else None


def check_query(value: str) -> str:
    """A DOB query is YYYY, YYYY-MM or YYYY-MM-DD (422 otherwise)."""
    value = value.strip()
    if not _QUERY.fullmatch(value):
        raise Invalid("a date of birth to search for is YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def coarser(value: str) -> list[str]:
    """The same date at every lower precision: "1980-05-17" -> ["1980", "1980-05"]."""
    return [value[:n] for n in sorted(PRECISIONS) if n < len(value)]


def explain(query: str, stored: str | None) -> dict[str, str | None] | None:
    """How a stored DOB matches a query: exact (same date, same precision) or partial, with its precision."""
    if not stored:
        return None
    if stored == query:
        kind = "exact"
    elif stored.startswith(query) or stored in coarser(query):
        kind = "partial"
    else:
        return None
    return {"kind": kind, "value": stored, "precision": precision(stored)}
