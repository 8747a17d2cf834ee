"""De-identify a folder of DICOM files into a mirrored output folder, with a per-file report.

Every input file gets exactly one line in ``OUTPUT_DIR/deid-report.jsonl``: ``ok`` (written under
the mirrored path, or a keyed stand-in path with ``rename_paths``), ``quarantined`` (may show burned-in text: written under
``OUTPUT_DIR/quarantine/`` for review, never into the released tree) or ``error`` (unreadable or not
DICOM: nothing written). The input is only read. Outputs are written to a temporary file and moved
into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from yizhi.deid.dicom import fastio
from yizhi.deid.dicom.engine import Deidentifier, burned_in_reason
from yizhi.deid.dicom.options import Option
from yizhi.deid.keys import derive

REPORT_NAME = "deid-report.jsonl"
QUARANTINE_DIR = "quarantine"
MEDIA_DIRECTORY_SOP_CLASS = "1.2.840.10008.1.3.10"
STATUSES = ("ok", "quarantined", "error")


class TreeError(ValueError):
    """The input or output folder cannot be used (said which and why)."""


class NotDicomError(ValueError):
    """The file is not a DICOM dataset pydicom can read."""


@dataclass(frozen=True)
class Summary:
    ok: int
    quarantined: int
    error: int
    report: Path

    @property
    def total(self) -> int:
        return self.ok + self.quarantined + self.error


def text_cleaner_or_none(key: bytes) -> Callable[[str, str], str] | None:
    """The text de-identifier as a descriptor cleaner, when it is installed in this build."""
    try:
        from yizhi.deid.text import deidentify
    except Exception:  # not built yet, or broken: descriptors then get their basic action (removed)
        return None

    def clean(text: str, patient_key: str) -> str:
        return deidentify(text, lang="auto", policy="redact", key=key, patient_id=patient_key).text

    return clean


def read_dataset(path: Path) -> Dataset:
    """Read a DICOM file (Part 10, or a bare dataset without preamble); NotDicomError if not."""
    ds = _read(path)
    problem = fastio.truncation(ds)
    if problem:
        raise NotDicomError(problem)
    return ds


def _read(path: Path) -> Dataset:
    try:
        return fastio.read(path)
    except InvalidDicomError:
        pass
    except Exception as exc:  # pydicom raises many kinds on broken files
        raise NotDicomError(f"not a readable DICOM file: {_one_line(exc)}") from None
    try:
        ds = fastio.read(path, force=True)
        # Force-reading accepts any bytes; a real dataset names at least its SOP instance or patient.
        if not any(tag in ds for tag in (0x00080016, 0x00080018, 0x00100010, 0x00100020)):
            raise NotDicomError("not a DICOM file: no DICM prefix and no SOP or patient attributes")
        return ds
    except NotDicomError:
        raise
    except Exception as exc:
        raise NotDicomError(f"not a DICOM file: {_one_line(exc)}") from None


def write_dataset(ds: Dataset, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # One process writes each target, so the pid makes the temporary name unique (mkstemp's
    # random names cost a millisecond a file here).
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            fastio.save(ds, handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def deidentify_file(
    source: Path, relative: str, output_dir: Path, deidentifier: Deidentifier, output_relative: str | None = None
) -> dict:
    """De-identify one file to ``output_dir/output_relative`` (default: the same relative path);
    returns its report line (never raises for a bad file)."""
    with warnings.catch_warnings():
        # pydicom warns about every oddity of real-world files; the report line is what counts.
        warnings.simplefilter("ignore")
        return _deidentify_file(source, relative, output_dir, deidentifier, output_relative or relative)


def _deidentify_file(
    source: Path, relative: str, output_dir: Path, deidentifier: Deidentifier, output_relative: str
) -> dict:
    try:
        ds = read_dataset(source)
        meta = getattr(ds, "file_meta", None)
        if meta is not None and str(meta.get("MediaStorageSOPClassUID", "")) == MEDIA_DIRECTORY_SOP_CLASS:
            return _line(relative, "error", "DICOMDIR media index not released: its records and byte "
                         "offsets describe the original files; rebuild it from the output")
        reason = burned_in_reason(ds)
        deidentifier.deidentify(ds)
        written = f"{QUARANTINE_DIR}/{output_relative}" if reason else output_relative
        write_dataset(ds, output_dir / written)
    except NotDicomError as exc:
        return _line(relative, "error", str(exc))
    except Exception as exc:  # one bad file must not stop the run; the report says what happened
        return _line(relative, "error", _one_line(exc))
    return _line(relative, "quarantined" if reason else "ok", reason or "", written)


def _one_line(exc: Exception) -> str:
    """An exception as one short line: pydicom appends tracebacks to some messages."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def _line(relative: str, status: str, reason: str, output: str | None = None) -> dict:
    return {"path": relative, "status": status, "reason": reason, "output": output}


def pseudonymous_path(key: bytes, relative: str) -> str:
    """A keyed stand-in for ``relative``: exports often name folders and files after the patient.

    Each folder becomes ``d`` + 12 hex digits of a keyed digest of its path, the file 16 hex digits
    plus ``.dcm``: the same input path gives the same output path under the same key.
    """
    parts = PurePosixPath(relative).parts
    folders = ["d" + derive(key, "dicom-path", "/".join(parts[: i + 1])).hex()[:12] for i in range(len(parts) - 1)]
    return "/".join([*folders, derive(key, "dicom-path", relative).hex()[:16] + ".dcm"])


def list_input_files(input_dir: Path) -> list[tuple[Path, str]]:
    """(absolute path, posix path relative to input_dir) for every regular file, sorted."""
    found = []
    for root, dirs, files in os.walk(input_dir):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file():
                found.append((path, path.relative_to(input_dir).as_posix()))
    return found


def check_tree(input_dir: Path, output_dir: Path) -> None:
    if not input_dir.is_dir():
        raise TreeError(f"input folder {input_dir} does not exist or is not a folder")
    source, target = input_dir.resolve(), output_dir.resolve()
    if target == source or source in target.parents:
        raise TreeError(f"output folder {output_dir} is inside input folder {input_dir}; choose another")
    if target in source.parents:
        raise TreeError(f"input folder {input_dir} is inside output folder {output_dir}; choose another")
    if output_dir.exists() and not output_dir.is_dir():
        raise TreeError(f"output {output_dir} exists and is not a folder")
    if output_dir.is_dir() and any(output_dir.iterdir()):
        # Files left by an earlier run would mix with this one's: a file released then but
        # quarantined now would stay in the released tree.
        raise TreeError(f"output folder {output_dir} is not empty; choose an empty or new folder")
    for reserved in (QUARANTINE_DIR, REPORT_NAME):
        if (input_dir / reserved).exists():
            raise TreeError(
                f"input folder {input_dir} has a top-level {reserved!r}, a name the output reserves "
                "for quarantined files and the report; rename it"
            )


# ---- parallel runs: each worker process builds its Deidentifier once ------------------------------
@lru_cache(maxsize=4)
def _deidentifier_for(key: bytes, option_names: tuple[str, ...], safe_private: tuple) -> Deidentifier:
    options = frozenset(Option(name) for name in option_names)
    return Deidentifier(key, options, text_cleaner_or_none(key), frozenset(safe_private))


def _work(item: tuple) -> dict:
    """One file in a worker (a top-level function with plain-data arguments, as the engine needs)."""
    path, relative, output_relative, output_dir, key, option_names, safe_private = item
    deidentifier = _deidentifier_for(key, option_names, safe_private)
    return deidentify_file(Path(path), relative, Path(output_dir), deidentifier, output_relative)


def run_files(
    files: list[tuple[Path, str, str]],
    output_dir: Path,
    key: bytes,
    options: frozenset[Option],
    workers: int = 1,
    safe_private: frozenset[tuple[str, int, int]] = frozenset(),
) -> Iterator[dict]:
    """Report lines in input order for (input path, relative path, output relative path) triples,
    de-identifying on the platform engine with ``workers`` processes (local pool, or Ray when
    YIZHI_ENGINE=ray); 1 = in this process."""
    if workers <= 1 or len(files) < 2:
        deidentifier = Deidentifier(key, options, text_cleaner_or_none(key), safe_private)
        for path, relative, output_relative in files:
            yield deidentify_file(path, relative, output_dir, deidentifier, output_relative)
        return
    from yizhi.engine import map_parallel

    option_names = tuple(sorted(option.value for option in options))
    safe = tuple(sorted(safe_private))
    items = [(str(path), relative, out, str(output_dir), key, option_names, safe) for path, relative, out in files]
    chunk = max(1, min(32, len(items) // (workers * 4)))
    yield from map_parallel(_work, items, workers=workers, chunksize=chunk)


def deidentify_tree(
    input_dir: Path,
    output_dir: Path,
    key: bytes,
    options: frozenset[Option] = frozenset(),
    workers: int = 1,
    safe_private: frozenset[tuple[str, int, int]] = frozenset(),
    on_progress: Callable[[int, int], None] | None = None,
    rename_paths: bool = False,
) -> Summary:
    """De-identify every file under ``input_dir`` into ``output_dir``; write the report.

    The output mirrors the input tree, or with ``rename_paths`` uses keyed stand-ins for folder
    and file names (see ``pseudonymous_path``); the report maps each input path to its output.
    """
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    check_tree(input_dir, output_dir)
    files = [
        (path, relative, pseudonymous_path(key, relative) if rename_paths else relative)
        for path, relative in list_input_files(input_dir)
    ]
    output_dir.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(STATUSES, 0)
    report = output_dir / REPORT_NAME
    # Lines are streamed to a visible partial report as files finish, so an interrupted run still
    # says what it did; the complete report replaces it at the end.
    partial = output_dir / f"{REPORT_NAME}.partial"
    with partial.open("w", encoding="utf-8") as handle:
        for done, line in enumerate(run_files(files, output_dir, key, options, workers, safe_private), 1):
            counts[line["status"]] += 1
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            if done % 100 == 0:
                handle.flush()
            if on_progress is not None:
                on_progress(done, len(files))
    os.replace(partial, report)
    return Summary(counts["ok"], counts["quarantined"], counts["error"], report)
