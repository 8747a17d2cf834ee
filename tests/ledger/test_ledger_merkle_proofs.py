"""RFC 9162 proofs: every size up to 300, random tamperings, pymerkle as an independent oracle."""

from __future__ import annotations

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yizhi.ledger.hashing import SHA256, get_hasher
from yizhi.ledger.merkle import (
    Frontier,
    MemoryTree,
    ProofError,
    root_of_leaves,
    verify_consistency,
    verify_inclusion,
)

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

MAX_SIZE = 300


def _leaf_data(i: int) -> bytes:
    return f"entry-{i}".encode()


@pytest.fixture(scope="module")
def trees():
    """Our tree and pymerkle's on the same 300 leaves."""
    ours, oracle = MemoryTree(SHA256), pymerkle.InmemoryTree(algorithm="sha256")
    for i in range(MAX_SIZE):
        ours.append(_leaf_data(i))
        oracle.append_entry(_leaf_data(i))
    return ours, oracle


def test_roots_match_pymerkle_at_every_size(trees):
    ours, oracle = trees
    for size in range(1, MAX_SIZE + 1):
        assert ours.root(size) == oracle.get_root(size), size


def test_known_answer_rfc6962_empty_and_single_leaf():
    # Empty tree: SHA-256 of nothing; one empty leaf: SHA-256(0x00) (values from RFC 6962 test data).
    assert root_of_leaves(SHA256, []).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert SHA256.leaf(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_inclusion_proofs_match_pymerkle_paths(trees):
    ours, oracle = trees
    for size in (1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300):
        for index in range(size):
            ours_path = ours.inclusion_proof(index, size)
            oracle_proof = oracle.prove_inclusion(index + 1, size)
            # pymerkle's serialised path is the leaf hash followed by the RFC audit path.
            oracle_path = [bytes.fromhex(h) for h in oracle_proof.serialize()["path"]]
            assert oracle_path == [SHA256.leaf(_leaf_data(index)), *ours_path], (index, size)
            verify_inclusion(SHA256, index, size, SHA256.leaf(_leaf_data(index)), ours_path, oracle.get_root(size))


def test_every_inclusion_and_consistency_proof_verifies_up_to_300(trees):
    ours, _ = trees
    roots = [ours.root(size) for size in range(MAX_SIZE + 1)]
    for size in range(1, MAX_SIZE + 1):
        for index in range(0, size, max(1, size // 17)):
            verify_inclusion(SHA256, index, size, SHA256.leaf(_leaf_data(index)), ours.inclusion_proof(index, size), roots[size])
        verify_inclusion(SHA256, size - 1, size, SHA256.leaf(_leaf_data(size - 1)), ours.inclusion_proof(size - 1, size), roots[size])
        for old in range(0, size + 1, max(1, size // 13)):
            verify_consistency(SHA256, old, size, roots[old], roots[size], ours.consistency_proof(old, size))


def test_consistency_proofs_accepted_by_pymerkle(trees):
    ours, oracle = trees
    for new in (2, 5, 8, 13, 64, 100, 299, 300):
        for old in range(1, new):
            proof = oracle.prove_consistency(old, new)
            pymerkle.verify_consistency(ours.root(old), ours.root(new), proof)
            verify_consistency(SHA256, old, new, oracle.get_root(old), oracle.get_root(new), ours.consistency_proof(old, new))


def _flip(data: bytes, bit: int) -> bytes:
    position = bit % (len(data) * 8)
    array = bytearray(data)
    array[position // 8] ^= 1 << (position % 8)
    return bytes(array)


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, MAX_SIZE), data=st.data())
def test_tampered_inclusion_proofs_are_rejected(trees, size, data):
    ours, _ = trees
    index = data.draw(st.integers(0, size - 1))
    path = ours.inclusion_proof(index, size)
    leaf_hash, root = SHA256.leaf(_leaf_data(index)), ours.root(size)
    verify_inclusion(SHA256, index, size, leaf_hash, path, root)
    tamper = data.draw(st.sampled_from(["path", "leaf", "root", "index", "size", "drop", "extra"]))
    bit = data.draw(st.integers(0, 255))
    if tamper == "path" and path:
        k = data.draw(st.integers(0, len(path) - 1))
        path = path[:k] + [_flip(path[k], bit)] + path[k + 1 :]
    elif tamper == "leaf":
        leaf_hash = _flip(leaf_hash, bit)
    elif tamper == "root":
        root = _flip(root, bit)
    elif tamper == "index" and size > 1:
        index = (index + data.draw(st.integers(1, size - 1))) % size
    elif tamper == "size" and size < MAX_SIZE:
        # claim the same path proves the leaf in a bigger tree (with that tree's real root)
        size = data.draw(st.integers(size + 1, MAX_SIZE))
        root = ours.root(size)
    elif tamper == "drop" and path:
        path = path[:-1]
    else:
        path = [*path, SHA256.leaf(b"extra")]
    # Swapping to another index can only verify if both leaves are equal, which they never are here.
    with pytest.raises(ProofError):
        verify_inclusion(SHA256, index, size, leaf_hash, path, root)


@settings(max_examples=300, deadline=None)
@given(new=st.integers(2, MAX_SIZE), data=st.data())
def test_tampered_consistency_proofs_are_rejected(trees, new, data):
    ours, _ = trees
    old = data.draw(st.integers(1, new - 1))
    proof, old_root, new_root = ours.consistency_proof(old, new), ours.root(old), ours.root(new)
    verify_consistency(SHA256, old, new, old_root, new_root, proof)
    tamper = data.draw(st.sampled_from(["proof", "old_root", "new_root", "old_size", "drop", "forked"]))
    bit = data.draw(st.integers(0, 255))
    if tamper == "proof":
        k = data.draw(st.integers(0, len(proof) - 1))
        proof = proof[:k] + [_flip(proof[k], bit)] + proof[k + 1 :]
    elif tamper == "old_root":
        old_root = _flip(old_root, bit)
    elif tamper == "new_root":
        new_root = _flip(new_root, bit)
    elif tamper == "old_size":
        shifted = data.draw(st.integers(1, new - 1).filter(lambda s: s != old))  if new > 2 else None
        if shifted is None:
            old_root = _flip(old_root, bit)
        else:
            old = shifted
    elif tamper == "drop":
        proof = proof[:-1]
    else:  # a log that rewrote one earlier leaf: same sizes, a fork
        forked = MemoryTree(SHA256)
        victim = data.draw(st.integers(0, old - 1))
        for i in range(new):
            forked.append(b"rewritten" if i == victim else _leaf_data(i))
        new_root = forked.root(new)
        proof = forked.consistency_proof(old, new)
    with pytest.raises(ProofError):
        verify_consistency(SHA256, old, new, old_root, new_root, proof)


def test_frontier_round_trips_through_bytes_and_matches_recomputation():
    frontier = Frontier(SHA256)
    for i in range(77):
        frontier.append(SHA256.leaf(_leaf_data(i)))
        restored = Frontier.from_bytes(SHA256, frontier.size, frontier.to_bytes())
        assert restored.root() == frontier.root() == root_of_leaves(SHA256, [SHA256.leaf(_leaf_data(j)) for j in range(i + 1)])


def test_sm3_tree_differs_from_sha256_and_verifies():
    sm3 = get_hasher("sm3")
    assert sm3.digest(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905 A.1
    tree = MemoryTree(sm3)
    for i in range(21):
        tree.append(_leaf_data(i))
    assert tree.root() != root_of_leaves(SHA256, [SHA256.leaf(_leaf_data(i)) for i in range(21)])
    verify_inclusion(sm3, 13, 21, sm3.leaf(_leaf_data(13)), tree.inclusion_proof(13), tree.root())
    verify_consistency(sm3, 8, 21, tree.root(8), tree.root(), tree.consistency_proof(8))
    with pytest.raises(ProofError):
        verify_inclusion(SHA256, 13, 21, SHA256.leaf(_leaf_data(13)), tree.inclusion_proof(13), tree.root())


def test_gmssl_fallback_sm3_agrees_with_openssl():
    from gmssl import func, sm3

    assert sm3.sm3_hash(func.bytes_to_list(b"abc")) == get_hasher("sm3").digest(b"abc").hex()


def test_impossible_proof_requests_are_refused(trees):
    ours, _ = trees
    with pytest.raises(ProofError):
        ours.inclusion_proof(5, 5)
    with pytest.raises(ProofError):
        ours.consistency_proof(10, 5)
