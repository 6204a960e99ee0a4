"""Token weighting: a rare word weighs more than a common one, from the stored names' statistics."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from services.cases.db import name_weights, person_match
from services.cases.db.tables import encounters
from shared import names


def test_a_rare_surname_weighs_more_than_a_common_given_name() -> None:
    common, rare, unlisted = name_weights.weights_of(
        ["mohammed", "najjar", "zzyzx"], {"mohammed": 0.2, "najjar": 0.001}, 0.0005
    )
    assert common < rare < unlisted


def test_without_statistics_every_word_weighs_the_same() -> None:
    assert name_weights.weights_of(["a", "b"], {}, None) == [1.0, 1.0]


def test_the_weight_orders_rows_within_a_rank_only() -> None:
    query = names.NameQuery.parse("mohammed najjar")
    assert query is not None
    match = person_match.person_match(
        person_match.NameColumns.of(encounters), encounters.c.dob, query, None, [1.6, 6.9]
    )
    assert match is not None and match.weak_weight is not None
    sql = str(match.weak_weight.compile(dialect=postgresql.dialect()))
    assert sql.count("CASE") == 2  # one per query word: the rule its best term matched by, times its weight
    unweighted = person_match.person_match(person_match.NameColumns.of(encounters), encounters.c.dob, query, None)
    assert unweighted is not None and unweighted.weak_weight is None
    assert str(match.rank.compile(dialect=postgresql.dialect())) == str(
        unweighted.rank.compile(dialect=postgresql.dialect())
    )
