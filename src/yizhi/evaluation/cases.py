"""Per-case outputs of scored submissions, kept inside the platform for reader studies.

A scored submission's model output per case of the hidden table is stored as a Parquet in the
platform store (``case`` = the row number in the scored table, ``score`` or ``score_<class>``) and
indexed by :class:`~yizhi.evaluation.models.CaseOutputs`. Nothing of the evaluation center shows
it — no page, API answer, report, CLI verb or leaderboard — so a submitter can never recover the
hidden references from their own model's scores. The one reader is annotation's reader study
(:func:`aid_for_reader_study`), which shows a model's probability to its readers as the AI aid: only
the benchmark's evaluator organisation (or the commission) may take it, the use is on the ledger.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.accounts.models import Person
from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, NotFound, ValidationFailed
from yizhi.evaluation.models import CaseOutputs, Submission, SubmissionState

MAX_CASES = 5_000_000


def store_case_outputs(session: Session, submission: Submission, version_id: int, table: str, rows: np.ndarray,
                       scores: np.ndarray, classes: list | None = None) -> CaseOutputs:
    """Write the Parquet to the store and index it (replacing an earlier scoring's, on a re-score)."""
    columns = {"case": pa.array(np.asarray(rows, dtype=np.int64))}
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 2:
        names = [str(c) for c in classes] if classes else [str(i) for i in range(scores.shape[1])]
        columns.update({f"score_{name}": pa.array(scores[:, i]) for i, name in enumerate(names)})
    else:
        columns["score"] = pa.array(scores)
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    buffer.seek(0)
    digest, _size = storage.put_stream(buffer)
    found = session.get(CaseOutputs, submission.id)
    if found is None:
        found = CaseOutputs(submission_id=submission.id)
        session.add(found)
    found.version_id, found.table_name, found.digest, found.rows = version_id, table, digest, len(rows)
    session.flush()
    return found


def _read(entry: CaseOutputs) -> pa.Table:
    with storage.open_file(entry.digest) as handle:
        return pq.read_table(io.BytesIO(handle.read()))


def case_outputs(db: Session, submission_id: int) -> dict[str, float]:
    """``{case_key: probability}`` of a scored binary-classification submission (internal: no
    permission check here; :func:`aid_for_reader_study` is the checked route)."""
    entry = db.get(CaseOutputs, submission_id)
    if entry is None:
        raise NotFound(N_("submission %(id)s has no stored case outputs (it is not scored)"),
                       params={"id": submission_id})
    table = _read(entry)
    if "score" not in table.column_names or entry.submission.benchmark.task.get("task") != "binary_classification":
        raise ValidationFailed(N_("only a binary classification submission gives one probability per case"),
                               field="ai_submission")
    cases = table.column("case").to_pylist()
    return {str(case): float(value) for case, value in zip(cases, table.column("score").to_pylist(), strict=True)}


def aid_for_reader_study(db: Session, person: Person, submission_id: int, benchmark: str,
                         reference: str) -> dict[str, float]:
    """The submission's probabilities per case, for a reader study on ``benchmark``; recorded on the
    ledger as a use (``reference`` names the study). Refused unless ``person`` acts for the
    benchmark's evaluator organisation (or the commission), the submission is scored on that
    benchmark's own dataset version, and the task gives one probability per case."""
    submission = db.get(Submission, submission_id)
    if submission is None:
        raise NotFound(N_("submission %(id)s not found"), params={"id": submission_id})
    authorize(person, "evaluation.case_outputs.use", submission)
    if submission.benchmark.slug != benchmark:
        raise ValidationFailed(N_("submission %(id)s was not made to benchmark %(benchmark)s"),
                               params={"id": submission_id, "benchmark": benchmark}, field="ai_submission")
    entry = db.get(CaseOutputs, submission_id)
    if submission.state != SubmissionState.scored or entry is None:
        raise ValidationFailed(N_("submission %(id)s is not scored; its outputs cannot aid readers"),
                               params={"id": submission_id}, field="ai_submission")
    if entry.version_id != submission.benchmark.version_id:
        raise ValidationFailed(N_("submission %(id)s was scored on another dataset version than the benchmark's "
                                  "(a sanity phase?)"), params={"id": submission_id}, field="ai_submission")
    scores = case_outputs(db, submission_id)
    ledger.record(db, "evaluation.case_outputs_used", f"submission:{submission_id}",
                  {"submission_id": submission_id, "digest": entry.digest, "rows": entry.rows, "use": reference},
                  actor=str(person.id), org=submission.benchmark.organization.slug)
    return scores
