"""The evaluation pages in headless Chromium, in Chinese: a company submits an ONNX model from the
benchmark page, the scoring job runs, the report shows the state, the verdict and the figures, and the
leaderboard lists the company — then the same report in English."""

from __future__ import annotations

import pytest

from yizhi.jobs import service as queue
from yizhi.web import i18n

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_submit_report_and_leaderboard(page, cast, benchmark, pima_model, login_as, shoot, tmp_path):
    model = tmp_path / "pima-logistic.onnx"
    model.write_bytes(pima_model)

    login_as(page, cast.company)
    page.goto(f"/evaluation/benchmarks/{benchmark}")
    page.click(f"a[href='/evaluation/benchmarks/{benchmark}/submit']")
    page.select_option("#org", "company")
    page.set_input_files("#model", str(model))
    shoot(page, "evaluation-submit")
    page.click(f"form[action='/evaluation/benchmarks/{benchmark}/submit'] button[type=submit]")
    page.wait_for_load_state()
    assert "/evaluation/submissions/" in page.url, page.url
    report_url = page.url

    assert queue.work_once("browser-test-worker")
    page.reload()
    assert page.locator("#state").inner_text() == i18n.gettext("zh", "scored")
    assert page.locator("#verdict").count() == 1
    assert page.locator("figure img").count() >= 3            # ROC, PR, reliability
    assert i18n.gettext("zh", "ROC curve") in page.content()
    shoot(page, "evaluation-report-zh")

    page.goto(f"/evaluation/benchmarks/{benchmark}")
    page.locator("a[href*='/leaderboard']").first.click()
    assert "医图科技" in page.locator("main").inner_text()    # the company's aggregate row
    shoot(page, "evaluation-leaderboard")

    page.goto(report_url + "?lang=en")                         # the same report, in English
    assert page.locator("#state").inner_text() == "scored"
    assert "ROC curve" in page.content()
