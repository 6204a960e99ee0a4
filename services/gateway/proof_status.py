"""What an audit entry's proof says, decided in plain Python: proven in a checkpoint (cosigned by the witness),
sequenced but not yet under one, not yet sequenced, or a verification that failed and names why.

The gateway trusts only its own keys: the checkpoint's signature is checked with the log keys of its settings and
the cosignature with the witness keys; the leaf is recomputed from the entry the page lists, so a service that
lists one thing and proves another is caught. The checks are `shared.signed_note` and `shared.audit_proofs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from shared import audit, audit_proofs
from shared.audit_sequencer import default_origin, verify_keys
from shared.signed_note import Checkpoint, Note, NoteError, Verifier

PROVEN, SEQUENCED, UNSEQUENCED, FAILED, UNKNOWN = "proven", "sequenced", "unsequenced", "failed", "unknown"


@dataclass(frozen=True)
class ProofStatus:
    state: str  # one of the five above
    summary: str  # the words the console shows
    tree_size: int | None = None  # the checkpoint the entry is proven in
    leaf_index: int | None = None
    cosigned: bool = False
    checkpoint: str | None = None  # the signed note, for whoever wants to check it again
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrustedKeys:
    """The log keys (every service's checkpoints are signed with the deployment's key, each under its own
    origin) and the witness keys whose cosignature counts."""

    log_keys: Sequence[Any]  # Ed25519 public keys, current and rotated out
    witnesses: Sequence[Verifier]

    @classmethod
    def of(cls, settings: Any) -> TrustedKeys:
        keys = verify_keys(settings.audit_signing_key, settings.audit_verify_keys).values()
        return cls(list(keys), [Verifier.parse(v) for v in settings.audit_witness_keys if v.strip()])

    def logs(self, service: str) -> list[Verifier]:
        return [Verifier(default_origin(service), k) for k in self.log_keys]


def unknown(reason: str) -> ProofStatus:
    """No verdict: the service or the witness did not answer (not an alert: nothing was shown false)."""
    return ProofStatus(UNKNOWN, f"proof status unavailable: {reason}")


def decide(
    entry: Mapping[str, Any], *, note: str | None, proof: Mapping[str, Any] | None, keys: TrustedKeys
) -> ProofStatus:
    """The status of a listed `entry` (with `seq` and `service`) given the checkpoint `note` it is checked
    against (the witness's latest cosigned one, or the service's latest signed one without a witness) and the
    service's `proof` of it in that checkpoint (None if the service gave none)."""
    seq, service = entry.get("seq"), str(entry.get("service"))
    waiting = "a checkpoint the witness cosigned" if keys.witnesses else "a signed checkpoint"
    if seq is None:
        return ProofStatus(UNSEQUENCED, "not yet sequenced")
    if note is None:
        return ProofStatus(SEQUENCED, f"sequenced as entry {seq}, not yet under {waiting}")
    try:
        parsed = Note.parse(note)
        cp = Checkpoint.parse(parsed.text)
    except NoteError as exc:
        return _failed(f"the checkpoint of the {service} trail cannot be read: {exc}", note)
    if cp.origin != default_origin(service):
        return _failed(f"the checkpoint offered for the {service} trail is of another log ({cp.origin})", note)
    if not any(parsed.signed_by(v) for v in keys.logs(service)):
        return _failed(f"the checkpoint of {cp.size} entries is not signed by a trusted log key", note)
    cosigned = any(parsed.cosigned_at(w) is not None for w in keys.witnesses)
    if keys.witnesses and not cosigned:
        return _failed(f"the checkpoint of {cp.size} entries is not cosigned by a trusted witness", note)
    if seq > cp.size:
        return ProofStatus(SEQUENCED, f"sequenced as entry {seq}, not yet under {waiting}")
    if proof is None:
        return _failed(f"the {service} service gave no proof of entry {seq} in its checkpoint of {cp.size}", note)
    listed, proven = _content(entry), _content(proof.get("entry") or {})
    if listed is None or listed != proven or proof["entry"].get("seq") != seq:
        return _failed(f"the {service} service proves other content for entry {seq} than it lists", note)
    try:
        audit_proofs.check_inclusion({"entry": proof["entry"], "tree_size": cp.size, "proof": proof["proof"]}, cp.root)
    except (KeyError, TypeError, ValueError) as exc:  # merkle.ProofError is a ValueError, as is bad base64
        return _failed(f"entry {seq} is not proven in the checkpoint of {cp.size}: {exc}", note)
    witness = "cosigned by the witness" if cosigned else "no witness key trusted"
    return ProofStatus(PROVEN, f"proven in checkpoint of size {cp.size}, {witness}", cp.size, seq - 1, cosigned, note)


def _failed(problem: str, note: str | None) -> ProofStatus:
    return ProofStatus(FAILED, "verification failed", checkpoint=note, problem=problem)


def _content(entry: Mapping[str, Any]) -> bytes | None:
    """What the leaf covers, the same whether `at` came as a datetime (the gateway's own) or as JSON text."""
    try:
        at = entry["at"]
        at = datetime.fromisoformat(at) if isinstance(at, str) else at
        return audit.leaf_data({**entry, "at": at.astimezone(UTC)})
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
