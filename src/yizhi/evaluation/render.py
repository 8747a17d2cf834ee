"""A scored submission's report as JSON (the CLI's exact keys), standalone HTML and PDF."""

from __future__ import annotations

import base64

from yizhi.errors import N_, Conflict
from yizhi.evaluation.models import Submission, SubmissionState


def require_scored(submission: Submission) -> dict:
    if submission.state != SubmissionState.scored or not submission.report:
        raise Conflict(N_("submission %(id)s is %(state)s; its report is not ready"),
                       params={"id": submission.id, "state": submission.state.value}, code="not_ready")
    return submission.report


def report_json(submission: Submission) -> dict:
    """The report with the ledger index, signature and hash beside the signed content."""
    report = require_scored(submission)
    return {**report, "ledger_index": submission.ledger_index, "report_sha256": submission.report_sha256,
            "signature": submission.signature, "submission_id": submission.id,
            "benchmark": submission.benchmark.slug, "organization": submission.organization.slug}


def figure_uris(report: dict) -> dict[str, str]:
    from yizhi.evaluation.plots import figures

    return {name: "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            for name, png in figures(report).items()}


def html_document(submission: Submission, locale: str = "zh") -> str:
    from yizhi.web import i18n
    from yizhi.web.templating import environment

    report = require_scored(submission)
    gettext = i18n.translations_for(locale).gettext
    return environment().get_template("evaluation/report_document.html").render(
        report=report, submission=submission, figures=figure_uris(report), _=gettext, locale=locale)


def pdf_document(submission: Submission) -> bytes:
    from yizhi.evaluation.pdf import render_pdf

    report = require_scored(submission)
    return render_pdf(report, {"submission_id": submission.id, "benchmark": submission.benchmark.slug,
                               "organization": submission.organization.slug, "signature": submission.signature,
                               "ledger_index": submission.ledger_index, "report_sha256": submission.report_sha256})
