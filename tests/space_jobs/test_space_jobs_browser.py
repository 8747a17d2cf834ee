"""The pages, in headless Chromium: the grantee submits and follows, two checkers release, the grantee downloads."""

from __future__ import annotations

import pytest

from yizhi.jobs import service as queue
from yizhi.space.project import zip_folder

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = """
    import pandas as pd
    frame = pd.read_parquet("/data/cohort.parquet")
    frame.groupby("site").size().rename("n").reset_index().to_csv("/output/result.csv", index=False)
"""


def _why_failed(job_id: int) -> str:
    from yizhi.db import session_scope
    from yizhi.space.jobs_models import SpaceJob

    with session_scope() as session:
        job = session.get(SpaceJob, job_id)
        return f"job {job_id}: {job.error_code} {job.error_template} {job.error_params}"


def test_submit_check_twice_and_download(page, browser, live_server, cast, grant, write_project, login_as, shoot,
                                         tmp_path):
    archive = tmp_path / "project.zip"
    archive.write_bytes(zip_folder(write_project(CODE), 1 << 20))

    login_as(page, cast.company)
    page.goto("/space/jobs")
    assert page.locator("h1").inner_text() == "沙箱作业"
    page.set_input_files("#submit-job input[name=project]", str(archive))
    page.click("#submit-job button[type=submit]")
    page.wait_for_url("**/space/jobs/*")
    job_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    assert queue.work_once("browser-test-worker")
    page.reload()
    assert page.locator("[data-state]").get_attribute("data-state") == "succeeded", _why_failed(job_id)
    assert page.locator("[data-output='result.csv'] [data-review]").get_attribute("data-review") == "pending"
    assert page.locator("[data-output='result.csv'] a", has_text="下载").count() == 0
    shoot(page, "space-job-held")

    for checker in (cast.owner, cast.colleague):
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        checker_page = context.new_page()
        login_as(checker_page, checker)
        checker_page.goto("/space/checks")
        card = checker_page.locator("[data-output='result.csv']")
        card.locator("textarea[name=comment]").fill("每格人数均不少于 10")
        if checker is cast.owner:
            shoot(checker_page, "space-checks-queue")
        card.locator("button[value=approve]").click()
        checker_page.wait_for_url("**/space/checks")
        context.close()

    page.goto(f"/space/jobs/{job_id}")
    assert page.locator("[data-output='result.csv'] [data-review]").get_attribute("data-review") == "approved"
    with page.expect_download() as download:
        page.locator("[data-output='result.csv'] a", has_text="下载").click()
    assert open(download.value.path()).read().startswith("site,n")
    assert page.locator("[data-output='stdout.log'] [data-review]").get_attribute("data-review") == "pending"
    shoot(page, "space-job-released")
