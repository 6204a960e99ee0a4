"""The audit trail against a real PostgreSQL: unchained appends, the sequencer, signed checkpoints."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import DBAPIError

from shared import audit, audit_tree
from shared.audit_sequencer import Head, Sequencer, sequence, sign, signature_holds, verify_keys
from shared.db import create_engine, drop_database, ensure_database, session_factory
from shared.messaging_tables import messaging_tables
from shared.uow import UnitOfWork
from tests.infra import Infra

metadata = MetaData()
outbox, _inbox = messaging_tables(metadata)
trail = audit.audit_table(metadata)
audit_tree.tree_tables(metadata)


@pytest.fixture
def url(infra: Infra, namespace: str) -> str:
    return infra.database_url.rsplit("/", 1)[0] + f"/it_{namespace}"


@pytest.fixture
async def sessions(url: str) -> AsyncIterator:
    await ensure_database(url)
    engine = create_engine(url, pool_size=8)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for statement in audit.APPEND_ONLY_DDL:
            await conn.execute(text(statement))
    yield session_factory(engine)
    await engine.dispose()
    await drop_database(url)


def _entry(n: int) -> audit.Entry:
    return audit.Entry(
        actor=f"user{n % 3}",
        action="case:read GET /api/v1/cases/{case_id}",
        record_type="case",
        record_id=f"id-{n}",
        outcome="allowed" if n % 2 else "denied",
        fields=["status", "assignee"] if n % 4 == 0 else [],
        correlation_id=f"c{n}",
        client="127.0.0.1",
    )


async def _append(sessions, entries: list[audit.Entry]) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s, s.begin():
        await audit.append(s, trail, entries)


async def _sequence_all(sessions) -> Head:  # type: ignore[no-untyped-def]
    while True:
        async with sessions() as s, s.begin():
            done = await sequence(s, trail, batch=7)  # small batches: rounds cross batch borders
        assert done is not None
        if done[0] == 0:
            return done[1]


async def _verify(sessions, checkpoints: dict[int, str] | None = None) -> audit.ChainReport:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return await audit.verify(s, trail, checkpoints=checkpoints, chunk=7)  # the walk crosses chunk borders


async def _seqs(sessions) -> list[int]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        return list((await s.execute(text("SELECT seq FROM audit_trail ORDER BY seq"))).scalars())


async def test_concurrent_appends_take_no_lock_and_the_sequencer_links_them_in_one_chain(sessions) -> None:  # type: ignore[no-untyped-def]
    await asyncio.gather(*(_append(sessions, [_entry(i * 3 + j) for j in range(3)]) for i in range(10)))
    waiting = await _verify(sessions)
    assert waiting.intact and waiting.entries == 0 and waiting.pending == 30
    top = await _sequence_all(sessions)
    report = await _verify(sessions)
    assert report.intact and report.entries == 30 and report.pending == 0
    assert top.size == 30 and await _seqs(sessions) == list(range(1, 31))


async def test_the_database_refuses_every_change_but_the_sequencers_one_time_link(sessions) -> None:  # type: ignore[no-untyped-def]
    await _append(sessions, [_entry(1), _entry(2)])
    # Before sequencing, the content of an entry cannot change, not even with the chain columns: no column,
    # a NULL made of a value, an array, the id (the check compares whole rows).
    link = "seq = id, prev_hash = 'a', hash = 'b'"
    for statement in (
        "UPDATE audit_trail SET outcome = 'allowed'",
        f"UPDATE audit_trail SET actor = 'x', {link}",
        f"UPDATE audit_trail SET client = NULL, {link}",
        f"UPDATE audit_trail SET detail = 'added', {link}",
        f"UPDATE audit_trail SET fields = ARRAY['ssn'], {link}",
        f"UPDATE audit_trail SET at = at + interval '1 second', {link}",
        f"UPDATE audit_trail SET id = id + 100, {link}",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessions() as s, s.begin():
                await s.execute(text(statement))
    await _sequence_all(sessions)
    for statement in (
        "UPDATE audit_trail SET outcome = 'allowed'",
        "UPDATE audit_trail SET seq = seq + 10",  # a linked entry is never re-linked
        "DELETE FROM audit_trail",
        "TRUNCATE audit_trail",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with sessions() as s, s.begin():
                await s.execute(text(statement))
    assert (await _verify(sessions)).entries == 2


@pytest.mark.parametrize(
    ("tamper", "broken_at", "reason"),
    [
        ("UPDATE audit_trail SET outcome = 'allowed' WHERE seq = 5", 5, "content"),
        ("UPDATE audit_trail SET fields = ARRAY['ssn'] WHERE seq = 8", 8, "content"),
        ("DELETE FROM audit_trail WHERE seq = 4", 5, "changed or removed"),
    ],
)
async def test_tampering_behind_the_app_is_found_at_the_first_broken_link(
    sessions,  # type: ignore[no-untyped-def]
    tamper: str,
    broken_at: int,
    reason: str,
) -> None:
    await _append(sessions, [_entry(i) for i in range(10)])
    await _sequence_all(sessions)
    first = await _verify(sessions)
    assert first.intact and first.entries == 10
    async with sessions() as s, s.begin():
        # Someone with superuser rights switches the guard off: the chain still tells.
        await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(text(tamper))
    report = await _verify(sessions)
    assert not report.intact
    assert report.broken_at == broken_at
    assert reason in (report.reason or "")


async def test_a_rewrite_with_every_hash_recomputed_is_caught_at_the_first_entry_after_the_last_good_checkpoint(
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    key = Ed25519PrivateKey.generate()
    signed = {}
    for batch in range(3):  # checkpoints at 4 and 8; entries 9..12 are not signed yet
        await _append(sessions, [_entry(batch * 4 + i) for i in range(4)])
        top = await _sequence_all(sessions)
        if batch < 2:
            signed[top.size] = sign(key, service="cases", top=top)
    keys = verify_keys("", [])
    keys = {**keys, **{signed[4].key_id: key.public_key()}}
    assert all(signature_holds(cp, keys) for cp in signed.values())
    forged = signed[8].model_copy(update={"head_hash": "f" * 64})
    assert not signature_holds(forged, keys)  # nobody without the key can sign a rewritten head

    # Entry 6 is rewritten and every hash from it on recomputed: the chain alone holds ...
    async with sessions() as s, s.begin():
        await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(text("UPDATE audit_trail SET actor = 'nobody' WHERE seq = 6"))
        rows = (await s.execute(text("SELECT * FROM audit_trail ORDER BY seq"))).mappings().all()
        prev = audit.GENESIS
        for row in rows:
            new = audit.digest(prev, row)
            await s.execute(
                text("UPDATE audit_trail SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": new, "s": row["seq"]},
            )
            prev = new
    assert (await _verify(sessions)).intact
    # ... but not against the signed checkpoints: named at the first entry after the last good one.
    report = await _verify(sessions, {size: cp.head_hash for size, cp in signed.items()})
    assert not report.intact and report.broken_at == 5
    assert "rewritten" in (report.reason or "")


async def test_a_trail_cut_short_behind_a_checkpoint_is_caught(sessions) -> None:  # type: ignore[no-untyped-def]
    await _append(sessions, [_entry(i) for i in range(6)])
    top = await _sequence_all(sessions)
    async with sessions() as s, s.begin():
        await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(text("DELETE FROM audit_trail WHERE seq > 3"))
    assert (await _verify(sessions)).intact  # the chain alone cannot tell its tail is gone
    report = await _verify(sessions, {top.size: top.hash})
    assert not report.intact and report.broken_at == 1 and "covers 6 entries" in (report.reason or "")


async def test_two_replicas_sequencing_while_appends_run_give_one_intact_trail(url: str, sessions) -> None:  # type: ignore[no-untyped-def]
    key = Ed25519PrivateKey.generate()
    replicas = []
    for _ in range(2):  # each replica with its own engine, as two processes would be
        engine = create_engine(url, pool_size=2)
        seq = Sequencer(
            session_factory(engine),
            trail,
            outbox,
            service="cases",
            key=key,
            every_entries=50,
            interval=0.01,
            batch=40,
            engine=engine,
        )
        replicas.append((engine, seq, asyncio.create_task(seq.run_forever())))
    await asyncio.gather(*(_append(sessions, [_entry(i * 5 + j) for j in range(5)]) for i in range(120)))
    for _ in range(200):
        if (await _verify(sessions)).pending == 0:
            break
        await asyncio.sleep(0.05)
    for engine, _seq, task in replicas:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
    report = await _verify(sessions)
    assert report.intact and report.entries == 600 and report.pending == 0
    assert await _seqs(sessions) == list(range(1, 601))
    async with sessions() as s:
        bodies = (await s.execute(text("SELECT body FROM outbox WHERE topic = 'tracs.audit.checkpoint.v1'"))).scalars()
        signed = {p["size"]: p["head_hash"] for p in (orjson.loads(b)["payload"] for b in bodies)}
    # Checkpoints went to the outbox with the links, and each signs the chain as it stands at its size.
    assert signed and (await _verify(sessions, signed)).intact


_SEQUENCER_PROCESS = textwrap.dedent(
    """
    import asyncio, sys
    from sqlalchemy import MetaData
    from shared import audit
    from shared.audit_sequencer import Sequencer
    from shared.db import create_engine, session_factory
    from shared.messaging_tables import messaging_tables

    metadata = MetaData()
    outbox, _ = messaging_tables(metadata)
    trail = audit.audit_table(metadata)
    engine = create_engine(sys.argv[1], pool_size=1)
    seq = Sequencer(session_factory(engine), trail, outbox, service="cases", key=None, interval=0.01, batch=200)
    print("ready", flush=True)
    asyncio.run(seq.run_forever())
    """
)


async def test_a_sequencer_killed_mid_run_resumes_with_no_gap_and_no_duplicate(url: str, sessions) -> None:  # type: ignore[no-untyped-def]
    for i in range(40):
        await _append(sessions, [_entry(i * 250 + j) for j in range(250)])
    proc = subprocess.Popen(
        [sys.executable, "-c", _SEQUENCER_PROCESS, url],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        for _ in range(400):  # kill it once it is part-way through the backlog
            async with sessions() as s:
                linked = (await s.execute(text("SELECT count(seq) FROM audit_trail"))).scalar()
            if linked >= 2000:
                break
            await asyncio.sleep(0.01)
        await _append(sessions, [_entry(100_000 + j) for j in range(50)])  # appends go on meanwhile
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    part = await _verify(sessions)
    assert part.intact and 0 < part.entries < 10_050 and part.pending == 10_050 - part.entries
    await _sequence_all(sessions)  # the next leader continues from the head
    report = await _verify(sessions)
    assert report.intact and report.entries == 10_050 and report.pending == 0
    assert await _seqs(sessions) == list(range(1, 10_051))


async def test_a_calls_entry_commits_in_the_transaction_that_changed_something_and_only_there(
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    async def count(actor: str) -> int:
        async with sessions() as s:
            return (await s.execute(text("SELECT count(*) FROM audit_trail WHERE actor = :a"), {"a": actor})).scalar()

    def call(actor: str) -> audit.RequestAudit:
        return audit.RequestAudit(build=lambda status: audit.Entry(actor, "x:write", "x", None, "allowed"))

    for actor, statement, fails, expected in (
        ("reader", "SELECT 1 FROM outbox", False, 0),  # a read: the middleware writes its entry later
        ("writer", "INSERT INTO inbox (consumer, event_id) VALUES ('c', gen_random_uuid())", False, 1),
        ("loser", "INSERT INTO inbox (consumer, event_id) VALUES ('c', gen_random_uuid())", True, 0),
    ):
        pending = call(actor)
        token = audit.CURRENT_REQUEST.set(pending)
        try:
            uow = UnitOfWork(sessions, outbox, producer="cases")
            with contextlib.suppress(RuntimeError):
                async with uow:
                    await uow.session.execute(text(statement) if "INSERT" in statement else select(outbox.c.id))
                    if fails:
                        raise RuntimeError("the handler failed: its change and its entry roll back together")
        finally:
            audit.CURRENT_REQUEST.reset(token)
        assert await count(actor) == expected, actor
        assert pending.written is bool(expected)
