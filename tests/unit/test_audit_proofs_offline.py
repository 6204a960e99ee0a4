"""The verifier of bundles and the witness, attacked without I/O: forged proofs, proofs for another tree
size, cut-short bundles, unknown keys, missing cosignatures, split views."""

from __future__ import annotations

import asyncio
import base64
import copy
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared import audit, audit_proofs, merkle
from shared.audit_sequencer import default_origin, sign_note
from shared.signed_note import COSIGNATURE_V1, Checkpoint, Note, Signer
from tracs import audit_bundle, audit_checks
from tracs.witness import Refused, Witness, WitnessState

LOG_KEY = Ed25519PrivateKey.generate()
ORIGIN = default_origin("cases")
LOG = Signer(ORIGIN, LOG_KEY)
WITNESS = Signer("tracs-witness", Ed25519PrivateKey.generate(), COSIGNATURE_V1)


def _entries(n: int) -> list[dict]:
    return [
        {
            "seq": i + 1,
            "at": f"2026-12-04T10:00:{i % 60:02d}+00:00",
            "actor": f"analyst{i % 3}",
            "action": "case:read GET /api/v1/cases/{case_id}",
            "record_type": "case",
            "record_id": "case-7" if i % 5 == 0 else f"other-{i}",
            "fields": [],
            "outcome": "allowed",
            "correlation_id": f"c{i}",
            "client": "10.0.0.1",
            "detail": None,
        }
        for i in range(n)
    ]


def _tree(entries: list[dict]) -> tuple[merkle.Frontier, dict[merkle.Node, bytes]]:
    tree, nodes = merkle.Frontier(), {}
    for e in entries:
        nodes.update(tree.append(merkle.leaf_hash(audit.leaf_data({k: v for k, v in e.items() if k != "seq"}))))
    return tree, nodes


def _proof(index: int, size: int, nodes: dict[merkle.Node, bytes]) -> list[str]:
    return [audit_proofs.b64(h) for h in merkle.proof_from(merkle.inclusion_ranges(index, size), nodes)]


def _bundle(entries: list[dict], size: int, *, cosign: bool = True, signer: Signer = LOG) -> dict:
    tree, nodes = _tree(entries[:size])
    note = sign_note(signer.key, origin=ORIGIN, tree_size=size, root=tree.root())
    if cosign:
        parsed = Note.parse(note)
        note = parsed.with_signature(WITNESS.cosign(parsed.text, 1_765_000_000)).render()
    chosen = [e for e in entries[:size] if e["record_id"] == "case-7"]
    items = [
        {
            "entry": e,
            "proof": [
                audit_proofs.b64(h) for h in merkle.proof_from(merkle.inclusion_ranges(e["seq"] - 1, size), nodes)
            ],
        }
        for e in chosen
    ]
    log = {
        "service": "cases",
        "origin": ORIGIN,
        "checkpoint": note,
        "log_keys": [signer.verifier.vkey()],
        "witness_keys": [WITNESS.verifier.vkey()],
        "entry_count": len(items),
        "entries": items,
    }
    return {"format": audit_bundle.FORMAT, "record_id": "case-7", "log_count": 1, "logs": [log]}


def _check(bundle: dict, witnesses: bool = True) -> audit_bundle.BundleReport:
    data = audit_bundle.read(orjson.dumps(bundle))
    return audit_bundle.check(data, logs=[LOG.verifier], witnesses=[WITNESS.verifier] if witnesses else [])


ENTRIES = _entries(45)


def test_a_sound_bundle_is_verified_offline() -> None:
    report = _check(_bundle(ENTRIES, 45))
    assert report.intact and report.entries == 9


def test_a_forged_inclusion_proof_is_refused() -> None:
    bundle = _bundle(ENTRIES, 45)
    proof = bundle["logs"][0]["entries"][2]["proof"]
    proof[1] = audit_proofs.b64(bytes(32))
    report = _check(bundle)
    assert not report.intact and "entry 11 is not proven" in report.problems[0]


def test_a_changed_entry_is_refused_by_its_own_proof() -> None:
    bundle = _bundle(ENTRIES, 45)
    bundle["logs"][0]["entries"][0]["entry"]["actor"] = "someone-else"
    assert "entry 1 is not proven" in _check(bundle).problems[0]


def test_a_proof_for_another_tree_size_is_refused() -> None:
    bundle = _bundle(ENTRIES, 45)
    older = _bundle(ENTRIES, 40)  # the same entries proven in the tree of 40, offered with the checkpoint of 45
    bundle["logs"][0]["entries"] = older["logs"][0]["entries"]
    bundle["logs"][0]["entry_count"] = len(older["logs"][0]["entries"])
    report = _check(bundle)
    assert not report.intact and all("not proven in the checkpoint of 45" in p for p in report.problems)


def test_a_truncated_bundle_is_refused_with_a_reason() -> None:
    data = orjson.dumps(_bundle(ENTRIES, 45))
    with pytest.raises(audit_bundle.BundleError, match="cut short"):
        audit_bundle.read(data[: len(data) // 2])
    shorter = _bundle(ENTRIES, 45)
    shorter["logs"][0]["entries"].pop()  # a whole entry cut out: the count no longer matches
    with pytest.raises(audit_bundle.BundleError, match="fewer entries"):
        audit_bundle.read(orjson.dumps(shorter))
    with pytest.raises(audit_bundle.BundleError, match="not a TRACS audit bundle"):
        audit_bundle.read(b"{}")


def test_a_checkpoint_signed_by_an_unknown_key_is_refused_even_if_the_bundle_names_it() -> None:
    stranger = Signer(ORIGIN, Ed25519PrivateKey.generate())
    report = _check(_bundle(ENTRIES, 45, signer=stranger))
    assert not report.intact
    assert any("do not trust" in p for p in report.problems)
    assert any("not signed by a trusted log key" in p for p in report.problems)


def test_a_checkpoint_without_the_witness_cosignature_is_refused_when_a_witness_is_trusted() -> None:
    bundle = _bundle(ENTRIES, 45, cosign=False)
    assert "not cosigned by a trusted witness" in _check(bundle).problems[0]
    assert _check(bundle, witnesses=False).intact  # no witness trusted: the log's signature suffices


# ---- the witness --------------------------------------------------------------------------------------------


def _submission(old: int, entries: list[dict], size: int, old_nodes_from: list[dict] | None = None) -> str:
    tree, nodes = _tree(entries[:size])
    note = sign_note(LOG_KEY, origin=ORIGIN, tree_size=size, root=tree.root())
    proof = merkle.proof_from(merkle.consistency_ranges(old, size), nodes) if 0 < old < size else []
    return f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note


def _witness(tmp_path: Path) -> Witness:
    return Witness(WITNESS, [LOG.verifier], WitnessState(tmp_path))


def test_the_witness_cosigns_only_checkpoints_that_extend_the_last_it_cosigned(tmp_path: Path) -> None:
    w = _witness(tmp_path)
    line = asyncio.run(w.add_checkpoint(_submission(0, ENTRIES, 20)))
    assert line.startswith("\u2014 tracs-witness ")
    asyncio.run(w.add_checkpoint(_submission(20, ENTRIES, 45)))
    latest = Note.parse(w.latest(ORIGIN) or "")
    assert latest.signed_by(LOG.verifier) and latest.cosigned_at(WITNESS.verifier)
    assert Checkpoint.parse(latest.text).size == 45
    # It remembers across a restart (its state is a file), and asks for the proof from where it is.
    again = _witness(tmp_path)
    with pytest.raises(Refused) as stale:
        asyncio.run(again.add_checkpoint(_submission(20, ENTRIES, 45)))
    assert stale.value.status == 409 and stale.value.body == "45\n"


def test_the_witness_refuses_a_split_view_and_a_history_that_does_not_extend(tmp_path: Path) -> None:
    w = _witness(tmp_path)
    asyncio.run(w.add_checkpoint(_submission(0, ENTRIES, 30)))
    other = copy.deepcopy(ENTRIES)
    other[4]["actor"] = "nobody"  # the operator's second history, signed with the same log key
    with pytest.raises(Refused) as split:
        asyncio.run(w.add_checkpoint(_submission(30, other, 30)))
    assert split.value.status == 409 and "split view" in split.value.message
    with pytest.raises(Refused) as fork:
        asyncio.run(w.add_checkpoint(_submission(30, other, 45)))
    assert fork.value.status == 422 and "does not extend" in fork.value.message
    assert Checkpoint.parse(Note.parse(w.latest(ORIGIN) or "").text).size == 30  # nothing moved


def test_the_witness_refuses_unknown_logs_and_bad_signatures_and_garbage(tmp_path: Path) -> None:
    w = _witness(tmp_path)
    forged = _submission(0, ENTRIES, 5).replace(
        Note.parse(_submission(0, ENTRIES, 5).split("\n\n", 1)[1]).signatures[0].line(),
        Signer(ORIGIN, Ed25519PrivateKey.generate()).sign(Checkpoint(ORIGIN, 5, bytes(32)).body()).line(),
    )
    with pytest.raises(Refused) as bad:
        asyncio.run(w.add_checkpoint(forged))
    assert bad.value.status == 403
    stranger = Signer("tracs/audit/elsewhere", LOG_KEY)
    body = Checkpoint(stranger.name, 1, bytes(32)).body()
    with pytest.raises(Refused) as unknown:
        asyncio.run(w.add_checkpoint("old 0\n\n" + Note(body).with_signature(stranger.sign(body)).render()))
    assert unknown.value.status == 404
    with pytest.raises(Refused) as garbage:
        asyncio.run(w.add_checkpoint("hello"))
    assert garbage.value.status == 400


def test_verify_names_a_split_view_in_the_archive() -> None:
    one = sign_note(LOG_KEY, origin=ORIGIN, tree_size=30, root=_tree(ENTRIES[:30])[0].root())
    other = copy.deepcopy(ENTRIES)
    other[4]["actor"] = "nobody"
    two = sign_note(LOG_KEY, origin=ORIGIN, tree_size=30, root=_tree(other[:30])[0].root())
    out = audit_checks.signed_roots([one, two], origin=ORIGIN, logs=[LOG.verifier])
    assert any("split view" in p for p in out.problems)
