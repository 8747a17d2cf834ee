"""A folder packed as a zip with fixed timestamps and sorted members, so the same folder gives
the same bytes (and the same sha256 in the raw store) every time."""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@contextlib.contextmanager
def zip_folder(folder: Path):
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with path.open("rb") as source, archive.open(info, "w") as target:
                    while block := source.read(1 << 20):
                        target.write(block)
        handle.seek(0)
        yield handle
