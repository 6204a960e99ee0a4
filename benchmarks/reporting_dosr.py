"""Reporting benchmark: the DOSR, EPR and component report for a year at N encounters (default 10,000,000).

Fills reporting's own tables (counters per day/program/partner, their per-program roll-up, data-owner
counters, subject digests and redress facts, as its consumer would have) from a synthetic flat table of N
encounters spread over a year, four programs, forty partners and five data owners, then times each report
for the whole year and for one month (reporting's report use cases, in process, suppression included) against the
DOSR's aggregate computed by one full-scan SQL query over the flat table, and prints the ratios. With
`--gateway` (the default) it then starts reporting and the gateway on that database and times a month of
each report through the gateway. Figures only, never pass/fail.

    .venv/bin/python benchmarks/reporting_dosr.py [--encounters 10000000] [--runs 3] [--no-gateway]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from services.reporting import reports
from services.reporting.db import tables as reporting_tables
from shared import migrations
from shared.db import create_engine, ensure_database, session_factory
from shared.events import topics
from shared.kafka import ensure_topics
from shared.settings import TracsSettings
from shared.uow import UnitOfWork
from tracs.infra import Postgres, Tansu, free_port
from tracs.stack import DEFAULT_PORTS, Stack

START = date(2025, 1, 1)
DAYS = 365
MONTH = (date(2025, 6, 1), date(2025, 6, 30))
SUFFIX = "_bench"
PARTNERS = [
    "GBR", "GRC", "ITA", "ESP", "PRT", "DEU", "FRA", "NLD", "BEL", "AUT", "CHE", "POL", "CZE", "SVK", "HUN",
    "ROU", "BGR", "HRV", "SVN", "SRB", "ALB", "MKD", "MNE", "BIH", "KOS", "ISL", "NOR", "SWE", "FIN", "DNK",
    "EST", "LVA", "LTU", "IRL", "MLT", "CYP", "LUX", "AUS", "NZL", "CAN",
]  # fmt: skip
OWNERS = ["CBP", "DOS", "FBI-TSC", "ICE", "USCIS"]

FLAT = f"""
CREATE UNLOGGED TABLE bench_encounters AS
SELECT date '{START.isoformat()}' + (i % {DAYS}) AS day,
       (ARRAY['UK-VISA', 'M5', 'PCSC', 'KST'])[1 + abs(hashint4(i)) % 4] AS program,
       (ARRAY[{", ".join(f"'{p}'" for p in PARTNERS)}])[1 + abs(hashint4(i + 7)) % {len(PARTNERS)}] AS partner,
       (ARRAY[{", ".join(f"'{o}'" for o in OWNERS)}])[1 + abs(hashint4(i + 21)) % {len(OWNERS)}] AS owner,
       (i / 3)::bigint AS subject,
       abs(hashint4(i + 13)) % 10 < 7 AS matched,
       abs(hashint4(i + 31)) % 20 = 0 AS disclosed,
       abs(hashint4(i + 37)) % 172800 AS response_seconds
FROM generate_series(1, $1::int) AS i
"""

FILL = [
    """INSERT INTO daily_counts (day, program, partner, metric, value)
       SELECT day, program, partner, m.metric, m.value FROM (
         SELECT day, program, partner,
                count(*) FILTER (WHERE matched) AS matches,
                count(*) FILTER (WHERE NOT matched) AS no_matches,
                count(*) FILTER (WHERE matched AND program = 'KST') AS kst_matches,
                count(*) AS transactions,
                count(*) FILTER (WHERE matched AND disclosed) AS disclosures,
                coalesce(sum(response_seconds) FILTER (WHERE matched AND disclosed), 0) AS response_seconds
         FROM bench_encounters GROUP BY day, program, partner) g,
       LATERAL (VALUES ('matches', g.matches), ('no_matches', g.no_matches),
                       ('kst_matches', g.kst_matches), ('transactions', g.transactions),
                       ('disclosures', g.disclosures), ('response_seconds', g.response_seconds)) AS m(metric, value)""",
    """INSERT INTO subject_days (day, program, partner, digest)
       SELECT DISTINCT day, program, partner, decode(md5(subject::text), 'hex') FROM bench_encounters""",
    """INSERT INTO daily_counts (day, program, partner, metric, value)
       SELECT day, program, partner, 'distinct_subjects', count(*) FROM subject_days
       GROUP BY day, program, partner""",
    # The roll-up the consumer keeps beside every counter.
    """INSERT INTO program_days (day, program, metric, value)
       SELECT day, program, metric, sum(value) FROM daily_counts GROUP BY day, program, metric""",
    """INSERT INTO owner_counts (day, data_owner, metric, value)
       SELECT day, owner, m.metric, m.value FROM (
         SELECT day, owner, count(*) FILTER (WHERE matched) AS matched,
                count(*) FILTER (WHERE matched AND disclosed) AS shared
         FROM bench_encounters GROUP BY day, owner) g,
       LATERAL (VALUES ('matched', g.matched), ('shared', g.shared)) AS m(metric, value)""",
    # One redress request per 100 encounters, received over the year and the month before it; four in
    # five closed within 0-59 days, due 30 days after receipt.
    f"""INSERT INTO redress_facts (redress_id, source, status, received_on, due_on, closed_on, determination,
                                   changed_at)
       SELECT md5(i::text)::uuid, 'TRIP', CASE WHEN i % 5 = 0 THEN 'open' ELSE 'closed' END, r, r + 30,
              CASE WHEN i % 5 = 0 THEN NULL ELSE r + (abs(hashint4(i)) % 60) END, NULL, now()
       FROM (SELECT i, date '{START.isoformat()}' - 30 + (i % {DAYS + 30}) AS r
             FROM generate_series(1, $1::int / 100) AS i) s""",
    # The redress day counters the consumer keeps beside the facts.
    """INSERT INTO redress_days (day, metric, value)
       SELECT received_on, 'received', count(*) FROM redress_facts GROUP BY received_on
       UNION ALL
       SELECT closed_on, m.metric, sum(m.value) FROM redress_facts,
         LATERAL (VALUES ('closed', 1), ('closed_days', closed_on - received_on),
                         ('closed_within', (closed_on <= due_on)::int)) AS m(metric, value)
       WHERE closed_on IS NOT NULL GROUP BY closed_on, m.metric""",
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

REPORTS = {"dosr": reports.dosr, "epr": reports.epr, "components": reports.components}


async def load(url: str, encounters: int) -> float:
    await ensure_database(url)
    await asyncio.to_thread(migrations.upgrade, url, Path(reports.__file__).with_name("migrations"))
    conn = await asyncpg.connect(dsn_of(url))
    t = time.perf_counter()
    await conn.execute(FLAT.replace("$1::int", str(int(encounters))))
    for statement in FILL:
        await conn.execute(statement.replace("$1::int", str(int(encounters))))
    await conn.execute("ANALYZE")
    await conn.close()
    return time.perf_counter() - t


def dsn_of(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def in_process(url: str, runs: int) -> None:
    end = START + timedelta(days=DAYS - 1)
    conn = await asyncpg.connect(dsn_of(url))
    scans = []
    for _ in range(runs):
        t = time.perf_counter()
        groups = await conn.fetch(FULL_SCAN, START, end)
        scans.append(time.perf_counter() - t)
    await conn.close()
    scan = statistics.median(scans)
    print(f"{len(groups):,} day/program/partner groups")
    print(f"full-scan SQL aggregate (baseline), median of {runs}: {scan:.3f} s")
    engine = create_engine(url, pool_size=2)
    try:
        for name, handler in REPORTS.items():
            for label, (a, b) in (("year", (START, end)), ("month", MONTH)):
                times = []
                for _ in range(runs):
                    uow = UnitOfWork(session_factory(engine), reporting_tables.outbox, producer="bench")
                    t = time.perf_counter()
                    report = await handler(uow=uow, start=a, end=b, threshold=5)
                    times.append(time.perf_counter() - t)
                took = statistics.median(times)
                cells = len(report.suppression["cells"]) if report.suppression else 0
                print(
                    f"{name:>10} for the {label} (handler, median of {runs}): {took:.3f} s, "
                    f"ratio to full scan {took / scan:.4f} (1/{scan / took:.0f}); {cells} cells suppressed"
                )
                if name == "dosr" and label == "year":
                    total = report.tables["totals"][0]
                    assert total["matches"] == sum(g["matches"] for g in groups)  # same figures both ways
                    assert total["subjects_processed"] == sum(g["subjects"] for g in groups)
    finally:
        await engine.dispose()


async def through_gateway(gateway: str, runs: int) -> None:
    async with httpx.AsyncClient(base_url=gateway, timeout=120) as client:
        token = (await client.post("/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"})).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        end = START + timedelta(days=DAYS - 1)
        for name in REPORTS:
            for label, (a, b) in (("month", MONTH), ("year", (START, end))):
                params = {"from": a.isoformat(), "to": b.isoformat()}
                await client.get(f"/api/v1/reports/{name}", params=params, headers=auth)  # warm up
                times = []
                for _ in range(max(runs, 10 if label == "month" else runs)):
                    t = time.perf_counter()
                    r = await client.get(f"/api/v1/reports/{name}", params=params, headers=auth)
                    times.append(time.perf_counter() - t)
                    assert r.status_code == 200, r.text[:300]
                print(
                    f"{name:>10} for the {label} through the gateway (JSON, {len(r.content):,} bytes): "
                    f"median {1000 * statistics.median(times):.1f} ms, max {1000 * max(times):.1f} ms"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-gateway", dest="gateway", action="store_false", help="skip the gateway timings")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracs-bench-"))
    pg = Postgres(work / "postgres", free_port())
    pg.start()
    broker: Tansu | None = None
    stack: Stack | None = None
    try:
        url = pg.url.rsplit("/", 1)[0] + f"/tracs_reporting{SUFFIX}"
        took = asyncio.run(load(url, args.encounters))
        print(f"encounters: {args.encounters:,} over {DAYS} days; {args.encounters // 100:,} redress requests")
        print(f"load (flat table + reporting's counters, roll-ups, digests, redress facts and counters): {took:.1f} s")
        asyncio.run(in_process(url, args.runs))
        if args.gateway:
            broker = Tansu(free_port())
            broker.start()
            asyncio.run(ensure_topics(TracsSettings(kafka_bootstrap=broker.bootstrap), topics.all_with_dlq()))
            stack = Stack(
                var=work / "var",
                database_url=pg.url,
                kafka_bootstrap=broker.bootstrap,
                ports={name: free_port() for name in DEFAULT_PORTS},
                database_suffix=SUFFIX,
                extra_env={"TRACS_LOG_LEVEL": "WARNING"},
            )
            for name in ("reporting", "gateway", "edge"):
                stack.start(name)
                stack.wait_ready(name)
            asyncio.run(through_gateway(stack.url("edge"), args.runs))
    finally:
        if stack:
            stack.stop_all()
        if broker:
            broker.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
