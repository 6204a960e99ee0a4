"""What `tracs audit verify` concludes from a trail's leaves and its signed checkpoint notes: plain Python,
no I/O, shared by the check of a live trail (database) and of an exported bundle (a file).

A checkpoint counts only if a trusted log key signed it (and, when witnesses are configured, a witness
cosigned it). The trail's leaves are recomputed from the entries' content and folded into roots; the first
signed root they miss is where the trail was changed. The leaf hashes each checkpoint carried out of the
service's database (the archive) are checked against the same signed root, and then name the exact entry.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shared import merkle
from shared.signed_note import Checkpoint, Note, NoteError, Verifier


@dataclass
class SignedRoots:
    roots: dict[int, bytes] = field(default_factory=dict)  # tree size -> root, from notes that hold
    cosigned: set[int] = field(default_factory=set)  # sizes a trusted witness cosigned
    problems: list[str] = field(default_factory=list)


def signed_roots(
    notes: Iterable[str],
    *,
    origin: str,
    logs: Sequence[Verifier],
    witnesses: Sequence[Verifier] = (),
) -> SignedRoots:
    """The roots the log's trusted keys signed; a bad signature, an unknown key or a split view is a problem."""
    out = SignedRoots()
    for text in notes:
        try:
            note = Note.parse(text)
            cp = Checkpoint.parse(note.text)
        except NoteError as exc:
            out.problems.append(f"a checkpoint cannot be read: {exc}")
            continue
        if cp.origin != origin:
            out.problems.append(f"a checkpoint of another log ({cp.origin}) was offered for {origin}")
            continue
        if not any(note.signed_by(v) for v in logs):
            names = ", ".join(f"{s.name} {s.key_id.hex()}" for s in note.signatures) or "none"
            out.problems.append(f"the checkpoint of {cp.size} entries is not signed by a trusted log key ({names})")
            continue
        if out.roots.setdefault(cp.size, cp.root) != cp.root:
            out.problems.append(f"split view: two signed checkpoints of {cp.size} entries disagree")
        if any(note.cosigned_at(w) is not None for w in witnesses):
            out.cosigned.add(cp.size)
    return out


def archived_leaves(ranges: Iterable[tuple[int, str]]) -> dict[int, bytes]:
    """Leaf index -> hash from the archive's (first, base64 hashes) ranges."""
    leaves: dict[int, bytes] = {}
    for first, blob in ranges:
        raw = base64.b64decode(blob)
        for i in range(len(raw) // 32):
            leaves[first + i] = raw[i * 32 : (i + 1) * 32]
    return leaves


@dataclass
class TreeReport:
    entries: int
    checkpoints: int
    broken_at: int | None = None  # seq of the first entry that differs from what a checkpoint committed to
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def compare(leaves: Sequence[bytes], roots: dict[int, bytes], archive: dict[int, bytes]) -> TreeReport:
    """Fold the trail's leaves and meet every signed root; name the first entry that differs from one."""
    tree, last_good = merkle.Frontier(), 0
    report = TreeReport(len(leaves), len(roots))
    for size in sorted(roots):
        if size > len(leaves):
            report.broken_at, report.reason = (
                last_good + 1,
                (f"a signed checkpoint covers {size} entries; the trail has {len(leaves)}"),
            )
            return report
        while tree.size < size:
            tree.append(leaves[tree.size])
        if tree.root() != roots[size]:
            report.broken_at, report.reason = _locate(leaves, size, roots[size], archive, last_good)
            return report
        last_good = size
    return report


def _locate(
    leaves: Sequence[bytes], size: int, root: bytes, archive: dict[int, bytes], last_good: int
) -> tuple[int, str]:
    """The first entry differing from what the checkpoint of `size` committed to, if the archive's leaf hashes
    hold under that signed root; otherwise the range between the last checkpoint that held and this one."""
    if all(i in archive for i in range(size)):
        signed = merkle.Frontier()
        for i in range(size):
            signed.append(archive[i])
        if signed.root() == root:
            first = next(i for i in range(size) if leaves[i] != archive[i])
            return first + 1, (
                f"its content differs from what the signed checkpoint of {size} entries committed to"
                " (the trail was changed after it was signed)"
            )
    return last_good + 1, (
        f"the trail was rewritten: the entries from {last_good + 1} to {size} disagree with the signed checkpoint"
        f" of {size} entries (the archive holds no leaf hashes to name the entry)"
    )
