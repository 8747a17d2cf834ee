"""Job `deid.dicom`: de-identify an uploaded zip of DICOM files (or one DICOM file).

Params (JSON)::

    {"input": "<sha256 of the stored upload>", "input_name": "ct-study.zip",
     "options": ["retain-long-modified-dates", "retain-patient-chars"], "rename_paths": true}

The upload is stored before this runs (``yizhi.storage``). The job unpacks it onto the platform's
store, into the job's own work folder (``storage.work_url``: member names checked — no absolute
paths, no ``..``, no links; size and count limited, so a zip bomb fails instead of filling the
disk), and de-identifies that tree on the platform engine (``deidentify_tree_url``: the warm local
pool by default, Ray tasks when ``YIZHI_ENGINE=ray``; every worker reads and writes the store through
fsspec, so a Ray node needs no shared mount). The job's progress follows the engine's results file
by file. Folder and file names are replaced by keyed stand-ins unless ``rename_paths`` is false (zip
exports are often named after the patient). It stores three results: the released zip (``output``),
the quarantine zip (files that may show burned-in text, for review only) and the per-file report
(``report_file``, JSONL, each failure's reason kept). The work folder is removed at the end, and at
the start too: a retried attempt (its worker died) starts from a clean folder, so files of the dead
attempt never mix with this one's.
A ledger event records the input and output digests and the counts, never a value from the files.

Bad params or a broken zip fail the job at once with a message starting "invalid", so the queue
does not retry it.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from yizhi import storage
from yizhi.config import get_settings
from yizhi.deid.dicom.batch import QUARANTINE_DIR, REPORT_NAME
from yizhi.deid.dicom.remote import deidentify_tree_url
from yizhi.deid.dicom.options import OptionError, parse_options
from yizhi.deid.keys import load_key
from yizhi.errors import N_, NotFound, ValidationFailed, problem
from yizhi.jobs.service import JobContext, handler
from yizhi.jobs.workdirs import workdir

MAX_MEMBERS = 100_000
MAX_UNPACKED_BYTES = 20 * 1024**3  # 20 GiB: a large CT/MR study export, far below a zip bomb's
# DICOM deflates 2-10x (CT air, MR background); a zip bomb 1000x. Past this ratio a member (or the
# whole upload) is refused, both as declared in the zip and as actually read (headers can lie).
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1 << 20  # small members may compress absurdly well (a blank overlay); ignore them
COPY_CHUNK = 1 << 20
PROGRESS_EVERY_BYTES = 16 << 20


def _plain_name(value: object) -> str:
    text = str(value or "upload.zip")
    if PurePosixPath(text).name != text or text in {".", ".."} or "\\" in text:
        raise ValidationFailed(N_("invalid input_name '%(text)s': give a plain file name, no folders"), params={"text": text})
    return text


def _safe_member_path(name: str) -> PurePosixPath | None:
    """The member's relative path, or None for a folder entry; ValidationFailed if it escapes."""
    path = PurePosixPath(name.replace("\\", "/"))
    if name.endswith("/"):
        return None
    if path.is_absolute() or ".." in path.parts or not path.parts or ":" in path.parts[0]:
        raise ValidationFailed(N_("invalid zip: member '%(name)s' points outside the upload"), params={"name": name})
    return path


def _check_ratio(name: str, unpacked: int, packed: int) -> None:
    if unpacked > RATIO_FLOOR_BYTES and unpacked > MAX_RATIO * max(packed, 1):
        raise ValidationFailed(N_("invalid zip: %(member)s expands %(ratio)s times; at most %(max)s times is "
                                  "accepted (a zip bomb?)"),
                               params={"member": name, "ratio": unpacked // max(packed, 1), "max": MAX_RATIO})


def unpack(upload: Path, folder: Path | str, progress=None) -> int:
    """Unpack a zip into ``folder`` — a local path or a folder of the store (fsspec URL) — checked
    member by member; returns the number of files.

    ``progress(done_bytes, total_bytes)`` is called every 16 MB unpacked."""
    fs, root = storage.filesystem(str(folder))
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as exc:
        raise ValidationFailed(N_("invalid zip: %(exc)s"), params={"exc": exc}) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ValidationFailed(N_("invalid zip: %(count)s members; at most %(MAX_MEMBERS)s are accepted"), params={"count": len(members), "MAX_MEMBERS": MAX_MEMBERS})
        declared = sum(m.file_size for m in members)
        for member in members:  # refuse a bomb before writing a byte
            _check_ratio(member.filename, member.file_size, member.compress_size)
        _check_ratio("(all members)", declared, upload.stat().st_size)
        unpacked = 0
        reported = 0
        count = 0
        for member in members:
            relative = _safe_member_path(member.filename)
            if relative is None:
                continue
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise ValidationFailed(N_("invalid zip: member '%(filename)s' is a symbolic link"), params={"filename": member.filename})
            target = "/".join((root.rstrip("/"), *relative.parts))
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            try:
                # On object storage the member is uploaded when closed: whole, or not at all.
                with archive.open(member) as source, fs.open(target, "wb") as out:
                    member_bytes = 0
                    while chunk := source.read(COPY_CHUNK):
                        unpacked += len(chunk)
                        member_bytes += len(chunk)
                        if unpacked > MAX_UNPACKED_BYTES:
                            raise ValidationFailed(
                                f"invalid zip: unpacks to more than {MAX_UNPACKED_BYTES} bytes"
                            )
                        _check_ratio(member.filename, member_bytes, member.compress_size)
                        out.write(chunk)
                        if progress is not None and unpacked - reported >= PROGRESS_EVERY_BYTES:
                            reported = unpacked
                            progress(unpacked, max(declared, unpacked))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
                raise ValidationFailed(N_("invalid zip: member '%(filename)s': %(exc)s"), params={"filename": member.filename, "exc": exc}) from None
            except RuntimeError as exc:  # encrypted members
                raise ValidationFailed(N_("invalid zip: member '%(filename)s': %(exc)s"), params={"filename": member.filename, "exc": exc}) from None
            count += 1
        return count


# Every member gets this date: the same upload and options give the same zip, so the content-addressed
# store keeps one copy of a result computed twice (a retried job, the same study sent again).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def pack(folder: Path | str, archive_path: Path, exclude_top: set[str]) -> int:
    """Zip every file under ``folder`` (a local path or a folder of the store) except the top-level
    names in ``exclude_top``."""
    fs, root = storage.filesystem(str(folder))
    prefix = root.rstrip("/") + "/"
    count = 0
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(fs.find(root)) if fs.isdir(root) else []:
            relative = path[len(prefix):]
            if not relative or relative.split("/", 1)[0] in exclude_top:
                continue
            info = zipfile.ZipInfo(relative, date_time=ZIP_DATE)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            info._compresslevel = 1  # ZipFile.open takes the level from the ZipInfo (named compress_level from 3.13)
            with fs.open(path, "rb") as source, archive.open(info, "w") as out:
                shutil.copyfileobj(source, out, COPY_CHUNK)
            count += 1
    return count


MAX_FILE_PROBLEMS = 1000


# A failed file's reason as the reader sees it: a translated kind, the library's words as detail.
REASON_KINDS = (
    ("not a DICOM file", N_("not a DICOM file")),
    ("not a readable DICOM file", N_("not a readable DICOM file")),
    ("DICOMDIR media index", N_("a DICOMDIR media index (not released)")),
)


def reason_parts(reason: str) -> tuple[str, str]:
    """(msgid of the kind of failure, the rest as detail) for one report line's reason."""
    for start, msgid in REASON_KINDS:
        if reason.startswith(start):
            return msgid, reason[len(start):].lstrip(" :") or ""
    return N_("could not be de-identified"), reason


def _file_problems(report: Path, rename_paths: bool) -> list[dict]:
    """One problem per file that could not be de-identified. Folder and file names are often a
    patient's name: unless they are kept (rename_paths false) a file is named by its number."""
    found = []
    if not report.exists():
        return found
    for number, line in enumerate(report.read_text(encoding="utf-8").splitlines(), start=1):
        entry = json.loads(line)
        if entry.get("status") != "error":
            continue
        shown = entry.get("path", "") if not rename_paths else f"#{number}"
        kind, detail = reason_parts(entry.get("reason", ""))
        found.append(problem(N_("%(file)s: %(reason)s (%(detail)s)") if detail else N_("%(file)s: %(reason)s"),
                             {"file": shown, "reason": kind, **({"detail": detail} if detail else {})},
                             translate=("reason",)))
        if len(found) >= MAX_FILE_PROBLEMS:
            break
    return found


def _store(path: Path) -> str:
    with path.open("rb") as handle:
        return storage.put_stream(handle)[0]


@handler("deid.dicom", isolated=True)  # user input that may exhaust memory: own process, limits
def deidentify_dicom_job(context: JobContext) -> dict:
    params = context.params
    digest = params.get("input")
    if not isinstance(digest, str):
        raise ValidationFailed("invalid params: 'input' must be the SHA-256 of a stored upload")
    input_name = _plain_name(params.get("input_name"))
    names = params.get("options") or []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValidationFailed("invalid params: 'options' must be a list of option names")
    try:
        options = parse_options(names)
    except OptionError as exc:
        raise ValidationFailed(N_("invalid options: %(exc)s"), params={"exc": exc}, field="options") from None
    rename_paths = params.get("rename_paths", True)
    if not isinstance(rename_paths, bool):
        raise ValidationFailed("invalid params: 'rename_paths' must be true or false")
    key = load_key(None)

    area = storage.work_url(f"deid-dicom/job-{context.job_id}")
    with workdir("deid-dicom") as folder:
        storage.remove_tree(area)  # what a dead earlier attempt of this job left
        try:
            result = _run(context, digest, input_name, options, rename_paths, key, Path(folder), area)
        finally:
            storage.remove_tree(area)
    _record_in_ledger(context, digest, result)
    context.progress(1.0, "done")
    return result


def _run(context: JobContext, digest: str, input_name: str, options, rename_paths: bool, key: bytes, work: Path,
         area: str) -> dict:
    """Upload -> the job's folder on the store -> de-identified there on the engine -> zips stored."""
    upload, source, output = work / "upload", f"{area}/in", f"{area}/out"
    try:
        with storage.open_file(digest) as stored, upload.open("wb") as out:
            shutil.copyfileobj(stored, out, COPY_CHUNK)
    except (ValidationFailed, NotFound) as exc:
        raise ValidationFailed(N_("invalid input: %(message)s"), params={"message": exc.message}) from None
    context.progress(0.02, "unpacking")

    def unpacking(done: int, total: int) -> None:
        context.progress(0.02 + 0.08 * done / total, f"unpacking {done >> 20}/{total >> 20} MB")

    if zipfile.is_zipfile(upload):
        files = unpack(upload, source, progress=unpacking)
    else:  # a single DICOM file
        fs, root = storage.filesystem(source)
        fs.makedirs(root, exist_ok=True)
        fs.put_file(str(upload), f"{root.rstrip('/')}/{input_name}")
        files = 1
    if not files:
        raise ValidationFailed(N_("no file of %(name)s could be de-identified (%(n)s file(s) examined)"),
                               params={"name": input_name if not rename_paths else "upload", "n": 0})

    def on_progress(done: int, total: int) -> None:  # as the engine hands results back, in input order
        if done == total or done % 50 == 0:
            context.progress(0.1 + 0.8 * done / max(total, 1), f"{done}/{total} files")

    summary = deidentify_tree_url(source, output, key, options, workers=max(1, get_settings().workers),
                                  rename_paths=rename_paths, on_progress=on_progress, report_folder=work)
    if summary.ok + summary.quarantined == 0:
        # Nothing came out: the job failed, and says why for each file.
        raise ValidationFailed(
            N_("no file of %(name)s could be de-identified (%(n)s file(s) examined)"),
            params={"name": input_name if not rename_paths else "upload", "n": summary.error},
            problems=_file_problems(summary.report, rename_paths))
    context.progress(0.92, "packing the results")
    released, quarantined = work / "released.zip", work / "quarantine.zip"
    pack(output, released, exclude_top={QUARANTINE_DIR, REPORT_NAME})
    result = {
        "output": _store(released),
        "output_name": Path(input_name).stem + "-deid.zip",
        "quarantine": None,
        "report_file": _store(summary.report),
        "counts": {"ok": summary.ok, "quarantined": summary.quarantined, "error": summary.error},
        "file_errors": [{"file": p["params"]["file"], "reason": p["params"]["reason"],
                         "detail": p["params"].get("detail", "")}
                        for p in _file_problems(summary.report, rename_paths)],
        "options": sorted(option.value for option in options),
        "rename_paths": rename_paths,
    }
    if summary.quarantined:
        pack(f"{output}/{QUARANTINE_DIR}", quarantined, exclude_top=set())
        result["quarantine"] = _store(quarantined)
    return result


def _record_in_ledger(context: JobContext, input_digest: str, result: dict) -> None:
    """Digests and counts only: the ledger never holds a value from the files."""
    from yizhi import ledger
    from yizhi.db import session_scope

    with session_scope() as session:
        ledger.record(
            session,
            "deid.dicom.completed",
            f"job:{context.job_id}",
            {
                "job_id": context.job_id,
                "input_sha256": input_digest,
                "output_sha256": result["output"],
                "report_sha256": result["report_file"],
                "quarantine_sha256": result["quarantine"],
                **{f"files_{status}": count for status, count in result["counts"].items()},
            },
            actor=f"person:{context.created_by_id}" if context.created_by_id else None,
        )


def report_lines(report_digest: str) -> list[dict]:
    """The stored report as a list of lines (for pages and tests)."""
    with storage.open_file(report_digest) as handle:
        return [json.loads(line) for line in handle.read().decode("utf-8").splitlines()]
