"""Name matching measured: recall@5 by name only, top-1 with the DOB, and false matches per 1,000 queries of absent
people, per script, on the evaluation set of benchmarks/name_eval (README.md there says how it was built).

Stores every person of the set as an encounter in a cases database (the keys `shared.names` makes at import),
then asks cases' person search (`services/cases/db/search.py`, the ranking the case list and redress's candidates
use) for each query. Figures only, never pass/fail.

    .venv/bin/python benchmarks/name_matching.py [--set small|full] [--misses]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from services.cases.db import people
from shared import names
from shared.db import create_engine, ensure_database, session_factory
from shared.migrations import upgrade

HERE = Path(__file__).parent
SETS = {"small": HERE / "name_eval" / "people-small.jsonl", "full": HERE / "name_eval" / "people.jsonl"}
MIGRATIONS = HERE.parent / "services" / "cases" / "migrations"
TOP = 5


@dataclass
class Figures:
    """Counts per script; the ratios are what the benchmark prints."""

    queries: int = 0
    found_in_top: int = 0
    dob_queries: int = 0
    dob_top_1: int = 0
    absent_queries: int = 0
    false_matches: int = 0
    misses: list[str] = field(default_factory=list)

    def recall(self) -> float:
        return self.found_in_top / self.queries if self.queries else 0.0

    def top_1(self) -> float:
        return self.dob_top_1 / self.dob_queries if self.dob_queries else 0.0

    def false_per_1000(self) -> float:
        return 1000 * self.false_matches / self.absent_queries if self.absent_queries else 0.0


def load_set(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def store(dsn: str, records: list[dict[str, Any]]) -> dict[uuid.UUID, str]:
    """Every person and namesake as one encounter (COPY), keyed as cases keys an import; encounter id -> record id."""
    conn = await asyncpg.connect(dsn)
    start, batch = datetime.now(UTC), uuid.uuid4()
    subjects, encounters, ids = [], [], {}
    for i, r in enumerate(x for x in records if x["kind"] != "absent"):
        sid, eid = uuid.uuid4(), uuid.uuid4()
        ids[eid] = r["id"]
        last, first = r["stored"]["last_name"], r["stored"]["first_name"]
        k = names.keys({"last_name": last, "first_name": first})
        fields = orjson.dumps({"last_name": last, "first_name": first, "dob": r["dob"]}).decode()
        subjects.append((sid, f"EVAL:{r['id']}"))
        at = start + timedelta(milliseconds=i)
        row = (eid, sid, batch, i + 2, "EVAL", "partner-query", last, first, r["dob"], k.search, k.key, k.terms)
        encounters.append((*row, fields, "{}", "{}", "bench", at))
    await conn.copy_records_to_table("subjects", records=subjects, columns=["id", "subject_key"])
    columns = ["id", "subject_id", "batch_id", "row_number", "program", "upload_kind", "last_name", "first_name"]
    columns += ["dob", "name_search", "name_key", "name_terms", "fields", "raw", "extra", "imported_by", "imported_at"]
    await conn.copy_records_to_table("encounters", records=encounters, columns=columns)
    await conn.execute("ANALYZE encounters")
    await conn.close()
    return ids


async def evaluate(database_url: str, records: list[dict[str, Any]]) -> dict[str, Figures]:
    """Figures per script (and "all") for a migrated, empty cases database at `database_url`."""
    ids = await store(search_dsn(database_url), records)
    engine = create_engine(database_url, pool_size=1)
    figures: dict[str, Figures] = defaultdict(Figures)
    try:
        async with session_factory(engine)() as session:

            async def top(text: str, dob: str | None) -> list[str]:
                rows = await people.search_people(
                    session, name=names.NameQuery.parse(text), dob=dob, document=None, fin=None, limit=TOP
                )
                return [ids[r["encounter_id"]] for r in rows]

            for r in records:
                if r["kind"] == "absent":
                    found = await top(r["query"], None)
                    for f in (figures[r["script"]], figures["all"]):
                        f.absent_queries += 1
                        f.false_matches += len(found)
                    continue
                if r["kind"] != "person":
                    continue
                for q in r["queries"]:
                    hit = r["id"] in await top(q["text"], None)
                    first = (await top(q["text"], r["dob"]))[:1] == [r["id"]]
                    for f in (figures[r["script"]], figures["all"]):
                        f.queries += 1
                        f.found_in_top += hit
                        f.dob_queries += 1
                        f.dob_top_1 += first
                    if not hit:
                        figures[r["script"]].misses.append(f"{q['convention']}: {q['text']!r} -> {r['stored']}")
    finally:
        await engine.dispose()
    return dict(figures)


def search_dsn(url: str) -> str:
    server, database = url.rsplit("/", 1)
    return server.replace("postgresql+asyncpg", "postgresql") + "/" + database


def report(figures: dict[str, Figures], misses: bool = False) -> str:
    lines = [
        f"{'script':<10} {'queries':>7} {'recall@5':>9} {'top-1 +DOB':>11} {'absent':>7} {'false /1000':>12}",
    ]
    for script in sorted(figures, key=lambda s: (s == "all", s)):
        f = figures[script]
        lines.append(
            f"{script:<10} {f.queries:>7} {100 * f.recall():>8.1f}% {100 * f.top_1():>10.1f}% "
            f"{f.absent_queries:>7} {f.false_per_1000():>12.1f}"
        )
        if misses:
            lines += [f"    missed {m}" for m in f.misses]
    return "\n".join(lines)


async def prepare(database_url: str) -> None:
    await ensure_database(database_url)
    await asyncio.to_thread(upgrade, database_url, MIGRATIONS)


def main() -> None:
    from tracs.infra import Postgres, free_port

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="full")
    parser.add_argument("--misses", action="store_true", help="list each query whose person was not in the top 5")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracs-names-"))
    pg = Postgres(work / "pg", free_port())
    pg.start()
    try:
        url = pg.url.rsplit("/", 1)[0] + "/tracs_names_eval"
        asyncio.run(prepare(url))
        records = load_set(SETS[args.set])
        print(f"{SETS[args.set].name}: {sum(r['kind'] == 'person' for r in records)} people")
        print(report(asyncio.run(evaluate(url, records)), misses=args.misses))
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
