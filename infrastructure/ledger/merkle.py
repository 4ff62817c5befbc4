"""RFC 9162 §2.1 Merkle tree hashing, audit paths and their verification (pure Python)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) (§2.1.1)."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


class CompactRange:
    """The perfect subtrees covering leaves [0, size): O(log n) memory, root at any size in O(log n)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing

    def append(self, leaf: bytes) -> None:
        height, current = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            current, height = node_hash(left, current), height + 1
        self._stack.append((height, current))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        current = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            current = node_hash(left, current)
        return current


class MemoryTree:
    """Leaf hashes in memory; subtree(start, end) for the proof functions (tests, small logs)."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.leaves = list(leaves)
        self._cache: dict[tuple[int, int], bytes] = {}

    def append(self, leaf: bytes) -> None:
        self.leaves.append(leaf)

    def subtree(self, start: int, end: int) -> bytes:
        n = end - start
        if n <= 0:
            return EMPTY_ROOT
        if n == 1:
            return self.leaves[start]
        perfect = n & (n - 1) == 0
        if perfect and (start, end) in self._cache:
            return self._cache[(start, end)]
        k = _split(n)
        value = node_hash(self.subtree(start, start + k), self.subtree(start + k, end))
        if perfect:
            self._cache[(start, end)] = value
        return value

    def root(self) -> bytes:
        return self.subtree(0, len(self.leaves))


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) (§2.1.3.1), with subtrees given as absolute ranges."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start = start + k
    return list(reversed(path))


def consistency_path(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) (§2.1.4.1): SUBPROOF(m, D[n], true)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    return _subproof(first, 0, second, True, subtree)


def _subproof(m: int, start: int, end: int, complete: bool, subtree: Subtree) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [subtree(start, end)]
    k = _split(n)
    if m <= k:
        return _subproof(m, start, start + k, complete, subtree) + [subtree(start + k, end)]
    return _subproof(m - k, start + k, end, False, subtree) + [subtree(start, start + k)]


def _hashes(*values: bytes) -> bool:
    """Every hash in a proof is a 32-byte SHA-256 value; anything else is a malformed proof."""
    return all(isinstance(v, (bytes, bytearray)) and len(v) == 32 for v in values)


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """§2.1.3.2."""
    if not 0 <= index < size or not _hashes(leaf, root, *path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """§2.1.4.2 (a proof from size 0 is refused, as the published vectors expect)."""
    if first <= 0 or first > second:
        return False
    if first == second:  # the vectors accept equal roots of any form here: nothing is hashed
        return not path and first_root == second_root
    if not _hashes(first_root, second_root, *path):
        return False
    path = list(path)
    if first & (first - 1) == 0:  # first is a power of two: its root is the first node of the proof
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
