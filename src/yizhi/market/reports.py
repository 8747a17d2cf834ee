"""Evaluation reports as the supermarket shows them: verified each time they are shown, and read
into the figures a hospital compares (metrics with CIs, subgroups, robustness).

Verification checks three independent things, and names what failed:
1. the report's SHA-256 (RFC 8785 canonical JSON) is the one recorded when it was signed and attached;
2. the platform's signed note over that hash verifies with the platform key;
3. the ledger receipt of the ``evaluation.report_signed`` entry verifies (inclusion proof against a
   signed checkpoint) and the entry names this submission and this hash.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.errors import N_
from yizhi.evaluation.models import Submission, SubmissionState
from yizhi.evaluation.signing import report_sha256, verify_report
from yizhi.market.models import VersionReport

SHOWN_METRICS = ("auroc", "sensitivity", "specificity", "ppv", "npv", "auprc", "brier", "ece", "accuracy",
                 "macro_auroc", "macro_f1", "balanced_accuracy", "mae", "rmse", "r2", "c_index")


def _receipt_problem(session: Session, submission: Submission, digest: str) -> tuple[str | None, dict | None]:
    from yizhi.ledger.receipt import ReceiptError, verify_receipt
    from yizhi.ledger.service import LedgerError, platform_verifier

    if submission.ledger_index is None:
        return N_("the report has no ledger entry"), None
    try:
        receipt = ledger.receipt_for(session, submission.ledger_index)
        checkpoint, _ = verify_receipt(receipt, platform_verifier(session))
    except (ReceiptError, LedgerError, ValueError):
        return N_("the ledger receipt does not verify"), None
    event = json.loads(receipt["entry"]["leaf"])
    data = event.get("data") or {}
    if event.get("kind") != "evaluation.report_signed" or data.get("submission_id") != submission.id \
            or data.get("report_sha256") != digest:
        return N_("the ledger entry names another report"), None
    return None, {"index": submission.ledger_index, "checkpoint_size": checkpoint.size,
                  "root_hash": checkpoint.root_hash.hex()}


def verify_submission(session: Session, submission: Submission, expected_sha256: str | None = None) -> dict:
    """``{"verified", "problems", "report_sha256", "receipt"}`` for one evaluation submission's report.

    May sign a ledger checkpoint (when none covers the entry yet): the caller commits."""
    problems: list[str] = []
    if submission.state != SubmissionState.scored or not submission.report:
        return {"verified": False, "problems": [N_("the report is not scored")], "report_sha256": None,
                "receipt": None}
    digest = report_sha256(submission.report)
    if digest != submission.report_sha256 or (expected_sha256 is not None and digest != expected_sha256):
        problems.append(N_("the report changed after it was signed"))
    if not submission.signature or not verify_report(session, submission.signature, submission.report):
        problems.append(N_("the platform's signature does not verify"))
    problem, receipt = _receipt_problem(session, submission, digest)
    if problem:
        problems.append(problem)
    return {"verified": not problems, "problems": problems, "report_sha256": digest, "receipt": receipt}


def verify_attached(session: Session, attached: VersionReport) -> dict:
    return verify_submission(session, attached.submission, attached.report_sha256)


def _pair(found: dict | None) -> dict | None:
    if not isinstance(found, dict) or found.get("value") is None:
        return None
    ci = found.get("ci") or [None, None]
    return {"value": found.get("value"), "low": ci[0], "high": ci[1]}


def figures(submission: Submission) -> dict:
    """What a hospital compares, read from one report: metrics with CIs, subgroups, robustness, the test set."""
    report = submission.report or {}
    card = report.get("card") or {}
    metrics = {name: _pair(value) for name, value in (report.get("metrics") or {}).items() if name in SHOWN_METRICS}
    subgroups = {}
    for column, section in sorted((report.get("subgroups") or {}).items()):
        groups = {}
        for group, row in sorted((section.get("groups") or {}).items()):
            if row.get("suppressed"):
                groups[group] = {"n": row.get("n"), "suppressed": True}
                continue
            shown = {k: _pair(v) for k, v in (row.get("metrics") or {}).items() if k in SHOWN_METRICS[:3]}
            groups[group] = {"n": row.get("n"), "metrics": shown}
        subgroups[column] = {"groups": groups, "gaps": section.get("gaps") or {}, "worst": section.get("worst_group")}
    robustness = [{"perturbation": row.get("perturbation"),
                   "delta": next((v for k, v in row.items() if k.startswith("delta_") and k != "delta_sensitivity"),
                                 None),
                   "delta_sensitivity": row.get("delta_sensitivity")} for row in report.get("robustness") or []]
    return {"submission_id": submission.id, "benchmark": submission.benchmark.slug,
            "benchmark_title": submission.benchmark.title, "task": report.get("task"),
            "dataset": card.get("dataset"), "n": card.get("n"), "population": card.get("population"),
            "metrics": {k: v for k, v in metrics.items() if v}, "subgroups": subgroups, "robustness": robustness,
            "verdict": (report.get("verdict") or {}).get("overall"),
            "dataset_root_hash": (report.get("hashes") or {}).get("dataset_root_hash"),
            "model_sha256": (report.get("hashes") or {}).get("model_sha256")}


def shown_reports(session: Session, version) -> list[dict]:
    """Each report the version carries, verified now, with its figures."""
    out = []
    for attached in version.reports:
        check = verify_attached(session, attached)
        out.append({"submission_id": attached.submission_id, "check": check,
                    "figures": figures(attached.submission) if attached.submission.report else None})
    return out
