"""Finding people and their cases: the analyst's case list (filters, FIN, name in any script, DOB of any
precision, ranked) and the person search other services make through `/internal/v1/people`."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from services.cases import domain, search_rules
from services.cases.db import people
from services.cases.db import search as queries
from shared import dob as dobs
from shared import names, policy
from shared.errors import Invalid
from shared.uow import UnitOfWork

# The type of each sort's key in a cursor: anything else is a cursor this API did not give out.
_KEY_TYPES: dict[str, type] = {"status": int, "assignee": str, "program": str}


def encode_cursor(row: Any, sort: search_rules.Sort = search_rules.DEFAULT_ORDER) -> str:
    """Where the next page starts: the last row's (sort key,) opening time and id, or its rank in a search."""
    at: dict[str, Any] = {"o": row["opened_at"].isoformat(), "i": str(row["id"])}
    if "rank" in row:
        at["r"] = row["rank"]
    elif sort.name != search_rules.DEFAULT_SORT:
        at["s"] = sort.name
        if sort.key in _KEY_TYPES:
            at["k"] = row["sort_key"]
    return base64.urlsafe_b64encode(json.dumps(at, separators=(",", ":")).encode()).decode()


def decode_cursor(
    cursor: str, *, ranked: bool, sort: search_rules.Sort = search_rules.DEFAULT_ORDER
) -> tuple[Any, ...]:
    """(opened_at, id), (key, opened_at, id) for a sort by a column, or (rank, opened_at, id) for a name or DOB
    search; a cursor of another kind of search or of another order is refused."""
    try:
        at = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key = (datetime.fromisoformat(at["o"]), uuid.UUID(at["i"]))
        if ("r" in at) != ranked:
            raise ValueError("a cursor from another search")
        if ranked:
            return (int(at["r"]), *key)
        if at.get("s", search_rules.DEFAULT_SORT) != sort.name:
            raise ValueError("a cursor of another order")
        if sort.key not in _KEY_TYPES:
            return key
        if not isinstance(at["k"], _KEY_TYPES[sort.key]):
            raise ValueError("a sort key of the wrong type")
        return (at["k"], *key)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
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


def _scoped(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters with a typed case id (whole or short) turned into the range of ids it stands for."""
    return {**filters, "case_ids": search_rules.case_id_range(filters["case"])} if filters.get("case") else filters


def _item(row: Any, ranked: bool, name: names.NameQuery | None, dob: str | None) -> dict[str, Any]:
    """A row of the list: the case, its FIN, its first encounter's name and its flags (and, in a name or DOB
    search, why it matched: from its best-matching encounter, whose names the row also carries)."""
    item = {
        **row,
        "last_name": row["listed_last_name"],
        "first_name": row["listed_first_name"],
        "flags": sorted(row["flags"] or []),
    }
    if ranked:
        item["match"] = _why(row, name, dob)
    return item


async def list_cases(
    *,
    uow: UnitOfWork,
    filters: dict[str, Any],
    cursor: str | None,
    limit: int,
    sort: str | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """Cases by their own fields and their subject's FIN, name (any script) and DOB (any precision), ranked;
    without a name or DOB, in the order asked for, a page at a cursor or an offset."""
    name, dob = _name_and_dob(filters)
    ranked = name is not None or dob is not None
    if ranked and sort is not None:
        raise Invalid("sort: a name or DOB search is listed best match first; leave sort out")
    if ranked and offset:
        raise Invalid("offset: a name or DOB search pages by cursor only")
    if cursor and offset:
        raise Invalid("offset: page by cursor or by offset, not both")
    order = search_rules.parse_sort(sort)
    after = decode_cursor(cursor, ranked=ranked, sort=order) if cursor else None
    scoped = _scoped(filters)
    async with uow:
        rows = await queries.list_cases(
            uow.session,
            filters=scoped,
            name=name,
            dob=dob,
            after=after,
            limit=limit + 1,
            programs=policy.visible_programs(),
            sort=order,
            offset=offset,
            # The statement that answers (a page, a search's ranked page) writes the call's audit entry too, in the
            # same round trip; a broad search's tiers leave it to the middleware.
            claim_audit=uow.audited_read if uow.read_only else None,
        )
    items = [_item(r, ranked, name, dob) for r in rows[:limit]]
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1], order) if len(rows) > limit else None}


async def count_cases(*, uow: UnitOfWork, filters: dict[str, Any]) -> int:
    """The exact size of a queue, asked for apart from its pages so that a page is never held up by counting."""
    name, dob = _name_and_dob(filters)
    scoped = _scoped(filters)
    async with uow:
        return await queries.count_cases(
            uow.session,
            filters=scoped,
            name=name,
            dob=dob,
            programs=policy.visible_programs(),
            audit_entry=uow.audited_read() if uow.read_only else None,
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
        rows = await people.search_people(uow.session, name=query, dob=dob, document=document, fin=fin, limit=limit)
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
        "documents": [row[f] for f in people.DOCUMENT_FIELDS if row[f]],
        "program": row["program"],
        "data_owner": row["data_owner"],
        "imported_at": row["imported_at"],
        "match": domain.explain_match(query, stored, dob, row["dob"]),
    }
