"""The trail's Merkle tree against a real PostgreSQL: the sequencer grows it and signs C2SP checkpoints, every
entry is proven in them, checkpoints are consistent, and a rewrite with every hash recomputed is named at
its entry from the leaf hashes the checkpoints carried out of the database."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData, text

from shared import audit, audit_proofs, audit_tree, merkle
from shared.audit_sequencer import Sequencer, default_origin
from shared.db import create_engine, drop_database, ensure_database, session_factory
from shared.errors import Conflict, Invalid, NotFound
from shared.messaging_tables import messaging_tables
from shared.signed_note import Checkpoint, Note, Signer
from tests.infra import Infra
from tests.unit.shared.test_merkle import mth
from tracs import audit_checks
from tracs.audit import leaves_of

metadata = MetaData()
outbox, _inbox = messaging_tables(metadata)
trail = audit.audit_table(metadata)
audit_tree.tree_tables(metadata)
KEY = Ed25519PrivateKey.generate()
LOG = Signer(default_origin("cases"), KEY).verifier


@pytest.fixture
async def sessions(infra: Infra, namespace: str) -> AsyncIterator:
    url = infra.database_url.rsplit("/", 1)[0] + f"/it_tree_{namespace}"
    await ensure_database(url)
    engine = create_engine(url, pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for statement in audit.APPEND_ONLY_DDL:
            await conn.execute(text(statement))
    yield session_factory(engine)
    await engine.dispose()
    await drop_database(url)


def _entry(n: int) -> audit.Entry:
    return audit.Entry(f"analyst{n % 4}", "case:read GET /api/v1/cases/{case_id}", "case", f"c-{n}", "allowed")


async def _fill(sessions, count: int, *, every: int = 40) -> Sequencer:  # type: ignore[no-untyped-def]
    seq = Sequencer(
        sessions, trail, outbox, service="cases", key=KEY, every_entries=every, every_seconds=3600, batch=17
    )
    for start in range(0, count, 25):
        async with sessions() as s, s.begin():
            await audit.append(s, trail, [_entry(n) for n in range(start, min(count, start + 25))])
        while await seq.step():
            pass
    seq.every_seconds = 0  # the time trigger: sign what is left
    await seq.step()
    return seq


async def _events(sessions) -> list[dict]:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        bodies = (await s.execute(text("SELECT body FROM outbox ORDER BY id"))).scalars()
        return [orjson.loads(b)["payload"] for b in bodies]


async def test_every_entry_is_proven_in_every_signed_checkpoint_that_covers_it(sessions) -> None:  # type: ignore[no-untyped-def]
    await _fill(sessions, 130)
    async with sessions() as s:
        rows = (await s.execute(text("SELECT * FROM audit_trail ORDER BY seq"))).mappings().all()
        notes = dict((await s.execute(text("SELECT size, note FROM audit_tree_checkpoints"))).all())
    assert len(notes) >= 3 and max(notes) == 130  # every 40 entries or so (rounds of 17), and what was left
    leaves = [audit.leaf_data(r) for r in rows]
    for size, note_text in notes.items():
        note = Note.parse(note_text)
        assert note.signed_by(LOG)
        cp = Checkpoint.parse(note.text)
        assert (cp.origin, cp.size) == ("tracs/audit/cases", size)
        assert cp.root == mth(leaves[:size])  # the independent definition of the root
        async with sessions() as s:
            for n in range(1, size + 1, 7):
                answer = await audit_proofs.inclusion(s, trail, seq=n, size=size)
                audit_proofs.check_inclusion(answer, cp.root)
        # Consistency with every earlier checkpoint: the later tree extends it.
        for earlier in (e for e in notes if e < size):
            async with sessions() as s:
                got = await audit_proofs.consistency(s, first=earlier, second=size)
            proof = [base64.b64decode(h) for h in got["proof"]]
            merkle.verify_consistency(earlier, size, mth(leaves[:earlier]), cp.root, proof)
    async with sessions() as s:
        latest = await audit_proofs.inclusion(s, trail, seq=3, size=None)
        assert latest["tree_size"] == 130
        with pytest.raises(NotFound, match="no entry 131"):
            await audit_proofs.inclusion(s, trail, seq=131, size=None)
        with pytest.raises(NotFound, match="no signed checkpoint of 77"):
            await audit_proofs.inclusion(s, trail, seq=3, size=77)
        with pytest.raises(Invalid):
            await audit_proofs.consistency(s, first=80, second=40)
        with pytest.raises(NotFound):
            await audit_proofs.consistency(s, first=40, second=999)


async def test_a_page_of_entries_is_proven_in_one_checkpoint_in_one_call(sessions) -> None:  # type: ignore[no-untyped-def]
    await _fill(sessions, 90)
    async with sessions() as s:
        notes = dict((await s.execute(text("SELECT size, note FROM audit_tree_checkpoints"))).all())
        size = min(notes)
        root = Checkpoint.parse(Note.parse(notes[size]).text).root
        got = await audit_proofs.inclusions(s, trail, seqs=[size + 1, 3, 1, 3, size, 0], size=size)
        assert (got["tree_size"], got["checkpoint"]) == (size, notes[size])
        assert [p["entry"]["seq"] for p in got["proofs"]] == [1, 3, size]  # beyond the checkpoint: left out
        for p in got["proofs"]:
            assert p["leaf_index"] == p["entry"]["seq"] - 1
            audit_proofs.check_inclusion({**p, "tree_size": size}, root)
        with pytest.raises(NotFound, match="no signed checkpoint of 77 entries"):
            await audit_proofs.inclusions(s, trail, seqs=[1], size=77)


async def test_an_entry_not_yet_under_a_checkpoint_is_refused_with_a_reason(sessions) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(sessions, trail, outbox, service="cases", key=None, batch=50)
    async with sessions() as s, s.begin():
        await audit.append(s, trail, [_entry(1)])
    await seq.step()
    async with sessions() as s:
        with pytest.raises(Conflict, match="no signed checkpoint covers entry 1 yet"):
            await audit_proofs.inclusion(s, trail, seq=1, size=None)


async def test_a_rewrite_with_every_hash_and_node_recomputed_is_named_at_its_entry(sessions) -> None:  # type: ignore[no-untyped-def]
    await _fill(sessions, 150)
    events = await _events(sessions)
    signed = audit_checks.signed_roots([e["note"] for e in events], origin="tracs/audit/cases", logs=[LOG])
    archive = audit_checks.archived_leaves((e["first"], e["leaves"]) for e in events)
    assert not signed.problems and sorted(archive) == list(range(150))
    async with sessions() as s:
        assert audit_checks.compare(await leaves_of(s, trail), signed.roots, archive).intact

    # A superuser changes the actor of entry 100 and recomputes the chain and the whole tree.
    async with sessions() as s, s.begin():
        await s.execute(text("SET LOCAL session_replication_role = replica"))
        await s.execute(text("UPDATE audit_trail SET actor = 'nobody' WHERE seq = 100"))
        rows = (await s.execute(text("SELECT * FROM audit_trail ORDER BY seq"))).mappings().all()
        prev = audit.GENESIS
        for row in rows:
            new = audit.digest(prev, row)
            await s.execute(
                text("UPDATE audit_trail SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": new, "s": row["seq"]},
            )
            prev = new
        await s.execute(text("DELETE FROM audit_tree"))
        await audit_tree.extend(s, merkle.Frontier(), [audit_tree.leaf_hash(r) for r in rows])
    async with sessions() as s:
        leaves = await leaves_of(s, trail)
        assert (await audit.verify(s, trail)).intact  # the chain alone still holds
    report = audit_checks.compare(leaves, signed.roots, archive)
    assert report.broken_at == 100 and "committed to" in (report.reason or "")
    # Without the archived leaves the checkpoints still catch it, between the last that holds and the next.
    coarse = audit_checks.compare(leaves, signed.roots, {})
    before = max(size for size in signed.roots if size < 100)
    after = min(size for size in signed.roots if size >= 100)
    assert coarse.broken_at == before + 1 and f"from {before + 1} to {after}" in (coarse.reason or "")


async def test_entries_chained_before_the_tree_existed_join_it_and_are_signed(sessions) -> None:  # type: ignore[no-untyped-def]
    await _fill(sessions, 60)
    async with sessions() as s, s.begin():
        await s.execute(text("DELETE FROM audit_tree"))  # as after the migration: a chain, no tree
        await s.execute(text("DELETE FROM audit_tree_checkpoints"))
    seq = Sequencer(sessions, trail, outbox, service="cases", key=KEY, every_entries=1, batch=17)
    for _ in range(4):  # rounds of 17: 60 entries join the tree in four, each signed at the tree's size
        await seq.step()
    async with sessions() as s:
        assert sorted(dict((await s.execute(text("SELECT size, 1 FROM audit_tree_checkpoints"))).all())) == [
            17,
            34,
            51,
            60,
        ]
        rows = (await s.execute(text("SELECT * FROM audit_trail ORDER BY seq"))).mappings().all()
        assert await audit_tree.root(s, 60) == mth([audit.leaf_data(r) for r in rows])
        assert await audit_tree.last_checkpoint_size(s) == 60


def test_a_forged_signer_does_not_count() -> None:
    forger = Signer("tracs/audit/cases", Ed25519PrivateKey.generate())
    body = Checkpoint("tracs/audit/cases", 5, b"\x00" * 32).body()
    out = audit_checks.signed_roots(
        [Note(body).with_signature(forger.sign(body)).render()], origin="tracs/audit/cases", logs=[LOG]
    )
    assert not out.roots and "not signed by a trusted log key" in out.problems[0]
