"""The scoring job: ``evaluation.score`` runs a queued submission against its phase's hidden table,
signs the report with the platform key and records it on the ledger.

A model's own failure (memory, time, error) fails the submission and ends the job normally; any
other crash is noted on the submission (:mod:`.lifecycle`) and re-raised, so the job machinery
retries it or fails it and the submission follows.
"""

from __future__ import annotations

from sqlalchemy import update

from yizhi import ledger
from yizhi.catalog import store
from yizhi.db import session_scope, utcnow
from yizhi.evaluation import lifecycle, service
from yizhi.evaluation.models import Submission, SubmissionKind, SubmissionState
from yizhi.evaluation.cases import store_case_outputs
from yizhi.evaluation.scoring import ModelFailed, score_with_cases
from yizhi.evaluation.signing import report_sha256, sign_report
from yizhi.jobs.models import Job, JobState
from yizhi.jobs.service import JobContext, handler, run_job


def _load(submission_id: int) -> dict | None:
    with session_scope() as session:
        sub = service.get_submission(session, submission_id)
        if sub.state == SubmissionState.scored:
            return None       # an earlier attempt finished; its worker died before the job was marked done
        sub.state = SubmissionState.running
        sub.error_code = sub.error = None   # a retry starts clean
        phase = sub.phase
        version = phase.version if phase else sub.benchmark.version
        contract = service.contract_of(sub.benchmark)
        from yizhi import storage

        with storage.open_file(sub.model_sha256) as handle:
            model = handle.read()
        predictions = sub.kind == SubmissionKind.predictions
        file_hash = {"predictions_sha256" if predictions else "model_sha256": sub.model_sha256}
        return {"model": model, "contract": contract, "path": store.table_path(version, contract.table),
                "dataset": {"ref": version.ref, "root_hash": version.root_hash, "card": dict(version.card or {})},
                "hashes": {**file_hash, "dataset_root_hash": version.root_hash,
                           "dataset_version": version.ref, "task_sha256": sub.benchmark.task_sha256},
                "seed": sub.id, "version_id": version.id, "predictions": predictions,
                "salt": phase.release.key_salt if predictions else None,
                "expected": phase.release.rows if predictions else None}


def _score(loaded: dict, progress) -> tuple[dict, dict]:
    """A model runs in the sandbox; a predictions file (checked at submission, parsed again here
    against the release's keys) is scored on the same hidden rows without running anything."""
    if not loaded["predictions"]:
        return score_with_cases(loaded["model"], loaded["contract"], loaded["path"], loaded["dataset"],
                                loaded["hashes"], loaded["seed"], progress, workers=None)
    from yizhi.evaluation import predictions
    from yizhi.evaluation.releases import case_keys

    name = "predictions.parquet" if loaded["model"][:4] == b"PAR1" else "predictions.csv"
    keys, scores = predictions.parse(loaded["model"], name, loaded["contract"],
                                     set(case_keys(loaded["salt"], loaded["expected"])))
    progress(0.3, "predictions read; computing metrics and confidence intervals")
    return predictions.score_predictions(keys, scores, loaded["contract"], loaded["path"], loaded["salt"],
                                         loaded["dataset"], loaded["hashes"], loaded["seed"], workers=None)


@handler("evaluation.score")
def score_submission(ctx: JobContext) -> dict:
    submission_id = int(ctx.params["submission_id"])
    try:
        loaded = _load(submission_id)
        if loaded is None:
            return {"submission_id": submission_id, "state": "scored"}
        ctx.progress(0.05, "submission loaded")
        report, cases = _score(loaded, ctx.progress)
    except ModelFailed as exc:
        _fail(submission_id, exc.code, exc.template, exc.params)
        return {"submission_id": submission_id, "state": "failed", "code": exc.code}
    except Exception as exc:
        lifecycle.note_crash(submission_id, ctx.job_id, exc)
        raise
    try:
        return _finish(submission_id, report, {**cases, "version_id": loaded["version_id"],
                                               "table": loaded["contract"].table,
                                               "classes": loaded["contract"].classes})
    except Exception as exc:
        lifecycle.note_crash(submission_id, ctx.job_id, exc)
        raise


def _fail(submission_id: int, code: str, template: str, params: dict) -> None:
    with session_scope() as session:
        sub = service.get_submission(session, submission_id)
        sub.state = SubmissionState.failed
        sub.error_code, sub.error = code, {"template": template, "params": params}
        ledger.record(session, "evaluation.submission_failed", f"submission:{sub.id}",
                      {"submission_id": sub.id, "code": code}, org=sub.organization.slug)


def _finish(submission_id: int, report: dict, cases: dict | None = None) -> dict:
    """Sign and record the report; keep the per-case outputs inside the platform, in one transaction."""
    digest = report_sha256(report)
    with session_scope() as session:
        sub = service.get_submission(session, submission_id)
        sub.report, sub.report_sha256 = report, digest
        sub.signature = sign_report(session, sub.id, digest)
        metric = sub.phase.metric if sub.phase else "auroc"
        found = report["metrics"].get(metric) or {}
        sub.primary_value = found.get("value")
        sub.primary_low, sub.primary_high = (found.get("ci") or [None, None])[:2]
        sub.verdict = report["verdict"]["overall"]
        sub.state, sub.scored_at = SubmissionState.scored, utcnow()
        entry = ledger.record(session, "evaluation.report_signed", f"submission:{sub.id}", {
            "submission_id": sub.id, "report_sha256": digest,
            ("predictions_sha256" if sub.kind == SubmissionKind.predictions else "model_sha256"): sub.model_sha256,
            "dataset_root_hash": report["hashes"].get("dataset_root_hash"), "verdict": sub.verdict},
            org=sub.organization.slug)
        sub.ledger_index = entry.index
        if cases is not None:
            store_case_outputs(session, sub, cases["version_id"], cases["table"], cases["rows"], cases["scores"],
                               cases["classes"])
    return {"submission_id": submission_id, "state": "scored", "report_sha256": digest}


def run_now(job_id: int) -> bool:
    """Claim this one queued job and run it here (the CLI waits for its submission); False if taken."""
    with session_scope() as session:
        won = session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.queued).values(
            state=JobState.running, worker="cli", started_at=utcnow(), heartbeat_at=utcnow(),
            attempts=Job.attempts + 1)).rowcount
    if won != 1:
        return False
    run_job(job_id)
    return True


__all__ = ["Submission", "run_now", "score_submission"]
