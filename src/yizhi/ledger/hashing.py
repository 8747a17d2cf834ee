"""Tree hashing per RFC 9162 §2.1 with a pluggable hash function.

leaf = H(0x00 || bytes), node = H(0x01 || left || right). SHA-256 is the default; SM3 (GB/T 32905)
is offered for deployments that must use the national algorithms. SM3 comes from OpenSSL through
``hashlib`` when the linked OpenSSL provides it, otherwise from ``gmssl`` (pure Python, slower).
A log's hash is fixed when the log is created (stored in its tree head), never switched later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def _openssl_has_sm3() -> bool:
    try:
        hashlib.new("sm3", b"")
    except ValueError:
        return False
    return True


def _sm3_digest() -> Callable[[bytes], bytes]:
    if _openssl_has_sm3():
        return lambda data: hashlib.new("sm3", data).digest()
    from gmssl import func, sm3  # fallback: pure-Python SM3

    return lambda data: bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


@dataclass(frozen=True)
class TreeHasher:
    """The two RFC 9162 hash functions for one underlying digest."""

    name: str
    digest: Callable[[bytes], bytes]
    size: int

    def leaf(self, data: bytes) -> bytes:
        return self.digest(LEAF_PREFIX + data)

    def node(self, left: bytes, right: bytes) -> bytes:
        return self.digest(NODE_PREFIX + left + right)

    def empty_root(self) -> bytes:
        # RFC 9162 §2.1.1: the hash of an empty list is the hash of an empty string.
        return self.digest(b"")


SHA256 = TreeHasher("sha256", lambda data: hashlib.sha256(data).digest(), 32)
_SM3: TreeHasher | None = None

SUPPORTED_HASHES = ("sha256", "sm3")


def get_hasher(name: str) -> TreeHasher:
    """The tree hasher called ``name`` ("sha256" or "sm3")."""
    global _SM3
    key = name.strip().lower()
    if key == "sha256":
        return SHA256
    if key == "sm3":
        if _SM3 is None:
            _SM3 = TreeHasher("sm3", _sm3_digest(), 32)
        return _SM3
    raise ValueError(f"unknown ledger hash {name!r}: choose one of {', '.join(SUPPORTED_HASHES)}")
