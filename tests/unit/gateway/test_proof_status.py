"""An audit entry's proof status, decided from a real signed (and cosigned) checkpoint and real inclusion proofs
built in memory: proven, not yet under a checkpoint, not yet sequenced, and every way a proof can fail."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.gateway import oversight
from services.gateway.proof_status import FAILED, PROVEN, SEQUENCED, UNKNOWN, UNSEQUENCED, TrustedKeys, decide
from shared import audit, audit_proofs, merkle
from shared.audit_sequencer import default_origin, sign_note
from shared.signed_note import COSIGNATURE_V1, Note, Signer

LOG_KEY = Ed25519PrivateKey.generate()
WITNESS = Signer("tracs-witness", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
KEYS = TrustedKeys([LOG_KEY.public_key()], [WITNESS.verifier])


def _entries(n: int, service: str = "cases") -> list[dict[str, Any]]:
    """Entries as the merged trail lists them (JSON, with their service); the names are not ASCII on purpose."""
    return [
        {
            "seq": i + 1,
            "at": f"2026-12-04T10:00:{i % 60:02d}.250000+00:00",
            "actor": "analyste.zoë",
            "action": "case:read GET /api/v1/cases/{case_id}",
            "record_type": "case",
            "record_id": f"case-{i}",
            "fields": ["notes"],
            "outcome": "allowed",
            "correlation_id": f"c{i}",
            "client": "10.0.0.1",
            "detail": None,
            "hash": "ab" * 32,
            "service": service,
        }
        for i in range(n)
    ]


def _checkpoint(entries: list[dict[str, Any]], size: int, *, service: str = "cases", cosign: bool = True) -> tuple:
    """A note over the first `size` entries signed by the log key (and cosigned), and each entry's proof."""
    tree, nodes = merkle.Frontier(), {}
    for e in entries[:size]:
        nodes.update(tree.append(merkle.leaf_hash(audit.leaf_data(e))))
    note = sign_note(LOG_KEY, origin=default_origin(service), tree_size=size, root=tree.root())
    if cosign:
        parsed = Note.parse(note)
        note = parsed.with_signature(WITNESS.cosign(parsed.text, 1_765_000_000)).render()
    proofs = {
        e["seq"]: {
            "entry": audit_proofs.entry_json(e),
            "leaf_index": e["seq"] - 1,
            "proof": [
                audit_proofs.b64(h) for h in merkle.proof_from(merkle.inclusion_ranges(e["seq"] - 1, size), nodes)
            ],
        }
        for e in entries[:size]
    }
    return note, proofs


def test_an_entry_proven_in_a_cosigned_checkpoint_says_so_with_its_leaf_and_checkpoint() -> None:
    entries = _entries(7)
    note, proofs = _checkpoint(entries, 5)
    status = decide(entries[2], note=note, proof=proofs[3], keys=KEYS)
    assert status.state == PROVEN
    assert status.summary == "proven in checkpoint of size 5, cosigned by the witness"
    assert (status.tree_size, status.leaf_index, status.cosigned, status.checkpoint) == (5, 2, True, note)


def test_without_a_trusted_witness_key_an_entry_is_proven_in_the_log_s_own_checkpoint() -> None:
    entries = _entries(3)
    note, proofs = _checkpoint(entries, 3, cosign=False)
    status = decide(entries[0], note=note, proof=proofs[1], keys=TrustedKeys([LOG_KEY.public_key()], []))
    assert status.state == PROVEN
    assert status.summary == "proven in checkpoint of size 3, no witness key trusted"


def test_an_entry_beyond_the_checkpoint_or_before_any_is_sequenced_but_not_yet_under_one() -> None:
    entries = _entries(7)
    note, _ = _checkpoint(entries, 5)
    later = decide(entries[6], note=note, proof=None, keys=KEYS)
    assert (later.state, later.summary) == (
        SEQUENCED,
        "sequenced as entry 7, not yet under a checkpoint the witness cosigned",
    )
    assert decide(entries[0], note=None, proof=None, keys=KEYS).state == SEQUENCED


def test_an_entry_without_a_place_in_the_trail_is_not_yet_sequenced() -> None:
    entry = {**_entries(1)[0], "seq": None}
    status = decide(entry, note=None, proof=None, keys=KEYS)
    assert (status.state, status.summary) == (UNSEQUENCED, "not yet sequenced")


def _tampered_proof(proofs: dict) -> dict:
    forged = copy.deepcopy(proofs[2])
    forged["proof"][0] = audit_proofs.b64(b"\x00" * 32)
    return forged


def _other_content(proofs: dict) -> dict:
    forged = copy.deepcopy(proofs[2])
    forged["entry"]["actor"] = "someone-else"
    return forged


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("proof", "entry 2 is not proven in the checkpoint of 4"),
        ("listed", "proves other content for entry 2 than it lists"),
        ("missing", "gave no proof of entry 2"),
        ("uncosigned", "not cosigned by a trusted witness"),
        ("foreign key", "not signed by a trusted log key"),
        ("other log", "is of another log (tracs/audit/redress)"),
        ("unreadable", "cannot be read"),
    ],
)
def test_a_proof_that_does_not_hold_fails_and_names_why(change: str, problem: str) -> None:
    entries = _entries(4)
    note, proofs = _checkpoint(entries, 4)
    entry, proof = entries[1], proofs[2]
    if change == "proof":
        proof = _tampered_proof(proofs)
    elif change == "listed":
        proof = _other_content(proofs)
    elif change == "missing":
        proof = None
    elif change == "uncosigned":
        note, _ = _checkpoint(entries, 4, cosign=False)
    elif change == "foreign key":
        note = sign_note(Ed25519PrivateKey.generate(), origin=default_origin("cases"), tree_size=4, root=b"\x01" * 32)
    elif change == "other log":
        note, proofs = _checkpoint(_entries(4, "redress"), 4, service="redress")
    else:
        note = "not a note"
    status = decide(entry, note=note, proof=proof, keys=KEYS)
    assert status.state == FAILED
    assert problem in (status.problem or "")


def test_a_page_asks_each_service_once_for_its_checkpoint_and_its_proofs_and_a_silent_service_is_unknown() -> None:
    cases = _entries(6, "cases")
    redress = _entries(2, "redress")
    note, proofs = _checkpoint(cases, 4)
    asked: list[tuple[str, dict | None]] = []

    async def read(url: str, params: dict | None = None) -> tuple[int, Any]:
        asked.append((url, params))
        if url.startswith("http://cases"):
            return 200, {"tree_size": 4, "checkpoint": note, "proofs": [proofs[s] for s in params["seq"]]}
        return 503, {"detail": "down"}

    async def witness(origin: str) -> str | None:
        return note if origin == default_origin("cases") else _checkpoint(redress, 2, service="redress")[0]

    sources = oversight.ProofSources(
        read=read,
        services={"cases": "http://cases", "redress": "http://redress"},
        sessions=None,  # type: ignore[arg-type]  # no gateway entries on this page
        table=None,  # type: ignore[arg-type]
        keys=KEYS,
        witness=witness,
    )
    page = [*reversed(cases), {**redress[0], "seq": None}, redress[1]]
    shown = asyncio.run(oversight.with_proof_status(page, sources))
    states = [(e["service"], e["seq"], e["proof"]["state"]) for e in shown]
    assert states == [
        ("cases", 6, SEQUENCED),
        ("cases", 5, SEQUENCED),
        *[("cases", s, PROVEN) for s in (4, 3, 2, 1)],
        ("redress", None, UNSEQUENCED),
        ("redress", 2, UNKNOWN),
    ]
    assert asked == [
        ("http://cases/audit/proofs", {"seq": [4, 3, 2, 1], "size": 4}),
        ("http://redress/audit/proofs", {"seq": [2], "size": 2}),
    ]
