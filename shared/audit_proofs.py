"""Proofs an auditor asks a service for: an entry's inclusion in a signed checkpoint, and the consistency of
two checkpoints. Each answer carries what is needed to check it without trusting the service: the entry's
content (its leaf is recomputed from it), the hashes, and the checkpoint note the log key signed."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, audit_tree, merkle
from shared.errors import Conflict, Invalid, NotFound


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def entry_json(row: Any) -> dict[str, Any]:
    """An entry as a bundle and a proof carry it: its number in the trail and what its leaf covers."""
    return {"seq": row["seq"], **audit.content_of(row)}


async def inclusion(session: AsyncSession, table: Table, *, seq: int, size: int | None) -> dict[str, Any]:
    """Entry `seq` proven in the checkpoint of `size` entries (default: the latest checkpoint covering it)."""
    if seq < 1:
        raise Invalid(f"entries are numbered from 1, not {seq}")
    row = (await session.execute(select(table).where(table.c.seq == seq))).mappings().first()
    if row is None:
        raise NotFound(f"no entry {seq} in this trail (yet: the sequencer links new entries within a second)")
    kept = await audit_tree.checkpoint_covering(session, seq, size)
    if kept is None:
        if size is not None:
            raise NotFound(f"no signed checkpoint of {size} entries covers entry {seq}")
        raise Conflict(f"no signed checkpoint covers entry {seq} yet; ask again in a few seconds")
    proof = await audit_tree.inclusion_proof(session, seq - 1, kept.size)
    return {
        "entry": entry_json(row),
        "leaf_index": seq - 1,
        "leaf_hash": b64(audit_tree.leaf_hash(row)),
        "tree_size": kept.size,
        "proof": [b64(h) for h in proof],
        "checkpoint": kept.note,
    }


async def inclusions(session: AsyncSession, table: Table, *, seqs: list[int], size: int) -> dict[str, Any]:
    """Several entries proven in the one checkpoint of `size` entries: a page of the trail in one request
    (entries beyond `size` are left out; the caller shows them as not yet under that checkpoint)."""
    kept = await audit_tree.checkpoint_covering(session, size, size)
    if kept is None:
        raise NotFound(f"no signed checkpoint of {size} entries in this trail")
    wanted = sorted({s for s in seqs if 1 <= s <= size})
    rows = (await session.execute(select(table).where(table.c.seq.in_(wanted)))).mappings().all() if wanted else []
    rows = sorted(rows, key=lambda r: r["seq"])
    paths = await audit_tree.inclusion_proofs(session, [row["seq"] - 1 for row in rows], size)
    proofs = [
        {"entry": entry_json(row), "leaf_index": row["seq"] - 1, "proof": [b64(h) for h in path]}
        for row, path in zip(rows, paths, strict=True)
    ]
    return {"tree_size": size, "checkpoint": kept.note, "proofs": proofs}


async def consistency(session: AsyncSession, *, first: int, second: int) -> dict[str, Any]:
    """The tree of `second` entries extends the tree of `first` (RFC 9162 consistency proof)."""
    if not 0 < first <= second:
        raise Invalid(
            f"a consistency proof goes from a tree to a larger one (1 <= first <= second), not {first} to {second}"
        )
    try:
        proof = [] if first == second else await audit_tree.consistency_proof(session, first, second)
    except audit_tree.NotInTree as exc:
        raise NotFound(str(exc)) from exc
    notes = {}
    for n in (first, second):
        kept = await audit_tree.checkpoint_covering(session, n, n)
        notes[n] = kept.note if kept else None
    return {
        "first": first,
        "second": second,
        "proof": [b64(h) for h in proof],
        "first_checkpoint": notes[first],
        "second_checkpoint": notes[second],
    }


async def latest_checkpoint(session: AsyncSession) -> dict[str, Any]:
    size = await audit_tree.last_checkpoint_size(session)
    kept = await audit_tree.checkpoint_covering(session, size, size) if size else None
    if kept is None:
        raise NotFound("this trail has no signed checkpoint yet")
    return {"tree_size": kept.size, "checkpoint": kept.note}


def check_inclusion(answer: dict[str, Any], root: bytes) -> None:
    """Recompute the leaf from the entry and check the path to `root` (raises merkle.ProofError)."""
    entry = {k: v for k, v in answer["entry"].items() if k != "seq"}
    leaf = merkle.leaf_hash(audit.leaf_data(entry))
    proof = [base64.b64decode(h) for h in answer["proof"]]
    merkle.verify_inclusion(answer["entry"]["seq"] - 1, answer["tree_size"], leaf, proof, root)
