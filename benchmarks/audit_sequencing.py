"""Audit sequencing benchmark: entries/s linked by the old chain-only sequencer and by the Merkle sequencer
(chain + RFC 9162 tree + a signed C2SP checkpoint every 1,000 entries), on the same PostgreSQL in the same
run; then inclusion proofs/s served from the stored subtrees. Figures only, never pass/fail.

    .venv/bin/python benchmarks/audit_sequencing.py [--entries 50000] [--proofs 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData, select, text

from shared import audit, audit_tree
from shared.audit_sequencer import _LINK, Sequencer, head
from shared.db import create_engine, ensure_database, session_factory
from shared.messaging_tables import messaging_tables
from tracs.infra import Postgres, free_port

metadata = MetaData()
outbox, _inbox = messaging_tables(metadata)
trail = audit.audit_table(metadata)
audit_tree.tree_tables(metadata)


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


async def _fresh(url: str, entries: int):  # type: ignore[no-untyped-def]
    await ensure_database(url)
    engine = create_engine(url, pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    for start in range(0, entries, 5000):
        async with sessions() as s, s.begin():
            await audit.append(s, trail, [_entry(n) for n in range(start, min(entries, start + 5000))])
    return engine, sessions


async def run(url: str, entries: int, proofs: int) -> None:
    engine, sessions = await _fresh(url + "_chain", entries)
    t0 = time.perf_counter()
    while await _chain_only_round(sessions, 5000):
        pass
    chain = entries / (time.perf_counter() - t0)
    await engine.dispose()

    engine, sessions = await _fresh(url + "_tree", entries)
    seq = Sequencer(sessions, trail, outbox, service="cases", key=Ed25519PrivateKey.generate(), every_entries=1000)
    t0 = time.perf_counter()
    while await seq.step():
        pass
    tree = entries / (time.perf_counter() - t0)
    async with sessions() as s:
        size = await audit_tree.size(s)
        checkpoints = (await s.execute(text("SELECT count(*) FROM audit_tree_checkpoints"))).scalar()
        t0 = time.perf_counter()
        for _ in range(proofs):
            await audit_tree.inclusion_proof(s, random.randrange(size), size)
        per_proof = (time.perf_counter() - t0) / proofs
    await engine.dispose()
    print(f"entries: {entries:,}; tree size {size:,}; {checkpoints} signed checkpoints")
    print(f"chain-only sequencer (before):        {chain:8,.0f} entries/s")
    print(
        f"chain + Merkle tree + checkpoints:    {tree:8,.0f} entries/s  ({tree / chain:.0%} of before; target >= 2,000)"
    )
    print(f"inclusion proofs from stored subtrees: {1 / per_proof:8,.0f} proofs/s ({per_proof * 1000:.2f} ms each)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--entries", type=int, default=50_000)
    p.add_argument("--proofs", type=int, default=2_000)
    p.add_argument("--database-url", default="", help="an existing server (else an embedded one is started)")
    args = p.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url.rsplit("/", 1)[0] + "/bench_audit", args.entries, args.proofs))
        return
    pg = Postgres(Path(tempfile.mkdtemp(prefix="tracs-bench-")) / "pg", free_port())
    pg.start()
    try:
        asyncio.run(run(pg.url.rsplit("/", 1)[0] + "/bench_audit", args.entries, args.proofs))
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
