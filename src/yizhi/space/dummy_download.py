"""The dummy data of a version as a zip of Parquet files, built once per version and cached."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from yizhi.catalog.models import DatasetVersion
from yizhi.config import get_settings
from yizhi.space.dummy import write_dummy


def dummy_zip(version: DatasetVersion, rules: dict) -> Path:
    """Path of the zip (``<table>.parquet`` files and a README) for ``version`` under ``rules``."""
    key = hashlib.sha256(json.dumps({"root": version.root_hash, "rules": rules}, sort_keys=True).encode()).hexdigest()
    folder = get_settings().resolved_data_dir() / "space" / "dummy"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{version.dataset.slug}-{version.number}-{key[:16]}.zip"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory(dir=folder) as work:
        paths = write_dummy(version, Path(work) / "tables")
        partial = Path(work) / "dummy.zip"
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, f"{version.dataset.slug}-{version.number}-dummy/{path.name}")
            archive.writestr(f"{version.dataset.slug}-{version.number}-dummy/README.txt", _readme(version))
        shutil.move(partial, target)   # atomic within one file system: no half-written zip is served
    return target


def _readme(version: DatasetVersion) -> str:
    return (f"Dummy data for {version.ref} (YiZhi trusted data space).\n"
            "Same tables, columns and types as the real version; values are made up from coarse statistics\n"
            "(null shares, frequent categories, rounded percentiles). No real row and no rare real value is in\n"
            "it. Use it to write and test analyses; run them on the real data through your grant.\n")
