"""Transparency ledger: an RFC 9162 Merkle log with signed checkpoints, proofs and witnesses.

Domains record an event in their own transaction with one call::

    from yizhi import ledger
    entry = ledger.record(session, "org.created", "org:3", {"org_id": 3}, actor="user:1", org="cityhosp")
    # after commit:  ledger.receipt_for(session, entry.index)  → verifiable offline

Importing this package is light: no web layer, no signing keys are loaded until needed.
"""

from yizhi.ledger.canonical import LedgerDataError
from yizhi.ledger.store import Event, RecordedEntry, record, record_many



def receipt_for(session, index: int) -> dict:
    """The receipt for entry ``index`` (entry, inclusion proof, signed checkpoint); call it after the
    recording transaction committed, e.g. to return it from an API route. Signs a checkpoint if the
    latest one does not cover the entry yet."""
    from yizhi.ledger.service import receipt as build

    return build(session, index)


__all__ = ["Event", "LedgerDataError", "RecordedEntry", "receipt_for", "record", "record_many"]
