"""RFC 9162 §2.1 hashing, audit paths and proofs against published vectors.

Roots for 0..8 leaves: google/trillian `merkle/testonly/constants.go` (originally certificate-transparency).
Inclusion and consistency cases: transparency-dev/merkle `testdata/` at commit
417fb0c314750d94e53942e9f92e79b6d35915db (copied to tests/vectors/rfc9162; a proof from size 0 is an error there).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from infrastructure.ledger import merkle

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "rfc9162"
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def b64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


def cases(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


@pytest.mark.parametrize("n", range(9))
def test_the_root_of_the_first_n_leaves_matches_the_published_root(n: int) -> None:
    hashes = [merkle.leaf_hash(bytes.fromhex(leaf)) for leaf in LEAVES[:n]]
    assert merkle.root_from_leaf_hashes(hashes).hex() == ROOTS[n]
    tree = merkle.CompactRange()
    for leaf in hashes:
        tree.append(leaf)
    assert tree.root().hex() == ROOTS[n]


@pytest.mark.parametrize("path", cases("inclusion"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_inclusion_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    verdict = merkle.verify_inclusion(
        case["leafIdx"], case["treeSize"], b64(case["leafHash"]), [b64(p) for p in case["proof"] or []], b64(case["root"])
    )
    assert verdict is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize("path", cases("consistency"), ids=lambda p: str(p.relative_to(VECTORS)))
def test_consistency_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    verdict = merkle.verify_consistency(
        case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]), [b64(p) for p in case["proof"] or []]
    )
    assert verdict is (not case["wantErr"]), case["desc"]


def test_the_vector_set_is_complete() -> None:
    assert len(cases("inclusion")) + len(cases("consistency")) == 196


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1, as a reference."""
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


@pytest.mark.parametrize("size", range(1, 65))
def test_generated_proofs_verify_for_every_leaf_and_every_earlier_size(size: int) -> None:
    leaves = [merkle.leaf_hash(os.urandom(8)) for _ in range(size)]
    tree = merkle.MemoryTree(leaves)
    root = naive_root(leaves)
    assert tree.root() == root
    for index in range(size):
        path = merkle.inclusion_path(index, size, tree.subtree)
        assert merkle.verify_inclusion(index, size, leaves[index], path, root)
        assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), path, root)
    for first in range(1, size + 1):
        path = merkle.consistency_path(first, size, tree.subtree)
        assert merkle.verify_consistency(first, size, naive_root(leaves[:first]), root, path)
        if first < size:
            assert not merkle.verify_consistency(first, size, merkle.leaf_hash(b"forged"), root, path)


def test_compact_range_roots_match_at_every_size() -> None:
    leaves = [merkle.leaf_hash(n.to_bytes(4, "big")) for n in range(300)]
    tree = merkle.CompactRange()
    for n, leaf in enumerate(leaves, 1):
        tree.append(leaf)
        assert tree.root() == merkle.root_from_leaf_hashes(leaves[:n])


def test_malformed_proof_requests_are_refused() -> None:
    assert not merkle.verify_inclusion(5, 5, b"x" * 32, [], b"y" * 32)
    assert not merkle.verify_consistency(0, 4, merkle.EMPTY_ROOT, b"y" * 32, [])
    with pytest.raises(ValueError):
        merkle.inclusion_path(3, 3, merkle.MemoryTree([b"a" * 32] * 3).subtree)
