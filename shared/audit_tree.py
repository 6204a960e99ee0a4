"""The audit trail as an RFC 9162 Merkle tree, stored in the service's own database.

Leaf i is the entry with `seq` i + 1 (its content, canonically encoded: `audit.leaf_data`). The sequencer
stores every complete subtree as it closes (`audit_tree`: level, index, hash; about two rows per entry,
never updated), so an inclusion or consistency proof is one indexed read of O(log n) nodes. The checkpoints
the sequencer signed (C2SP notes) are kept in `audit_tree_checkpoints`, so a proof can name the checkpoint
it leads to. Both tables are append-only, like the trail itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, merkle


def tree_tables(metadata: MetaData) -> tuple[Table, Table]:
    nodes = Table(
        "audit_tree",
        metadata,
        Column("level", SmallInteger, primary_key=True),
        Column("idx", BigInteger, primary_key=True),
        Column("hash", LargeBinary, nullable=False),
    )
    checkpoints = Table(
        "audit_tree_checkpoints",
        metadata,
        Column("size", BigInteger, primary_key=True),
        Column("note", Text, nullable=False),
        Column("signed_at", DateTime(timezone=True), nullable=False),
    )
    return nodes, checkpoints


_NODES = tree_tables(MetaData())[0]  # for building queries; each service's metadata holds its own copy


def leaf_hash(row: Mapping[str, Any]) -> bytes:
    return merkle.leaf_hash(audit.leaf_data(row))


async def size(session: AsyncSession) -> int:
    """How many entries the tree holds (the primary key answers this from its last page)."""
    found = (await session.execute(text("SELECT max(idx) FROM audit_tree WHERE level = 0"))).scalar()
    return 0 if found is None else found + 1


async def nodes(session: AsyncSession, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of some subtrees: one query, each row found through the primary key."""
    wanted = sorted(set(wanted))
    if not wanted:
        return {}
    pairs = tuple_(_NODES.c.level, _NODES.c.idx).in_([(n.level, n.index) for n in wanted])
    rows = await session.execute(select(_NODES.c.level, _NODES.c.idx, _NODES.c.hash).where(pairs))
    return {merkle.Node(r.level, r.idx): bytes(r.hash) for r in rows}


async def frontier(session: AsyncSession) -> merkle.Frontier:
    n = await size(session)
    edge_nodes = merkle.range_nodes(0, n) if n else []
    found = await nodes(session, edge_nodes)
    return merkle.Frontier(n, [found[node] for node in edge_nodes])


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, for the sequencer's bulk statements (SQLAlchemy would check
    and convert every element of their arrays). Only ever inside the session's transaction, never autocommit."""
    raw = (await (await session.connection()).get_raw_connection()).driver_connection
    if not raw.is_in_transaction():  # type: ignore[union-attr]
        await session.execute(text("SELECT 1"))  # the dialect begins its transaction with the first statement
    if not raw.is_in_transaction():  # type: ignore[union-attr]
        raise RuntimeError("the audit tree is written only inside a transaction")
    return raw


async def extend(session: AsyncSession, tree: merkle.Frontier, leaves: Sequence[bytes]) -> None:
    """Append leaves to the tree in the caller's transaction: every subtree they complete is stored, in one
    statement whatever their number."""
    levels, idxs, hashes = tree.extend(leaves)
    if levels:  # COPY: the rows go binary, none of the per-element checks of array parameters
        await (await driver(session)).copy_records_to_table(
            "audit_tree", records=zip(levels, idxs, hashes, strict=True), columns=("level", "idx", "hash")
        )


class NotInTree(LookupError):
    """A proof was asked of a size the tree has not reached, or of an entry not yet in it."""


async def _proof(session: AsyncSession, ranges: list[tuple[int, int]], tree_size: int) -> list[bytes]:
    have = await size(session)
    if tree_size > have:
        raise NotInTree(f"the audit tree holds {have} entries, not {tree_size}")
    found = await nodes(session, merkle.nodes_for(ranges))
    return merkle.proof_from(ranges, found)


async def inclusion_proof(session: AsyncSession, index: int, tree_size: int) -> list[bytes]:
    return await _proof(session, merkle.inclusion_ranges(index, tree_size), tree_size)


async def inclusion_proofs(session: AsyncSession, indexes: Sequence[int], tree_size: int) -> list[list[bytes]]:
    """The proofs of several leaves in one tree: the nodes of all of them in one read, not one per proof."""
    have = await size(session)
    if tree_size > have:
        raise NotInTree(f"the audit tree holds {have} entries, not {tree_size}")
    ranges = [merkle.inclusion_ranges(i, tree_size) for i in indexes]
    found = await nodes(session, merkle.nodes_for(r for each in ranges for r in each))
    return [merkle.proof_from(each, found) for each in ranges]


async def consistency_proof(session: AsyncSession, old: int, new: int) -> list[bytes]:
    return await _proof(session, merkle.consistency_ranges(old, new), new)


async def root(session: AsyncSession, tree_size: int) -> bytes:
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    have = await size(session)
    if tree_size > have:
        raise NotInTree(f"the audit tree holds {have} entries, not {tree_size}")
    wanted = merkle.range_nodes(0, tree_size)
    found = await nodes(session, wanted)
    return merkle.fold([found[n] for n in wanted])


@dataclass(frozen=True)
class KeptCheckpoint:
    size: int
    note: str


async def checkpoint_covering(session: AsyncSession, seq: int, at_size: int | None = None) -> KeptCheckpoint | None:
    """The named checkpoint (`at_size`), or else the latest, that covers entry `seq`; None if none does yet."""
    if at_size is not None:
        stmt = text("SELECT size, note FROM audit_tree_checkpoints WHERE size = :s AND size >= :q")
        row = (await session.execute(stmt, {"s": at_size, "q": seq})).first()
    else:
        stmt = text("SELECT size, note FROM audit_tree_checkpoints WHERE size >= :q ORDER BY size DESC LIMIT 1")
        row = (await session.execute(stmt, {"q": seq})).first()
    return KeptCheckpoint(row.size, row.note) if row else None


KEEP_CHECKPOINT = text(
    "INSERT INTO audit_tree_checkpoints (size, note, signed_at) VALUES (:size, :note, :signed_at)"
    " ON CONFLICT (size) DO NOTHING"
)


async def last_checkpoint_size(session: AsyncSession) -> int:
    found = (await session.execute(text("SELECT max(size) FROM audit_tree_checkpoints"))).scalar()
    return found or 0


async def leaves(session: AsyncSession, first: int, end: int) -> list[bytes]:
    rows = await session.execute(
        text("SELECT hash FROM audit_tree WHERE level = 0 AND idx >= :a AND idx < :b ORDER BY idx"),
        {"a": first, "b": end},
    )
    return [bytes(r.hash) for r in rows]


# Installed by each service's `audit_tree` migration: the tables only grow, as the trail does.
TREE_DDL = (
    """
    CREATE TABLE audit_tree (
        level SMALLINT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx)
    )
    """,
    """
    CREATE TABLE audit_tree_checkpoints (
        size BIGINT PRIMARY KEY, note TEXT NOT NULL, signed_at TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE OR REPLACE FUNCTION tracs_audit_tree_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    *(
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION tracs_audit_tree_append_only()"
        for table in ("audit_tree", "audit_tree_checkpoints")
    ),
    *(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION tracs_audit_tree_append_only()"
        for table in ("audit_tree", "audit_tree_checkpoints")
    ),
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_tree, audit_tree_checkpoints FROM PUBLIC",
)

TREE_DOWNGRADE = (
    "DROP TABLE audit_tree_checkpoints",
    "DROP TABLE audit_tree",
    "DROP FUNCTION tracs_audit_tree_append_only()",
)
