"""DICOM uploads (issue 17, item 9 and the first-day findings): a zip bomb is refused by its
compression ratio before it fills the disk, unpacking reports progress, and a job that
de-identified nothing has failed and says why for each file."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pydicom
import pytest

from yizhi import storage
from yizhi.deid.dicom import tasks
from yizhi.jobs.models import JobState

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _upload(upload: bytes, **params) -> dict:
    """The `deid.dicom` job's parameters for these zip bytes."""
    return {"input": storage.put_bytes(upload), "input_name": "study.zip", **params}


def test_a_zip_bomb_is_refused_by_its_ratio_at_once(run_job):
    bomb = _zip({"scan.dcm": bytes(60 * 1024 * 1024)})  # 60 MB of zeros in ~60 KB
    assert len(bomb) < 200 * 1024
    began = time.monotonic()
    job = run_job("deid.dicom", _upload(bomb))
    assert job.state == JobState.failed  # at once: not put back in the queue for another try
    assert "expands" in job.error and "at most 100 times" in job.error
    assert time.monotonic() - began < 30


def test_a_zip_whose_headers_understate_the_size_is_refused(tmp_path, monkeypatch):
    """Headers that claim 1:1 do not get a bomb through: zipfile reads no more than declared (the
    CRC then fails) and the ratio is checked on the bytes actually read as well."""
    from yizhi.errors import ValidationFailed

    upload = tmp_path / "u.zip"
    upload.write_bytes(_zip({"a.dcm": bytes(8 * 1024 * 1024)}))
    original = zipfile.ZipFile.infolist

    def lying(self):
        members = original(self)
        for member in members:
            member.file_size = member.compress_size  # claims 1:1
        return members

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValidationFailed):
        tasks.unpack(upload, out)
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) <= 8 * 1024 * 1024


def test_unpacking_reports_progress(tmp_path):
    upload = tmp_path / "u.zip"
    upload.write_bytes(_zip({f"s/{i}.dcm": os.urandom(10 * 1024 * 1024) for i in range(5)},
                            compression=zipfile.ZIP_STORED))
    seen = []
    out = tmp_path / "out"
    out.mkdir()
    assert tasks.unpack(upload, out, progress=lambda done, total: seen.append((done, total))) == 5
    assert len(seen) >= 2 and all(done <= total for done, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_job_that_processed_nothing_has_failed_with_a_reason_per_file(run_job):
    upload = _zip({"notes.txt": b"hello", "empty.dcm": b"", "junk.dcm": b"DICM" * 10})
    job = run_job("deid.dicom", _upload(upload, rename_paths=False))
    assert job.state == JobState.failed
    assert "could be de-identified" in job.error
    files = {p["params"]["file"] for p in job.problems}
    assert files == {"notes.txt", "empty.dcm", "junk.dcm"}


def test_names_stay_hidden_in_reasons_when_paths_are_renamed(run_job):
    job = run_job("deid.dicom", _upload(_zip({"张三/notes.txt": b"hello"})))
    assert job.state == JobState.failed
    assert all("张三" not in str(p) for p in job.problems) and "张三" not in job.error


def test_a_partly_bad_upload_succeeds_and_lists_the_bad_files(run_job):
    job = run_job("deid.dicom", _upload(_zip({"ct.dcm": CT.read_bytes(), "notes.txt": b"hello"}), rename_paths=False))
    assert job.state == JobState.succeeded
    assert [e["file"] for e in job.result["file_errors"]] == ["notes.txt"]
