"""What an annotator is shown: a note's text, a row's granted columns, a DICOM slice as PNG.

Everything is read from the dataset version's own files (de-identified at ingest) and only ever sent
to the browser for display; nothing here writes a file for download. A DICOM slice is rendered on
the server with its VOI window (or the pixel range when it has none), so no viewer library is needed.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from yizhi.catalog import store
from yizhi.config import get_settings
from yizhi.errors import N_, NotFound, ValidationFailed

MAX_TEXT_CHARS = 200_000


@lru_cache(maxsize=64)
def _row_groups(path: str, mtime: float) -> tuple[int, ...]:
    meta = pq.ParquetFile(path).metadata
    return tuple(meta.row_group(i).num_rows for i in range(meta.num_row_groups))


# Row groups kept as Arrow tables, not Python lists: a million-row group became 200 MB of Python
# strings in 0.2 s of CPU held under the GIL, and the 50 requests arriving together at a server's
# start each built their own (gigabytes; a server process stalled past its health check and was
# killed). An Arrow group is a compact copy of the file's bytes, and one row is read from it in
# about a microsecond. One thread reads a group; the others wait for it (the lock per group).
_GROUPS: OrderedDict = OrderedDict()
_GROUPS_KEPT = 32
_GROUP_LOCKS: dict[tuple, threading.Lock] = {}
_GROUPS_GUARD = threading.Lock()


def _group_table(path: str, mtime: float, group: int, columns: tuple[str, ...]):
    key = (path, mtime, group, columns)
    found = _GROUPS.get(key)
    if found is not None:
        return found
    with _GROUPS_GUARD:
        lock = _GROUP_LOCKS.setdefault(key, threading.Lock())
    with lock:
        found = _GROUPS.get(key)
        if found is None:
            found = pq.ParquetFile(path).read_row_group(group, columns=list(columns))
            with _GROUPS_GUARD:
                _GROUPS[key] = found
                while len(_GROUPS) > _GROUPS_KEPT:
                    _GROUP_LOCKS.pop(_GROUPS.popitem(last=False)[0], None)
    return found


def read_row(path: Path, row: int, columns: list[str]) -> dict:
    """One row of a Parquet file (only ``columns``), through its row group; cached per group."""
    mtime = path.stat().st_mtime
    sizes = _row_groups(str(path), mtime)
    start = 0
    for group, size in enumerate(sizes):
        if row < start + size:
            table = _group_table(str(path), mtime, group, tuple(columns))
            return {c: table.column(c)[row - start].as_py() for c in columns}
        start += size
    raise NotFound(N_("row %(row)s is not in the table"), params={"row": row})


def _table_file(version, table: str) -> Path:
    """``store.table_path``, remembered: a published version's files do not move, and working the
    path out (data directory resolved, created if missing) cost more than reading the row from the
    cached row group. The key is everything the path is made of."""
    data_dir = get_settings().data_dir
    if table not in (version.tables or {}) or not data_dir.is_absolute():
        return store.table_path(version, table)      # NotFound, or a path relative to the working directory
    key = (data_dir, version.dataset.slug, version.number, table)
    found = _TABLE_FILES.get(key)
    if found is None:
        if len(_TABLE_FILES) >= 1024:
            _TABLE_FILES.clear()
        found = _TABLE_FILES[key] = store.table_path(version, table)
    return found


_TABLE_FILES: dict[tuple, Path] = {}


def item_text(project, item) -> str:
    source = project.source
    path = _table_file(project.version, source["table"])
    value = read_row(path, int(item.ref["row"]), [source["text_column"]])[source["text_column"]]
    return ("" if value is None else str(value))[:MAX_TEXT_CHARS]


def item_fields(project, item) -> dict:
    source = project.source
    path = _table_file(project.version, source["table"])
    return read_row(path, int(item.ref["row"]), list(source["columns"]))


def dicom_path(project, item) -> Path:
    base = store.version_dir(project.version).resolve()
    path = (base / item.ref["path"]).resolve()
    if base not in path.parents:
        raise NotFound(N_("no image for this item"))
    return path


def _windowed(ds, pixels: np.ndarray) -> np.ndarray:
    pixels = pixels.astype(np.float64)
    slope, intercept = float(getattr(ds, "RescaleSlope", 1) or 1), float(getattr(ds, "RescaleIntercept", 0) or 0)
    pixels = pixels * slope + intercept
    center, width = getattr(ds, "WindowCenter", None), getattr(ds, "WindowWidth", None)
    if center is not None and width is not None:
        center = float(center[0] if hasattr(center, "__len__") and not isinstance(center, str) else center)
        width = max(float(width[0] if hasattr(width, "__len__") and not isinstance(width, str) else width), 1.0)
        low, high = center - width / 2, center + width / 2
    else:
        low, high = float(np.min(pixels)), float(np.max(pixels))
        if high <= low:
            high = low + 1
    scaled = np.clip((pixels - low) / (high - low), 0, 1) * 255
    if getattr(ds, "PhotometricInterpretation", "") == "MONOCHROME1":
        scaled = 255 - scaled
    return scaled.astype(np.uint8)


def slice_png(path: Path, frame: int = 0, center: float | None = None, width: float | None = None) -> bytes:
    """One frame of a DICOM image as an 8-bit PNG, VOI-windowed (``center``/``width`` override it)."""
    import pydicom
    from PIL import Image

    try:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array
    except Exception as exc:  # noqa: BLE001 — any unreadable file is the same error to the reader
        raise ValidationFailed(N_("the image cannot be read: %(reason)s"), params={"reason": str(exc)[:200]}) from None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if frames > 1 and pixels.ndim >= 3 and getattr(ds, "SamplesPerPixel", 1) == 1 or pixels.ndim == 4:
        if not 0 <= frame < frames:
            raise ValidationFailed(N_("frame must be from 0 to %(last)s"), params={"last": frames - 1}, field="frame")
        pixels = pixels[frame]
    if center is not None and width is not None:
        ds.WindowCenter, ds.WindowWidth = center, width
    if getattr(ds, "SamplesPerPixel", 1) == 3:
        image = Image.fromarray(np.asarray(pixels, dtype=np.uint8), "RGB")
    else:
        image = Image.fromarray(_windowed(ds, pixels), "L")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False)
    return buffer.getvalue()
