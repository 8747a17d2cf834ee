"""Receipts: an entry, its inclusion proof and the signed checkpoint it is proven against.

Verifying one needs only this module, the log's public key and (optionally) witness keys: no
database, no network, so anyone can check a receipt offline.
"""

from __future__ import annotations

from typing import Any

from yizhi.ledger.hashing import get_hasher
from yizhi.ledger.merkle import ProofError, verify_inclusion
from yizhi.ledger.note import Checkpoint, NoteError, Verifier, open_checkpoint

RECEIPT_FORMAT = "yizhi-ledger-receipt/v1"


class ReceiptError(ValueError):
    """A receipt that is malformed or does not verify; the message says which part."""


def build_receipt(hash_name: str, entry: dict[str, Any], proof: dict[str, Any], checkpoint_note: str) -> dict[str, Any]:
    return {
        "format": RECEIPT_FORMAT,
        "hash": hash_name,
        "entry": entry,
        "inclusion": proof,
        "checkpoint": checkpoint_note,
    }


def _field(container: Any, name: str, kind: type, where: str) -> Any:
    if not isinstance(container, dict) or name not in container:
        raise ReceiptError(f"{where}.{name}: missing")
    value = container[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ReceiptError(f"{where}.{name}: expected {kind.__name__}")
    return value


def _hex(text: str, where: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ReceiptError(f"{where}: not hexadecimal") from None


def verify_receipt(
    receipt: Any, log_key: Verifier, witnesses: list[Verifier] = (), quorum: int = 0
) -> tuple[Checkpoint, list[Verifier]]:
    """Check every part of a receipt; returns the checkpoint and the witnesses that cosigned it."""
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        raise ReceiptError(f"format: not a {RECEIPT_FORMAT} receipt")
    try:
        hasher = get_hasher(_field(receipt, "hash", str, "receipt"))
    except ValueError as exc:
        raise ReceiptError(f"receipt.hash: {exc}") from None
    entry = _field(receipt, "entry", dict, "receipt")
    proof = _field(receipt, "inclusion", dict, "receipt")
    index = _field(entry, "index", int, "entry")
    leaf = _field(entry, "leaf", str, "entry")
    leaf_hash = _hex(_field(entry, "leaf_hash", str, "entry"), "entry.leaf_hash")
    if hasher.leaf(leaf.encode("utf-8")) != leaf_hash:
        raise ReceiptError("entry.leaf_hash: is not the hash of entry.leaf (the entry was altered)")
    if _field(proof, "leaf_index", int, "inclusion") != index:
        raise ReceiptError("inclusion.leaf_index: differs from entry.index")
    if _hex(_field(proof, "leaf_hash", str, "inclusion"), "inclusion.leaf_hash") != leaf_hash:
        raise ReceiptError("inclusion.leaf_hash: differs from entry.leaf_hash")
    tree_size = _field(proof, "tree_size", int, "inclusion")
    path_hex = _field(proof, "audit_path", list, "inclusion")
    path = [_hex(item, f"inclusion.audit_path[{n}]") if isinstance(item, str) else b"" for n, item in enumerate(path_hex)]
    try:
        checkpoint, cosigners = open_checkpoint(_field(receipt, "checkpoint", str, "receipt"), log_key, list(witnesses), quorum)
    except NoteError as exc:
        raise ReceiptError(f"checkpoint: {exc}") from None
    if checkpoint.size != tree_size:
        raise ReceiptError(f"inclusion.tree_size {tree_size} differs from the checkpoint's size {checkpoint.size}")
    try:
        verify_inclusion(hasher, index, tree_size, leaf_hash, path, checkpoint.root_hash)
    except ProofError as exc:
        raise ReceiptError(f"inclusion: {exc}") from None
    return checkpoint, cosigners
