"""Checkpoints as C2SP signed notes (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature): plain Python.

A checkpoint names a log (its origin), a tree size and the RFC 9162 root of that many entries. The log signs
the note with its Ed25519 key (key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key));
a witness adds a cosignature (0x04, over `cosignature/v1`, a time line and the checkpoint body). The text
is what the transparency-dev tools read, so a checkpoint can be checked by them as well as by `tracs`.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DASH = "\u2014"
ED25519 = 0x01
COSIGNATURE_V1 = 0x04


class NoteError(ValueError):
    """A note that cannot be read, or whose signature does not hold."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hash(name: str, public: Ed25519PublicKey, alg: int = ED25519) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + _raw(public)).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise NoteError(f"a key name has no spaces and no '+': {name!r}")
    return name


@dataclass(frozen=True)
class Verifier:
    """A public key under a name: a log's (signatures) or a witness's (cosignatures)."""

    name: str
    public: Ed25519PublicKey
    alg: int = ED25519

    @property
    def key_id(self) -> bytes:
        return key_hash(self.name, self.public, self.alg)

    def vkey(self) -> str:
        """The verifier key text (`name+hexid+base64(alg || key)`) the Go note package and tools read."""
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([self.alg]) + _raw(self.public)).decode()}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        try:
            name, hex_id, blob = vkey.strip().split("+", 2)
            raw = base64.b64decode(blob, validate=True)
            public = Ed25519PublicKey.from_public_bytes(raw[1:])
        except ValueError as exc:
            raise NoteError(f"not a verifier key: {vkey[:60]!r}") from exc
        verifier = cls(_check_name(name), public, raw[0])
        if raw[0] not in (ED25519, COSIGNATURE_V1) or verifier.key_id.hex() != hex_id:
            raise NoteError(f"the verifier key of {name} does not match its id")
        return verifier


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0] or "" in lines[:-1]:
            raise NoteError("a checkpoint is an origin, a size and a root hash, one per line")
        try:
            size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
        except ValueError as exc:
            raise NoteError("a checkpoint's size or root hash cannot be read") from exc
        if size < 0 or str(size) != lines[1] or len(root) != 32:
            raise NoteError("a checkpoint's size or root hash cannot be read")
        return cls(lines[0], size, root, tuple(lines[3:-1]))


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    blob: bytes  # for a cosignature: 8-byte time, then the signature

    def line(self) -> str:
        return f"{DASH} {self.name} {base64.b64encode(self.key_id + self.blob).decode()}\n"


@dataclass(frozen=True)
class Note:
    text: str  # the signed body, ending in a newline
    signatures: tuple[Signature, ...] = field(default=())

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @classmethod
    def parse(cls, note: str) -> Note:
        text, sep, sigs = note.rpartition("\n\n")
        if not sep or not sigs.endswith("\n"):
            raise NoteError("a signed note is its text, a blank line and signature lines")
        signatures = []
        for line in sigs[:-1].split("\n"):
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] != DASH:
                raise NoteError("a signature line is an em dash, a key name and base64")
            try:
                blob = base64.b64decode(parts[2], validate=True)
            except ValueError as exc:
                raise NoteError("a signature is not base64") from exc
            if len(blob) < 5:
                raise NoteError("a signature is too short")
            signatures.append(Signature(parts[1], blob[:4], blob[4:]))
        return cls(text + "\n", tuple(signatures))

    def with_signature(self, signature: Signature) -> Note:
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) != (signature.name, signature.key_id))
        return Note(self.text, (*kept, signature))

    def signed_by(self, verifier: Verifier) -> bool:
        """True if a signature of `verifier` (a log's) holds over the text."""
        if verifier.alg != ED25519:
            return False
        for s in self.signatures:
            if s.name == verifier.name and s.key_id == verifier.key_id:
                try:
                    verifier.public.verify(s.blob, self.text.encode())
                    return True
                except InvalidSignature:
                    return False
        return False

    def cosigned_at(self, verifier: Verifier) -> int | None:
        """The time (Unix seconds) of a holding cosignature by `verifier` (a witness's), else None."""
        if verifier.alg != COSIGNATURE_V1:
            return None
        for s in self.signatures:
            if s.name == verifier.name and s.key_id == verifier.key_id and len(s.blob) == 72:
                (at,) = struct.unpack(">Q", s.blob[:8])
                try:
                    verifier.public.verify(s.blob[8:], _cosigned_message(self.text, at))
                    return at
                except InvalidSignature:
                    return None
        return None


def _cosigned_message(text: str, at: int) -> bytes:
    return f"cosignature/v1\ntime {at}\n{text}".encode()


@dataclass(frozen=True)
class Signer:
    name: str
    key: Ed25519PrivateKey
    alg: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key.public_key(), self.alg)

    def sign(self, text: str) -> Signature:
        """A log's signature over a note's text."""
        return Signature(self.name, self.verifier.key_id, self.key.sign(text.encode()))

    def cosign(self, text: str, at: int) -> Signature:
        """A witness's cosignature (tlog-cosignature v1) over a checkpoint's text at time `at`."""
        blob = struct.pack(">Q", at) + self.key.sign(_cosigned_message(text, at))
        return Signature(self.name, self.verifier.key_id, blob)
