"""The platform's `deid.dicom` job on the engine: the upload unpacked onto the store, de-identified by
the local pool (default) or Ray, progress following the engine's results, per-file reasons kept, the
job's work folder on the store cleared before (a retried attempt) and after. The released bytes equal
the whole-folder run's on the same files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from yizhi import storage
from yizhi.deid.dicom import tasks
from yizhi.deid.dicom.batch import QUARANTINE_DIR, REPORT_NAME, deidentify_tree
from yizhi.deid.keys import load_key
from yizhi.jobs.models import JobState
from yizhi.jobs.service import JobContext

NAMES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "emri_small.dcm", "SC_rgb.dcm")


@pytest.fixture
def study(tmp_path) -> Path:
    from pydicom.data import get_testdata_file

    root = tmp_path / "study"
    for index, name in enumerate(NAMES):
        folder = root / f"series{index % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(Path(get_testdata_file(name)).read_bytes())
    (root / "series0" / "notes.txt").write_text("not dicom")
    return root


def _upload(study: Path) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(study.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(study).as_posix())
    return storage.put_bytes(buffer.getvalue())


def _expected(study: Path, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(released, quarantined) files of the whole-folder run in this process, with the deployment key."""
    out = tmp_path / "reference"
    deidentify_tree(study, out, load_key(None), rename_paths=True)
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    released = {k: v for k, v in files.items() if k.split("/")[0] not in (QUARANTINE_DIR, REPORT_NAME)}
    quarantined = {k.split("/", 1)[1]: v for k, v in files.items() if k.startswith(QUARANTINE_DIR + "/")}
    return released, quarantined


def _unzip(digest: str | None) -> dict[str, bytes]:
    if digest is None:
        return {}
    with storage.open_file(digest) as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
        return {name: archive.read(name) for name in archive.namelist()}


def _area(job_id: int) -> tuple:
    return storage.filesystem(storage.work_url(f"deid-dicom/job-{job_id}"))


class Recording(JobContext):
    """A job context that keeps its progress calls (the handler called directly, in this process)."""

    def __init__(self, job_id: int, params: dict):
        super().__init__(job_id, params, None, None)
        self.calls: list[tuple[float, str]] = []

    def progress(self, fraction: float, note: str = "") -> None:
        self.calls.append((fraction, note))


def test_the_job_runs_on_the_local_pool_and_releases_the_folder_runs_bytes(study, tmp_path, monkeypatch, run_job):
    monkeypatch.setenv("YIZHI_WORKERS", "2")
    from yizhi.config import reset_settings_cache

    reset_settings_cache()
    job = run_job("deid.dicom", {"input": _upload(study), "input_name": "study.zip"})
    assert job.state == JobState.succeeded, job.error
    released, quarantined = _expected(study, tmp_path)
    assert _unzip(job.result["output"]) == released and released
    assert _unzip(job.result["quarantine"]) == quarantined
    assert job.result["counts"]["error"] == 1
    (failure,) = job.result["file_errors"]  # the reason of the file that failed is kept
    assert failure["reason"] == "not a DICOM file" and failure["file"].startswith("#")
    lines = tasks.report_lines(job.result["report_file"])
    assert [line["path"] for line in lines] == sorted(p.relative_to(study).as_posix()
                                                      for p in study.rglob("*") if p.is_file())
    fs, area = _area(job.id)
    assert not fs.exists(area), "the job's work folder on the store was left behind"
    assert job.progress == 1.0


def test_progress_follows_the_engine_file_by_file(study, monkeypatch):
    calls = []
    from yizhi.deid.dicom import remote

    real = remote.deidentify_tree_url

    def spy(*args, **kwargs):
        calls.append(kwargs.get("workers"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "deidentify_tree_url", spy)
    monkeypatch.setattr(tasks, "_record_in_ledger", lambda *args: None)
    context = Recording(987654, {"input": _upload(study), "input_name": "study.zip", "rename_paths": False})
    result = tasks.deidentify_dicom_job(context)
    assert calls, "the job did not go through the engine's tree run"
    total = len(NAMES) + 1
    notes = [note for _, note in context.calls]
    assert f"{total}/{total} files" in notes and notes[-1] == "done"
    fractions = [fraction for fraction, _ in context.calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert result["counts"]["ok"] + result["counts"]["quarantined"] == len(NAMES)


def test_a_retried_attempt_starts_from_a_clean_work_folder(study, tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "_record_in_ledger", lambda *args: None)
    # What a killed first attempt left: a half-unpacked input and a released file that must not ship.
    fs, area = _area(4242)
    fs.makedirs(f"{area}/in/series9", exist_ok=True)
    fs.pipe_file(f"{area}/in/series9/stale.dcm", b"left by the dead attempt")
    fs.makedirs(f"{area}/out/dstale", exist_ok=True)
    fs.pipe_file(f"{area}/out/dstale/0000000000000000.dcm", b"left by the dead attempt")
    result = tasks.deidentify_dicom_job(Recording(4242, {"input": _upload(study), "input_name": "study.zip"}))
    released, _ = _expected(study, tmp_path)
    assert _unzip(result["output"]) == released
    assert result["counts"]["error"] == 1  # notes.txt only: the stale input was not de-identified
    assert not fs.exists(area)


def test_an_empty_zip_fails_at_once_with_our_message(run_job):
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    job = run_job("deid.dicom", {"input": storage.put_bytes(buffer.getvalue()), "input_name": "empty.zip"})
    assert job.state == JobState.failed
    assert "could be de-identified" in job.error and "Traceback" not in job.error


@pytest.mark.slow
def test_the_job_on_an_s3_store_unpacks_and_works_there(s3_store, study, tmp_path, monkeypatch):
    seen: list[str] = []
    real = tasks.deidentify_tree_url

    def spy(source, output, *args, **kwargs):
        seen.extend([source, output, *s3_store.find(source.removeprefix("s3://"))])
        return real(source, output, *args, **kwargs)

    monkeypatch.setattr(tasks, "deidentify_tree_url", spy)
    monkeypatch.setattr(tasks, "_record_in_ledger", lambda *args: None)
    result = tasks.deidentify_dicom_job(Recording(77, {"input": _upload(study), "input_name": "study.zip"}))
    assert seen[0].startswith("s3://yizhi-test/store/work/deid-dicom/job-77/")
    assert len(seen) == 2 + len(NAMES) + 1  # every member of the zip was on the store before the run
    released, quarantined = _expected(study, tmp_path)
    assert _unzip(result["output"]) == released and _unzip(result["quarantine"]) == quarantined
    assert not s3_store.exists("yizhi-test/store/work/deid-dicom/job-77")


@pytest.mark.slow
def test_the_job_on_ray_releases_the_same_bytes(ray_engine, study, tmp_path, monkeypatch, run_job):
    from yizhi.engine import cluster

    used = []
    real = cluster.map_tasks

    def spy(*args, **kwargs):
        used.append(True)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(cluster, "map_tasks", spy)
    monkeypatch.setattr(tasks, "_record_in_ledger", lambda *args: None)
    result = tasks.deidentify_dicom_job(Recording(31, {"input": _upload(study), "input_name": "study.zip"}))
    assert used, "the files did not go to Ray"
    released, quarantined = _expected(study, tmp_path)
    assert _unzip(result["output"]) == released and _unzip(result["quarantine"]) == quarantined
    # And as the platform runs it: a queued job, in its own isolated process, connecting to the cluster.
    job = run_job("deid.dicom", {"input": _upload(study), "input_name": "study.zip"})
    assert job.state == JobState.succeeded, job.error
    assert _unzip(job.result["output"]) == released
