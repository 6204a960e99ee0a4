"""Audit bundles: what an inspector checks from a file, with no network and no database.

`export` gathers, for one record (a case id), every service's entries about it, each with its RFC 9162
inclusion proof in the latest checkpoint the service signed (and the witness cosigned), the checkpoint
notes and the public keys. `check` verifies a bundle offline against the keys the inspector trusts: each
note's signature (and cosignature), each entry's leaf recomputed from its content, each proof to the root.
A bundle exported before a rewrite still proves what the trail said; `differences` names the entries the
live trail no longer agrees with.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from shared import audit_proofs, audit_tree
from shared.audit_sequencer import default_origin
from shared.db import create_engine, session_factory
from shared.signed_note import Checkpoint, Note, NoteError, Verifier

FORMAT = "tracs-audit-bundle/v1"


class BundleError(ValueError):
    """A bundle that cannot be read, or is not complete."""


@dataclass
class BundleReport:
    entries: int = 0
    logs: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems and self.entries > 0


def read(data: bytes) -> dict[str, Any]:
    """A bundle's JSON, refused with a reason if it is cut short or not a bundle."""
    try:
        bundle = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BundleError(f"the bundle cannot be read (cut short or not JSON): {exc}") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError(f"not a TRACS audit bundle (format {FORMAT} expected)")
    logs = bundle.get("logs")
    if not isinstance(logs, list) or bundle.get("log_count") != len(logs):
        raise BundleError("the bundle is incomplete: its list of logs does not match its count")
    for log in logs:
        if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
            raise BundleError("the bundle is incomplete: a log without its entries")
        if log.get("entry_count") != len(log["entries"]):
            raise BundleError(f"the bundle is incomplete: {log.get('service')} lists fewer entries than it counts")
    return bundle


def _keys(texts: Sequence[str]) -> list[Verifier]:
    return [Verifier.parse(t) for t in texts]


def check(bundle: dict[str, Any], *, logs: Sequence[Verifier], witnesses: Sequence[Verifier]) -> BundleReport:
    """Verify every entry's proof against a checkpoint signed by a trusted log key and, when witnesses are
    trusted, cosigned by one. The bundle's own keys are only compared with the trusted ones, never believed."""
    report = BundleReport(logs=len(bundle["logs"]))
    trusted = {v.vkey() for v in logs}
    for log in bundle["logs"]:
        service = log.get("service", "?")
        strangers = [k for k in log.get("log_keys", []) if k not in trusted]
        if strangers:
            report.problems.append(f"{service}: the bundle names a log key you do not trust ({strangers[0][:40]}...)")
        try:
            note = Note.parse(log["checkpoint"])
            cp = Checkpoint.parse(note.text)
        except (KeyError, NoteError) as exc:
            report.problems.append(f"{service}: the checkpoint cannot be read: {exc}")
            continue
        if not any(note.signed_by(v) for v in logs if v.name == cp.origin):
            report.problems.append(f"{service}: the checkpoint of {cp.size} entries is not signed by a trusted log key")
            continue
        if witnesses and not any(note.cosigned_at(w) is not None for w in witnesses):
            report.problems.append(f"{service}: the checkpoint of {cp.size} is not cosigned by a trusted witness")
            continue
        for item in log["entries"]:
            report.entries += 1
            try:
                answer = {"entry": item["entry"], "tree_size": cp.size, "proof": item["proof"]}
                audit_proofs.check_inclusion(answer, cp.root)
            except (KeyError, TypeError, ValueError) as exc:
                seq = item.get("entry", {}).get("seq", "?") if isinstance(item, dict) else "?"
                report.problems.append(f"{service}: entry {seq} is not proven in the checkpoint of {cp.size}: {exc}")
    return report


async def export(record_id: str, services: Sequence[str], settings_of: Any) -> dict[str, Any]:
    """Every service's entries about `record_id`, each with its proof in the latest checkpoint the witness
    cosigned (without a witness: the latest the service signed), with the notes and the public keys."""
    from tracs.audit import log_verifiers, witness_verifiers, witnessed_note

    logs = []
    for service in services:
        s = settings_of(service)
        cosigned = await witnessed_note(service)
        table = importlib.import_module(f"services.{service}.db").metadata.tables["audit_trail"]
        engine = create_engine(s.service_database_url, pool_size=1)
        try:
            async with session_factory(engine)() as session:
                note = cosigned or await _latest_note(session)
                if note is None:
                    continue
                size = Checkpoint.parse(Note.parse(note).text).size
                stmt = select(table).where(
                    table.c.record_id == record_id, table.c.seq.is_not(None), table.c.seq <= size
                )
                entries = []
                for row in (await session.execute(stmt.order_by(table.c.seq))).mappings():
                    proof = await audit_tree.inclusion_proof(session, row["seq"] - 1, size)
                    entries.append(
                        {"entry": audit_proofs.entry_json(row), "proof": [audit_proofs.b64(h) for h in proof]}
                    )
        finally:
            await engine.dispose()
        if entries:
            logs.append(
                {
                    "service": service,
                    "origin": default_origin(service),
                    "checkpoint": note,
                    "log_keys": [v.vkey() for v in log_verifiers(service, s)],
                    "witness_keys": [v.vkey() for v in witness_verifiers(s)],
                    "entry_count": len(entries),
                    "entries": entries,
                }
            )
    return {
        "format": FORMAT,
        "record_id": record_id,
        "exported_at": datetime.now(UTC).isoformat(),
        "log_count": len(logs),
        "logs": logs,
    }


async def _latest_note(session: Any) -> str | None:
    size = await audit_tree.last_checkpoint_size(session)
    kept = await audit_tree.checkpoint_covering(session, size, size) if size else None
    return kept.note if kept else None


async def differences(bundle: dict[str, Any], settings_of: Any) -> list[str]:
    """Entries of a (verified) bundle that the live trail no longer holds as proven: each named, with the
    fields that differ."""
    found = []
    for log in bundle["logs"]:
        service = log["service"]
        s = settings_of(service)
        table = importlib.import_module(f"services.{service}.db").metadata.tables["audit_trail"]
        engine = create_engine(s.service_database_url, pool_size=1)
        try:
            async with session_factory(engine)() as session:
                for item in log["entries"]:
                    proven = item["entry"]
                    row = (await session.execute(select(table).where(table.c.seq == proven["seq"]))).mappings().first()
                    if row is None:
                        found.append(f"{service}: entry {proven['seq']} is gone from the trail")
                        continue
                    now = audit_proofs.entry_json(row)
                    changed = sorted(k for k in proven if now.get(k) != proven[k])
                    if changed:
                        found.append(
                            f"{service}: entry {proven['seq']} differs from the bundle's ({', '.join(changed)})"
                        )
        finally:
            await engine.dispose()
    return found
