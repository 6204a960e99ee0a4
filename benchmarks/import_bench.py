"""Import benchmark: a 100,000-row, 25-column workbook from upload to every row attached in cases.

"Attached" is what the analyst sees: the batch's progress is done (cases answered for every row, chunk by
chunk). Prints the end-to-end time as a ratio to the floor measured in the same run, python-calamine reading
the file plus COPY of the same rows into cases' encounter table with its indexes (issue 17's target <= 2.0),
and as a ratio to calamine alone; intake's own share (upload + preview, target <= 2x calamine; confirm, target
<= 1 s); CPU seconds and peak RSS of every process (target < 500 MiB each). Never pass/fail.

    .venv/bin/python benchmarks/import_bench.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from import_floor import encounter_rows, storage  # the floor's stage C, on this run's PostgreSQL
from workbook import (
    HEADER,
    build_workbook,
    calamine_seconds,
    cpu_seconds,
    import_own_cpu,
    own_cpu_text,
    peak_rss_mib,
    rows_of,
)

from tracs.infra import Postgres, Tansu, free_port
from tracs.stack import DEFAULT_PORTS, Stack


async def print_top_statements(url: str, top: int = 15) -> None:
    """Where PostgreSQL spent its time during the run, per database (statements normalised, no values)."""
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        rows = await conn.fetch(
            "SELECT d.datname, s.calls, s.total_exec_time, s.rows, s.query FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid ORDER BY s.total_exec_time DESC LIMIT $1",
            top,
        )
    finally:
        await conn.close()
    print("PostgreSQL: top statements by total execution time")
    for r in rows:
        query = " ".join(r["query"].split())[:110]
        print(f"  {r['total_exec_time'] / 1000:7.2f}s {r['calls']:7d} calls  {r['datname']:<18} {query}")


async def print_timeline(url: str, batch_id: str) -> None:
    """Per chunk: seconds after the first chunk was cut until it was cut, and until cases committed its answer."""
    base = url.rsplit("/", 1)[0]
    key = f"{batch_id}/%"
    query = "SELECT split_part(key, '/', 2)::int AS chunk, created_at FROM outbox WHERE key LIKE $1 AND event_type = $2"
    out = {}
    for db, event in (("tracs_intake", "EncountersImported"), ("tracs_cases", "EncountersAttached")):
        conn = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + f"/{db}")
        try:
            out[event] = {r["chunk"]: r["created_at"] for r in await conn.fetch(query, key, event)}
        finally:
            await conn.close()
    cut, answered = out["EncountersImported"], out["EncountersAttached"]
    t0 = min(cut.values())
    print("chunk  cut(s)  answered(s)")
    for chunk in sorted(cut):
        done = (answered[chunk] - t0).total_seconds() if chunk in answered else float("nan")
        print(f"{chunk:5d} {(cut[chunk] - t0).total_seconds():7.2f} {done:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--cases-instances", type=int, default=1, help="run cases as N processes in one consumer group (scaling out)"
    )
    parser.add_argument("--pg-stats", action="store_true", help="print the statements PostgreSQL spent most time on")
    parser.add_argument("--timeline", action="store_true", help="print when each chunk was cut and when cases answered")
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=10.0,
        help="measure each process's CPU while nothing is imported first, to tell the import's own CPU from "
        "background loops (polls, relay, sequencer)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tracs-bench-"))
    book = work / "matches.xlsx"
    t = time.perf_counter()
    build_workbook(book, args.rows)
    print(
        f"workbook: {args.rows} rows x {len(HEADER)} columns, {book.stat().st_size / 2**20:.1f} MiB "
        f"(built in {time.perf_counter() - t:.1f}s)"
    )
    baseline = min(calamine_seconds(book) for _ in range(2))
    print(f"baseline: python-calamine reads it in {baseline:.2f}s")

    pg_settings = ("shared_preload_libraries=pg_stat_statements",) if args.pg_stats else ()
    pg, broker = Postgres(work / "pg", free_port(), settings=pg_settings), Tansu(free_port())
    pg.start()
    broker.start()

    floor_url = pg.url.rsplit("/", 1)[0] + "/tracs_floor_cases"
    copy_seconds, _ = asyncio.run(storage(floor_url, encounter_rows(rows_of(book)), pg.process.pid))  # type: ignore[union-attr]
    floor = baseline + copy_seconds
    print(f"floor: calamine {baseline:.2f}s + COPY into cases' encounters with its indexes {copy_seconds:.2f}s")
    ports = {name: free_port() for name in DEFAULT_PORTS}
    stack = Stack(
        var=work / "var",
        database_url=pg.url,
        kafka_bootstrap=broker.bootstrap,
        ports=ports,
        extra_env={"TRACS_LOG_LEVEL": "WARNING"},
    )
    try:
        from shared.events import topics
        from shared.kafka import ensure_topics
        from shared.settings import TracsSettings

        asyncio.run(ensure_topics(TracsSettings(kafka_bootstrap=broker.bootstrap), topics.all_with_dlq()))
        stack.start_all()
        for k in range(2, args.cases_instances + 1):
            stack.add_instance("cases", f"cases-{k}", free_port())
            stack.start(f"cases-{k}")
            stack.wait_ready(f"cases-{k}", 120)
        if args.cases_instances > 1:
            time.sleep(10)  # the group rebalances over the new members (several seconds on Tansu)
        gw = httpx.Client(base_url=stack.url("edge"), timeout=600)
        token = gw.post("/api/v1/auth/token", data={"username": "analyst", "password": "tracs-dev"}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        watched = {name: proc.pid for name, proc in stack.processes.items()}
        watched |= {"postgres": pg.process.pid, "tansu": broker.process.pid}  # type: ignore[union-attr]
        idle_rate: dict[str, float] = {}
        if args.idle_seconds > 0:
            idle_before, t_idle = {name: cpu_seconds(pid) for name, pid in watched.items()}, time.perf_counter()
            time.sleep(args.idle_seconds)
            span = time.perf_counter() - t_idle
            idle_rate = {name: (cpu_seconds(pid) - idle_before[name]) / span for name, pid in watched.items()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
        t0 = time.perf_counter()
        with book.open("rb") as fh:
            up = gw.post(
                "/api/v1/intake/batches",
                files={"file": (book.name, fh)},
                data={"program": "UK-VISA", "kind": "partner-query"},
                headers=auth,
            )
        up.raise_for_status()
        batch = up.json()
        t_upload = time.perf_counter() - t0
        gw.post(f"/api/v1/intake/batches/{batch['id']}/confirm", headers=auth).raise_for_status()
        t_confirm = time.perf_counter() - t0
        while True:
            view = gw.get(f"/api/v1/intake/batches/{batch['id']}", headers=auth).json()
            if view["progress"] == "done":
                break
            time.sleep(0.25)  # the batch view reads one row: polling costs the run nothing worth counting
        elapsed = time.perf_counter() - t0
        print(
            f"upload+preview {t_upload:.2f}s, confirm {t_confirm - t_upload:.2f}s, every row attached "
            f"({view['rows_attached']} attached, {view['rows_failed']} failed) {elapsed:.2f}s"
        )
        print(f"intake's share: upload+preview / calamine = {t_upload / baseline:.2f}  (target <= 2.0)")
        print(f"end-to-end / (calamine + COPY) = {elapsed / floor:.2f}  (target <= 2.0)")
        print(f"end-to-end / calamine = {elapsed / baseline:.2f}")
        print(f"throughput: {args.rows / elapsed:,.0f} rows/s")
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in watched.items()}
        if args.pg_stats:
            asyncio.run(print_top_statements(pg.url))
        if args.timeline:
            asyncio.run(print_timeline(pg.url, batch["id"]))
        print("CPU seconds during the import: " + ", ".join(f"{n} {s:.1f}" for n, s in sorted(cpu.items())))
        if idle_rate:
            print(
                "of which background (idle rate x elapsed): "
                + ", ".join(f"{n} {idle_rate[n] * elapsed:.1f}" for n in sorted(cpu))
            )
            own = {n: import_own_cpu(cpu[n], idle_rate[n] * elapsed) for n in cpu}
            print(
                "CPU seconds the import itself cost: "
                + ", ".join(f"{n} {own_cpu_text(cpu[n], idle_rate[n] * elapsed)}" for n in sorted(cpu))
            )
            print(f"all processes: {sum(cpu.values()):.1f} s, of which the import's own {sum(own.values()):.1f} s")
        for name, pid in watched.items():
            print(
                f"peak RSS {name:>10}: {peak_rss_mib(pid):7.1f} MiB"
                + ("" if name in ("postgres", "tansu") else "  (target < 500 MiB)")
            )
    finally:
        stack.stop_all()
        broker.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
