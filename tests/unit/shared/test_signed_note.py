"""Checkpoints as C2SP signed notes: the text, the key ids, signatures and cosignatures, and refusals."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.signed_note import COSIGNATURE_V1, Checkpoint, Note, NoteError, Signer, Verifier

ROOT = hashlib.sha256(b"root").digest()


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_a_checkpoint_is_origin_size_and_root_one_per_line_and_reads_back() -> None:
    cp = Checkpoint("tracs/audit/cases", 1028, ROOT)
    assert cp.body() == f"tracs/audit/cases\n1028\n{base64.b64encode(ROOT).decode()}\n"
    assert Checkpoint.parse(cp.body()) == cp
    for bad in ("tracs\n12\n", "tracs\n-1\nAAAA\n", "tracs\n012\n" + base64.b64encode(ROOT).decode() + "\n", "x"):
        with pytest.raises(NoteError):
            Checkpoint.parse(bad)


def test_the_key_id_is_the_c2sp_one_and_the_signature_holds_only_over_the_same_text() -> None:
    key = Ed25519PrivateKey.generate()
    signer = Signer("tracs/audit/cases", key)
    # c2sp.org/signed-note: SHA-256(name || 0x0A || 0x01 || key)[:4]
    assert signer.verifier.key_id == hashlib.sha256(b"tracs/audit/cases\n\x01" + _raw(key)).digest()[:4]
    text = Checkpoint("tracs/audit/cases", 3, ROOT).body()
    note = Note(text).with_signature(signer.sign(text))
    rendered = note.render()
    assert rendered.startswith(text + "\n\u2014 tracs/audit/cases ")
    back = Note.parse(rendered)
    assert back == note and back.signed_by(signer.verifier)
    other = Checkpoint("tracs/audit/cases", 4, ROOT).body()
    assert not Note(other, note.signatures).signed_by(signer.verifier)  # the signature is not the size's
    stranger = Signer("tracs/audit/cases", Ed25519PrivateKey.generate()).verifier
    assert not back.signed_by(stranger)  # an unknown key: its id matches no line


def test_a_cosignature_holds_for_its_time_and_text_and_the_witness_key_only() -> None:
    witness = Signer("witness.tracs", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    text = Checkpoint("tracs/audit/cases", 3, ROOT).body()
    note = Note(text).with_signature(witness.cosign(text, 1_700_000_000))
    back = Note.parse(note.render())
    assert back.cosigned_at(witness.verifier) == 1_700_000_000
    sig = back.signatures[0]
    moved = Note(text, (type(sig)(sig.name, sig.key_id, (1_700_000_001).to_bytes(8, "big") + sig.blob[8:]),))
    assert moved.cosigned_at(witness.verifier) is None  # the time is signed too
    assert not back.signed_by(witness.verifier)  # a cosignature is not a log signature


def test_verifier_keys_round_trip_and_a_tampered_one_is_refused() -> None:
    v = Signer("tracs/audit/cases", Ed25519PrivateKey.generate()).verifier
    assert Verifier.parse(v.vkey()) == v
    _name, hex_id, blob = v.vkey().split("+", 2)
    with pytest.raises(NoteError, match="does not match"):
        Verifier.parse(f"other+{hex_id}+{blob}")
    with pytest.raises(NoteError):
        Verifier.parse("not a key")


def test_malformed_notes_are_refused_with_a_reason() -> None:
    for bad in ("no blank line\n", "text\n\n- name AAAA\n", "text\n\n\u2014 name !!!\n", "text\n\n\u2014 name AA==\n"):
        with pytest.raises(NoteError):
            Note.parse(bad)
    with pytest.raises(NoteError, match="no spaces"):
        Signer("two words", Ed25519PrivateKey.generate())
