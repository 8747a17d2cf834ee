"""Look for planted values in every output file: its raw bytes, and the decoded contents of the
files whose bytes are compressed or encoded (Parquet cells, DICOM element values)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pydicom


def _decoded_texts(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return [repr(table.to_pylist()), repr(pq.read_metadata(path).to_dict())]
    if path.suffix == ".dcm":
        ds = pydicom.dcmread(path, force=True)
        texts = []
        ds.walk(lambda _ds, elem: texts.append(f"{elem.tag} {elem.value!r} {elem.value}"))
        return texts
    return []


def find_planted(out_dir: Path, values: list[str]) -> list[tuple[str, str]]:
    """(file, value) for every planted value found anywhere in ``out_dir``."""
    found = []
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        encodings = [data]
        texts = _decoded_texts(path)
        for value in values:
            needles = {value.encode("utf-8"), value.encode("gb18030"), value.encode("utf-16-le")}
            if any(needle in blob for needle in needles for blob in encodings) or any(value in text for text in texts):
                found.append((path.relative_to(out_dir).as_posix(), value))
    return found
