"""shared/merkle.py against a second, naive implementation of RFC 9162's recursive definitions (2.1.1,
2.1.3.1, 2.1.4.1), written here from the RFC's text, and against the well-known fixed values."""

from __future__ import annotations

import hashlib

import pytest

from shared import merkle


# ---- the RFC's definitions, as literally as Python allows ---------------------------------------------------
def mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return subproof(m, leaves, True)


# The leaves of the RFC 6962 / transparency-dev test trees (8 leaves: "", 0x00, 0x10, 0x2021, ...).
RFC_LEAVES = [
    bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768"]
]


def _tree(leaves: list[bytes]) -> tuple[merkle.Frontier, dict[merkle.Node, bytes]]:
    frontier, nodes = merkle.Frontier(), {}
    for leaf in leaves:
        nodes.update(frontier.append(merkle.leaf_hash(leaf)))
    return frontier, nodes


def test_the_fixed_values_of_the_rfc_hashing() -> None:
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert merkle.Frontier().root() == merkle.EMPTY_ROOT


def test_roots_match_the_naive_definition_for_every_size_up_to_70() -> None:
    leaves = [f"entry {i}".encode() for i in range(70)]
    frontier = merkle.Frontier()
    for i, leaf in enumerate(leaves):
        frontier.append(merkle.leaf_hash(leaf))
        assert frontier.root() == mth(leaves[: i + 1]), i + 1
    assert _tree(RFC_LEAVES)[0].root() == mth(RFC_LEAVES)


def test_every_stored_node_is_the_hash_of_its_complete_subtree() -> None:
    leaves = [bytes([i]) for i in range(37)]
    _, nodes = _tree(leaves)
    assert len(nodes) == 2 * 37 - (37).bit_count()  # every complete subtree once
    for node, h in nodes.items():
        assert h == mth(leaves[node.first : node.first + (1 << node.level)])


def test_extending_by_batches_stores_the_same_nodes_as_appending_one_by_one() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(100)]
    one_by_one = [(n.level, n.index, h) for n, h in _tree([bytes([i]) for i in range(100)])[1].items()]
    batched, at = merkle.Frontier(), 0
    stored: list[tuple[int, int, bytes]] = []
    for size in (1, 2, 5, 0, 8, 13, 30, 41):  # batches crossing every power of two
        levels, idxs, hashes = batched.extend(leaves[at : at + size])
        stored += zip(levels, idxs, hashes, strict=True)
        at += size
        assert batched.size == at and batched.root() == mth([bytes([i]) for i in range(at)])
    assert sorted(stored) == sorted(one_by_one) and len(stored) == len(one_by_one)


def test_a_frontier_rebuilt_from_stored_nodes_continues_the_same_tree() -> None:
    leaves = [bytes([i]) for i in range(45)]
    _, nodes = _tree(leaves[:29])
    edge = [nodes[n] for n in merkle.range_nodes(0, 29)]
    resumed = merkle.Frontier(29, edge)
    for leaf in leaves[29:]:
        resumed.append(merkle.leaf_hash(leaf))
    assert resumed.root() == mth(leaves)
    with pytest.raises(ValueError, match="edge subtrees"):
        merkle.Frontier(29, edge[:-1])


@pytest.mark.parametrize("size", [*range(1, 34), 64, 65, 100, 127, 128, 129])
def test_inclusion_proofs_match_the_naive_path_and_verify(size: int) -> None:
    leaves = [f"leaf {i}".encode() for i in range(size)]
    frontier, nodes = _tree(leaves)
    root = frontier.root()
    for m in range(size):
        got = merkle.proof_from(merkle.inclusion_ranges(m, size), nodes)
        assert got == path(m, leaves), (m, size)
        merkle.verify_inclusion(m, size, merkle.leaf_hash(leaves[m]), got, root)


@pytest.mark.parametrize("new", [*range(1, 34), 64, 65, 100, 129])
def test_consistency_proofs_match_the_naive_proof_and_verify(new: int) -> None:
    leaves = [f"leaf {i}".encode() for i in range(new)]
    frontier, nodes = _tree(leaves)
    for old in range(1, new + 1):
        got = merkle.proof_from(merkle.consistency_ranges(old, new), nodes)
        assert got == proof(old, leaves), (old, new)
        merkle.verify_consistency(old, new, mth(leaves[:old]), frontier.root(), got)


def test_the_rfc_test_tree_proofs() -> None:
    # The 8-leaf tree of the RFC 6962 test vectors: a leaf proven in every smaller tree, and consistency
    # between every pair of its sizes, each checked against the naive definitions.
    for size in range(1, 9):
        leaves = RFC_LEAVES[:size]
        _, nodes = _tree(leaves)
        for m in range(size):
            p = merkle.proof_from(merkle.inclusion_ranges(m, size), nodes)
            merkle.verify_inclusion(m, size, merkle.leaf_hash(leaves[m]), p, mth(leaves))
        for old in range(1, size):
            p = merkle.proof_from(merkle.consistency_ranges(old, size), nodes)
            merkle.verify_consistency(old, size, mth(RFC_LEAVES[:old]), mth(leaves), p)


def _forgeries(p: list[bytes]) -> list[list[bytes]]:
    flipped = [bytes([p[0][0] ^ 1]) + p[0][1:], *p[1:]] if p else [b"\x00" * 32]
    return [flipped, p[:-1], [*p, b"\x00" * 32], p[::-1] if len(p) > 1 else [*p, *p]]


def test_forged_and_misplaced_inclusion_proofs_are_refused() -> None:
    leaves = [f"leaf {i}".encode() for i in range(21)]
    frontier, nodes = _tree(leaves)
    root = frontier.root()
    good = merkle.proof_from(merkle.inclusion_ranges(6, 21), nodes)
    for forged in _forgeries(good):
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(6, 21, merkle.leaf_hash(leaves[6]), forged, root)
    with pytest.raises(merkle.ProofError):  # another entry's content at this place
        merkle.verify_inclusion(6, 21, merkle.leaf_hash(leaves[7]), good, root)
    with pytest.raises(merkle.ProofError):  # the right proof, claimed for another index
        merkle.verify_inclusion(7, 21, merkle.leaf_hash(leaves[6]), good, root)
    with pytest.raises(merkle.ProofError):  # ... or for another tree size
        merkle.verify_inclusion(6, 20, merkle.leaf_hash(leaves[6]), good, mth(leaves[:20]))
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(21, 21, merkle.leaf_hash(leaves[6]), good, root)


def test_forged_consistency_proofs_and_split_views_are_refused() -> None:
    leaves = [f"leaf {i}".encode() for i in range(21)]
    frontier, nodes = _tree(leaves)
    good = merkle.proof_from(merkle.consistency_ranges(13, 21), nodes)
    old_root = mth(leaves[:13])
    merkle.verify_consistency(13, 21, old_root, frontier.root(), good)
    for forged in _forgeries(good):
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(13, 21, old_root, frontier.root(), forged)
    other = [*leaves[:5], b"rewritten", *leaves[6:]]  # a second history of the same size
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(13, 21, mth(other[:13]), frontier.root(), good)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(13, 21, old_root, mth(other), good)
    with pytest.raises(merkle.ProofError, match="two different roots"):
        merkle.verify_consistency(21, 21, mth(other), frontier.root(), [])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(21, 13, frontier.root(), old_root, good)


def test_ranges_outside_the_tree_are_refused() -> None:
    for bad in ((0, 0), (3, 3)):
        with pytest.raises(ValueError):
            merkle.inclusion_ranges(*bad)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(0, 5)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(6, 5)
    with pytest.raises(ValueError, match="not a range"):
        merkle.range_nodes(1, 4)
