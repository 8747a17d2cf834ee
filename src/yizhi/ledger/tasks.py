"""Ledger batch jobs: the periodic checkpoint (every T seconds if the tree grew) with cosigning."""

from __future__ import annotations

from yizhi.db import session_scope
from yizhi.jobs.service import handler, periodic
from yizhi.ledger.settings import get_ledger_settings


@handler("ledger.checkpoint")
def checkpoint_job(ctx) -> dict:
    """Sign a checkpoint when one is due (or always with params {"force": true}); collect cosignatures."""
    from yizhi.ledger import service

    with session_scope() as session:
        if ctx.params.get("force"):
            checkpoint = service.make_checkpoint(session)
        else:
            checkpoint = service.checkpoint_if_due(session)
        if checkpoint is None:
            return {"signed": False}
        checkpoint_id = checkpoint.id
    # A separate transaction: no database lock is held while witnesses answer.
    with session_scope() as session:
        from yizhi.ledger.models import LedgerCheckpoint

        checkpoint = session.get(LedgerCheckpoint, checkpoint_id)
        outcomes = service.collect_cosignatures(session, checkpoint)
        return {"signed": True, "tree_size": checkpoint.tree_size, "witnesses": outcomes}


# Workers enqueue the checkpoint job on time; it signs only when the tree grew (checkpoint_if_due).
periodic("ledger.checkpoint", lambda: get_ledger_settings().checkpoint_seconds)
