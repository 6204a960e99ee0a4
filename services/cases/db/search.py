"""Queries that find cases: the ranked case list (cases by their fields, FIN, name and DOB), ranked by the rules of
`person_match` as the person search of the internal API (`db.people`) is."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    Table,
    Uuid,
    any_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.cases.db import person_match
from services.cases.db.tables import case_encounters, cases, encounters, flags, metadata, subjects
from services.cases.search_rules import DEFAULT_ORDER, STATUS_ORDER, Sort
from shared.audit import entry_cte
from shared.names import NameQuery

# A name or DOB search ranks every matching encounter at once when there are at most this many; a broader one
# (a common name, a year) pages tier by tier, each tier walked in opening order and stopped at the page.
RANK_ALL_UP_TO = 1000
audit_trail = metadata.tables["audit_trail"]


# The case columns the queue filters on by equality; the flag, the batch and a case id range are filters too.
_COLUMNS = ("status", "program", "partner_country", "assignee", "partner_transaction_number", "subject_id")


def _given(filters: dict[str, Any]) -> tuple[str, ...]:
    """Which filters a call uses: with the visibility rule, the sort and the page's position this decides the
    statement's shape; their values are its parameters."""
    keys = [k for k in _COLUMNS if filters.get(k) is not None]
    if filters.get("flag"):
        keys.append("flag")
    if filters.get("batch_id") is not None:
        keys.append("batch_id")
    if filters.get("case_ids"):
        keys.append("case_ids")
    return tuple(keys)


def _filter_params(filters: dict[str, Any], programs: frozenset[str] | None) -> dict[str, Any]:
    """The values of `_filtered_cases`'s parameters for these filters, by parameter name."""
    params = {f"q_{k}": filters[k] for k in _given(filters) if k != "case_ids"}
    if filters.get("case_ids"):
        params["q_case_low"], params["q_case_high"] = filters["case_ids"]
    if programs is not None:
        params["q_programs"] = sorted(programs)
    return params


def _param(name: str, type_: Any) -> Any:
    """A named parameter without a value: a statement built with it can be kept and run with each call's values,
    and one run without a value for it fails instead of reusing another call's."""
    return bindparam(f"q_{name}", type_=type_, required=True)


def _filtered_cases(given: tuple[str, ...], programs: bool) -> Any:
    """Cases matching the filters `given` (their values are bound at execution: `_filter_params`); with
    `programs`, only cases of the programs the caller may see."""
    c = cases.c
    stmt = select(cases)
    if programs:
        stmt = stmt.where(c.program == any_(_param("programs", ARRAY(c.program.type))))
    for column in _COLUMNS:
        if column in given:
            stmt = stmt.where(c[column] == _param(column, c[column].type))
    if "flag" in given:
        stmt = stmt.where(_flagged(_param("flag", flags.c.flag.type)))
    if "batch_id" in given:
        stmt = stmt.where(_from_batch(_param("batch_id", encounters.c.batch_id.type)))
    if "case_ids" in given:
        stmt = stmt.where(c.id.between(_param("case_low", c.id.type), _param("case_high", c.id.type)))
    return stmt


def _flag_on() -> Any:
    """A stored flag marks its encounter (domain.flag_is_on: not cleared, a protected class named)."""
    f = flags.c
    named = or_(f.flag != "protected-class", f.value["class"].astext.is_not(None))
    return f.value["set"].as_boolean().is_distinct_from(false()) & named


def _flagged(flag: Any) -> Any:
    """The case has an encounter with the flag on."""
    f, ce = flags.c, case_encounters.c
    return exists(select(literal(1)).select_from(flags.join(case_encounters, ce.encounter_id == f.encounter_id))).where(
        ce.case_id == cases.c.id, f.flag == flag, _flag_on()
    )


def _from_batch(batch_id: Any) -> Any:
    """The case has an encounter that batch imported ("open its cases" after an import)."""
    e, ce = encounters.c, case_encounters.c
    joined = case_encounters.join(encounters, e.id == ce.encounter_id)
    return exists(select(literal(1)).select_from(joined)).where(ce.case_id == cases.c.id, e.batch_id == batch_id)


def _sort_key(key: str) -> Any | None:
    """The column a sort orders by before (opened_at, id); none for `opened`. Statuses in workflow order, the
    unassigned before any assignee."""
    c = cases.c
    if key == "status":
        return case(STATUS_ORDER, value=c.status, else_=len(STATUS_ORDER))
    if key == "assignee":
        return func.coalesce(c.assignee, "")
    if key == "program":
        return c.program
    return None


async def _listed(session: AsyncSession, page: Select[Any], order: list[str], descending: bool = False) -> list[Any]:
    return list((await session.execute(_listing(page, order, descending))).mappings().all())


def _listing(page: Select[Any], order: list[str], descending: bool = False) -> Select[Any]:
    """A page of cases (already ordered and limited) with what the queue shows beside each case's own fields:
    its subject's FIN, the name on its first encounter and the flags on any of its encounters. One statement,
    and the joins run for the page's rows only, never for every case the filters find."""
    p = page.subquery("page").c
    e, ce, f = encounters.c, case_encounters.c, flags.c
    first = (
        select(e.fin, e.last_name.label("listed_last_name"), e.first_name.label("listed_first_name"))
        .select_from(case_encounters.join(encounters, e.id == ce.encounter_id))
        .where(ce.case_id == p.id)
        .order_by(e.imported_at, e.row_number, e.id)
        .limit(1)
        .lateral("first_encounter")
    )
    subject_fin = select(subjects.c.fin).where(subjects.c.id == p.subject_id).scalar_subquery()
    flags_on = (
        select(func.array_agg(f.flag.distinct()))
        .select_from(flags.join(case_encounters, ce.encounter_id == f.encounter_id))
        .where(ce.case_id == p.id, _flag_on())
        .scalar_subquery()
    )
    return (
        select(
            *p,
            func.coalesce(subject_fin, first.c.fin).label("fin"),
            first.c.listed_last_name,
            first.c.listed_first_name,
            flags_on.label("flags"),
        )
        .outerjoin(first, true())
        .order_by(*(p[name].desc() if descending else p[name] for name in order))
    )


def _match(table: Table, name: NameQuery | None, dob: str | None) -> person_match.Match | None:
    return person_match.person_match(person_match.NameColumns.of(table), table.c.dob, name, dob)


def same_fin(table: Any, fin: str | None) -> list[Any]:
    return [table.c.fin == fin] if fin else []


def names_of(table: Any) -> list[Any]:
    """The columns a match is explained from."""
    e = table.c
    return [
        e.last_name,
        e.first_name,
        e.fields["middle_name"].astext.label("middle_name"),
        e.fields["aliases"].label("aliases"),
        e.dob,
    ]


async def list_cases(
    session: AsyncSession,
    *,
    filters: dict[str, Any],
    name: NameQuery | None = None,
    dob: str | None = None,
    after: tuple[Any, ...] | None,
    limit: int,
    programs: frozenset[str] | None = None,
    sort: Sort = DEFAULT_ORDER,
    offset: int = 0,
    claim_audit: Callable[[], dict[str, Any] | None] | None = None,
) -> list[Any]:
    """Keyset pages ordered by (sort key, opened_at, id), all ascending or all descending: inserts while paging
    never shift or repeat a row (`offset` serves page numbers). A name or DOB search orders by (rank,
    opened_at, id), each case with its best-matching encounter's names and DOB. The statement that answers
    (an unranked page, or a search's ranked page) writes the call's audit entry itself when `claim_audit` gives
    one (`UnitOfWork.audited_read`: it is claimed only for a statement that writes it)."""
    fin = filters.get("fin") or None  # a blank FIN is no filter, as in the count
    params = {**_filter_params(filters, programs), "q_limit": limit}
    if fin is not None:
        params["q_fin"] = fin
    if after is not None:
        params.update({f"q_after_{i}": value for i, value in enumerate(after)})
    shape = person_match.shape_of(name, dob)
    if shape is not None:
        ranked = _Ranked(_given(filters), programs is not None, fin is not None, shape)
        rows = await _rank_all(
            session, ranked, after is not None, params | person_match.params_of(name, dob), claim_audit
        )
        if rows is None:
            match = _match(encounters, name, dob)
            assert match is not None
            stmt = _filtered_cases(ranked.given, ranked.programs).params(_filter_params(filters, programs))
            rows = await _tier_by_tier(session, stmt, match, fin, after, limit, name, dob)
        return rows
    entry = claim_audit() if claim_audit is not None else None
    shape_of_page = (_given(filters), programs is not None, fin is not None, sort, after is not None, bool(offset))
    page = _page(*shape_of_page, audited=entry is not None)
    if offset:
        params["q_offset"] = offset
    return list((await session.execute(page, params | (entry or {}))).mappings().all())


@functools.lru_cache(maxsize=1024)
def _page(
    given: tuple[str, ...], programs: bool, fin: bool, sort: Sort, after: bool, offset: bool, *, audited: bool
) -> Select[Any]:
    """The statement of an unranked page, built once per shape and kept: building it (subqueries, a lateral join,
    their column collections) cost more CPU than PostgreSQL spends answering it. Every value is a parameter;
    `audited`, it also writes the call's audit entry."""
    c = cases.c
    stmt = _filtered_cases(given, programs)
    if fin:
        matching = (
            select(case_encounters.c.case_id)
            .join(encounters, encounters.c.id == case_encounters.c.encounter_id)
            .where(encounters.c.fin == _param("fin", encounters.c.fin.type))
        )
        stmt = stmt.where(c.id.in_(matching))
    key = _sort_key(sort.key)
    order = [c.opened_at, c.id] if key is None else [key, c.opened_at, c.id]
    if key is not None:
        stmt = stmt.add_columns(key.label("sort_key"))
    if after:
        bound = [_param(f"after_{i}", o.type) for i, o in enumerate(order)]
        position = tuple_(*order)
        stmt = stmt.where(position < tuple_(*bound) if sort.descending else position > tuple_(*bound))
    stmt = stmt.order_by(*(o.desc() if sort.descending else o for o in order)).limit(_param("limit", Integer()))
    if offset:
        stmt = stmt.offset(_param("offset", Integer()))
    names = ["opened_at", "id"] if key is None else ["sort_key", "opened_at", "id"]
    listing = _listing(stmt, names, sort.descending)
    return listing.add_cte(entry_cte(audit_trail)) if audited else listing


async def count_cases(
    session: AsyncSession,
    *,
    filters: dict[str, Any],
    name: NameQuery | None = None,
    dob: str | None = None,
    programs: frozenset[str] | None = None,
    audit_entry: dict[str, Any] | None = None,
) -> int:
    """How many cases `list_cases` pages through for the same filters (every rank of a search counted), in one
    statement that also writes `audit_entry` when given."""
    c, ce = cases.c, case_encounters.c
    stmt = _filtered_cases(_given(filters), programs is not None)
    person = same_fin(encounters, filters.get("fin"))
    match = _match(encounters, name, dob)
    conditions = person + ([match.where] if match is not None else [])
    if conditions:
        matching = select(ce.case_id).join(encounters, encounters.c.id == ce.encounter_id).where(*conditions)
        stmt = stmt.where(c.id.in_(matching))
    counted = select(func.count()).select_from(stmt.with_only_columns(c.id).subquery())
    if audit_entry is not None:
        counted = counted.add_cte(entry_cte(audit_trail))
    params = {**_filter_params(filters, programs), **(audit_entry or {})}
    return int(await session.scalar(counted, params) or 0)


@dataclass(frozen=True)
class _Ranked:
    """What decides a ranked search's statements: the filters used, the visibility rule, a FIN, the match's shape."""

    given: tuple[str, ...]
    programs: bool
    fin: bool
    match: person_match.Shape


async def _rank_all(
    session: AsyncSession,
    ranked: _Ranked,
    after: bool,
    params: dict[str, Any],
    claim_audit: Callable[[], dict[str, Any] | None] | None,
) -> list[Any] | None:
    """Every matching encounter ranked in one statement; None when there are more than RANK_ALL_UP_TO. Both
    statements are kept per shape (`_matching_ids`, `_ranked_page`): building them cost cases more CPU than
    PostgreSQL spends answering them. The page writes the call's audit entry when `claim_audit` gives one."""
    ids = list((await session.scalars(_matching_ids(ranked.match, ranked.fin), params)).all())
    if len(ids) > RANK_ALL_UP_TO:
        return None
    if not ids:
        return []
    entry = claim_audit() if claim_audit is not None else None
    page = _ranked_page(ranked, after, audited=entry is not None)
    return list((await session.execute(page, params | {"q_ids": ids} | (entry or {}))).mappings().all())


@functools.lru_cache(maxsize=256)
def _matching_ids(shape: person_match.Shape, fin: bool) -> Select[Any]:
    """The ids of up to RANK_ALL_UP_TO + 1 matching encounters, read first: with the match inside the ranked
    statement the planner saw only the limit (1,001 rows) and hash-joined every case and case link (a 49 ms seq
    scan where the page costs 1 ms) once more terms per row thinned the terms' statistics; an id list it
    estimates by its length."""
    e = encounters.c
    match = person_match.match_of(person_match.NameColumns.of(encounters), e.dob, shape)
    person = [e.fin == _param("fin", e.fin.type)] if fin else []
    return select(e.id).where(match.where, *person).limit(RANK_ALL_UP_TO + 1)


@functools.lru_cache(maxsize=1024)
def _ranked_page(ranked: _Ranked, after: bool, *, audited: bool) -> Select[Any]:
    """The ranked page of the encounters `q_ids`: each case's best one, in (rank, opened_at, id) order."""
    c, e, ce = cases.c, encounters.c, case_encounters.c
    match = person_match.match_of(person_match.NameColumns.of(encounters), e.dob, ranked.match)
    found = (
        select(e.id, match.rank.label("rank"), *names_of(encounters))
        .where(e.id == any_(_param("ids", ARRAY(Uuid))))
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    f = found.c
    best = (
        select(ce.case_id, f.rank, f.last_name, f.first_name, f.middle_name, f.aliases, f.dob)
        .join(found, f.id == ce.encounter_id)
        .distinct(ce.case_id)
        .order_by(ce.case_id, f.rank)
        .subquery()
    )
    h = best.c
    stmt = (
        _filtered_cases(ranked.given, ranked.programs)
        .add_columns(h.rank, h.last_name, h.first_name, h.middle_name, h.aliases, h.dob)
        .join(best, h.case_id == c.id)
    )
    if after:
        bound = [_param(f"after_{i}", t) for i, t in enumerate((Integer(), c.opened_at.type, c.id.type))]
        stmt = stmt.where(tuple_(h.rank, c.opened_at, c.id) > tuple_(*bound))
    page = stmt.order_by(h.rank, c.opened_at, c.id).limit(_param("limit", Integer()))
    listing = _listing(page, ["rank", "opened_at", "id"])
    return listing.add_cte(entry_cte(audit_trail)) if audited else listing


async def _tier_by_tier(
    session: AsyncSession,
    stmt: Any,
    match: person_match.Match,
    fin: str | None,
    after: Any,
    limit: int,
    name: NameQuery | None,
    dob: str | None,
) -> list[Any]:
    """A broad search: each rank in turn, like an unranked search (cases in opening order, stopped at the
    page), leaving out cases that have an encounter of a better rank; then the page's best encounters."""
    c, ce = cases.c, case_encounters.c
    other = encounters.alias("better")
    other_match = _match(other, name, dob)
    assert other_match is not None
    person = same_fin(encounters, fin)
    rows: list[Any] = []
    for i, (rank, tier) in enumerate(match.tiers):
        if len(rows) >= limit or (after is not None and rank < after[0]):
            continue
        in_tier = select(ce.case_id).join(encounters, encounters.c.id == ce.encounter_id).where(tier, *person)
        page = stmt.add_columns(literal(rank).label("rank")).where(c.id.in_(in_tier))
        better = [cond for _, cond in other_match.tiers[:i]]
        if better:
            page = page.where(
                ~exists(
                    select(1)
                    .select_from(case_encounters.join(other, other.c.id == ce.encounter_id))
                    .where(ce.case_id == c.id, or_(*better), *same_fin(other, fin))
                )
            )
        if after is not None and rank == after[0]:
            page = page.where(tuple_(c.opened_at, c.id) > tuple_(*after[1:]))
        page = page.order_by(c.opened_at, c.id).limit(limit - len(rows))
        rows += await _listed(session, page, ["opened_at", "id"])
    if not rows:
        return []
    e = encounters.c
    best = (
        select(ce.case_id, *names_of(encounters))
        .join(encounters, e.id == ce.encounter_id)
        .where(ce.case_id.in_([r["id"] for r in rows]), match.where, *person)
        .distinct(ce.case_id)
        .order_by(ce.case_id, match.rank)
    )
    by_case = {r["case_id"]: r for r in (await session.execute(best)).mappings().all()}
    return [{**r, **{k: v for k, v in by_case.get(r["id"], {}).items() if k != "case_id"}} for r in rows]
