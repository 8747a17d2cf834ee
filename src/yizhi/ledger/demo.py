"""Demo data: the First People's Hospital runs a witness (key in <data_dir>/ledger/demo-witness-*/)
that has cosigned the current checkpoint, so the ledger page shows a cosigner from the start."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.ledger import service
from yizhi.ledger.keys import ledger_dir
from yizhi.ledger.models import LedgerWitness
from yizhi.ledger.witness import Witness

DEMO_WITNESS_ORG = "first-hospital"
DEMO_WITNESS_NAME = "witness.first-hospital.demo"


def seed(session: Session, orgs: dict, people: dict) -> int:
    if DEMO_WITNESS_ORG not in orgs:
        return 0
    if session.scalar(select(LedgerWitness).where(LedgerWitness.name == DEMO_WITNESS_NAME)) is not None:
        return 0
    # A fresh witness directory per demo database: a witness's state belongs to one log history.
    directory = ledger_dir() / f"demo-witness-{secrets.token_hex(4)}"
    witness = Witness.init(directory, DEMO_WITNESS_NAME)
    registered = service.register_witness(session, DEMO_WITNESS_ORG, witness.signer.verifier.vkey)
    checkpoint = service.make_checkpoint(session)
    witness.trust_log(service.platform_verifier(session).vkey, service._require_head(session).hasher.name)
    response = witness.add_checkpoint(service.witness_request(session, registered, checkpoint))
    if response.status == 200:
        service.accept_cosignature(session, registered, checkpoint, response.body)
    return 1
