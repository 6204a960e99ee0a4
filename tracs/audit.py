"""What `tracs audit verify` and `tracs audit checkpoint` do: read the signed checkpoints kept outside a
service's database (the gateway's table and the archive file), check their signatures, and check the
service's trail against them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from shared import audit
from shared.audit_sequencer import signature_holds, verify_keys
from shared.db import create_engine, session_factory
from shared.events.audit import AuditCheckpointSigned


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

    @property
    def intact(self) -> bool:
        return self.report.intact and not self.problems


async def verify(service: str) -> Verdict:
    """The service's chain, checked link by link and against every checkpoint whose signature holds."""
    s = _settings(service)
    keys = verify_keys(s.audit_signing_key, s.audit_verify_keys)
    marks: dict[int, str] = {}
    problems = []
    for cp in await checkpoints(service):
        if not signature_holds(cp, keys):
            problems.append(f"the checkpoint at entry {cp.size} has no valid signature (key {cp.key_id})")
        elif marks.setdefault(cp.size, cp.head_hash) != cp.head_hash:
            problems.append(f"two signed checkpoints at entry {cp.size} disagree")
    db = importlib.import_module(f"services.{service}.db")
    engine = create_engine(s.service_database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            report = await audit.verify(session, db.metadata.tables["audit_trail"], checkpoints=marks)
    finally:
        await engine.dispose()
    return Verdict(report, problems)
