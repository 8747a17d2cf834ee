"""JSON routes under /api/v1/ledger, mirroring `yizhi ledger ...`.

Reads (status, checkpoint, entries, proofs, receipts, witnesses) are public: anyone may audit the
log. Writes need a person: operator notes, checkpoints on demand and verification are for
commission staff; an organisation's owner registers its witness.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from yizhi.accounts import service as accounts
from yizhi.accounts.permissions import authorize
from yizhi.errors import NotFound, ValidationFailed
from yizhi.ledger import permissions  # noqa: F401  (registers the rules)
from yizhi.ledger import service
from yizhi.ledger.canonical import LedgerDataError
from yizhi.ledger.schemas import (
    CheckpointPublic,
    ConsistencyProofPublic,
    CosignatureSubmit,
    CosignerPublic,
    EntryCreate,
    EntryPublic,
    InclusionProofPublic,
    LedgerStatus,
    ProblemPublic,
    VerifyPublic,
    WitnessCreate,
    WitnessPublic,
)
from yizhi.ledger.store import record
from yizhi.web.deps import CurrentPerson, DbSession, public

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])


@router.get("", response_model=LedgerStatus)
@public
def ledger_status(db: DbSession) -> LedgerStatus:
    """Origin, size, the platform's public key and fingerprint, the latest checkpoint and its cosigners."""
    return LedgerStatus(**service.status(db))


@router.get("/checkpoint", response_class=PlainTextResponse)
@public
def latest_checkpoint_note(db: DbSession) -> PlainTextResponse:
    """The latest signed checkpoint as a C2SP signed note (text/plain)."""
    latest = service.latest_checkpoint(db)
    if latest is None:
        raise NotFound("no checkpoint has been signed yet")
    return PlainTextResponse(latest.note)


@router.post("/checkpoint", response_model=CheckpointPublic)
def make_checkpoint(db: DbSession, person: CurrentPerson, cosign: bool = True) -> CheckpointPublic:
    """Sign a checkpoint if the tree grew and ask registered witnesses to cosign it."""
    authorize(person, "ledger.manage")
    latest = service.make_checkpoint(db)
    db.commit()  # commit the signature before waiting on witnesses: no lock is held meanwhile
    outcomes = service.collect_cosignatures(db, latest) if cosign else {}
    db.commit()
    return CheckpointPublic(
        tree_size=latest.tree_size, note=latest.note, witness_outcomes=outcomes,
        cosigners=[CosignerPublic(**c) for c in service.cosigners_of(db, latest)],
        quorum_met=service.quorum_met(db, latest),
    )


@router.post("/entries", response_model=EntryPublic, status_code=201)
def append_entry(body: EntryCreate, db: DbSession, person: CurrentPerson) -> EntryPublic:
    """Append an operator's note (commission staff)."""
    authorize(person, "ledger.manage")
    try:
        entry = record(db, body.kind, body.subject, body.data, actor=str(person.id))
    except LedgerDataError as exc:
        raise ValidationFailed(str(exc), field="data") from None
    db.commit()
    return EntryPublic(index=entry.index, leaf=entry.leaf, leaf_hash=entry.leaf_hash_hex)


@router.get("/entries/{index}", response_model=EntryPublic)
@public
def get_entry(index: int, db: DbSession) -> EntryPublic:
    return EntryPublic(**service.get_entry(db, index))


@router.get("/entries/{index}/receipt")
@public
def get_receipt(index: int, db: DbSession) -> dict:
    """Entry + inclusion proof + signed checkpoint; check it offline with `yizhi ledger verify-receipt`."""
    receipt = service.receipt(db, index)
    db.commit()  # a checkpoint may have been signed to cover the entry
    return receipt


@router.get("/proof/inclusion/{index}", response_model=InclusionProofPublic)
@public
def inclusion_proof(index: int, db: DbSession, size: int | None = Query(default=None, ge=1)) -> InclusionProofPublic:
    return InclusionProofPublic(**service.inclusion_proof(db, index, size))


@router.get("/proof/consistency/{first}/{second}", response_model=ConsistencyProofPublic)
@public
def consistency_proof(first: int, second: int, db: DbSession) -> ConsistencyProofPublic:
    return ConsistencyProofPublic(**service.consistency_proof(db, first, second))


@router.get("/verify", response_model=VerifyPublic)
def verify(db: DbSession, person: CurrentPerson) -> VerifyPublic:
    """Recompute the whole tree and check every checkpoint (commission staff; reads every entry)."""
    authorize(person, "ledger.manage")
    report = service.verify_log(db)
    return VerifyPublic(
        ok=report.ok, size=report.size, entries_checked=report.entries_checked,
        checkpoints_checked=report.checkpoints_checked, first_bad_index=report.first_bad_index,
        problems=[ProblemPublic(index=p.index, message=p.message) for p in report.problems],
    )


def _witness_public(w) -> WitnessPublic:
    return WitnessPublic(name=w.name, org=w.org, vkey=w.vkey, url=w.url, active=w.active, last_size=w.last_size)


@router.get("/witnesses", response_model=list[WitnessPublic])
@public
def list_witnesses(db: DbSession) -> list[WitnessPublic]:
    return [_witness_public(w) for w in service.list_witnesses(db)]


@router.post("/witnesses", response_model=WitnessPublic, status_code=201)
def register_witness(body: WitnessCreate, db: DbSession, person: CurrentPerson) -> WitnessPublic:
    """Register your organisation's witness key (organisation owners)."""
    org = accounts.get_org_by_slug(db, body.org)
    authorize(person, "ledger.witness_register", org)
    witness = service.register_witness(db, org.slug, body.vkey, body.url or None)
    db.commit()
    return _witness_public(witness)


@router.post("/witnesses/{name}/retire", response_model=WitnessPublic)
def retire_witness(name: str, db: DbSession, person: CurrentPerson) -> WitnessPublic:
    """Stop asking this witness to cosign (its organisation's owner); past cosignatures stay valid."""
    witness = service.find_witness(db, name)
    authorize(person, "ledger.witness_register", accounts.get_org_by_slug(db, witness.org))
    service.set_witness_active(db, witness, False, actor=str(person.id))
    db.commit()
    return _witness_public(witness)


@router.post("/witnesses/{name}/cosignature", response_model=CheckpointPublic)
def submit_cosignature(name: str, body: CosignatureSubmit, db: DbSession, person: CurrentPerson) -> CheckpointPublic:
    """An offline witness's cosignature on the latest checkpoint, submitted by its organisation."""
    witness = service.find_witness(db, name)
    authorize(person, "ledger.witness_register", accounts.get_org_by_slug(db, witness.org))
    latest = service.latest_checkpoint(db)
    if latest is None:
        raise NotFound("no checkpoint has been signed yet")
    if not service.accept_cosignature(db, witness, latest, body.lines):
        raise ValidationFailed(f"no valid cosignature by {name} on the checkpoint at size {latest.tree_size}", field="lines")
    db.commit()
    return CheckpointPublic(
        tree_size=latest.tree_size, note=latest.note, quorum_met=service.quorum_met(db, latest),
        cosigners=[CosignerPublic(**c) for c in service.cosigners_of(db, latest)],
    )
