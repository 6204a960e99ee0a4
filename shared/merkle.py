"""RFC 9162 Merkle tree hashing, proofs and their verification: plain Python, no I/O.

The audit trail of each service is such a tree (leaf i = the entry with `seq` i + 1). Only complete,
aligned subtrees are ever stored (`Node(level, index)` covers leaves [index * 2**level, (index + 1) * 2**level)):
once written they never change, so the sequencer appends them and a proof is a handful of lookups. Every
range the RFC's recursive definitions need (the right edge of a tree whose size is not a power of two)
is the fold of such nodes, which `range_nodes` lists and `range_hash` folds.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 to the letter; the tests check everything here
against a second, naive implementation of the RFC's recursive definitions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where the RFC splits a range of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass(frozen=True, order=True)
class Node:
    """A complete subtree: 2**level leaves starting at leaf index * 2**level."""

    level: int
    index: int

    @property
    def first(self) -> int:
        return self.index << self.level


def range_nodes(lo: int, hi: int) -> list[Node]:
    """The complete subtrees whose fold is MTH(D[lo:hi]) for a range the RFC's recursion can reach.

    Such a range starts at a multiple of the largest power of two in its length, so it is its binary
    decomposition from the left: [lo, lo + 2**a), then [lo + 2**a, lo + 2**a + 2**b), ... (a > b > ...).
    """
    if hi <= lo:
        raise ValueError(f"an empty range [{lo}, {hi}) has no nodes")
    nodes, at, n = [], lo, hi - lo
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            if at % (1 << level):
                raise ValueError(f"[{lo}, {hi}) is not a range of the tree")
            nodes.append(Node(level, at >> level))
            at += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees, left to right: the right edge is combined first."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_hash(lo: int, hi: int, lookup: Callable[[Node], bytes]) -> bytes:
    return fold([lookup(n) for n in range_nodes(lo, hi)])


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make PATH(index, D[0:size]), leaf end first (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    return out[::-1]


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make PROOF(old, D[0:new]) (RFC 9162 2.1.4.1), in the RFC's order."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from {old} to {new} entries")
    out: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, new, old, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                out.append((lo, hi))
            break
        k = split(n)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    return out[::-1]


def nodes_for(ranges: Iterable[tuple[int, int]]) -> set[Node]:
    return {n for lo, hi in ranges for n in range_nodes(lo, hi)}


def proof_from(ranges: Sequence[tuple[int, int]], nodes: Mapping[Node, bytes]) -> list[bytes]:
    return [fold([nodes[n] for n in range_nodes(lo, hi)]) for lo, hi in ranges]


# ---- appending ------------------------------------------------------------------------------------------


class Frontier:
    """The right edge of a growing tree: the complete subtrees of its size's binary decomposition.

    Appending a leaf returns every node it completes (the leaf itself and the parents it closes), which is
    all the sequencer must store; the root of any size is the fold of the frontier.
    """

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        if len(edge) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} edge subtrees, not {len(edge)}")
        self.size = size
        self.edge = list(edge)  # largest subtree first, as range_nodes(0, size) lists them

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        made = [(Node(0, self.size), leaf)]
        h, level, size = leaf, 0, self.size
        while size >> level & 1:  # a complete subtree of this level waits on the left: close the parent
            h = node_hash(self.edge.pop(), h)
            level += 1
            made.append((Node(level, self.size >> level), h))
        self.edge.append(h)
        self.size += 1
        return made

    def extend(self, leaves: Iterable[bytes]) -> tuple[list[int], list[int], list[bytes]]:
        """`append` for a batch, as the columns the sequencer stores (levels, indexes, hashes): the same nodes
        in the same order, in a tight loop (no Node objects; this runs for every entry of the trail)."""
        levels: list[int] = []
        idxs: list[int] = []
        hashes: list[bytes] = []
        edge, size, sha = self.edge, self.size, hashlib.sha256
        for leaf in leaves:
            levels.append(0)
            idxs.append(size)
            hashes.append(leaf)
            h, level = leaf, 0
            while size >> level & 1:
                h = sha(b"\x01" + edge.pop() + h).digest()
                level += 1
                levels.append(level)
                idxs.append(size >> level)
                hashes.append(h)
            edge.append(h)
            size += 1
        self.size = size
        return levels, idxs, hashes

    def root(self) -> bytes:
        return fold(self.edge) if self.edge else EMPTY_ROOT


# ---- verification (RFC 9162 2.1.3.2, 2.1.4.2) -----------------------------------------------------------


class ProofError(ValueError):
    """A proof that does not hold: the tree does not contain that leaf, or does not extend that tree."""


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows leaf `index` of a tree of `size` leaves with root `root`."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"the inclusion proof of leaf {index} does not lead to the root of the tree of {size}")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise ProofError unless `proof` shows the tree of `new` leaves extends the tree of `old` leaves."""
    if old > new:
        raise ProofError(f"a tree of {new} cannot extend one of {old}")
    if old == new:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for one tree size ({old})")
        return
    if old == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("an empty consistency proof")
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the proof's unstated first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than it can be")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than it must be")
    if fr != old_root:
        raise ProofError(f"the consistency proof does not lead to the root of the tree of {old}")
    if sr != new_root:
        raise ProofError(f"the consistency proof does not lead to the root of the tree of {new}")
