"""Released inputs of a phase: the feature columns of its table under an opaque per-phase case key.

A phase's organiser (the benchmark's evaluator organisation, or the commission) may release its
inputs so that participants can submit a predictions file instead of a model. What is released is
only the contract's input columns — never the reference, the subgroup columns or the dataset's row
ids. Each case is named by ``HMAC-SHA256(release secret, row number)`` (20 hex digits): the secret is
drawn per release and never shown, so keys cannot be linked across phases or back to the dataset's
rows, and the released files are ordered by key so a row's position tells nothing either.

The CSV and the Parquet are written once, at release, to the platform store; the release and every
download (a release of data to one organisation) are recorded on the ledger.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.catalog import store
from yizhi.errors import N_, Conflict, PermissionDenied, ValidationFailed
from yizhi.evaluation.contract import TaskContract
from yizhi.evaluation.models import InputRelease, Phase
from yizhi.evaluation.permissions import EVALUATOR_KINDS

KEY_COLUMN = "case"
KEY_HEX = 20          # 80 bits: no collision to expect below billions of cases (checked anyway)
FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
PARTICIPANT_KINDS = (OrgKind.company, OrgKind.university, OrgKind.hospital, *EVALUATOR_KINDS)


def case_keys(salt: str, rows: int) -> list[str]:
    """The opaque key of each row number ``0..rows-1`` of the phase's table."""
    secret = bytes.fromhex(salt)
    return [hmac.new(secret, str(i).encode(), hashlib.sha256).hexdigest()[:KEY_HEX] for i in range(rows)]


def may_organise(org: Organization, phase: Phase) -> bool:
    return org.approved and (org.id == phase.benchmark.organization_id or org.kind == OrgKind.commission)


def require_participant(org: Organization) -> None:
    """Inputs go to organisations that may take part (approved companies, universities, hospitals and
    evaluators — the kinds that may submit)."""
    if not org.approved or org.kind not in PARTICIPANT_KINDS:
        raise PermissionDenied(N_("%(org)s may not take part in evaluations"), params={"org": org.slug},
                               code="not_participant")


def release_inputs(session: Session, phase: Phase, org: Organization, actor: Person | None = None) -> InputRelease:
    """Write the phase's inputs (CSV and Parquet) to the store and record the release; a phase released
    already keeps its release (same keys, same files)."""
    if not may_organise(org, phase):
        raise PermissionDenied(N_("only the benchmark's evaluator organisation or the commission may release the "
                                  "inputs of phase %(name)s"), params={"name": phase.name}, code="not_organiser")
    if phase.release is not None:
        return phase.release
    contract = TaskContract.from_dict(phase.benchmark.task)
    if not contract.inputs:
        raise ValidationFailed(N_("phase %(name)s has no table inputs to release"), params={"name": phase.name})
    table = pq.read_table(store.table_path(phase.version, contract.table), columns=contract.inputs)
    salt = secrets.token_hex(32)
    keys = case_keys(salt, table.num_rows)
    if len(set(keys)) != len(keys):   # astronomically unlikely; a fresh secret would do, but say so
        raise Conflict(N_("case keys collided; release the inputs again"), code="key_collision")
    released = pa.table({KEY_COLUMN: pa.array(keys, pa.string()),
                         **{c: table.column(c) for c in contract.inputs}})
    released = released.take(pc.sort_indices(released, [(KEY_COLUMN, "ascending")]))
    csv_digest = storage.put_stream(io.BytesIO(_csv_bytes(released)))[0]
    buffer = io.BytesIO()
    pq.write_table(released, buffer)
    buffer.seek(0)
    parquet_digest = storage.put_stream(buffer)[0]
    release = InputRelease(phase_id=phase.id, key_salt=salt, rows=released.num_rows, columns=list(contract.inputs),
                           csv_sha256=csv_digest, parquet_sha256=parquet_digest,
                           released_by_id=actor.id if actor else None)
    session.add(release)
    session.flush()
    entry = ledger.record(session, "evaluation.inputs_released", f"phase:{phase.id}",
                          {"phase_id": phase.id, "benchmark": phase.benchmark.slug, "version": phase.version.ref,
                           "rows": release.rows, "columns": release.columns, "csv_sha256": csv_digest,
                           "parquet_sha256": parquet_digest}, actor=str(actor.id) if actor else None, org=org.slug)
    release.ledger_index = entry.index
    session.refresh(phase)
    return release


def _csv_bytes(table: pa.Table) -> bytes:
    """UTF-8 CSV with a header; a missing value is an empty cell. Cells pass ``safe_cell`` as every
    export does (the keys are hex and the features numbers, so nothing is changed in practice)."""
    from yizhi.exports import safe_row

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = [table.column(name).to_pylist() for name in table.column_names]
    for row in zip(*columns, strict=True):
        writer.writerow(safe_row("" if v is None else (repr(v) if isinstance(v, float) else v) for v in row))
    return text.getvalue().encode("utf-8")


def require_release(phase: Phase) -> InputRelease:
    if phase.release is None:
        raise Conflict(N_("phase %(name)s has not released its inputs; submit a model, or choose a phase whose "
                          "inputs are released"), params={"name": phase.name}, code="inputs_not_released")
    return phase.release


def download_inputs(session: Session, phase: Phase, org: Organization, fmt: str,
                    actor: Person | None = None) -> tuple[str, str]:
    """Record the download on the ledger and return (store digest, file name) of the released file."""
    if fmt not in FORMATS:
        raise ValidationFailed(N_("inputs are released as csv or parquet, not %(format)s"), params={"format": fmt},
                               field="format")
    require_participant(org)
    release = require_release(phase)
    digest = release.csv_sha256 if fmt == "csv" else release.parquet_sha256
    ledger.record(session, "evaluation.inputs_downloaded", f"phase:{phase.id}",
                  {"phase_id": phase.id, "benchmark": phase.benchmark.slug, "format": fmt, "sha256": digest,
                   "rows": release.rows}, actor=str(actor.id) if actor else None, org=org.slug)
    return digest, f"{phase.benchmark.slug}-phase{phase.id}-inputs.{fmt}"


def release_out(phase: Phase) -> dict | None:
    release = phase.release
    if release is None:
        return None
    return {"rows": release.rows, "columns": release.columns, "key_column": KEY_COLUMN,
            "csv_sha256": release.csv_sha256, "parquet_sha256": release.parquet_sha256,
            "released_at": release.released_at.isoformat() if release.released_at else None,
            "ledger_index": release.ledger_index}
