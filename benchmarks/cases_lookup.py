"""Case lookup benchmark: by FIN and by name through the public entry with N encounters loaded (default 1,000,000).

Loads subjects, encounters and cases straight into the cases database with COPY, then measures p50/p95/p99
of GET /api/v1/cases?fin=... and ?name=... through the edge (Caddy, tracs/edge.py), one at a time and under
concurrent load (wrk, a real load generator) through the edge and straight to cases, against the same SQL run
directly on PostgreSQL, and prints the ratios and the CPU per request of every process. Figures only, never
pass/fail. Meanwhile the audit sequencer's lag (benchmarks/audit_lag.py): every lookup is an audited read.

    .venv/bin/python benchmarks/cases_lookup.py [--encounters 1000000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson
import same_sql
from audit_lag import LagProbe
from workbook import cpu_seconds

from shared import names
from shared.audit_sequencer import generate_key_file
from shared.events import topics
from shared.kafka import ensure_topics
from shared.settings import TracsSettings
from tracs.infra import Postgres, Tansu, free_port
from tracs.stack import DEFAULT_PORTS, Stack

SURNAMES = [
    "muller", "ivanov", "garcia", "nguyen", "hassan", "obrien", "oster", "kowalski", "smith", "papadopoulos", "tanaka",
    "silva", "okafor", "haddad", "novak", "jensen", "rossi", "dubois", "kim", "singh",
]  # fmt: skip
GIVEN = ["jose", "ivan", "zoe", "thi", "nour", "sean", "ase", "lukasz", "ann", "eleni"]


def name_of(i: int) -> str:
    """About 200 encounters share each surname+number, as common names do."""
    return f"{SURNAMES[i % len(SURNAMES)]}{i // len(SURNAMES) % 5000}"


@functools.lru_cache(maxsize=200_000)
def name_keys(last: str, first: str) -> tuple[str, str, list[str]]:
    """The search keys cases stores for a name (shared.names), computed once per distinct name."""
    k = names.keys({"last_name": last, "first_name": first})
    return k.search, k.key, k.terms


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def load(dsn: str, n: int) -> None:
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    batch = uuid.uuid4()
    chunk = 100_000
    for start in range(0, n, chunk):
        subjects, encs, cases, links = [], [], [], []
        for i in range(start, min(n, start + chunk)):
            sid, eid, cid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            fin = f"{i:010d}"
            last, first = name_of(i), GIVEN[i % len(GIVEN)]
            subjects.append((sid, f"FIN:{fin}", fin, now))
            fields = orjson.dumps({"fin": fin, "last_name": last, "first_name": first}).decode()
            encs.append(
                (
                    eid,
                    sid,
                    batch,
                    i + 2,
                    "M5",
                    "partner-query",
                    fin,
                    last,
                    first,
                    "1980",
                    "CBP",
                    "GBR",
                    f"T{i}",
                    *name_keys(last, first),
                    fields,
                    "{}",
                    "{}",
                    "bench",
                    now,
                    now,
                )
            )
            cases.append((cid, f"bench|{i}", sid, "M5", "partner-query", "GBR", f"T{i}", "new", now, now))
            links.append((cid, eid))
        await conn.copy_records_to_table(
            "subjects", records=subjects, columns=["id", "subject_key", "fin", "created_at"]
        )
        await conn.copy_records_to_table(
            "encounters",
            records=encs,
            columns=[
                "id",
                "subject_id",
                "batch_id",
                "row_number",
                "program",
                "upload_kind",
                "fin",
                "last_name",
                "first_name",
                "dob",
                "data_owner",
                "partner_country",
                "partner_transaction_number",
                "name_search",
                "name_key",
                "name_terms",
                "fields",
                "raw",
                "extra",
                "imported_by",
                "imported_at",
                "attached_at",
            ],
        )
        await conn.copy_records_to_table(
            "cases",
            records=cases,
            columns=[
                "id",
                "case_key",
                "subject_id",
                "program",
                "upload_kind",
                "partner_country",
                "partner_transaction_number",
                "status",
                "opened_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table("case_encounters", records=links, columns=["case_id", "encounter_id"])
        print(f"  loaded {min(n, start + chunk):,} encounters", flush=True)
    await conn.execute("ANALYZE")
    await conn.close()


DIRECT_SQL = {
    "fin": (
        "SELECT c.* FROM cases c WHERE c.id IN (SELECT ce.case_id FROM case_encounters ce JOIN encounters e "
        "ON e.id = ce.encounter_id WHERE e.fin = $1) ORDER BY c.opened_at, c.id LIMIT 51"
    ),
    # Before session 12 the name baseline: a hand-written one-statement equivalent of cases' ranking, which the planner
    # answers worse than cases' own two statements (the `found` CTE taken for 1,001 rows). Still printed beside the
    # baseline that counts, the statements cases itself sends (`same_sql`).
    "name (one statement)": (
        "WITH found AS MATERIALIZED (SELECT e.id, 10 * CASE WHEN e.name_terms @> $4 THEN 0 "
        "WHEN e.name_terms @> $2 THEN 1 WHEN e.name_terms && $3 THEN 2 ELSE 3 END AS rank, e.last_name, "
        "e.first_name, e.fields ->> 'middle_name' AS middle_name, e.fields -> 'aliases' AS aliases, e.dob "
        "FROM encounters e WHERE e.name_terms && $3 OR e.name_key LIKE '%' || $1 || '%') "
        "SELECT c.*, h.* FROM cases c JOIN (SELECT DISTINCT ON (ce.case_id) ce.case_id, f.* FROM case_encounters "
        "ce JOIN found f ON f.id = ce.encounter_id ORDER BY ce.case_id, f.rank) h ON h.case_id = c.id "
        "ORDER BY h.rank, c.opened_at, c.id LIMIT 51"
    ),
}


def direct_args(kind: str, value: str) -> tuple:
    if kind == "fin":
        return (value,)
    query = names.NameQuery.parse(value)
    assert query is not None
    return query.latin[0], [query.latin[0]], query.terms(0), query.own_terms()


# Per name searched, the statements cases sends for it (`same_sql.capture`, filled before anything is timed).
CAPTURED: dict[str, same_sql.Statements] = {}


async def direct(conn: asyncpg.Connection, kind: str, value: str) -> list:
    """`kind`'s query straight to PostgreSQL; a name's baseline is the statements cases itself sends for it."""
    if kind == "name":
        return await same_sql.run(conn, CAPTURED[value])
    return await conn.fetch(DIRECT_SQL[kind], *direct_args(kind.split()[0], value))


async def capture(url: str, token: str, values: list[str]) -> None:
    CAPTURED.update(await same_sql.capture(url, same_sql.programs_of(token), [v for v in values if v not in CAPTURED]))


async def measure(gateway: str, dsn: str, n: int, queries: int) -> int:
    rng = random.Random(11)
    fins = [f"{rng.randrange(n):010d}" for _ in range(queries)]
    names = [name_of(rng.randrange(n)) for _ in range(queries)]
    async with httpx.AsyncClient(base_url=gateway, timeout=60) as client:
        token = (await client.post("/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"})).json()[
            "access_token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        await capture(sqlalchemy_url(dsn), token, names)
        conn = await asyncpg.connect(dsn)
        for kind, values in (("fin", fins), ("name", names)):
            for v in values[:10]:  # warm up both paths
                await client.get("/api/v1/cases", params={kind: v}, headers=auth)
                await direct(conn, kind, v)
            api, sql, one = [], [], []
            for v in values:
                t = time.perf_counter()
                r = await client.get("/api/v1/cases", params={kind: v}, headers=auth)
                api.append(time.perf_counter() - t)
                assert r.status_code == 200 and r.json()["items"], (kind, v, r.text[:200])
                t = time.perf_counter()
                rows = await direct(conn, kind, v)
                sql.append(time.perf_counter() - t)
                same = [str(row["id"]) for row in rows[:50]] == [item["id"] for item in r.json()["items"]]
                assert kind == "fin" or same, f"{v}: the statements cases sends found other cases"
                if kind == "name":
                    t = time.perf_counter()
                    await direct(conn, "name (one statement)", v)
                    one.append(time.perf_counter() - t)
            print(
                f"lookup by {kind:>4}: edge p50 {1000 * statistics.median(api):6.2f} ms  "
                f"p95 {1000 * percentile(api, 0.95):6.2f} ms  p99 {1000 * percentile(api, 0.99):6.2f} ms | "
                f"direct SQL p95 {1000 * percentile(sql, 0.95):6.2f} ms | p95 ratio "
                f"{percentile(api, 0.95) / percentile(sql, 0.95):5.1f}"
                + (f" | one-statement SQL (before) p95 {1000 * percentile(one, 0.95):6.2f} ms" if one else "")
            )
        await conn.close()
    return 2 * (10 + queries)  # calls of the audited route, warm-up included


WRK_SCRIPT = """
local paths = {%s}
local token = "%s"
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer " .. token})
end
done = function(summary, latency, requests)
  local e = summary.errors
  local bad = string.format("%%d status, %%d connect, %%d read, %%d timeout", e.status, e.connect, e.read, e.timeout)
  io.write(string.format("RESULT %%f %%f %%f %%f %%d %%d %%s\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6),
    e.status + e.connect + e.read + e.timeout, summary.requests, bad))
end
"""


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def sql_under_load(dsn: str, kind: str, values: list[str], concurrency: int, seconds: float) -> list[float]:
    """The same query straight to PostgreSQL from `concurrency` connections: the baseline under load."""
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        i = offset
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                await direct(conn, kind, values[i % len(values)])
                latencies.append(time.perf_counter() - t)
                i += concurrency

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    await pool.close()
    return latencies


def cpu_by_process(pids: dict[str, int]) -> dict[str, float]:
    """CPU so far of each process; PostgreSQL's with its backends, live and already reaped (a backend that exits
    between two samples moves from one to the other, so the figure never goes backwards)."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


WrkResult = tuple[float, float, float, float, int, int, str]


def wrk(url: str, paths: str, token: str, concurrency: int, seconds: int) -> WrkResult:
    """p50, p95, p99 (ms), req/s, errors, requests and the errors by kind of one wrk run (a timeout is an answer
    slower than wrk's 2 s; a status error is an answer >= 400, which wrk still counts as a request)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (paths, token))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    p50, p95, p99, rps, bad, done = line.split()[1:7]
    return float(p50), float(p95), float(p99), float(rps), int(bad), int(done), line.split(" ", 7)[7]


def measure_concurrent(
    entries: dict[str, str], dsn: str, n: int, concurrency: int, seconds: int, pids: dict[str, int]
) -> int:
    """wrk (a real load generator) against each entry (the edge, the service itself); asyncpg at the same
    concurrency against PostgreSQL, the baseline; CPU per request of every process during each run."""
    if shutil.which("wrk") is None:
        print("concurrent load: wrk not found (apt-get install wrk); skipped")
        return 0
    rng = random.Random(13)
    first = next(iter(entries.values()))
    token = httpx.post(
        f"{first}/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"}, timeout=120
    ).json()["access_token"]
    calls = 0
    for kind in ("fin", "name"):
        values = [f"{rng.randrange(n):010d}" if kind == "fin" else name_of(rng.randrange(n)) for _ in range(2000)]
        paths = ", ".join(f'"/api/v1/cases?{kind}={v}"' for v in values)
        if kind == "name":
            asyncio.run(capture(sqlalchemy_url(dsn), token, values))
            one = asyncio.run(sql_under_load(dsn, "name (one statement)", values, concurrency, seconds))
            print(
                f"{concurrency} concurrent, by name: one-statement SQL (the baseline before session 12) p95 "
                f"{1000 * percentile(one, 0.95):6.2f} ms  {len(one) / seconds:7.1f} q/s"
            )
        sql = asyncio.run(sql_under_load(dsn, kind, values, concurrency, seconds))
        sql_p95, sql_rps = 1000 * percentile(sql, 0.95), len(sql) / seconds
        what = "direct SQL" if kind == "fin" else "the statements cases sends, direct"
        print(f"{concurrency} concurrent, by {kind:>4}: {what} p95 {sql_p95:6.2f} ms  {sql_rps:7.1f} q/s (base)")
        for entry, url in entries.items():
            before = cpu_by_process(pids)
            p50, p95, p99, rps, bad, done, kinds = wrk(url, paths, token, concurrency, seconds)
            after = cpu_by_process(pids)
            calls += done
            print(
                f"  through {entry:<12} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  {rps:7.1f} req/s "
                f"({bad} errors{': ' + kinds if bad else ''}) | ratios to SQL: p95 {p95 / sql_p95:5.1f}, "
                f"throughput {rps / sql_rps:5.3f}"
            )
            if done:
                per = ", ".join(f"{k} {1000 * (after[k] - before[k]) / done:.2f}" for k in after)
                print(f"    CPU ms per request: {per}")
    return calls


async def audit_after_load(dsn: str, calls: int) -> None:
    """The trail after the load: one entry per audited call, every one linked by the sequencer."""
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(100):
            if not await conn.fetchval("SELECT count(*) FROM audit_trail WHERE seq IS NULL"):
                break
            await asyncio.sleep(0.1)
        entries = await conn.fetchval(
            "SELECT count(*) FROM audit_trail WHERE action = 'case:read GET /api/v1/cases' AND seq IS NOT NULL"
        )
    finally:
        await conn.close()
    # wrk counts the requests it saw answered; up to one per connection may be cut off at the end of a run.
    print(f"audit trail: {entries:,} entries for {calls:,} calls counted by the clients (+{entries - calls} in flight)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encounters", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracs-bench-"))
    pg, broker = Postgres(work / "pg", free_port()), Tansu(free_port())
    pg.start()
    broker.start()
    stack = Stack(
        var=work / "var",
        database_url=pg.url,
        kafka_bootstrap=broker.bootstrap,
        ports={name: free_port() for name in DEFAULT_PORTS},
        extra_env={
            "TRACS_LOG_LEVEL": "WARNING",
            "TRACS_AUDIT_SIGNING_KEY": str(generate_key_file(work / "var" / "audit" / "signing-key.pem")),
            "TRACS_AUDIT_CHECKPOINT_FILE": str(work / "var" / "audit" / "checkpoints.jsonl"),
        },
    )
    try:
        asyncio.run(ensure_topics(TracsSettings(kafka_bootstrap=broker.bootstrap), topics.all_with_dlq()))
        for name in ("cases", "gateway", "edge"):
            for attempt in (1, 2, 3):  # on a loaded machine a start may miss the broker
                stack.start(name)
                try:
                    stack.wait_ready(name, 300)
                    break
                except RuntimeError as exc:
                    if attempt == 3:
                        raise
                    why = (work / "var" / "log" / f"{name}.log").read_text().strip().splitlines()[-3:]
                    print(f"{name} did not start ({exc}): {why}; again in 5 s", flush=True)
                    time.sleep(5)
        dsn = pg.url.replace("postgresql+asyncpg", "postgresql").rsplit("/", 1)[0] + "/tracs_cases"
        t = time.perf_counter()
        print(f"loading {args.encounters:,} encounters with COPY ...")
        asyncio.run(load(dsn, args.encounters))
        print(f"loaded in {time.perf_counter() - t:.1f}s")
        calls = asyncio.run(measure(stack.url("edge"), dsn, args.encounters, args.queries))
        pids = {name: stack.processes[name].pid for name in ("edge", "gateway", "cases")}
        if pg.process is not None:
            pids["postgres"] = pg.process.pid
        # The public entry, and the service on its own port: what the edge's hop costs, in the same run.
        entries = {"the edge": stack.url("edge"), "cases alone": stack.url("cases")}
        # Every lookup is an audited read: how far behind the sequencer falls while wrk drives them.
        with LagProbe(dsn) as probe:
            calls += measure_concurrent(entries, dsn, args.encounters, args.concurrency, args.seconds, pids)
            time.sleep(1.5)  # the last lookups' entries are sequenced and counted too
        print(f"during the concurrent lookups, {asyncio.run(probe.result()).line()}")
        asyncio.run(audit_after_load(dsn, calls))
        verify = subprocess.run(
            [sys.executable, "-m", "tracs.cli", "audit", "verify", "cases"],
            env=stack.env("cases"),
            capture_output=True,
            text=True,
        )
        print(f"tracs audit verify cases: {verify.stdout.strip() or verify.stderr.strip()}")
    finally:
        stack.stop_all()
        broker.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
