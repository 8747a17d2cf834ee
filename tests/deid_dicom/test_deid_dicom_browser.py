"""The de-identification pages in a real browser, in both languages: the text page's copy and
download buttons, the DICOM upload's progress bar, and the job page that follows the job by
itself (per-file reasons when nothing could be de-identified)."""

from __future__ import annotations

import re
from pathlib import Path

import pydicom
import pytest

from yizhi.jobs import service as jobs

pytestmark = pytest.mark.browser

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
NOTE = "患者欧阳明华，女，92岁，于2024年3月5日入院。家属：张三，电话13812345678。"

# Records every value the upload bar takes, in sessionStorage so it survives the redirect.
WATCH_PROGRESS = """() => {
  const bar = document.querySelector('#dicom-upload-progress');
  new MutationObserver(() => {
    const seen = JSON.parse(sessionStorage.getItem('seen') || '[]');
    seen.push(bar.getAttribute('aria-valuenow') + (bar.hidden ? ':hidden' : ''));
    sessionStorage.setItem('seen', JSON.stringify(seen));
  }).observe(bar, {attributes: true});
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_note_is_copied_and_downloaded_as_shown(page, cast, login_as, shoot, lang):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login_as(page, cast.colleague)
    page.goto(f"/deid/text?lang={lang}")
    page.fill("#deid-text", NOTE)
    page.click("#deid-submit")
    page.wait_for_selector("#deid-result")
    shown = page.inner_text("#deid-result")
    assert "欧阳明华" not in shown and "13812345678" not in shown
    page.click("#deid-copy")
    page.wait_for_selector("#deid-copy[data-copied=yes]")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    assert page.inner_text("#deid-copy") == ("已复制" if lang == "zh" else "Copied")
    with page.expect_download() as caught:
        page.click("#deid-download")
    download = caught.value
    assert download.suggested_filename.endswith(".txt")
    assert Path(download.path()).read_text(encoding="utf-8") == shown
    shoot(page, f"deid_text_copy_download_{lang}")


def _job_id(page) -> int:
    return int(re.search(r"/deid/dicom/jobs/(\d+)", page.url).group(1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_upload_shows_progress_then_the_job_page_follows_the_job(page, cast, login_as, shoot, lang):
    login_as(page, cast.owner)
    page.goto(f"/deid/dicom?lang={lang}")
    page.evaluate(WATCH_PROGRESS)
    page.set_input_files("#dicom-file", str(CT))
    page.click("#dicom-submit")
    page.wait_for_url(re.compile(r"/deid/dicom/jobs/\d+"))
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('seen') || '[]')")
    assert "100" in seen, seen  # the bar showed the upload reach 100%
    assert page.get_attribute("#dicom-job", "data-state") == "queued"
    assert page.get_attribute("#dicom-job", "hx-trigger") == "every 2s"
    shoot(page, f"deid_dicom_job_queued_{lang}")
    assert jobs.run_job(_job_id(page)).value == "succeeded"
    page.wait_for_selector("#dicom-job[data-state=succeeded]", timeout=10000)  # updated by itself
    assert page.locator("#dicom-job-downloads a").count() >= 2
    assert page.inner_text("#dicom-job-state") in (("成功", "已完成") if lang == "zh" else ("succeeded",))
    shoot(page, f"deid_dicom_job_done_{lang}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_junk_upload_fails_with_a_reason_per_file(page, cast, login_as, shoot, lang, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not an image", encoding="utf-8")
    login_as(page, cast.owner)
    page.goto(f"/deid/dicom?lang={lang}")
    page.set_input_files("#dicom-file", str(junk))
    page.click("#dicom-submit")
    page.wait_for_url(re.compile(r"/deid/dicom/jobs/\d+"))
    assert jobs.run_job(_job_id(page)).value == "failed"
    page.wait_for_selector("#dicom-job[data-state=failed]", timeout=10000)
    assert page.locator("#dicom-file-reasons li").count() == 1
    reason = page.inner_text("#dicom-file-reasons li")
    assert reason.startswith("#1") and (("不是 DICOM 文件" in reason) if lang == "zh" else ("not a DICOM file" in reason))
    assert page.locator("#dicom-job-downloads").count() == 0
    assert ("没有任何文件" in page.inner_text("#dicom-job-error")) if lang == "zh" else (
        "could be de-identified" in page.inner_text("#dicom-job-error"))
    shoot(page, f"deid_dicom_job_failed_{lang}")
