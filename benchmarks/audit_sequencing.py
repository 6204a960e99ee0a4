"""Audit sequencing benchmark, figures only (never pass/fail), every figure beside a baseline of the same run.

1. Throughput: a backlog of N entries linked by the chain-only sequencer as it was before the Merkle tree (the
   baseline: SQLAlchemy statements, the JSON check of the append-only trigger), then by the sequencer as it is
   (chain + RFC 9162 tree + a signed C2SP checkpoint every 1,000 entries, the trigger as migrated), each on a
   fresh database with the services' triggers; repeated, alternating, since the machine is shared: the floor
   and the median of each are printed, and their ratio.
2. Lag under a steady load: writers commit entries in small transactions at a set rate (default 2,000/s) while
   the sequencer runs as the services run it (a round every 0.2 s); the lag from an entry's writing to its
   sequencing, p50/p95/max (benchmarks/audit_lag.py).
3. Inclusion proofs/s served from the stored subtrees.

    .venv/bin/python benchmarks/audit_sequencing.py [--entries 50000] [--repeat 3] [--rate 2000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from audit_lag import LagProbe
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData, select, text

from shared import audit, audit_tree
from shared.audit_sequencer import Sequencer, head
from shared.db import create_engine, ensure_database, session_factory
from shared.messaging_tables import messaging_tables
from tracs.infra import Postgres, free_port

metadata = MetaData()
outbox, _inbox = messaging_tables(metadata)
trail = audit.audit_table(metadata)
audit_tree.tree_tables(metadata)

# The chain-only sequencer's statement as it was (SQLAlchemy text, one UPDATE per round): the baseline.
_LINK = text(
    "UPDATE audit_trail AS t SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:seqs AS bigint[]), CAST(:prevs AS text[]), CAST(:hashes AS text[]))"
    " AS v(id, seq, prev_hash, hash) WHERE t.id = v.id AND t.seq IS NULL"
)


def _entry(n: int) -> audit.Entry:
    return audit.Entry(
        f"analyst{n % 50}",
        "case:read GET /api/v1/cases/{case_id}",
        "case",
        f"{n:032x}",
        "allowed",
        correlation_id=f"c{n}",
    )


async def _chain_only_round(sessions, batch: int) -> int:  # type: ignore[no-untyped-def]
    """The sequencer as it was before the tree: link waiting entries onto the hash chain, nothing more."""
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": audit.SEQUENCER_LOCK_KEY})
        top = await head(session, trail)
        stmt = select(trail).where(trail.c.seq.is_(None)).order_by(trail.c.id).limit(batch)
        rows = (await session.execute(stmt)).mappings().all()
        ids, seqs, prevs, hashes = [], [], [], []
        prev, seq = top.hash, top.size
        for row in rows:
            seq += 1
            ids.append(row["id"])
            seqs.append(seq)
            prevs.append(prev)
            prev = audit.digest(prev, row)
            hashes.append(prev)
        if rows:
            await session.execute(_LINK, {"ids": ids, "seqs": seqs, "prevs": prevs, "hashes": hashes})
        return len(rows)


async def _fresh(url: str, entries: int, *, as_before: bool):  # type: ignore[no-untyped-def]
    """A database with the services' tables and triggers (the append-only check as it was, or as migrated)."""
    await ensure_database(url)
    engine = create_engine(url, pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        for statement in audit.APPEND_ONLY_DDL:
            await conn.execute(text(statement))
        if as_before:
            await conn.execute(text(audit.LINK_CHECK_DOWNGRADE[0]))
    sessions = session_factory(engine)
    for start in range(0, entries, 5000):
        async with sessions() as s, s.begin():
            await audit.append(s, trail, [_entry(n) for n in range(start, min(entries, start + 5000))])
    return engine, sessions


def _sequencer(sessions, engine=None) -> Sequencer:  # type: ignore[no-untyped-def]
    return Sequencer(
        sessions, trail, outbox, service="cases", key=Ed25519PrivateKey.generate(), every_entries=1000, engine=engine
    )


async def throughput(url: str, entries: int, repeat: int) -> None:
    chain, tree = [], []
    for _ in range(repeat):
        engine, sessions = await _fresh(url + "_chain", entries, as_before=True)
        t0 = time.perf_counter()
        while await _chain_only_round(sessions, 5000):
            pass
        chain.append(entries / (time.perf_counter() - t0))
        await engine.dispose()

        engine, sessions = await _fresh(url + "_tree", entries, as_before=False)
        seq = _sequencer(sessions)
        t0 = time.perf_counter()
        while await seq.step():
            pass
        tree.append(entries / (time.perf_counter() - t0))
        async with sessions() as s:
            checkpoints = (await s.execute(text("SELECT count(*) FROM audit_tree_checkpoints"))).scalar()
            assert await audit_tree.size(s) == entries
        await engine.dispose()
    print(f"backlog of {entries:,} entries, {repeat} runs each, alternating; {checkpoints} signed checkpoints a run")
    for name, rates in (("chain-only sequencer as it was (base)", chain), ("chain + tree + checkpoints now", tree)):
        runs = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"  {name:<38} floor {min(rates):8,.0f}/s  median {statistics.median(rates):8,.0f}/s  ({runs})")
    print(
        f"  ratio now / base: floor {min(tree) / min(chain):.2f}, median "
        f"{statistics.median(tree) / statistics.median(chain):.2f}; target >= 2,000 entries/s"
    )


async def _writer(pool: asyncpg.Pool, per_commit: int, commits_per_s: float, until: float, n0: int) -> int:
    """Commits `per_commit` entries `commits_per_s` times a second, as calls do (each its own transaction)."""
    written, gap, due = 0, 1 / commits_per_s, time.perf_counter()
    while due < until:
        rows = []
        for i in range(per_commit):
            e = audit.row_of(_entry(n0 + written + i))
            rows.append(tuple(e[k] for k in audit.HASHED))
        async with pool.acquire() as conn:
            await conn.executemany(audit.INSERT_ONE, rows)
        written += per_commit
        due += gap
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    return written


async def lag_under_load(url: str, rate: int, seconds: float, writers: int = 4, per_commit: int = 10) -> None:
    url += "_lag"
    engine, sessions = await _fresh(url, 0, as_before=False)
    seq = _sequencer(sessions, engine)  # as the services run it: a round every 0.2 s, idle rounds one query
    runner = asyncio.create_task(seq.run_forever())
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
    try:
        await asyncio.sleep(0.5)
        with LagProbe(url) as probe:
            t0 = time.perf_counter()
            until = t0 + seconds
            per_writer = rate / writers / per_commit
            done = await asyncio.gather(
                *(_writer(pool, per_commit, per_writer, until, k * 10_000_000) for k in range(writers))
            )
            took = time.perf_counter() - t0
            await asyncio.sleep(1.5)  # the last entries' lag is counted too
        lag = await probe.result()
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await pool.close()
        await engine.dispose()
    print(
        f"steady load: {sum(done):,} entries written in {took:.1f} s ({sum(done) / took:,.0f}/s asked {rate:,}/s,"
        f" {writers} writers committing {per_commit} at a time), sequencer as deployed (round every 0.2 s)"
    )
    print(f"  {lag.line()}")


async def proofs_per_s(url: str, entries: int, proofs: int) -> None:
    engine, sessions = await _fresh(url + "_tree", entries, as_before=False)
    seq = _sequencer(sessions)
    while await seq.step():
        pass
    async with sessions() as s:
        size = await audit_tree.size(s)
        t0 = time.perf_counter()
        for _ in range(proofs):
            await audit_tree.inclusion_proof(s, random.randrange(size), size)
        per_proof = (time.perf_counter() - t0) / proofs
    await engine.dispose()
    print(f"inclusion proofs from stored subtrees: {1 / per_proof:8,.0f} proofs/s ({per_proof * 1000:.2f} ms each)")


async def run(url: str, args: argparse.Namespace) -> None:
    await throughput(url, args.entries, args.repeat)
    await lag_under_load(url, args.rate, args.seconds)
    await proofs_per_s(url, args.entries, args.proofs)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--entries", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rate", type=int, default=2_000, help="entries/s written during the lag measurement")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--proofs", type=int, default=2_000)
    p.add_argument("--database-url", default="", help="an existing server (else an embedded one is started)")
    args = p.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url.rsplit("/", 1)[0] + "/bench_audit", args))
        return
    pg = Postgres(Path(tempfile.mkdtemp(prefix="tracs-bench-")) / "pg", free_port())
    pg.start()
    try:
        asyncio.run(run(pg.url.rsplit("/", 1)[0] + "/bench_audit", args))
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
