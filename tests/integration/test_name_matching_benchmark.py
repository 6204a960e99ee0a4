"""The name-matching benchmark runs in CI on its small set and prints its figures (docs/performance.md keeps the
full set's). As issue 33 asks, it fails the build only on an error (the set cannot be read, a query raises, a
query goes unasked), never on a figure: figures are for people to read and trade; the unit tests per script and
per convention (tests/unit/shared/test_names*.py) are what hold a known spelling to its match."""

from __future__ import annotations

import asyncio

from benchmarks import name_matching


def test_the_name_matching_benchmark_runs_on_the_small_set_and_prints_its_figures(empty_database: str) -> None:
    asyncio.run(name_matching.prepare(empty_database))
    records = name_matching.load_set(name_matching.SETS["small"])
    figures = asyncio.run(name_matching.evaluate(empty_database, records))
    print(name_matching.report(figures, misses=True))
    people = [r for r in records if r["kind"] == "person"]
    # Every query was asked: the benchmark ran through the set.
    assert figures["all"].queries == sum(len(r["queries"]) for r in people)
    assert figures["all"].absent_queries == sum(r["kind"] == "absent" for r in records)
    assert {r["script"] for r in people} <= set(figures)
    # Whatever the figures are, a share outside [0, 1] or a negative count is a counting error (false matches count
    # the wrong people returned, so they may pass 1,000 per 1,000 queries).
    for figure in figures.values():
        assert 0.0 <= figure.recall() <= 1.0 and 0.0 <= figure.top_1() <= 1.0, name_matching.report(figures)
        assert figure.false_per_1000() >= 0.0, name_matching.report(figures)
