"""RFC 9162 Merkle tree: the streaming root, inclusion and consistency proofs, against a plain recursive MTH."""

from __future__ import annotations

import hashlib

import pytest

from ducha.audit.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    node_hash,
    split,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [hashlib.sha256(b"\x00" + bytes([i])).digest() for i in range(40)]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, word for word."""
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def subtree(lo: int, hi: int) -> bytes:
    return mth(LEAVES[lo:hi])


def test_streaming_root_equals_the_recursive_definition():
    for n in range(1, 41):
        frontier = Frontier()
        for leaf in LEAVES[:n]:
            frontier.append(leaf)
        assert frontier.root() == mth(LEAVES[:n])


def test_a_frontier_resumed_from_its_roots_continues_the_same_tree():
    first = Frontier()
    for leaf in LEAVES[:13]:
        first.append(leaf)
    resumed = Frontier(13, first.roots)
    for leaf in LEAVES[13:29]:
        resumed.append(leaf)
    assert resumed.root() == mth(LEAVES[:29])


def test_frontier_reports_every_perfect_node_it_completes():
    seen: dict[tuple[int, int], bytes] = {}
    frontier = Frontier(on_node=lambda level, index, digest: seen.__setitem__((level, index), digest))
    for leaf in LEAVES[:8]:
        frontier.append(leaf)
    assert seen[(3, 0)] == mth(LEAVES[:8])
    assert seen[(1, 3)] == mth(LEAVES[6:8])


def test_every_inclusion_proof_verifies():
    for n in range(1, 41):
        root = mth(LEAVES[:n])
        for m in range(n):
            assert verify_inclusion(m, n, LEAVES[m], inclusion_proof(m, n, subtree), root)


def test_an_inclusion_proof_for_another_leaf_is_refused():
    proof = inclusion_proof(5, 21, subtree)
    assert not verify_inclusion(5, 21, LEAVES[6], proof, mth(LEAVES[:21]))


def test_a_forged_inclusion_proof_is_refused():
    proof = inclusion_proof(5, 21, subtree)
    proof[1] = hashlib.sha256(b"forged").digest()
    assert not verify_inclusion(5, 21, LEAVES[5], proof, mth(LEAVES[:21]))


def test_every_consistency_proof_verifies():
    for n in range(1, 41):
        for m in range(1, n + 1):
            proof = consistency_proof(m, n, subtree)
            assert verify_consistency(m, n, mth(LEAVES[:m]), mth(LEAVES[:n]), proof), (m, n)


@pytest.mark.parametrize(("m", "n"), [(3, 7), (4, 9), (7, 33), (16, 40)])
def test_a_rewritten_prefix_is_not_consistent(m, n):
    rewritten = list(LEAVES)
    rewritten[m - 1] = hashlib.sha256(b"rewritten").digest()
    proof = consistency_proof(m, n, lambda lo, hi: mth(rewritten[lo:hi]))
    assert not verify_consistency(m, n, mth(LEAVES[:m]), mth(rewritten[:n]), proof)
