"""What `tracs audit verify` and `tracs audit checkpoint` do: read the signed checkpoints kept outside a
service's database (the gateway's table and the archive file), check their signatures, and check the
service's trail against them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from pydantic import ValidationError
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, audit_tree
from shared.audit_sequencer import default_origin, signature_holds, verify_keys
from shared.db import create_engine, session_factory
from shared.events.audit import AuditCheckpointSigned
from shared.signed_note import Verifier
from tracs import audit_checks


def _settings(service: str) -> Any:
    return importlib.import_module(f"services.{service}.settings").Settings()


def archived(path: Path, service: str | None = None) -> list[AuditCheckpointSigned]:
    """Checkpoints in the operator's archive: the configured file and every other `*.jsonl` beside it (in
    Kubernetes each gateway replica appends its own file to one volume); a repeated line is one checkpoint."""
    files = sorted({path, *path.parent.glob("*.jsonl")}) if path.parent.is_dir() else []
    found = []
    for file in (f for f in files if f.is_file()):
        for line in file.read_bytes().splitlines():
            try:
                cp = AuditCheckpointSigned.model_validate(orjson.loads(line))
            except (orjson.JSONDecodeError, ValidationError):
                continue
            if service is None or cp.service == service:
                found.append(cp)
    return found


async def kept_by_gateway(service: str | None = None) -> list[AuditCheckpointSigned]:
    """Checkpoints in the gateway's table; none if its database cannot be reached (the file still counts)."""
    from services.gateway.db import audit_archive

    engine = create_engine(_settings("gateway").service_database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            rows = await audit_archive.checkpoints(session, service)
        return [AuditCheckpointSigned.model_validate(dict(r)) for r in rows]
    except Exception:  # an unreachable gateway database leaves the archive file
        return []
    finally:
        await engine.dispose()


async def checkpoints(service: str | None = None) -> list[AuditCheckpointSigned]:
    s = _settings("gateway")
    merged: dict[tuple[str, int, str, str], AuditCheckpointSigned] = {}
    for cp in [*await kept_by_gateway(service), *archived(Path(s.audit_checkpoint_file), service)]:
        merged[(cp.service, cp.size, cp.head_hash, cp.signature)] = cp
    return sorted(merged.values(), key=lambda cp: (cp.service, cp.size))


@dataclass
class Verdict:
    report: audit.ChainReport
    problems: list[str] = field(default_factory=list)
    tree: audit_checks.TreeReport | None = None

    @property
    def intact(self) -> bool:
        return self.report.intact and not self.problems and (self.tree is None or self.tree.intact)

    @property
    def broken_at(self) -> tuple[int, str] | None:
        """The tree names the entry a checkpoint committed to otherwise; the chain, where a link fails."""
        if self.tree is not None and not self.tree.intact:
            return self.tree.broken_at, self.tree.reason  # type: ignore[return-value]
        if not self.report.intact:
            return self.report.broken_at, self.report.reason  # type: ignore[return-value]
        return None


def log_verifiers(service: str, settings: Any) -> list[Verifier]:
    """The keys the service's checkpoint notes may be signed with (current and rotated out), under its origin."""
    origin = default_origin(service)
    return [Verifier(origin, k) for k in verify_keys(settings.audit_signing_key, settings.audit_verify_keys).values()]


def witness_verifiers(settings: Any) -> list[Verifier]:
    return [Verifier.parse(v) for v in settings.audit_witness_keys if v.strip()]


async def leaves_of(session: AsyncSession, table: Table, chunk: int = 5000) -> list[bytes]:
    """Every sequenced entry's leaf hash, recomputed from its content, in trail order."""
    leaves: list[bytes] = []
    while True:
        stmt = select(table).where(table.c.seq > len(leaves)).order_by(table.c.seq).limit(chunk)
        rows = (await session.execute(stmt)).mappings().all()
        for row in rows:
            if row["seq"] != len(leaves) + 1:
                return leaves  # a gap: the chain walk names it
            leaves.append(audit_tree.leaf_hash(row))
        if len(rows) < chunk:
            return leaves


async def witnessed_note(service: str) -> str | None:
    """The last checkpoint of the service the witness cosigned (None if no witness is configured or it has
    none); unreachable is an error: verify requires the cosignature."""
    s = _settings(service)
    if not s.audit_witness_url:
        return None
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(
            f"{s.audit_witness_url.rstrip('/')}/checkpoint", params={"origin": default_origin(service)}
        )
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.text


async def verify(service: str) -> Verdict:
    """The service's chain, checked link by link and against every checkpoint whose signature holds."""
    s = _settings(service)
    keys = verify_keys(s.audit_signing_key, s.audit_verify_keys)
    marks: dict[int, str] = {}
    problems = []
    kept = await checkpoints(service)
    for cp in kept:
        if not signature_holds(cp, keys):
            problems.append(f"the checkpoint at entry {cp.size} has no valid signature (key {cp.key_id})")
        elif marks.setdefault(cp.size, cp.head_hash) != cp.head_hash:
            problems.append(f"two signed checkpoints at entry {cp.size} disagree")
    witnesses = witness_verifiers(s)
    try:
        cosigned = await witnessed_note(service)
    except httpx.HTTPError as exc:
        cosigned = None
        problems.append(f"the witness cannot be reached ({type(exc).__name__})")
    signed = audit_checks.signed_roots(
        [cp.note for cp in kept if cp.note] + ([cosigned] if cosigned else []),
        origin=default_origin(service),
        logs=log_verifiers(service, s),
        witnesses=witnesses,
    )
    problems += signed.problems
    if witnesses and signed.roots and not signed.cosigned:
        problems.append("no checkpoint of this trail is cosigned by a trusted witness")
    archive = audit_checks.archived_leaves((cp.first, cp.leaves) for cp in kept if cp.leaves and cp.first is not None)
    db = importlib.import_module(f"services.{service}.db")
    table = db.metadata.tables["audit_trail"]
    engine = create_engine(s.service_database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            report = await audit.verify(session, table, checkpoints=marks)
            tree = audit_checks.compare(await leaves_of(session, table), signed.roots, archive)
    finally:
        await engine.dispose()
    return Verdict(report, problems, tree)
