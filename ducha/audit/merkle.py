"""RFC 9162 (Certificate Transparency v2, §2.1) Merkle tree: roots, inclusion and consistency proofs.

Leaves are RFC 9162 leaf hashes (see canonical.leaf_hash); an interior node is
SHA-256(0x01 || left || right). `Frontier` computes the root of a stream of leaves in
O(log n) memory (the stack of perfect subtree roots, the "compact range" [0, n)).
Proofs are built from a `SubtreeHash` callback, so whoever holds the tree (memory, a
database) decides how to find MTH(D[lo:hi]).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

SubtreeHash = Callable[[int, int], bytes]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The roots of the perfect subtrees covering [0, size): the tree's root in O(log n) memory.

    `on_node(level, index, hash)` is told of every perfect interior node as it completes,
    so a caller can keep them for proofs.
    """

    def __init__(self, size: int = 0, roots: Sequence[bytes] = (), on_node: Callable[[int, int, bytes], None] | None = None):
        self.size = size
        self.stack: list[tuple[int, bytes]] = list(zip(self.levels(size), roots, strict=True))
        self.on_node = on_node

    @staticmethod
    def levels(size: int) -> list[int]:
        """The levels of the perfect subtrees of [0, size), left to right (the 1 bits of size)."""
        return [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]

    def append(self, leaf: bytes) -> None:
        level, digest, index = 0, leaf, self.size
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            digest = node_hash(left, digest)
            level += 1
            index >>= 1
            if self.on_node is not None:
                self.on_node(level, index, digest)
        self.stack.append((level, digest))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        digest = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest

    @property
    def roots(self) -> list[bytes]:
        return [digest for _, digest in self.stack]


def root_of(leaves: Iterable[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size])."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return _path(index, 0, size, subtree)


def _path(index: int, lo: int, hi: int, subtree: SubtreeHash) -> list[bytes]:
    if hi - lo == 1:
        return []
    k = split(hi - lo)
    if index < lo + k:
        return [*_path(index, lo, lo + k, subtree), subtree(lo + k, hi)]
    return [*_path(index, lo + k, hi, subtree), subtree(lo, lo + k)]


def consistency_proof(old: int, new: int, subtree: SubtreeHash) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(old, D[0:new])."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from {old} to {new}")
    return _subproof(old, 0, new, True, subtree)


def _subproof(m: int, lo: int, hi: int, whole: bool, subtree: SubtreeHash) -> list[bytes]:
    if m == hi - lo:
        return [] if whole else [subtree(lo, hi)]
    k = split(hi - lo)
    if m <= k:
        return [*_subproof(m, lo, lo + k, whole, subtree), subtree(lo + k, hi)]
    return [*_subproof(m - k, lo + k, hi, False, subtree), subtree(lo, lo + k)]


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    while not fn & 1 and fn:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, digest = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            fn, sn = _shift_while_even(fn, sn)
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and digest == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2."""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old & (old - 1) == 0:  # a power of two: the old root is itself the first node
        proof = [old_root, *proof]
    if not proof:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(c, first), node_hash(c, second)
            fn, sn = _shift_while_even(fn, sn)
        else:
            second = node_hash(second, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and first == old_root and second == new_root
