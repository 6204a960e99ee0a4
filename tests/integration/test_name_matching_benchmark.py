"""The name-matching benchmark runs in CI on its small set: it fails the build only if it cannot run, never on a
figure (the figures are printed; docs/performance.md keeps the full set's)."""

from __future__ import annotations

import asyncio

from benchmarks import name_matching


def test_the_name_matching_benchmark_runs_on_the_small_set(empty_database: str) -> None:
    asyncio.run(name_matching.prepare(empty_database))
    records = name_matching.load_set(name_matching.SETS["small"])
    figures = asyncio.run(name_matching.evaluate(empty_database, records))
    print(name_matching.report(figures))
    people = [r for r in records if r["kind"] == "person"]
    # Every query was asked (a count, not a figure): the benchmark ran through the set.
    assert figures["all"].queries == sum(len(r["queries"]) for r in people)
    assert figures["all"].absent_queries == sum(r["kind"] == "absent" for r in records)
    assert {r["script"] for r in people} <= set(figures)
