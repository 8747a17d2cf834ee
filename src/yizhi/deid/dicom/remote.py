"""DICOM trees on any fsspec store: ``s3://bucket/study`` in, ``s3://bucket/released`` out, on the
platform engine (local pool or Ray), so a worker on another node needs no shared mount.

Each worker fetches one object into its own temporary folder, runs the very same
``deidentify_file`` as the local whole-folder run (so the released bytes are identical, and the
local fast paths — deferred pixel reads, kernel copies — still apply) and puts the result back:
one PUT on object storage (an object appears whole or not at all), a temporary name and a rename
on a local or shared disk. A task retried after its worker died rewrites the same objects, so
nothing is doubled. The report is written last, as one object, in input order.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from yizhi import storage
from yizhi.deid.dicom.batch import (
    QUARANTINE_DIR,
    REPORT_NAME,
    STATUSES,
    Summary,
    _deidentifier_for,
    _line,
    deidentify_file,
    pseudonymous_path,
)
from yizhi.deid.dicom.options import Option
from yizhi.engine.messages import OUTPUT_NOT_EMPTY
from yizhi.errors import N_, ValidationFailed

NO_FOLDER = N_("%(source)s is not a folder on the store")
RESERVED = N_("%(source)s has a top-level %(name)s, a name the output reserves for quarantined files "
              "and the report; rename it")
NESTED = N_("the output %(output)s and the input %(source)s overlap; choose folders apart")
FETCH_FAILED = N_("cannot read %(path)s from the store: %(problem)s")


def _absolute(url: str) -> str:
    return url if "://" in url else os.path.abspath(url)


def _join(root: str, relative: str) -> str:
    return f"{root.rstrip('/')}/{relative}" if root else relative


def list_objects(source: str, store: tuple | None = None) -> list[tuple[str, str]]:
    """(fsspec URL, posix path relative to ``source``) of every object under it, sorted."""
    fs, root = storage.filesystem(source, store)
    if not fs.isdir(root):
        raise ValidationFailed(NO_FOLDER, params={"source": source})
    prefix = root.rstrip("/") + "/"
    found = []
    for path in sorted(fs.find(root)):
        relative = path[len(prefix):] if path.startswith(prefix) else PurePosixPath(path).name
        if relative:
            found.append((fs.unstrip_protocol(path) if "://" in source else path, relative))
    return found


def check_urls(source: str, output: str, objects: list[tuple[str, str]], store: tuple | None = None) -> None:
    """The same rules as the local folder check: apart, empty output, no reserved names in the input."""
    a, b = (_absolute(url).rstrip("/") + "/" for url in (source, output))
    if a.startswith(b) or b.startswith(a):
        raise ValidationFailed(NESTED, params={"source": source, "output": output})
    for reserved in (QUARANTINE_DIR, REPORT_NAME):
        if any(rel == reserved or rel.startswith(reserved + "/") for _, rel in objects):
            raise ValidationFailed(RESERVED, params={"source": source, "name": reserved})
    fs, root = storage.filesystem(output, store)
    if fs.exists(root) and fs.find(root):
        raise ValidationFailed(OUTPUT_NOT_EMPTY, params={"output": output})


def _put(fs, local: Path, target: str) -> None:
    """One whole object at ``target``: a single upload on object storage, rename on a disk."""
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        temporary = f"{target}.{os.getpid()}.tmp"
        fs.put_file(str(local), temporary)
        os.replace(temporary, target)
        return
    fs.put_file(str(local), target)


def _on_disk(fs) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def _work_url(item: tuple) -> dict:
    """One object in a worker (top-level, plain data: what the engine ships to a process or node)."""
    url, relative, output_relative, output, key, option_names, safe_private, store = item
    deidentifier = _deidentifier_for(key, option_names, safe_private)
    source_fs, source_path = storage.filesystem(url, store)
    output_fs, output_root = storage.filesystem(output, store)
    if _on_disk(source_fs) and _on_disk(output_fs):
        # A local or mounted store: read and write in place (writes are atomic renames already),
        # no copy through a temporary folder.
        return deidentify_file(Path(source_path), relative, Path(output_root), deidentifier, output_relative)
    with tempfile.TemporaryDirectory(prefix="yizhi-dicom-") as folder:
        local_in = Path(folder) / "input"
        try:
            source_fs.get_file(source_path, str(local_in))
        except (OSError, ValueError) as exc:
            return _line(relative, "error", FETCH_FAILED % {"path": relative, "problem": str(exc)[:200]})
        local_out = Path(folder) / "out"
        line = deidentify_file(local_in, relative, local_out, deidentifier, output_relative)
        if line["output"]:
            _put(output_fs, local_out / line["output"], _join(output_root, line["output"]))
    return line


def deidentify_tree_url(
    source: str,
    output: str,
    key: bytes,
    options: frozenset[Option] = frozenset(),
    safe_private: frozenset[tuple[str, int, int]] = frozenset(),
    *,
    workers: int | None = None,
    rename_paths: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    report_folder: Path | None = None,
) -> Summary:
    """De-identify every object under ``source`` into ``output`` (paths or fsspec URLs) on the
    configured engine; the report goes to ``output/deid-report.jsonl``. ``Summary.report`` is
    then a local copy of it (the caller's machine may not mount the store) in ``report_folder``
    (a job's work folder, removed with it) or else a new temporary folder."""
    from yizhi.engine import map_parallel

    store = storage.store_config()
    objects = list_objects(source, store)
    check_urls(source, output, objects, store)
    option_names = tuple(sorted(option.value for option in options))
    safe = tuple(sorted(safe_private))
    items = [(url, relative, pseudonymous_path(key, relative) if rename_paths else relative, output, key,
              option_names, safe, store) for url, relative in objects]
    counts = dict.fromkeys(STATUSES, 0)
    report = Path(report_folder or tempfile.mkdtemp(prefix="yizhi-dicom-report-")) / REPORT_NAME
    chunk = max(1, min(16, len(items) // 8 or 1))
    if len(items) < 2:
        workers = 1  # one file (a single .dcm upload): in this process on the local engine, no pool to start
    with report.open("w", encoding="utf-8") as handle:
        for done, line in enumerate(map_parallel(_work_url, items, workers=workers, chunksize=chunk), 1):
            counts[line["status"]] += 1
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            if on_progress is not None:
                on_progress(done, len(items))
    output_fs, output_root = storage.filesystem(output, store)
    _put(output_fs, report, _join(output_root, REPORT_NAME))
    return Summary(counts["ok"], counts["quarantined"], counts["error"], report)
