"""Transparency ledger: an RFC 9162 Merkle log with signed checkpoints, proofs and witnesses.

Domains record an event in their own transaction with one call::

    from yizhi import ledger
    entry = ledger.record(session, "org.created", "org:3", {"org_id": 3}, actor="user:1", org="cityhosp")

Importing this package is light: no web layer, no signing keys are loaded until needed.
"""

from yizhi.ledger.canonical import LedgerDataError
from yizhi.ledger.store import Event, RecordedEntry, record, record_many

__all__ = ["Event", "LedgerDataError", "RecordedEntry", "record", "record_many"]
