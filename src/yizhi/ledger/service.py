"""Ledger rules over the database: checkpoints, entries, proofs, receipts, verification, witnesses.

No HTTP here: the CLI, the JSON API and the pages all call these functions with a Session.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from yizhi.db import utcnow
from yizhi.errors import ValidationFailed
from yizhi.ledger import merkle
from yizhi.ledger.hashing import TreeHasher, get_hasher
from yizhi.ledger.keys import platform_signer
from yizhi.ledger.models import (
    TREE_HEAD_ID,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerNode,
    LedgerTreeHead,
    LedgerWitness,
)
from yizhi.ledger.note import (
    Checkpoint,
    NoteError,
    Verifier,
    add_signature_lines,
    b64,
    cosignature_time,
    open_checkpoint,
    parse_vkey,
    sign_note,
    split_note,
    verify_note,
)
from yizhi.ledger.receipt import build_receipt
from yizhi.ledger.settings import get_ledger_settings
from yizhi.ledger.store import TreeHead, lock_head, read_head

NODE_QUERY_CHUNK = 400


class LedgerError(ValidationFailed):
    """A request the ledger cannot satisfy (impossible size, bad witness key...), said plainly."""


class LedgerNotFound(LedgerError):
    """No such entry (or the ledger is empty)."""

    status = 404
    code = "not_found"


# --- keys and checkpoints ---------------------------------------------------------------------


def _signer_for(origin: str):
    return platform_signer(origin, get_ledger_settings().signature)


def platform_verifier(session: Session) -> Verifier:
    head = read_head(session)
    from yizhi.ledger.store import default_origin

    origin = head.origin if head else default_origin()
    return _signer_for(origin).verifier


def sign_checkpoint_locked(session: Session, head: TreeHead, moment: datetime | None = None) -> LedgerCheckpoint:
    """Sign (origin, size, root) of ``head``; the caller holds the tree-head lock."""
    moment = moment or utcnow()
    body = Checkpoint(head.origin, head.size, head.root_hash).body
    checkpoint = LedgerCheckpoint(
        tree_size=head.size, root_hash=head.root_hash, note=sign_note(body, _signer_for(head.origin)), created_at=moment
    )
    session.add(checkpoint)
    session.execute(
        update(LedgerTreeHead).where(LedgerTreeHead.id == TREE_HEAD_ID).values(checkpoint_size=head.size, checkpoint_at=moment)
    )
    session.flush()
    head.checkpoint_size, head.checkpoint_at = head.size, moment
    return checkpoint


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(1)).first()


def make_checkpoint(session: Session) -> LedgerCheckpoint:
    """The latest checkpoint, signing a new one first if the tree grew (or none exists yet)."""
    latest = latest_checkpoint(session)
    head = read_head(session)
    if latest is not None and head is not None and latest.tree_size >= head.size:
        return latest
    head = lock_head(session)
    latest = latest_checkpoint(session)
    if latest is not None and latest.tree_size >= head.size:
        return latest
    return sign_checkpoint_locked(session, head)


def checkpoint_if_due(session: Session) -> LedgerCheckpoint | None:
    """For the periodic job: sign when the tree grew and the last checkpoint is T seconds old."""
    head = read_head(session)
    if head is None or head.size <= head.checkpoint_size:
        return None
    age = None if head.checkpoint_at is None else (utcnow() - head.checkpoint_at).total_seconds()
    if age is not None and age < get_ledger_settings().checkpoint_seconds:
        return None
    return make_checkpoint(session)


def checkpoint_at_size(session: Session, size: int) -> LedgerCheckpoint | None:
    return session.scalars(select(LedgerCheckpoint).where(LedgerCheckpoint.tree_size == size)).first()


# --- entries and proofs -----------------------------------------------------------------------


@dataclass(frozen=True)
class _HeadSummary:
    size: int
    hasher: TreeHasher


def _require_head(session: Session) -> _HeadSummary:
    """Size and hash of the log (one small driver query: this sits on every proof's path)."""
    connection = session.connection()
    row = connection.exec_driver_sql(
        f"SELECT size, hash_alg FROM {LedgerTreeHead.__tablename__} WHERE id = {TREE_HEAD_ID}"
    ).first()
    if row is None or row[0] == 0:
        raise LedgerNotFound("the ledger is empty")
    return _HeadSummary(row[0], get_hasher(row[1]))


def get_entry(session: Session, index: int) -> dict[str, Any]:
    entry = session.get(LedgerEntry, index)
    if entry is None:
        raise LedgerNotFound(f"no ledger entry with index {index}")
    return {"index": entry.index, "leaf": entry.leaf, "leaf_hash": entry.leaf_hash.hex()}


def fetch_nodes(session: Session, keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    """Stored subtree hashes for ``keys``, in one query per 400 keys.

    The SQL is ``(level = ? AND idx IN (...)) OR ...`` (a row-value IN makes SQLite scan the table)
    and is sent as driver SQL with bound parameters: proofs are the hot path and building the
    equivalent SQLAlchemy expression costs more than the query itself (bench/ledger.py).
    """
    wanted = sorted(set(keys))
    found: dict[merkle.NodeKey, bytes] = {}
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(wanted), NODE_QUERY_CHUNK):
        by_level: dict[int, list[int]] = {}
        for level, index in wanted[start : start + NODE_QUERY_CHUNK]:
            by_level.setdefault(level, []).append(index)
        clauses, params = [], []
        for level, indexes in by_level.items():
            clauses.append(f"(level = {mark} AND idx IN ({', '.join([mark] * len(indexes))}))")
            params.extend([level, *indexes])
        sql = f"SELECT level, idx, hash FROM {LedgerNode.__tablename__} WHERE " + " OR ".join(clauses)
        for level, index, node_hash in connection.exec_driver_sql(sql, tuple(params)):
            found[(level, index)] = bytes(node_hash)
    missing = [key for key in wanted if key not in found]
    if missing:
        raise LedgerError(f"stored subtree hash {missing[0]} is missing; run `yizhi ledger verify`")
    return found


def _hashes(session: Session, hasher: TreeHasher, ranges: list[merkle.Range]) -> list[bytes]:
    return merkle.hashes_of_ranges(hasher, ranges, fetch_nodes(session, merkle.nodes_needed(ranges)))


def root_at(session: Session, size: int) -> bytes:
    if size == 0:
        head = read_head(session)
        return (head.hasher if head else get_hasher(get_ledger_settings().hash)).empty_root()
    head = _require_head(session)
    if not 0 <= size <= head.size:
        raise LedgerError(f"size {size} is beyond the ledger's {head.size} entries")
    return _hashes(session, head.hasher, [(0, size)])[0]


def inclusion_proof(session: Session, index: int, size: int | None = None) -> dict[str, Any]:
    head = _require_head(session)
    size = head.size if size is None else size
    if not 0 < size <= head.size:
        raise LedgerError(f"tree size {size} must be between 1 and the ledger's {head.size} entries")
    if not 0 <= index < size:
        raise LedgerError(f"index {index} is not inside a tree of size {size}")
    ranges = merkle.inclusion_ranges(index, size)
    nodes = fetch_nodes(session, merkle.nodes_needed(ranges) | {(0, index)})
    return {
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": nodes[(0, index)].hex(),
        "audit_path": [h.hex() for h in merkle.hashes_of_ranges(head.hasher, ranges, nodes)],
    }


def consistency_proof(session: Session, first: int, second: int) -> dict[str, Any]:
    head = _require_head(session)
    if not 0 <= first <= second <= head.size:
        raise LedgerError(f"need 0 <= first <= second <= {head.size}, got first={first} second={second}")
    proof = _hashes(session, head.hasher, merkle.consistency_ranges(first, second))
    return {"first": first, "second": second, "proof": [h.hex() for h in proof]}


def receipt(session: Session, index: int) -> dict[str, Any]:
    """Entry + inclusion proof + a signed checkpoint covering it (signing one if needed)."""
    entry = get_entry(session, index)
    checkpoint = latest_checkpoint(session)
    if checkpoint is None or checkpoint.tree_size <= index:
        checkpoint = make_checkpoint(session)
    head = _require_head(session)
    proof = inclusion_proof(session, index, checkpoint.tree_size)
    return build_receipt(head.hasher.name, entry, proof, checkpoint.note)


def status(session: Session) -> dict[str, Any]:
    head = read_head(session)
    verifier = platform_verifier(session)
    latest = latest_checkpoint(session)
    return {
        "origin": verifier.name,
        "size": head.size if head else 0,
        "hash": head.hasher.name if head else get_ledger_settings().hash,
        "public_key": verifier.vkey,
        "fingerprint": verifier.fingerprint,
        "checkpoint": latest.note if latest else None,
        "checkpoint_size": latest.tree_size if latest else None,
        "cosigners": cosigners_of(session, latest) if latest else [],
        "quorum": get_ledger_settings().witness_quorum,
    }


# --- verification -----------------------------------------------------------------------------


@dataclass
class Problem:
    index: int | None
    message: str


@dataclass
class VerifyReport:
    size: int = 0
    entries_checked: int = 0
    checkpoints_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        indexes = [p.index for p in self.problems if p.index is not None]
        return min(indexes) if indexes else None


def _nodes_completed_in(session: Session, start: int, end: int) -> dict[merkle.NodeKey, bytes]:
    """Stored nodes that appending leaves [start, end) created (at every level)."""
    conditions = []
    for level in range(0, max(end, 1).bit_length() + 1):
        first = ((start + (1 << level)) >> level) - 1
        last = (end >> level) - 1
        if last >= first:
            conditions.append(and_(LedgerNode.level == level, LedgerNode.index.between(first, last)))
    if not conditions:
        return {}
    rows = session.execute(select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(or_(*conditions)))
    return {(row.level, row.index): row.hash for row in rows}


def verify_log(
    session: Session,
    log_key: Verifier | None = None,
    chunk: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recompute the tree from the stored leaves and hold it against everything stored and signed.

    Leaves are checked against their stored hash and the stored subtree hashes (which pinpoints an
    altered, removed, reordered or inserted leaf), every checkpoint's signature and root against the
    recomputation, and each pair of successive checkpoints by a consistency proof from storage.
    """
    report = VerifyReport()
    head = read_head(session)
    if head is None:
        return report
    report.size = head.size
    log_key = log_key or platform_verifier(session)
    witnesses = [parse_vkey(w.vkey) for w in session.scalars(select(LedgerWitness))]
    checkpoints = list(session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size)))
    signed_roots: dict[int, bytes] = {}
    for cp in checkpoints:
        try:
            parsed, _ = open_checkpoint(cp.note, log_key, witnesses)
        except NoteError as exc:
            report.problems.append(Problem(None, f"checkpoint at size {cp.tree_size}: {exc}"))
            continue
        if parsed.size != cp.tree_size or parsed.root_hash != cp.root_hash:
            report.problems.append(Problem(None, f"checkpoint at size {cp.tree_size}: stored size/root differ from its note"))
        signed_roots[parsed.size] = parsed.root_hash
        report.checkpoints_checked += 1

    hasher = head.hasher
    frontier = merkle.Frontier(hasher)
    last_good_checkpoint = 0
    located = False
    total = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    expected_index = 0
    while True:
        rows = session.execute(
            select(LedgerEntry.index, LedgerEntry.leaf, LedgerEntry.leaf_hash, LedgerEntry.kind,
                   LedgerEntry.subject, LedgerEntry.actor, LedgerEntry.org, LedgerEntry.recorded_at)
            .where(LedgerEntry.index >= expected_index)
            .order_by(LedgerEntry.index)
            .limit(chunk)
        ).all()
        if not rows:
            break
        stored_nodes = _nodes_completed_in(session, expected_index, expected_index + len(rows))
        for row in rows:
            index = frontier.size
            if row.index != index:
                report.problems.append(Problem(index, f"entry {index} is missing (next stored index is {row.index})"))
                return _finish(report, frontier, head, total)
            leaf_hash = hasher.leaf(row.leaf.encode("utf-8"))
            column_problem = _columns_against_leaf(row)
            if column_problem:
                report.problems.append(Problem(index, f"entry {index}: {column_problem}"))
            if leaf_hash != row.leaf_hash and not located:
                report.problems.append(Problem(index, f"entry {index}: its text does not hash to its stored leaf hash"))
                located = True
            for level, node_index, node_hash in frontier.append(leaf_hash):
                stored = stored_nodes.get((level, node_index))
                if stored != node_hash and not located:
                    what = "leaf" if level == 0 else f"subtree ({level}, {node_index})"
                    first_leaf = node_index << level
                    bad = index if level == 0 else first_leaf
                    report.problems.append(
                        Problem(bad, f"entry {bad}: recomputed {what} hash differs from the stored one"
                                if level == 0 else f"stored subtree hash ({level}, {node_index}) over entries "
                                f"{first_leaf}..{index} differs from the recomputation")
                    )
                    located = True
            size = frontier.size
            if size in signed_roots:
                if signed_roots[size] != frontier.root():
                    if not located:
                        report.problems.append(
                            Problem(last_good_checkpoint, f"entries {last_good_checkpoint}..{size - 1} do not reproduce "
                                    f"the signed checkpoint at size {size}; the first bad entry is in that range")
                        )
                        located = True
                    else:
                        report.problems.append(Problem(None, f"signed checkpoint at size {size} does not match the entries"))
                elif not located:
                    last_good_checkpoint = size
            report.entries_checked += 1
        expected_index = frontier.size
        if progress:
            progress(report.entries_checked)
    _check_consistency_chain(session, hasher, signed_roots, head.size, report)
    return _finish(report, frontier, head, total)


def _columns_against_leaf(row) -> str | None:
    """The look-up columns (kind, subject, actor, org, recorded_at) must say what the hashed leaf says:
    pages, filters and the event history read the columns, and an edit there would go unnoticed."""
    import json

    from yizhi.ledger.canonical import format_time

    try:
        leaf = json.loads(row.leaf)
    except ValueError:
        return "its text is not JSON"
    stored = {"kind": row.kind, "subject": row.subject, "actor": row.actor, "org": row.org,
              "time": format_time(row.recorded_at) if row.recorded_at is not None else None}
    changed = [name for name, value in stored.items() if leaf.get(name) != value]
    if changed:
        shown = ", ".join("recorded_at" if name == "time" else name for name in changed)
        return f"stored column(s) {shown} differ from its leaf"
    return None


def _check_consistency_chain(session, hasher, signed_roots, head_size, report) -> None:
    sizes = sorted(s for s in signed_roots if s <= head_size)
    for old, new in zip(sizes, sizes[1:]):
        try:
            proof = [bytes.fromhex(h) for h in consistency_proof(session, old, new)["proof"]] if new else []
            merkle.verify_consistency(hasher, old, new, signed_roots[old], signed_roots[new], proof)
        except (LedgerError, merkle.ProofError) as exc:
            report.problems.append(Problem(None, f"checkpoints {old} → {new} are not consistent: {exc}"))


def _finish(report: VerifyReport, frontier: merkle.Frontier, head: TreeHead, total: int) -> VerifyReport:
    if report.ok:
        if frontier.size != head.size or total != head.size:
            report.problems.append(
                Problem(min(frontier.size, head.size), f"tree head says {head.size} entries, {total} are stored")
            )
        elif frontier.root() != head.root_hash:
            report.problems.append(Problem(None, "tree head root differs from the recomputed root"))
    return report


# --- witnesses --------------------------------------------------------------------------------

WITNESS_NAME_RE = re.compile(r"[^\s+]{1,200}")


def register_witness(session: Session, org: str, vkey: str, url: str | None = None) -> LedgerWitness:
    """An organisation registers its witness's verifier key (cosignature/v1)."""
    try:
        verifier = parse_vkey(vkey)
    except NoteError as exc:
        raise LedgerError(f"witness key: {exc}") from None
    if verifier.kind != "cosignature/v1":
        raise LedgerError("witness key: must be a cosignature/v1 key (signature type 0x04)")
    if url is not None and not re.fullmatch(r"https?://[^\s]+", url):
        raise LedgerError(f"witness url {url!r} must start with http:// or https://")
    if session.scalars(select(LedgerWitness).where(LedgerWitness.name == verifier.name)).first():
        raise LedgerError(f"a witness named {verifier.name!r} is already registered")
    witness = LedgerWitness(org=org, name=verifier.name, vkey=verifier.vkey, url=url, active=True, last_size=0)
    session.add(witness)
    session.flush()
    from yizhi.ledger.store import record

    record(session, "ledger.witness_registered", f"witness:{witness.id}",
           {"witness_id": witness.id, "key_id": verifier.key_id.hex()}, org=org)
    return witness


def find_witness(session: Session, name: str) -> LedgerWitness:
    witness = session.scalars(select(LedgerWitness).where(LedgerWitness.name == name)).first()
    if witness is None:
        raise LedgerNotFound(f"no registered witness named {name!r}")
    return witness


def set_witness_active(session: Session, witness: LedgerWitness, active: bool, actor: str | None = None) -> LedgerWitness:
    """Retire (or reinstate) a witness: retired ones are not asked to cosign; past cosignatures stay valid."""
    if witness.active != active:
        witness.active = active
        session.flush()
        from yizhi.ledger.store import record

        record(session, "ledger.witness_activated" if active else "ledger.witness_retired",
               f"witness:{witness.id}", {"witness_id": witness.id}, actor=actor, org=witness.org)
    return witness


def list_witnesses(session: Session, active_only: bool = False) -> list[LedgerWitness]:
    query = select(LedgerWitness).order_by(LedgerWitness.id)
    if active_only:
        query = query.where(LedgerWitness.active.is_(True))
    return list(session.scalars(query))


def cosigners_of(session: Session, checkpoint: LedgerCheckpoint) -> list[dict[str, Any]]:
    rows = session.execute(
        select(LedgerWitness.name, LedgerWitness.org, LedgerCosignature.signed_at)
        .join(LedgerCosignature, LedgerCosignature.witness_id == LedgerWitness.id)
        .where(LedgerCosignature.checkpoint_id == checkpoint.id)
        .order_by(LedgerWitness.name)
    )
    return [{"witness": r.name, "org": r.org, "time": r.signed_at} for r in rows]


def witness_request(
    session: Session, witness: LedgerWitness, checkpoint: LedgerCheckpoint, old_size: int | None = None
) -> str:
    """The tlog-witness add-checkpoint body for ``witness``: old size, proof lines, blank, note."""
    old = witness.last_size if old_size is None else old_size
    if old > checkpoint.tree_size:
        old = 0
    proof = consistency_proof(session, old, checkpoint.tree_size)["proof"] if checkpoint.tree_size else []
    lines = [f"old {old}"] + [b64(bytes.fromhex(h)) for h in proof]
    return "\n".join(lines) + "\n\n" + checkpoint.note


def accept_cosignature(session: Session, witness: LedgerWitness, checkpoint: LedgerCheckpoint, response: str) -> bool:
    """Verify a witness's signature lines on ``checkpoint`` and store them; False if none is valid."""
    verifier = parse_vkey(witness.vkey)
    lines = [line for line in response.splitlines() if line.strip()]
    try:
        candidate = add_signature_lines(checkpoint.note, lines)
        body, verified = verify_note(candidate, [verifier])
    except NoteError:
        return False
    if verifier not in verified:
        return False
    _, signatures = split_note(candidate)
    mine = [s for s in signatures if s.name == verifier.name and s.key_id == verifier.key_id]
    exists = session.scalars(
        select(LedgerCosignature).where(
            LedgerCosignature.checkpoint_id == checkpoint.id, LedgerCosignature.witness_id == witness.id
        )
    ).first()
    if exists is None:
        session.add(LedgerCosignature(checkpoint_id=checkpoint.id, witness_id=witness.id,
                                      line=mine[-1].line, signed_at=cosignature_time(mine[-1])))
    checkpoint.note = add_signature_lines(checkpoint.note, [mine[-1].line])
    witness.last_size = max(witness.last_size, checkpoint.tree_size)
    session.flush()
    return True


Transport = Callable[[str, str], tuple[int, str]]


def http_transport(url: str, body: str) -> tuple[int, str]:
    """POST ``body`` to ``<url>/add-checkpoint``; returns (status, response text)."""
    request = urllib.request.Request(
        url.rstrip("/") + "/add-checkpoint", data=body.encode("utf-8"), method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=get_ledger_settings().witness_timeout) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


def collect_cosignatures(
    session: Session, checkpoint: LedgerCheckpoint, transport: Transport = http_transport
) -> dict[str, str]:
    """Ask every active witness with a URL to cosign; returns {witness name: outcome}.

    All network calls happen first and all writes after them, so the caller's transaction takes
    no write lock while waiting on witnesses.
    """
    outcomes: dict[str, str] = {}
    answers = []
    with session.no_autoflush:
        for witness in list_witnesses(session, active_only=True):
            if not witness.url:
                outcomes[witness.name] = "offline witness: use `yizhi ledger witness request`"
                continue
            old = witness.last_size
            for _attempt in range(2):
                status_code, text = transport(witness.url, witness_request(session, witness, checkpoint, old))
                if status_code == 409 and re.fullmatch(r"\d+\n?", text) and int(text) != old:
                    old = int(text)  # the witness says what it cosigned last; retry from there
                    continue
                break
            answers.append((witness, status_code, text))
    for witness, status_code, text in answers:
        if status_code == 200 and accept_cosignature(session, witness, checkpoint, text):
            outcomes[witness.name] = "cosigned"
        else:
            outcomes[witness.name] = f"refused ({status_code}): {text.strip()[:200]}"
    return outcomes


def quorum_met(session: Session, checkpoint: LedgerCheckpoint) -> bool:
    return len(cosigners_of(session, checkpoint)) >= get_ledger_settings().witness_quorum


def entry_count(session: Session) -> int:
    head = session.get(LedgerTreeHead, TREE_HEAD_ID)
    return head.size if head else 0


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
