"""The audit sequencer and its signed checkpoints, in the manner of Certificate Transparency and Trillian.

Requests append entries unchained. One sequencer per service database (leader by a transaction-level
advisory lock, so any number of replicas is safe) takes the entries not yet sequenced, gives them the next
`seq` numbers and chains their hashes, all in one transaction: a sequencer killed mid-run leaves nothing
half done, and the next leader continues from the head with no gap and no duplicate. Entries are taken by
`seq IS NULL`, not by id ranges, so one that commits late (ids are assigned at insert, commits happen in
another order) is simply linked in the next round; the merge delay is the poll interval.

Every N entries or seconds the leader signs the head (Ed25519, key from settings, never in the database)
and writes the checkpoint to the outbox in the same transaction; the gateway keeps them and appends them to
a file an operator archives. `verify` then catches a trail rewritten with every hash recomputed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import audit, audit_tree, merkle, outbox
from shared.events.audit import AuditCheckpointSigned
from shared.events.envelope import wrap
from shared.logging import get_logger
from shared.metrics import AUDIT_CHECKPOINTS, AUDIT_HEAD, AUDIT_SEQUENCED
from shared.signed_note import Checkpoint, Note, Signer

log = get_logger(__name__)

_ANY_WAITING = "SELECT EXISTS (SELECT 1 FROM audit_trail WHERE seq IS NULL)"
_WAITING = (
    "SELECT id, at, actor, action, record_type, record_id, fields, outcome, correlation_id, client, detail"
    " FROM audit_trail WHERE seq IS NULL ORDER BY id LIMIT $1"
)
_CHAINED_AFTER = (
    "SELECT at, actor, action, record_type, record_id, fields, outcome, correlation_id, client, detail"
    " FROM audit_trail WHERE seq > $1 ORDER BY seq LIMIT $2"
)
_LINK = (
    "UPDATE audit_trail AS t SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev_hash, hash)"
    " WHERE t.id = v.id AND t.seq IS NULL"
)


@dataclass(frozen=True)
class Head:
    size: int
    hash: str


async def head(session: AsyncSession, table: Table) -> Head:
    row = (
        await session.execute(
            select(table.c.seq, table.c.hash).where(table.c.seq.is_not(None)).order_by(table.c.seq.desc()).limit(1)
        )
    ).first()
    return Head(row.seq, row.hash) if row else Head(0, audit.GENESIS)


class Round(NamedTuple):
    linked: int
    head: Head  # of the chain
    tree: merkle.Frontier  # the Merkle tree after the round (it follows the chain, `batch` leaves at most)
    leaves: list[bytes] = []  # the leaf hashes the round added: the last of the tree's


async def sequence(session: AsyncSession, table: Table, *, batch: int = 5000) -> Round | None:
    """Link up to `batch` waiting entries onto the chain and into the Merkle tree, in the caller's
    transaction; None if another process is the leader this round.

    Each entry is encoded once (its canonical bytes feed both its chain hash and its leaf), and the round
    costs a fixed number of statements whatever its size: one SELECT of the waiting entries, one UPDATE
    linking them all (unnest), one COPY of every tree node they complete."""
    leader = (
        await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": audit.SEQUENCER_LOCK_KEY})
    ).scalar()
    if not leader:
        return None
    raw = await audit_tree.driver(session)
    top = await head(session, table)
    tree = await audit_tree.frontier(session)
    if tree.size < top.size:  # entries chained before the tree existed (or by older code): add them first
        added = [merkle.leaf_hash(audit.leaf_data(r)) for r in await raw.fetch(_CHAINED_AFTER, tree.size, batch)]
        await audit_tree.extend(session, tree, added)
    rows = await raw.fetch(_WAITING, batch)
    if not rows:
        return Round(0, top, tree)
    ids, seqs, prevs, hashes, leaves = [], [], [], [], []
    prev, seq, sha = top.hash, top.size, hashlib.sha256
    for row in rows:
        data = audit.leaf_data(row)
        seq += 1
        ids.append(row["id"])
        seqs.append(seq)
        prevs.append(prev)
        prev = sha(prev.encode() + data).hexdigest()  # audit.digest, without encoding the entry twice
        hashes.append(prev)
        leaves.append(sha(b"\x00" + data).digest())  # merkle.leaf_hash
    status = await raw.execute(_LINK, ids, seqs, prevs, hashes)
    if status != f"UPDATE {len(rows)}":
        raise RuntimeError("audit entries changed under the sequencer; the round is rolled back")
    if tree.size != top.size:
        return Round(len(rows), Head(seq, prev), tree)
    await audit_tree.extend(session, tree, leaves)
    return Round(len(rows), Head(seq, prev), tree, leaves)


# ---- signing ---------------------------------------------------------------------------------------------


def _message(service: str, size: int, head_hash: str, signed_at: datetime) -> bytes:
    stamp = signed_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"tracs-audit-checkpoint/v1\n{service}\n{size}\n{head_hash}\n{stamp}".encode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_text(public: Ed25519PublicKey) -> str:
    """The form operators keep and pass in TRACS_AUDIT_VERIFY_KEYS: base64 of the 32 raw bytes."""
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def _material(value: str) -> bytes:
    """A key given inline, or the path of a file holding it."""
    value = value.strip()
    if value and "\n" not in value and len(value) < 1024 and Path(value).is_file():
        return Path(value).read_bytes().strip()
    return value.encode()


def load_signing_key(value: str) -> Ed25519PrivateKey | None:
    """TRACS_AUDIT_SIGNING_KEY: PEM (PKCS#8) or base64 of the 32-byte seed, inline or as a file path."""
    if not value.strip():
        return None
    data = _material(value)
    if data.startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the audit signing key must be an Ed25519 key")
        return key
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(data))


def load_public_key(value: str) -> Ed25519PublicKey:
    data = _material(value)
    if data.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("an audit verify key must be an Ed25519 key")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(data))


def verify_keys(signing_key: str, previous: list[str]) -> dict[str, Ed25519PublicKey]:
    """Every public key checkpoints may be signed with: the current one and those rotated out, by key id."""
    keys = [load_public_key(v) for v in previous if v.strip()]
    private = load_signing_key(signing_key)
    if private is not None:
        keys.append(private.public_key())
    return {key_id(k): k for k in keys}


def generate_key_file(path: Path) -> Path:
    """A development key (PEM) for `tracs up` and the tests; production keys come from the operator."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    return path


def sign(key: Ed25519PrivateKey, *, service: str, top: Head, at: datetime | None = None) -> AuditCheckpointSigned:
    signed_at = at or datetime.now(UTC)
    signature = key.sign(_message(service, top.size, top.hash, signed_at))
    return AuditCheckpointSigned(
        service=service,
        size=top.size,
        head_hash=top.hash,
        signed_at=signed_at,
        key_id=key_id(key.public_key()),
        signature=base64.b64encode(signature).decode(),
    )


def signature_holds(cp: AuditCheckpointSigned, keys: dict[str, Ed25519PublicKey]) -> bool:
    public = keys.get(cp.key_id)
    if public is None:
        return False
    try:
        public.verify(base64.b64decode(cp.signature), _message(cp.service, cp.size, cp.head_hash, cp.signed_at))
    except (InvalidSignature, ValueError):
        return False
    return True


MAX_LEAVES_PER_CHECKPOINT = 20_000  # bounds a checkpoint event (~850 KiB) after signing was off for long


def default_origin(service: str) -> str:
    """The log's name in its checkpoints (and the name of its key): one log per service."""
    return f"tracs/audit/{service}"


def sign_note(key: Ed25519PrivateKey, *, origin: str, tree_size: int, root: bytes) -> str:
    """A C2SP checkpoint of the tree, signed by the service's log key."""
    body = Checkpoint(origin, tree_size, root).body()
    return Note(body).with_signature(Signer(origin, key).sign(body)).render()


def checkpoint_of(row: dict[str, Any]) -> AuditCheckpointSigned:
    return AuditCheckpointSigned.model_validate(row)


# ---- the loop ----------------------------------------------------------------------------------------------


class Sequencer:
    """One per service process; only the process holding the lock in a round does any work."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        outbox_table: Table,
        *,
        service: str,
        key: Ed25519PrivateKey | None,
        every_entries: int = 1000,
        every_seconds: float = 10.0,
        interval: float = 0.2,
        batch: int = 5000,
        engine: AsyncEngine | None = None,
        origin: str = "",
    ) -> None:
        self.sessions = sessions
        self.engine = engine  # given: an idle round costs one autocommitted query, not a transaction
        self.table = table
        self.outbox = outbox_table
        self.service = service
        self.key = key
        self.every_entries = every_entries
        self.every_seconds = every_seconds
        self.interval = interval
        self.batch = batch
        self._signed_size = 0
        self._signed_at = 0.0
        self._head = -1  # unknown until the first round
        self._tree = -1
        # The leaf hashes this process added since the last checkpoint (tree index of the first, hashes): the
        # next checkpoint carries them without reading them back. -1: not known, read from the tree.
        self._recent_from = -1
        self._recent: list[bytes] = []
        self.origin = origin or default_origin(service)

    async def _nothing_to_do(self) -> bool:
        if self.engine is None or self._head < 0 or self._tree < self._head or self._due(self._tree):
            return False
        async with self.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            return not await raw.fetchval(_ANY_WAITING)  # type: ignore[union-attr]

    async def step(self) -> int:
        """One round: link what waits, grow the tree and, when due, sign the head; all in one transaction."""
        if await self._nothing_to_do():
            return 0
        async with self.sessions() as session, session.begin():
            done = await sequence(session, self.table, batch=self.batch)
            if done is None:
                return 0
            linked, top, tree, added = done
            known = self._known_leaves(tree.size, added)
            signed = self._due(tree.size)
            if signed:
                checkpoint = await self._checkpoint(session, top, tree, known)
                envelope = wrap(
                    checkpoint, producer=self.service, correlation_id=uuid.uuid4().hex, actor="audit-sequencer"
                )
                await outbox.write(session, self.outbox, [(checkpoint.topic, envelope)])
        if signed:  # only once committed: a failed round signs again next time
            self._signed_size, self._signed_at = tree.size, time.monotonic()
            AUDIT_CHECKPOINTS.inc()
            known = (tree.size, [])
        elif len(known[1]) > MAX_LEAVES_PER_CHECKPOINT:
            known = (tree.size - MAX_LEAVES_PER_CHECKPOINT, known[1][-MAX_LEAVES_PER_CHECKPOINT:])
        self._recent_from, self._recent = known
        self._head, self._tree = top.size, tree.size
        AUDIT_SEQUENCED.inc(linked)
        AUDIT_HEAD.set(top.size)
        return linked

    def _known_leaves(self, size: int, added: list[bytes]) -> tuple[int, list[bytes]]:
        """The leaf hashes in memory that end the tree of `size` leaves: those of earlier rounds if they join
        this round's (no other process grew the tree in between), else only this round's."""
        if self._recent_from >= 0 and self._recent_from + len(self._recent) == size - len(added):
            return self._recent_from, self._recent + added
        return size - len(added), list(added)

    async def _checkpoint(
        self, session: AsyncSession, top: Head, tree: merkle.Frontier, known: tuple[int, list[bytes]]
    ) -> AuditCheckpointSigned:
        """The chain's head signed as before, the tree's root as a C2SP note kept beside the tree, and the
        leaf hashes added since the last checkpoint, so the archive outside this database can name the
        first entry a later rewrite changed."""
        at = datetime.now(UTC)
        note = sign_note(self.key, origin=self.origin, tree_size=tree.size, root=tree.root())  # type: ignore[arg-type]
        first = await audit_tree.last_checkpoint_size(session)
        first = max(first, tree.size - MAX_LEAVES_PER_CHECKPOINT)
        known_from, known_leaves = known
        if known_from <= first:
            leaves = known_leaves[first - known_from :]
        else:
            leaves = await audit_tree.leaves(session, first, tree.size)
        await session.execute(audit_tree.KEEP_CHECKPOINT, {"size": tree.size, "note": note, "signed_at": at})
        if top.size != tree.size:  # the tree still catches up with entries chained before it: sign both at its size
            stmt = select(self.table.c.hash).where(self.table.c.seq == tree.size)
            top = Head(tree.size, (await session.execute(stmt)).scalar_one())
        chained = sign(self.key, service=self.service, top=top, at=at)  # type: ignore[arg-type]
        return chained.model_copy(
            update={"note": note, "first": first, "leaves": base64.b64encode(b"".join(leaves)).decode()}
        )

    def _due(self, tree_size: int) -> bool:
        if self.key is None or tree_size <= self._signed_size:
            return False
        return tree_size - self._signed_size >= self.every_entries or (
            time.monotonic() - self._signed_at >= self.every_seconds
        )

    async def run_forever(self) -> None:
        if self.key is None:
            log.warning("audit sequencer runs without a signing key: no checkpoints", service=self.service)
        while True:
            try:
                linked = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again next round, nothing is half done
                log.warning("audit sequencer round failed", error=type(exc).__name__)
                linked = 0
            if linked < self.batch:
                await asyncio.sleep(self.interval)


async def on_own_thread(run: Callable[[], Awaitable[None]], *, name: str) -> None:
    """Run a background loop on a thread and event loop of its own until this task is cancelled.

    Why the sequencer runs so: on the service's loop, each of a round's awaits waited behind every request in
    flight (16 lookups at once put the lag's p95 at 4.5 s on the shared machine), and its session waited for
    the request pool. On its own loop with its own connections a round waits only for the GIL, a few ms a
    switch. `run` makes everything bound to a loop (engine, sessions) inside the thread.
    """
    caller = asyncio.get_running_loop()
    ready: asyncio.Future[tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = caller.create_future()
    ended = asyncio.Event()

    def main() -> None:
        loop = asyncio.new_event_loop()
        task = loop.create_task(run())  # type: ignore[arg-type]
        caller.call_soon_threadsafe(ready.set_result, (loop, task))
        try:
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(task)
        finally:
            loop.close()
            with contextlib.suppress(RuntimeError):  # the service's loop is gone already
                caller.call_soon_threadsafe(ended.set)

    thread = threading.Thread(target=main, name=name, daemon=True)
    thread.start()
    loop, task = await ready
    try:
        await ended.wait()
    finally:
        with contextlib.suppress(RuntimeError):  # its loop already closed
            loop.call_soon_threadsafe(task.cancel)
        await asyncio.to_thread(thread.join, 10)
