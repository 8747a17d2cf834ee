"""DICOM trees read from and written to the store (a folder, or S3 through moto's server), on the
local pool and on Ray: the released bytes equal the local whole-folder run's, file for file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from yizhi.deid.dicom.batch import deidentify_tree
from yizhi.deid.dicom.remote import deidentify_tree_url
from yizhi.errors import ValidationFailed

pytestmark = [pytest.mark.slow, pytest.mark.db_independent]
KEY = bytes(range(32))
NAMES = ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm", "emri_small.dcm", "SC_rgb.dcm")


@pytest.fixture
def tree(tmp_path) -> Path:
    from pydicom.data import get_testdata_file

    root = tmp_path / "study"
    for index, name in enumerate(NAMES):
        folder = root / f"series{index % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(get_testdata_file(name), folder / name)
    (root / "series0" / "notes.txt").write_text("not dicom")
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _reference(tree: Path, tmp_path: Path, key: bytes = KEY) -> dict[str, bytes]:
    out = tmp_path / f"reference-{key.hex()[:8]}"
    deidentify_tree(tree, out, key, rename_paths=True)
    return _files(out)


def test_a_folder_on_the_store_gives_the_local_runs_bytes(tree, tmp_path, monkeypatch):
    monkeypatch.setenv("YIZHI_WORKERS", "2")
    summary = deidentify_tree_url(str(tree), str(tmp_path / "out"), KEY, rename_paths=True, workers=2)
    assert (summary.ok + summary.quarantined, summary.error) == (len(NAMES), 1)
    assert _files(tmp_path / "out") == _reference(tree, tmp_path)


def test_refuses_a_non_empty_output_and_nested_folders(tree, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "left.dcm").write_bytes(b"x")
    with pytest.raises(ValidationFailed, match="already holds files"):
        deidentify_tree_url(str(tree), str(tmp_path / "busy"), KEY)
    with pytest.raises(ValidationFailed, match="overlap"):
        deidentify_tree_url(str(tree), str(tree / "released"), KEY)
    with pytest.raises(ValidationFailed, match="not a folder"):
        deidentify_tree_url(str(tmp_path / "missing"), str(tmp_path / "out"), KEY)


def _upload(fs, tree: Path, prefix: str) -> None:
    for path in sorted(tree.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"{prefix}/{path.relative_to(tree).as_posix()}", path.read_bytes())


def _download(fs, prefix: str) -> dict[str, bytes]:
    return {path[len(prefix) + 1:]: fs.cat_file(path) for path in sorted(fs.find(prefix))}


def test_ray_workers_read_and_write_dicom_on_s3(ray_engine, s3_store, tree, tmp_path):
    _upload(s3_store, tree, "yizhi-test/dicom-in")
    summary = deidentify_tree_url("s3://yizhi-test/dicom-in", "s3://yizhi-test/dicom-out", KEY, rename_paths=True)
    assert summary.error == 1
    released = _download(s3_store, "yizhi-test/dicom-out")
    assert released == _reference(tree, tmp_path)
    lines = [json.loads(line) for line in released["deid-report.jsonl"].splitlines()]
    assert [line["path"] for line in lines] == sorted(_files(tree))


def test_the_cli_verb_releases_a_tree_and_says_what_failed(tree, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from yizhi.cli import app

    key_file = tmp_path / "key.bin"
    key_file.write_bytes(KEY)
    out = tmp_path / "cli-out"
    result = CliRunner().invoke(app, ["engine", "deid-dicom", str(tree), str(out), "--key-file", str(key_file),
                                      "--rename-paths"])
    assert result.exit_code == 2, result.output  # notes.txt is not DICOM
    assert f"{len(NAMES) + 1} files" in result.output and "1 failed" in result.output
    from yizhi.deid.keys import load_key

    assert _files(out) == _reference(tree, tmp_path, load_key(key_file))
    again = CliRunner().invoke(app, ["engine", "deid-dicom", str(tree), str(out), "--key-file", str(key_file)])
    assert again.exit_code == 1 and "already holds files" in again.output and "Traceback" not in again.output
