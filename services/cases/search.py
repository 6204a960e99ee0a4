"""Finding people and their cases: the analyst's case list (filters, FIN, name in any script, DOB of any
precision, ranked) and the person search other services make through `/internal/v1/people`."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from services.cases import domain
from services.cases.db import search as queries
from shared import dob as dobs
from shared import names, policy
from shared.errors import Invalid
from shared.uow import UnitOfWork


def encode_cursor(row: Any) -> str:
    rank = f"|{row['rank']}" if "rank" in row else ""
    return base64.urlsafe_b64encode(f"{row['opened_at'].isoformat()}|{row['id']}{rank}".encode()).decode()


def decode_cursor(cursor: str, *, ranked: bool) -> tuple[Any, ...]:
    """(opened_at, id), or (rank, opened_at, id) for a name or DOB search; a cursor of the other kind is refused."""
    try:
        opened, case_id, *rank = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if len(rank) != (1 if ranked else 0):
            raise ValueError("a cursor from another search")
        key = (datetime.fromisoformat(opened), uuid.UUID(case_id))
        return (int(rank[0]), *key) if ranked else key
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("the cursor is not one this API gave out") from exc


def _name_and_dob(filters: dict[str, Any]) -> tuple[names.NameQuery | None, str | None]:
    """The name and DOB searched for, parsed; a name without a letter or digit, a malformed DOB or an unknown
    flag is refused."""
    if filters.get("flag"):
        domain.check_flag_name(filters["flag"])
    name, dob = filters.get("name"), filters.get("dob")
    query = names.NameQuery.parse(name) if name else None
    if name and query is None:
        raise Invalid("a name to search for needs at least one letter or digit")
    return query, dobs.check_query(dob) if dob else None


def _why(row: Any, name: names.NameQuery | None, dob: str | None) -> dict[str, Any] | None:
    return domain.explain_match(name, {f: row.get(f) for f in names.FIELDS}, dob, row.get("dob"))


async def list_cases(*, uow: UnitOfWork, filters: dict[str, Any], cursor: str | None, limit: int) -> dict[str, Any]:
    """Cases by their own fields and their subject's FIN, name (any script) and DOB (any precision), ranked."""
    name, dob = _name_and_dob(filters)
    ranked = name is not None or dob is not None
    after = decode_cursor(cursor, ranked=ranked) if cursor else None
    async with uow:
        rows = await queries.list_cases(
            uow.session,
            filters=filters,
            name=name,
            dob=dob,
            after=after,
            limit=limit + 1,
            programs=policy.visible_programs(),
        )
    items = [{**r, "match": _why(r, name, dob)} if ranked else dict(r) for r in rows[:limit]]
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1]) if len(rows) > limit else None}


async def count_cases(*, uow: UnitOfWork, filters: dict[str, Any]) -> int:
    """The exact size of a queue, asked for apart from its pages so that a page is never held up by counting."""
    name, dob = _name_and_dob(filters)
    async with uow:
        return await queries.count_cases(
            uow.session, filters=filters, name=name, dob=dob, programs=policy.visible_programs()
        )


async def search_people(
    *, uow: UnitOfWork, name: str | None, dob: str | None, document: str | None, fin: str | None, limit: int
) -> list[dict[str, Any]]:
    """Encounters of every program that may be about a person (name in any script, DOB of any precision,
    document, FIN), ranked as the case list ranks them, each with its names by field and why it matched."""
    query, dob = _name_and_dob({"name": name, "dob": dob})
    if query is None and not dob and not document and not fin:
        raise Invalid("search by name, DOB, document or FIN")
    async with uow:
        rows = await queries.search_people(uow.session, name=query, dob=dob, document=document, fin=fin, limit=limit)
    return [_person(r, query, dob) for r in rows]


def _person(row: Any, query: names.NameQuery | None, dob: str | None) -> dict[str, Any]:
    stored = {f: row[f] for f in names.FIELDS}
    return {
        "encounter_id": row["encounter_id"],
        "subject_id": row["subject_id"],
        "subject_key": row["subject_key"],
        "fin": row["fin"],
        "name_search": row["name_search"],
        "names": {**stored, "aliases": list(stored.get("aliases") or [])},
        "dob": row["dob"],
        "dob_precision": dobs.precision(row["dob"]),
        "documents": [row[f] for f in queries.DOCUMENT_FIELDS if row[f]],
        "program": row["program"],
        "data_owner": row["data_owner"],
        "imported_at": row["imported_at"],
        "match": domain.explain_match(query, stored, dob, row["dob"]),
    }
