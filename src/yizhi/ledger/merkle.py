"""Merkle tree algorithms of RFC 9162 §2.1: roots, the right frontier, inclusion and consistency proofs.

Pure functions over hashes: no database, no I/O, so the same code builds proofs in a web request,
checks them in the offline verifier and runs under hypothesis. Written here rather than taken from a
package because the proofs must be built from *stored subtree hashes* (O(log n) lookups against the
database); pymerkle, the maintained Python implementation, keeps its own storage and so serves as the
independent test oracle instead.

A tree over leaves [start, end) is addressed by the *perfect subtrees* it decomposes into: node
(level, index) covers leaves [index·2^level, (index+1)·2^level). Every proof element is the hash of a
range [start, end) that is a right-fold of such perfect pieces, so a proof needs only O(log n) stored
nodes, fetched in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from yizhi.ledger.hashing import TreeHasher

NodeKey = tuple[int, int]  # (level, index at that level)
Range = tuple[int, int]  # leaves [start, end)


class ProofError(ValueError):
    """A proof that does not verify, or a request for an impossible proof."""


def largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (RFC 9162's split point); n must be > 1."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_pieces(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees, left to right, whose concatenation is leaves [start, end)."""
    pieces: list[NodeKey] = []
    while start < end:
        level = 0
        # Grow while the bigger piece stays aligned at `start` and inside the range.
        while start % (1 << (level + 1)) == 0 and start + (1 << (level + 1)) <= end:
            level += 1
        pieces.append((level, start >> level))
        start += 1 << level
    return pieces


def fold_pieces(hasher: TreeHasher, piece_hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect pieces: the RFC split always puts the largest piece left."""
    if not piece_hashes:
        return hasher.empty_root()
    result = piece_hashes[-1]
    for left in reversed(piece_hashes[:-1]):
        result = hasher.node(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """Ranges whose hashes form PATH(index, D[size]), deepest sibling first (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    top_down: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        split = start + largest_power_of_two_below(end - start)
        if index < split:
            top_down.append((split, end))
            end = split
        else:
            top_down.append((start, split))
            start = split
    return top_down[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """Ranges whose hashes form PROOF(old, D[new]) (RFC 9162 §2.1.4.1); empty when old is 0 or new."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    top_down: list[Range] = []
    start, end, remaining, whole_old_subtree = 0, new_size, old_size, True
    while True:
        width = end - start
        if remaining == width:
            if not whole_old_subtree:
                top_down.append((start, end))
            break
        k = largest_power_of_two_below(width)
        if remaining <= k:
            top_down.append((start + k, end))
            end = start + k
        else:
            top_down.append((start, start + k))
            start += k
            remaining -= k
            whole_old_subtree = False
    return top_down[::-1]


def nodes_needed(ranges: Iterable[Range]) -> set[NodeKey]:
    needed: set[NodeKey] = set()
    for start, end in ranges:
        needed.update(perfect_pieces(start, end))
    return needed


def hashes_of_ranges(
    hasher: TreeHasher, ranges: Iterable[Range], nodes: Mapping[NodeKey, bytes]
) -> list[bytes]:
    """Each range's MTH from stored perfect-subtree hashes (KeyError names a missing node)."""
    return [fold_pieces(hasher, [nodes[key] for key in perfect_pieces(start, end)]) for start, end in ranges]


def root_from_nodes(hasher: TreeHasher, size: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    return fold_pieces(hasher, [nodes[key] for key in perfect_pieces(0, size)])


def verify_inclusion(
    hasher: TreeHasher, index: int, size: int, leaf_hash: bytes, path: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError when the proof does not lead to ``root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not inside a tree of size {size}")
    fn, sn, result = index, size - 1, leaf_hash
    for sibling in path:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = hasher.node(sibling, result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = hasher.node(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    if result != root:
        raise ProofError("inclusion proof does not lead to the checkpoint's root hash")


def verify_consistency(
    hasher: TreeHasher,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """RFC 9162 §2.1.4.2 (plus the trivial cases); raises ProofError when inconsistent."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size {old_size} cannot be a prefix of size {new_size}")
    if old_size == 0:
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        return
    if old_size == new_size:
        if proof:
            raise ProofError("a consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different root hashes for the same size {old_size}")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # old tree is a perfect subtree: its root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_result = second_result = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            first_result = hasher.node(node, first_result)
            second_result = hasher.node(node, second_result)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            second_result = hasher.node(second_result, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if first_result != old_root:
        raise ProofError(f"consistency proof does not reproduce the root of size {old_size}")
    if second_result != new_root:
        raise ProofError(f"consistency proof does not reproduce the root of size {new_size}")


@dataclass
class Frontier:
    """The right frontier: roots of the perfect subtrees of the tree, largest first.

    Appending a leaf touches only the trailing perfect subtrees (O(log n)) and reports every node it
    completes, which is what the database stores so later proofs need no recomputation.
    """

    hasher: TreeHasher
    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf_hash: bytes) -> list[tuple[int, int, bytes]]:
        created = [(0, self.size, leaf_hash)]
        level, index, carry = 0, self.size, leaf_hash
        while index & 1:
            carry = self.hasher.node(self.hashes.pop(), carry)
            level += 1
            index >>= 1
            created.append((level, index, carry))
        self.hashes.append(carry)
        self.size += 1
        return created

    def root(self) -> bytes:
        return fold_pieces(self.hasher, self.hashes)

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, hasher: TreeHasher, size: int, blob: bytes) -> Frontier:
        count = size.bit_count()
        if len(blob) != count * hasher.size:
            raise ValueError(f"stored frontier has {len(blob)} bytes, expected {count * hasher.size}")
        hashes = [blob[i * hasher.size : (i + 1) * hasher.size] for i in range(count)]
        return cls(hasher, size, hashes)


def root_of_leaves(hasher: TreeHasher, leaf_hashes: Iterable[bytes]) -> bytes:
    frontier = Frontier(hasher)
    for leaf_hash in leaf_hashes:
        frontier.append(leaf_hash)
    return frontier.root()


class MemoryTree:
    """An in-memory log with stored subtree hashes: for tests, benchmarks and verification."""

    def __init__(self, hasher: TreeHasher) -> None:
        self.hasher = hasher
        self.frontier = Frontier(hasher)
        self.nodes: dict[NodeKey, bytes] = {}

    @property
    def size(self) -> int:
        return self.frontier.size

    def append_leaf_hash(self, leaf_hash: bytes) -> int:
        index = self.frontier.size
        for level, node_index, node_hash in self.frontier.append(leaf_hash):
            self.nodes[(level, node_index)] = node_hash
        return index

    def append(self, data: bytes) -> int:
        return self.append_leaf_hash(self.hasher.leaf(data))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ProofError(f"size {size} is beyond the tree's {self.size} leaves")
        return root_from_nodes(self.hasher, size, self.nodes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = self.size if size is None else size
        if size > self.size:
            raise ProofError(f"size {size} is beyond the tree's {self.size} leaves")
        return hashes_of_ranges(self.hasher, inclusion_ranges(index, size), self.nodes)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new_size = self.size if new_size is None else new_size
        if new_size > self.size:
            raise ProofError(f"size {new_size} is beyond the tree's {self.size} leaves")
        return hashes_of_ranges(self.hasher, consistency_ranges(old_size, new_size), self.nodes)


NodeLookup = Callable[[set[NodeKey]], Mapping[NodeKey, bytes]]
