"""DOSR benchmark: a year of reporting data at N encounters (default 10,000,000).

Fills reporting's own tables (counters and subject digests, as its consumer would have) from a synthetic
flat table of N encounters spread over a year, four programs and forty partners, then times the DOSR for
the whole year (reporting's handler, in process) against the same aggregate computed by one full-scan SQL
query over the flat table, and prints the ratio. Figures only, never pass/fail.

    .venv/bin/python benchmarks/reporting_dosr.py [--encounters 10000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from services.reporting import db as reporting_db
from services.reporting import handlers
from shared import migrations
from shared.db import create_engine, ensure_database, session_factory
from shared.uow import UnitOfWork
from tracs.infra import Postgres, free_port

START = date(2025, 1, 1)
DAYS = 365
PARTNERS = [
    "GBR", "GRC", "ITA", "ESP", "PRT", "DEU", "FRA", "NLD", "BEL", "AUT", "CHE", "POL", "CZE", "SVK", "HUN",
    "ROU", "BGR", "HRV", "SVN", "SRB", "ALB", "MKD", "MNE", "BIH", "KOS", "ISL", "NOR", "SWE", "FIN", "DNK",
    "EST", "LVA", "LTU", "IRL", "MLT", "CYP", "LUX", "AUS", "NZL", "CAN",
]  # fmt: skip

FLAT = f"""
CREATE UNLOGGED TABLE bench_encounters AS
SELECT date '{START.isoformat()}' + (i % {DAYS}) AS day,
       (ARRAY['UK-VISA', 'M5', 'PCSC', 'KST'])[1 + abs(hashint4(i)) % 4] AS program,
       (ARRAY[{", ".join(f"'{p}'" for p in PARTNERS)}])[1 + abs(hashint4(i + 7)) % {len(PARTNERS)}] AS partner,
       (i / 3)::bigint AS subject,
       abs(hashint4(i + 13)) % 10 < 7 AS matched
FROM generate_series(1, $1::int) AS i
"""

FILL = [
    """INSERT INTO daily_counts (day, program, partner, metric, value)
       SELECT day, program, partner, m.metric, m.value FROM (
         SELECT day, program, partner,
                count(*) FILTER (WHERE matched) AS matches,
                count(*) FILTER (WHERE NOT matched) AS no_matches,
                count(*) FILTER (WHERE matched AND program = 'KST') AS kst_matches,
                count(*) AS transactions
         FROM bench_encounters GROUP BY day, program, partner) g,
       LATERAL (VALUES ('matches', g.matches), ('no_matches', g.no_matches),
                       ('kst_matches', g.kst_matches), ('transactions', g.transactions)) AS m(metric, value)""",
    """INSERT INTO subject_days (day, program, partner, digest)
       SELECT DISTINCT day, program, partner, decode(md5(subject::text), 'hex') FROM bench_encounters""",
    """INSERT INTO daily_counts (day, program, partner, metric, value)
       SELECT day, program, partner, 'distinct_subjects', count(*) FROM subject_days
       GROUP BY day, program, partner""",
]

FULL_SCAN = """
SELECT day, program, partner,
       count(*) FILTER (WHERE matched) AS matches,
       count(*) FILTER (WHERE NOT matched) AS no_matches,
       count(*) FILTER (WHERE matched AND program = 'KST') AS kst_matches,
       count(*) AS transactions,
       count(DISTINCT subject) AS subjects
FROM bench_encounters WHERE day BETWEEN $1 AND $2
GROUP BY day, program, partner
"""


async def run(encounters: int, runs: int, root: Path) -> None:
    pg = Postgres(root / "postgres", free_port())
    pg.start()
    try:
        url = pg.url.rsplit("/", 1)[0] + "/bench_reporting"
        await ensure_database(url)
        await asyncio.to_thread(migrations.upgrade, url, Path(reporting_db.__file__).with_name("migrations"))
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
        t = time.perf_counter()
        await conn.execute(FLAT.replace("$1::int", str(int(encounters))))
        for statement in FILL:
            await conn.execute(statement)
        await conn.execute("ANALYZE")
        load = time.perf_counter() - t
        end = START + timedelta(days=DAYS - 1)
        scans = []
        for _ in range(runs):
            t = time.perf_counter()
            groups = await conn.fetch(FULL_SCAN, START, end)
            scans.append(time.perf_counter() - t)
        await conn.close()

        engine = create_engine(url, pool_size=2)
        reports = []
        for _ in range(runs):
            uow = UnitOfWork(session_factory(engine), reporting_db.outbox, producer="bench")
            t = time.perf_counter()
            report = await handlers.dosr(uow=uow, start=START, end=end, threshold=10)
            reports.append(time.perf_counter() - t)
        await engine.dispose()
        total = report.tables["totals"][0]
        assert total["matches"] == sum(g["matches"] for g in groups)  # same figures both ways
        assert total["subjects_processed"] == sum(g["subjects"] for g in groups)
        scan, dosr = statistics.median(scans), statistics.median(reports)
        print(f"encounters: {encounters:,} over {DAYS} days, {len(groups):,} day/program/partner groups")
        print(f"load (flat table + reporting's counters and digests): {load:.1f} s")
        print(f"full-scan SQL aggregate (baseline), median of {runs}: {scan:.3f} s")
        print(f"DOSR for the year (reporting handler), median of {runs}: {dosr:.3f} s")
        print(f"ratio DOSR / full scan: {dosr / scan:.3f}")
    finally:
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tracs-bench-") as tmp:
        asyncio.run(run(args.encounters, args.runs, Path(tmp)))


if __name__ == "__main__":
    main()
