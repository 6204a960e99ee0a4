"""The rules of shared.names and shared.dob as SQL: which rows match and their rank, computed in PostgreSQL.

The encounters keep the name columns of `shared.names.keys` (`name_search`, `name_key`, `name_terms`) with GIN
indexes: array ops on the terms (own-script words, Latin words, skeletons), trigrams on the key (parts of
words). Only the page a caller gets back is explained in Python (`domain.explain_match`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Table, Text, and_, bindparam, case, false, literal, not_, or_
from sqlalchemy.dialects.postgresql import ARRAY

from shared import dob as dobs
from shared import names
from shared.db import any_array


@dataclass(frozen=True)
class NameColumns:
    key: Any
    terms: Any

    @classmethod
    def of(cls, table: Table) -> NameColumns:
        c = table.c
        return cls(c.name_key, c.name_terms)


def _array(values: Sequence[str]) -> Any:
    return bindparam(None, list(values), type_=ARRAY(Text))


def _has(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column @> $1`: every value is an element (answered by the column's GIN index)."""
    return column.op("@>")(_array(values))


def _any(column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column && $1`: some value is an element."""
    return column.op("&&")(_array(values))


@dataclass(frozen=True)
class Match:
    """A search as SQL: `where` selects every matching row, `rank` orders them (name rank * 10 + DOB rank), and
    `tiers` are the same rows split by rank, each condition answerable from an index on its own, in order."""

    where: ColumnElement[bool]
    rank: ColumnElement[int]
    tiers: tuple[tuple[int, ColumnElement[bool]], ...]
    # Within one rank, lower first: how much of the query's weight matched only by weaker rules (`weighted`).
    weak_weight: Any = None


def weighted(cols: NameColumns, query: names.NameQuery, weights: Sequence[float]) -> ColumnElement[float]:
    """Token weighting: the sum over query words of the word's weight times how far its best rule is from a
    whole Latin word (0 for "latin words", up to 4 for "part of a word"). Two records of the same rank then
    order by which words they matched well: the one matching the rare surname exactly and the common given
    name phonetically comes before the one matching the given name exactly and the surname phonetically."""
    total: Any = literal(0.0, Float)
    for i, weight in enumerate(weights):
        steps = [(_any(cols.terms, query.terms(i, rule)), rule - names.LATIN) for rule in names.WHOLE_WORD_RULES]
        total = total + weight * case(*steps, else_=names.PARTIAL - names.LATIN)
    return total


def name_match(cols: NameColumns, query: names.NameQuery, weights: Sequence[float] | None = None) -> Match:
    """Rows whose names match every word of the query by some rule; the rank is the weakest rule a word needed
    (names.RULES: 0 exact, 1 Latin words, 2 consonants, 3 same name, 4 sounds alike, 5 part of a word)."""
    words = range(len(query.latin))
    # up_to[rule]: every query word matches a stored term by that rule or a better one.
    up_to = {rule: and_(*(_any(cols.terms, query.terms(i, rule)) for i in words)) for rule in names.WHOLE_WORD_RULES}
    # All Latin words as one `@>`: one element lookup the planner estimates from its statistics.
    up_to[names.LATIN] = _has(cols.terms, query.latin)
    by_word = []  # each word whole by any rule, or (3+ letters) inside the key
    for i, word in enumerate(query.latin):
        whole = _any(cols.terms, query.terms(i))
        by_word.append(or_(whole, cols.key.contains(word)) if len(word) >= names.MIN_PARTIAL else whole)
    # Words as written are whole Latin words too (transliteration goes character by character), so the exact
    # tier needs no Latin condition.
    exact = _has(cols.terms, query.own_terms()) if query.own else false()
    rules = names.WHOLE_WORD_RULES
    rank = case((exact, names.EXACT), *((up_to[rule], rule) for rule in rules), else_=names.PARTIAL)
    tiers = (
        (names.EXACT, exact),
        (names.LATIN, and_(up_to[names.LATIN], not_(exact))),
        *((rule, and_(up_to[rule], not_(up_to[weaker]))) for weaker, rule in itertools.pairwise(rules)),
        (names.PARTIAL, and_(*by_word, not_(up_to[rules[-1]]))),
    )
    return Match(and_(*by_word), rank, tiers, weighted(cols, query, weights) if weights else None)


def dob_match(column: Any, query: str) -> Match:
    """Stored DOBs that agree with the query as far as the less precise goes; rank 0 for the same text, else 1."""
    coarser = dobs.coarser(query)
    matches = column.startswith(query)
    if coarser:
        matches = or_(matches, column == any_array(coarser, Text))
    return Match(
        matches,
        case((column == query, dobs.EXACT), else_=dobs.PARTIAL),
        ((dobs.EXACT, column == query), (dobs.PARTIAL, and_(matches, column != query))),
    )


def person_match(
    name_cols: NameColumns,
    dob_column: Any,
    name: names.NameQuery | None,
    dob: str | None,
    weights: Sequence[float] | None = None,
) -> Match | None:
    """Name and DOB together: ranked by the name first, the DOB next; None when neither is searched. With the
    query words' `weights`, `weak_weight` orders the rows of one rank."""
    by_name = name_match(name_cols, name, weights) if name is not None else None
    by_dob = dob_match(dob_column, dob) if dob else None
    if by_name is None and by_dob is None:
        return None
    if by_name is None or by_dob is None:
        only = by_name or by_dob
        assert only is not None
        scale = 10 if by_name is not None else 1
        return Match(only.where, only.rank * scale, tuple((r * scale, c) for r, c in only.tiers), only.weak_weight)
    return Match(
        and_(by_name.where, by_dob.where),
        by_name.rank * 10 + by_dob.rank,
        tuple((n * 10 + d, and_(nc, dc)) for n, nc in by_name.tiers for d, dc in by_dob.tiers),
        by_name.weak_weight,
    )
