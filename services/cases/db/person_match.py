"""The rules of shared.names and shared.dob as SQL: which rows match and their rank, computed in PostgreSQL.

The encounters keep the name columns of `shared.names.keys` (`name_search`, `name_key`, `name_terms`) with GIN
indexes: array ops on the terms (own-script words, Latin words, skeletons), trigrams on the key (parts of
words). Only the page a caller gets back is explained in Python (`domain.explain_match`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, Float, Table, Text, and_, any_, bindparam, case, false, literal, not_, or_
from sqlalchemy.dialects.postgresql import ARRAY

from shared import dob as dobs
from shared import names


@dataclass(frozen=True)
class NameColumns:
    key: Any
    terms: Any

    @classmethod
    def of(cls, table: Table) -> NameColumns:
        c = table.c
        return cls(c.name_key, c.name_terms)


@dataclass(frozen=True)
class Shape:
    """What decides a search's SQL; the searched words and DOB are its parameters (`params_of`), so one statement
    built per shape serves every search of that shape. `words`: per query word, whether it is long enough to be
    looked up inside stored words (None: no name); `own`: whether the query has own-script words for the exact
    rule; `dob`: None without a DOB, else whether coarser DOBs are looked up too."""

    words: tuple[bool, ...] | None
    own: bool
    dob: bool | None


def shape_of(name: names.NameQuery | None, dob: str | None) -> Shape | None:
    """The shape of a search by name and DOB; None when neither is searched."""
    if name is None and not dob:
        return None
    words = tuple(len(w) >= names.MIN_PARTIAL for w in name.latin) if name is not None else None
    return Shape(words, bool(name and name.own), bool(dobs.coarser(dob)) if dob else None)


def params_of(name: names.NameQuery | None, dob: str | None) -> dict[str, Any]:
    """The values of a search's parameters, by the names `person_match` gives them."""
    out: dict[str, Any] = {}
    if name is not None:
        out["m_latin"] = list(name.latin)
        if name.own:
            out["m_own"] = name.own_terms()
        for i, word in enumerate(name.latin):
            out[f"m_word_{i}"] = word
            for rule in names.WHOLE_WORD_RULES:
                out[f"m_terms_{i}_{rule}"] = name.terms(i, rule)
    if dob:
        out["m_dob"] = dob
        if coarser := dobs.coarser(dob):
            out["m_coarser"] = list(coarser)
    return out


class _Params:
    """The named parameters of a match: with values (a match built for one search), or required and bound at
    execution (a statement kept per shape: a run that forgot one fails instead of reusing another search's)."""

    def __init__(self, values: dict[str, Any] | None) -> None:
        self.values = values

    def __call__(self, key: str, type_: Any) -> Any:
        if self.values is None:
            return bindparam(key, type_=type_, required=True)
        return bindparam(key, self.values[key], type_=type_)

    def terms(self, key: str) -> Any:
        return self(key, ARRAY(Text))


def _has(column: Any, values: Any) -> ColumnElement[bool]:
    """`column @> $1`: every value is an element (answered by the column's GIN index)."""
    return column.op("@>")(values)


def _any(column: Any, values: Any) -> ColumnElement[bool]:
    """`column && $1`: some value is an element."""
    return column.op("&&")(values)


@dataclass(frozen=True)
class Match:
    """A search as SQL: `where` selects every matching row, `rank` orders them (name rank * 10 + DOB rank), and
    `tiers` are the same rows split by rank, each condition answerable from an index on its own, in order.
    `params` holds the values of its named parameters (`params_of`); empty for a match built from a shape only."""

    where: ColumnElement[bool]
    rank: ColumnElement[int]
    tiers: tuple[tuple[int, ColumnElement[bool]], ...]
    # Within one rank, lower first: how much of the query's weight matched only by weaker rules (`weighted`).
    weak_weight: Any = None
    params: dict[str, Any] = field(default_factory=dict)


def weighted(cols: NameColumns, words: int, weights: Sequence[float], p: _Params) -> ColumnElement[float]:
    """Token weighting: the sum over query words of the word's weight times how far its best rule is from a
    whole Latin word (0 for "latin words", up to 4 for "part of a word"). Two records of the same rank then
    order by which words they matched well: the one matching the rare surname exactly and the common given
    name phonetically comes before the one matching the given name exactly and the surname phonetically."""
    total: Any = literal(0.0, Float)
    for i, weight in zip(range(words), weights, strict=False):
        steps = [
            (_any(cols.terms, p.terms(f"m_terms_{i}_{rule}")), rule - names.LATIN) for rule in names.WHOLE_WORD_RULES
        ]
        total = total + weight * case(*steps, else_=names.PARTIAL - names.LATIN)
    return total


def name_match(
    cols: NameColumns, shape: Shape, weights: Sequence[float] | None = None, p: _Params | None = None
) -> Match:
    """Rows whose names match every word of the query by some rule; the rank is the weakest rule a word needed
    (names.RULES: 0 exact, 1 Latin words, 2 consonants, 3 same name, 4 sounds alike, 5 part of a word)."""
    p = p or _Params(None)
    assert shape.words is not None
    words = range(len(shape.words))
    # up_to[rule]: every query word matches a stored term by that rule or a better one.
    up_to = {
        rule: and_(*(_any(cols.terms, p.terms(f"m_terms_{i}_{rule}")) for i in words))
        for rule in names.WHOLE_WORD_RULES
    }
    # All Latin words as one `@>`: one element lookup the planner estimates from its statistics.
    up_to[names.LATIN] = _has(cols.terms, p.terms("m_latin"))
    by_word = []  # each word whole by any rule, or (3+ letters) inside the key
    for i, partial in enumerate(shape.words):
        whole = _any(cols.terms, p.terms(f"m_terms_{i}_{names.PHONETIC}"))
        by_word.append(or_(whole, cols.key.contains(p(f"m_word_{i}", Text()))) if partial else whole)
    # Words as written are whole Latin words too (transliteration goes character by character), so the exact
    # tier needs no Latin condition.
    exact = _has(cols.terms, p.terms("m_own")) if shape.own else false()
    rules = names.WHOLE_WORD_RULES
    rank = case((exact, names.EXACT), *((up_to[rule], rule) for rule in rules), else_=names.PARTIAL)
    tiers = (
        (names.EXACT, exact),
        (names.LATIN, and_(up_to[names.LATIN], not_(exact))),
        *((rule, and_(up_to[rule], not_(up_to[weaker]))) for weaker, rule in itertools.pairwise(rules)),
        (names.PARTIAL, and_(*by_word, not_(up_to[rules[-1]]))),
    )
    return Match(and_(*by_word), rank, tiers, weighted(cols, len(shape.words), weights, p) if weights else None)


def dob_match(column: Any, coarser: bool, p: _Params | None = None) -> Match:
    """Stored DOBs that agree with the query as far as the less precise goes; rank 0 for the same text, else 1."""
    p = p or _Params(None)
    query = p("m_dob", column.type)
    matches = column.startswith(query)
    if coarser:
        matches = or_(matches, column == any_(p("m_coarser", ARRAY(Text))))
    return Match(
        matches,
        case((column == query, dobs.EXACT), else_=dobs.PARTIAL),
        ((dobs.EXACT, column == query), (dobs.PARTIAL, and_(matches, column != query))),
    )


def match_of(
    name_cols: NameColumns,
    dob_column: Any,
    shape: Shape,
    weights: Sequence[float] | None = None,
    values: dict[str, Any] | None = None,
) -> Match:
    """Name and DOB together: ranked by the name first, the DOB next. Built from the search's shape with its
    parameters unbound (bind `params_of` at execution), or with `values` bound in."""
    p = _Params(values)
    by_name = name_match(name_cols, shape, weights, p) if shape.words is not None else None
    by_dob = dob_match(dob_column, shape.dob, p) if shape.dob is not None else None
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


def person_match(
    name_cols: NameColumns,
    dob_column: Any,
    name: names.NameQuery | None,
    dob: str | None,
    weights: Sequence[float] | None = None,
) -> Match | None:
    """One search's match, its values bound in (`params` holds them too); None when neither name nor DOB is
    searched. With the query words' `weights`, `weak_weight` orders the rows of one rank."""
    shape = shape_of(name, dob)
    if shape is None:
        return None
    values = params_of(name, dob)
    return replace(match_of(name_cols, dob_column, shape, weights, values), params=values)
