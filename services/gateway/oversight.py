"""Oversight use cases that span every service: the merged audit trail and the subject access export.

Each call to a service carries the caller's own token, so every service applies its own policy and
audits the read in its own trail; the gateway only assembles.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway import proof_status
from services.gateway.db import oversight as queries
from shared import audit_proofs
from shared.audit_sequencer import default_origin
from shared.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from shared.signed_note import Checkpoint, Note, NoteError
from shared.uow import UnitOfWork


class ServiceReader(Protocol):
    """A GET to a service as the caller: (status, JSON body or text)."""

    async def __call__(self, url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]: ...


async def audit_trail(
    *, uow: UnitOfWork, read: ServiceReader, services: dict[str, str], record: str | None, limit: int
) -> list[dict[str, Any]]:
    """Every service's audit entries about one record (or the latest) and the gateway's own, newest first."""
    record_type, record_id = None, None
    if record:
        record_type, _, record_id = record.rpartition(":")
        record_type = record_type or None
    params = {k: v for k, v in {"record_type": record_type, "record_id": record_id, "limit": limit}.items() if v}
    results = await asyncio.gather(*(read(f"{base}/audit", params) for base in services.values()))
    merged: list[dict[str, Any]] = []
    for name, (status, body) in zip(services, results, strict=True):
        if status != 200:
            raise Unavailable(f"the {name} service did not return its audit trail ({status})")
        merged += [{**entry, "service": name} for entry in body]
    async with uow:
        own = await queries.trail(uow.session, record_type=record_type, record_id=record_id, limit=limit)
    merged += [{**entry, "service": "gateway"} for entry in own]
    merged.sort(key=lambda e: str(e["at"]), reverse=True)
    return merged[:limit]


# The witness's latest cosigned checkpoint of a log (by origin), or None if it has cosigned none.
WitnessReader = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class ProofSources:
    """Where a page's proofs come from: the services (as the caller), the gateway's own trail, the witness."""

    read: ServiceReader
    services: dict[str, str]
    sessions: async_sessionmaker[AsyncSession]
    table: Table
    keys: proof_status.TrustedKeys
    witness: WitnessReader | None  # None: no witness here; entries are checked against each log's own checkpoint


async def with_proof_status(entries: list[dict[str, Any]], sources: ProofSources) -> list[dict[str, Any]]:
    """Each entry with its `proof` status. One checkpoint and one batch of proofs per service, all services at
    once, so a page costs a handful of requests whatever its length; a service that does not answer leaves its
    entries' status unknown rather than failing the page."""
    seqs: dict[str, list[int]] = {}
    for e in entries:
        if e.get("seq") is not None:
            seqs.setdefault(e["service"], []).append(e["seq"])
    found = await asyncio.gather(*(_proofs_of(service, wanted, sources) for service, wanted in seqs.items()))
    by_service = dict(zip(seqs, found, strict=True))
    out = []
    for e in entries:
        got = by_service.get(e["service"], (None, {}))
        if isinstance(got, proof_status.ProofStatus) and e.get("seq") is not None:
            status = got  # the service did not give the proofs of its sequenced entries
        else:
            note, proofs = got if isinstance(got, tuple) else (None, {})
            status = proof_status.decide(e, note=note, proof=proofs.get(e.get("seq")), keys=sources.keys)
        out.append({**e, "proof": status.as_json()})
    return out


async def _proofs_of(
    service: str, seqs: list[int], src: ProofSources
) -> tuple[str | None, dict[int, dict[str, Any]]] | proof_status.ProofStatus:
    """The checkpoint to check `service`'s entries against, and the service's proofs of those it covers."""
    try:
        note = await src.witness(default_origin(service)) if src.witness else await _latest_note(service, src)
    except DomainError as exc:
        return proof_status.unknown(f"the checkpoint of the {service} trail could not be read ({exc})")
    if note is None:
        return None, {}
    try:
        size = Checkpoint.parse(Note.parse(note).text).size
    except NoteError:
        return note, {}  # decide() names the unreadable checkpoint on each entry
    wanted = [s for s in seqs if s <= size]
    if not wanted:
        return note, {}
    if service == "gateway":
        async with src.sessions() as session:
            try:
                answer = await audit_proofs.inclusions(session, src.table, seqs=wanted, size=size)
            except NotFound as exc:
                return proof_status.unknown(str(exc))
    else:
        try:
            status, answer = await src.read(f"{src.services[service]}/audit/proofs", {"seq": wanted, "size": size})
        except Unavailable as exc:
            return proof_status.unknown(str(exc))
        if status != 200 or not isinstance(answer, dict):
            return proof_status.unknown(f"the {service} service did not return its proofs ({status})")
    given = answer.get("proofs")
    proofs = (
        [p for p in given if isinstance(p, dict) and isinstance(p.get("entry"), dict)]
        if isinstance(given, list)
        else []
    )
    return note, {p["entry"].get("seq"): p for p in proofs}  # an entry left out is named by decide()


async def _latest_note(service: str, src: ProofSources) -> str | None:
    if service == "gateway":
        async with src.sessions() as session:
            try:
                return (await audit_proofs.latest_checkpoint(session))["checkpoint"]
            except NotFound:
                return None
    status, body = await src.read(f"{src.services[service]}/audit/checkpoint")
    if status == 404:
        return None
    if status != 200 or not isinstance(body, dict):
        raise Unavailable(f"the {service} service did not return its checkpoint ({status})")
    return body["checkpoint"]


@dataclass(frozen=True)
class ProofAsked:
    kind: str  # inclusion or consistency
    params: dict[str, Any]


async def audit_proof(
    *,
    read: ServiceReader,
    services: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    service: str,
    ask: ProofAsked,
    table: Table,
) -> dict[str, Any]:
    """A proof from one service's trail: asked of the service as the caller, or answered here for the gateway's."""
    if service == "gateway":
        async with sessions() as session:
            if ask.kind == "inclusion":
                return {"service": service, **await audit_proofs.inclusion(session, table, **ask.params)}
            return {"service": service, **await audit_proofs.consistency(session, **ask.params)}
    base = services.get(service)
    if base is None:
        raise Invalid(f"unknown service {service!r}; one of {', '.join([*services, 'gateway'])}")
    if ask.kind == "inclusion":
        params = {k: v for k, v in ask.params.items() if k != "seq" and v is not None}
        status, body = await read(f"{base}/audit/entries/{ask.params['seq']}/proof", params)
    else:
        status, body = await read(f"{base}/audit/consistency", ask.params)
    if status != 200:
        detail = body.get("detail") if isinstance(body, dict) else None
        error = {404: NotFound, 409: Conflict, 422: Invalid}.get(status)
        if error is not None and isinstance(detail, str):
            raise error(detail)
        raise Unavailable(f"the {service} service did not return the proof ({status})")
    return {"service": service, **body}


async def subject_export(
    *, read: ServiceReader, services: dict[str, str], subject_id: uuid.UUID, generated_for: str
) -> dict[str, Any]:
    """Everything each service holds about one person, as one document; parts the caller may not see are named."""
    cases_url, disclosure_url, redress_url = services["cases"], services["disclosure"], services["redress"]
    status, subject = await read(f"{cases_url}/api/v1/subjects/{subject_id}")
    if status == 404:
        raise NotFound(f"no subject {subject_id}")
    if status != 200:
        raise Unavailable(f"the cases service answered {status} for the subject")
    encounter_ids = [e["id"] for e in subject["encounters"]]
    cases_status, cases = await read(f"{cases_url}/api/v1/cases", {"subject": str(subject_id), "limit": 500})
    details = []
    if cases_status == 200:
        got = await asyncio.gather(*(read(f"{cases_url}/api/v1/cases/{c['id']}") for c in cases["items"]))
        details = [body for code, body in got if code == 200]
    acc_status, accounting = await read(f"{disclosure_url}/api/v1/disclosures/accounting", {"subject": str(subject_id)})
    # Referrals and notices about the person's cases (owners, TSC, DOS), with the replies to them (issue 28).
    referred = await asyncio.gather(
        *(read(f"{disclosure_url}/api/v1/disclosures/referrals", {"case": c["id"]}) for c in details)
    )
    ref_status = max((code for code, _ in referred), default=200)
    referrals = [r for code, body in referred if code == 200 for r in body]
    red_status, redress = (200, [])
    if encounter_ids:
        red_status, redress = await read(f"{redress_url}/api/v1/redress", {"encounter": encounter_ids})
    return {
        "subject_id": str(subject_id),
        "generated_at": datetime.now(UTC).isoformat(),
        "generated_for": generated_for,
        "subject": {k: v for k, v in subject.items() if k != "encounters"},
        "encounters": subject["encounters"],
        "cases": details if cases_status == 200 else _part(cases_status, cases),
        "accounting_of_disclosures": _part(acc_status, accounting),
        "referrals_and_notices": referrals if ref_status == 200 else _part(ref_status, referrals),
        "redress": _part(red_status, redress),
    }


def _part(code: int, body: Any) -> Any:
    """A part the caller may not see is named as withheld, not silently left out."""
    return body if code == 200 else {"withheld": f"not available to you ({code})"}
