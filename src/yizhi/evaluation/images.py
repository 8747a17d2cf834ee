"""A benchmark's DICOM inputs: from a version's de-identified series to the model's input tensor.

The version holds the files under ``dicom/`` and their index ``tables/dicom_index.parquet`` (one row
per file: path, patient, study/series/SOP UIDs, modality ...; written by :mod:`yizhi.ingest.dicom`).
The contract's ``table`` holds one row per case; its ``image.link`` column names the case's series
by patient pseudonym, study or series UID (:mod:`.image_contract`). Each series is read with
pydicom, its slices ordered along the patient axis, rescaled (slope/intercept), windowed or
normalised, and resampled to the declared shape.

The prepared tensor is cached by hash (version root hash, table, image section, shape, dtype and
:data:`PREPARATION_VERSION`) as an ``.npz`` (no pickle) in the platform's data directory: it is built
once per benchmark phase — when the benchmark or phase is created, which also shows the evaluator
a missing or unreadable series at once — and every submission's scoring reads it. The cache is held
to ``YIZHI_EVALUATION_IMAGE_CACHE_MB``: each read marks its entry used (mtime), and after each build
the least recently used entries go until the rest fit (:func:`trim_cache`); an entry removed is
built again when a phase is scored next, so the cap trades disk for preparation time, never results.

The card's image aggregates (modalities, manufacturers, slice counts, pixel spacing ranges) are
computed here too; nothing case-level leaves this module but the tensor for the sandbox.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from yizhi.errors import N_, ValidationFailed
from yizhi.evaluation.contract import TaskContract

PREPARATION_VERSION = "1"
INDEX_TABLE = "dicom_index"
NUMPY_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32}
PARTIAL_MAX_AGE_SECONDS = 24 * 3600  # a half-written entry this old is a crashed build's, not a running one's


class SeriesProblem(ValidationFailed):
    """A case's series is missing, ambiguous or unreadable (the message names the table row)."""

    code = "series_unreadable"


def cache_dir() -> Path:
    from yizhi.config import get_settings

    path = get_settings().resolved_data_dir() / "evaluation-inputs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(contract: TaskContract, root_hash: str) -> str:
    material = {"root_hash": root_hash, "table": contract.table, "image": contract.image,
                "shape": contract.input_shape, "dtype": contract.input_dtype, "reference": contract.reference,
                "version": PREPARATION_VERSION}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def prepared(contract: TaskContract, version_dir: Path, root_hash: str) -> dict:
    """``{"X": tensor, "rows": table row per case, "aggregates": {...}}``, from the cache or built now."""
    path = cache_dir() / f"{cache_key(contract, root_hash)}.npz"
    try:
        with np.load(path, allow_pickle=False) as bundle:
            found = {"X": bundle["X"], "rows": bundle["rows"], "aggregates": json.loads(str(bundle["aggregates"]))}
    except FileNotFoundError:  # not built yet, or removed by the size cap
        pass
    else:
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)    # used now: the last entry the size cap removes
        return found
    built = prepare(contract, version_dir)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.npz")
    np.savez(partial, X=built["X"], rows=built["rows"], aggregates=np.array(json.dumps(built["aggregates"])))
    partial.replace(path)     # atomic: a concurrent scoring reads a whole file or builds its own
    trim_cache(keep=path)
    return built


def trim_cache(limit_mb: int | None = None, keep: Path | None = None) -> int:
    """Remove the least recently used cache entries until the rest fit in ``limit_mb`` (default:
    YIZHI_EVALUATION_IMAGE_CACHE_MB), never ``keep`` (the entry just built), and half-written
    entries of crashed builds; returns how many files went."""
    if limit_mb is None:
        from yizhi.evaluation.settings import get_evaluation_settings

        limit_mb = get_evaluation_settings().image_cache_mb
    entries, removed, now = [], 0, time.time()
    for path in cache_dir().glob("*.npz"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # another process removed it meanwhile
            continue
        if path.name.startswith("."):
            if now - stat.st_mtime > PARTIAL_MAX_AGE_SECONDS:
                path.unlink(missing_ok=True)
                removed += 1
            continue
        entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries, key=lambda entry: entry[0]):
        if total <= limit_mb * 1024 * 1024:
            break
        if keep is not None and path == keep:
            continue
        path.unlink(missing_ok=True)  # a scoring that has it open keeps reading it (POSIX)
        total -= size
        removed += 1
    return removed


def check_version(contract: TaskContract, version, version_dir: Path) -> dict:
    """Refuse a DICOM contract the version cannot serve (no index, a series missing or unreadable);
    prepares and caches the tensor. Returns the image aggregates."""
    if INDEX_TABLE not in (version.tables or {}):
        raise ValidationFailed(N_("dataset version %(ref)s holds no DICOM series (no table %(table)s)"),
                               params={"ref": version.ref, "table": INDEX_TABLE}, field="inputs")
    return prepared(contract, version_dir, version.root_hash)["aggregates"]


def _series_by_key(version_dir: Path, image: dict) -> dict[str, dict[str, list[str]]]:
    """``{link value: {series uid: [file paths]}}`` from the version's DICOM index."""
    columns = ["path", "series_uid", image["match"], "modality"]
    index = pq.read_table(version_dir / "tables" / f"{INDEX_TABLE}.parquet",
                          columns=list(dict.fromkeys(columns))).to_pylist()
    found: dict[str, dict[str, list[str]]] = {}
    for row in index:
        if image["modality"] and (row["modality"] or "").upper() != image["modality"].upper():
            continue
        key = row[image["match"]]
        if key is not None:
            found.setdefault(str(key), {}).setdefault(row["series_uid"] or "", []).append(row["path"])
    return found


def prepare(contract: TaskContract, version_dir: Path) -> dict:
    """Read every case's series and build the tensor; SeriesProblem names the first case at fault."""
    image = contract.image
    table = pq.read_table(version_dir / "tables" / f"{contract.table}.parquet",
                          columns=[image["link"], contract.reference]).to_pylist()
    series = _series_by_key(version_dir, image)
    rows = [i for i, r in enumerate(table) if r[contract.reference] is not None]
    shape = contract.input_shape[1:]
    out = np.zeros((len(rows), *shape), dtype=NUMPY_DTYPES[contract.input_dtype])
    stats = _Aggregates()
    for position, row in enumerate(rows):
        link = table[row][image["link"]]
        candidates = series.get(str(link), {}) if link is not None else {}
        if not candidates:
            raise SeriesProblem(N_("case at row %(row)s of table %(table)s: no DICOM series matches its %(column)s"),
                                params={"row": row, "table": contract.table, "column": image["link"]},
                                field="image.link")
        if len(candidates) > 1:
            raise SeriesProblem(N_("case at row %(row)s of table %(table)s: %(count)s DICOM series match its "
                                   "%(column)s; link by series_uid or set image.modality"),
                                params={"row": row, "table": contract.table, "count": len(candidates),
                                        "column": image["link"]}, field="image.link")
        paths = next(iter(candidates.values()))
        volume, headers = read_series(version_dir, paths, image, row, contract.table)
        stats.add(headers, volume.shape[0])
        out[position] = to_tensor(volume, image, shape)
    return {"X": out, "rows": np.asarray(rows, dtype=np.int64), "aggregates": stats.as_dict()}


def read_series(version_dir: Path, paths: list[str], image: dict, row: int, table: str) -> tuple[np.ndarray, list]:
    """The series as a float64 volume (slices, rows, columns), ordered along the patient axis."""
    import pydicom

    slices = []
    root = version_dir.resolve()
    for relative in paths:
        path = (version_dir / relative).resolve()
        try:
            if not path.is_relative_to(root):
                raise ValueError("outside the version")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path)
                pixels = ds.pixel_array.astype(np.float64)
        except Exception as exc:  # a broken file, an unsupported transfer syntax: the case is named
            raise SeriesProblem(N_("case at row %(row)s of table %(table)s: its DICOM series cannot be read "
                                   "(%(reason)s)"), params={"row": row, "table": table,
                                                            "reason": type(exc).__name__}, field="image") from None
        if image["rescale"]:
            pixels = pixels * float(ds.get("RescaleSlope", 1) or 1) + float(ds.get("RescaleIntercept", 0) or 0)
        frames = pixels if int(ds.get("NumberOfFrames", 1) or 1) > 1 else pixels[None]
        if frames.ndim == 4:     # colour (frames, rows, columns, samples): the mean of the samples
            frames = frames.mean(axis=-1)
        for frame in frames:
            slices.append((_slice_position(ds), frame, ds))
    if len({s[1].shape for s in slices}) != 1:
        raise SeriesProblem(N_("case at row %(row)s of table %(table)s: its DICOM series cannot be read "
                               "(%(reason)s)"), params={"row": row, "table": table, "reason": "slice sizes differ"},
                            field="image")
    slices.sort(key=lambda s: s[0])
    return np.stack([s[1] for s in slices]), [s[2] for s in slices]


def _slice_position(ds) -> tuple:
    """Position along the slice normal (ImagePositionPatient · normal), else InstanceNumber."""
    try:
        orientation = np.array(ds.ImageOrientationPatient, dtype=float)
        normal = np.cross(orientation[:3], orientation[3:])
        return (0, float(np.dot(normal, np.array(ds.ImagePositionPatient, dtype=float))))
    except (AttributeError, ValueError, TypeError):
        return (1, float(ds.get("InstanceNumber", 0) or 0))


def to_tensor(volume: np.ndarray, image: dict, shape: list) -> np.ndarray:
    """Window or normalise, then resample the volume to ``shape`` (C, H, W) or (1, D, H, W)."""
    from scipy import ndimage

    if image["window"]:
        low = image["window"]["center"] - image["window"]["width"] / 2
        volume = (np.clip(volume, low, low + image["window"]["width"]) - low) / image["window"]["width"]
    elif image["normalize"] == "minmax":
        span = volume.max() - volume.min()
        volume = (volume - volume.min()) / span if span > 0 else np.zeros_like(volume)
    elif image["normalize"] == "zscore":
        sd = volume.std()
        volume = (volume - volume.mean()) / sd if sd > 0 else np.zeros_like(volume)
    if len(shape) == 3:     # a 2-D model: one plane per case, from the series' slices
        plane = {"middle": lambda v: v[len(v) // 2], "mean": lambda v: v.mean(axis=0),
                 "max": lambda v: v.max(axis=0)}[image["slices"]](volume)
        target = shape[1:]
        resampled = ndimage.zoom(plane, [t / s for t, s in zip(target, plane.shape, strict=True)], order=1,
                                 grid_mode=True, mode="nearest")
        return np.broadcast_to(resampled[None], (shape[0], *target))
    target = shape[1:]
    resampled = ndimage.zoom(volume, [t / s for t, s in zip(target, volume.shape, strict=True)], order=1,
                             grid_mode=True, mode="nearest")
    return resampled[None]


class _Aggregates:
    """Series-level aggregates for the card: counts and ranges only."""

    def __init__(self) -> None:
        self.modalities, self.manufacturers = Counter(), Counter()
        self.slices, self.spacing, self.thickness = [], [], []

    def add(self, headers: list, slice_count: int) -> None:
        first = headers[0]
        self.modalities[str(first.get("Modality", "") or "unknown")] += 1
        self.manufacturers[str(first.get("Manufacturer", "") or "unknown").strip() or "unknown"] += 1
        self.slices.append(slice_count)
        spacing = first.get("PixelSpacing")
        if spacing is not None and len(spacing) == 2:
            self.spacing.append([float(spacing[0]), float(spacing[1])])
        if first.get("SliceThickness") not in (None, ""):
            self.thickness.append(float(first.SliceThickness))

    def as_dict(self) -> dict:
        def span(values):
            return [round(float(min(values)), 4), round(float(max(values)), 4)] if values else None

        spacing = np.array(self.spacing) if self.spacing else None
        return {"series": len(self.slices), "modalities": dict(self.modalities),
                "manufacturers": dict(self.manufacturers),
                "slices_per_series": {"min": min(self.slices), "median": float(np.median(self.slices)),
                                      "max": max(self.slices)} if self.slices else None,
                "pixel_spacing_mm": {"row": span(spacing[:, 0].tolist()), "column": span(spacing[:, 1].tolist())}
                if spacing is not None else None,
                "slice_thickness_mm": span(self.thickness)}


def suppress(aggregates: dict, min_cell: int) -> dict:
    """The card's copy: modality and manufacturer counts under ``min_cell`` shown as ``<min_cell``."""
    shown = dict(aggregates)
    for key in ("modalities", "manufacturers"):
        shown[key] = {k: (v if v >= min_cell else f"<{min_cell}") for k, v in (aggregates.get(key) or {}).items()}
    return shown
