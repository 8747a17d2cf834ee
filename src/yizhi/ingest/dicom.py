"""DICOM files, folders and .zip archives → de-identified files under ``dicom/`` plus an index table.

``yizhi.deid.dicom`` does the de-identification (PS3.15 Annex E, keyed UIDs); this module ties it
to the dataset: ``DatasetDeidentifier`` gives PatientID/PatientName the dataset pseudonym and
moves dates by the dataset's per-patient shift (the same as the patient's FHIR, table and note
dates), and descriptors go through the text de-identifier with that pseudonym. Images that may
show burned-in text are quarantined: listed, never written. Output paths are built from the
de-identified patient, study, series and instance UIDs, never from the uploaded file names.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from yizhi.deid.dicom.batch import MEDIA_DIRECTORY_SOP_CLASS, NotDicomError, read_dataset, write_dataset
from yizhi.deid.dicom.engine import Deidentifier, burned_in_reason
from yizhi.deid.dicom.options import parse_options
from yizhi.deid.keys import derive
from yizhi.errors import N_, ValidationFailed
from yizhi.ingest.archive import Member, extract_member, safe_members
from yizhi.ingest.context import context_for
from yizhi.ingest.identity import Identity
from yizhi.ingest.parquet_io import write_table
from yizhi.ingest.problems import ProblemLog

INDEX_SCHEMA = pa.schema([
    ("path", pa.string()), ("patient", pa.string()), ("study_uid", pa.string()), ("series_uid", pa.string()),
    ("sop_uid", pa.string()), ("sop_class_uid", pa.string()), ("modality", pa.string()),
    ("study_date", pa.string()), ("series_date", pa.string()), ("study_description", pa.string()),
    ("series_description", pa.string()), ("body_part", pa.string()), ("rows", pa.int64()), ("columns", pa.int64()),
    ("frames", pa.int64()), ("bytes", pa.int64()),
])
INDEX_DATES = ["study_date", "series_date"]


@dataclass
class DatasetDeidentifier(Deidentifier):
    """The DICOM de-identifier with the dataset's pseudonyms and date shifts (not its own)."""

    identity: Identity | None = None

    def patient_pseudonym(self, patient_key: str) -> str:
        kind, _, rest = patient_key.partition("\x1f")
        if kind == "id":  # "id<US>issuer<US>PatientID": the hospital's patient id, as in its other systems
            return self.identity.pseudonym(rest.split("\x1f", 1)[-1])
        return self.identity.pseudonym(patient_key)  # no PatientID: a namespace of its own

    def pseudonym(self, patient_key: str) -> str:
        return self.patient_pseudonym(patient_key)

    def shift_days(self, patient_key: str) -> int:
        # the engine moves dates by -shift_days; the dataset shift is added everywhere else
        return -self.identity.shift_days(self.patient_pseudonym(patient_key))


@lru_cache(maxsize=4)
def _deidentifier(profile_json: str, key: bytes, known: str | None) -> DatasetDeidentifier:
    context = context_for({"profile": profile_json, "key": key, "known": known})
    identity = context.identity
    holder: dict = {}

    def clean(text: str, patient_key: str) -> str:
        return identity.clean_text(text, holder["d"].patient_pseudonym(patient_key))

    options = parse_options(context.profile.dicom.options)
    deidentifier = DatasetDeidentifier(key, options, clean, identity=identity)
    holder["d"] = deidentifier
    return deidentifier


# ---- planning --------------------------------------------------------------------------------
def dicom_items(classified, base: dict, profile, scratch: Path) -> list[dict]:
    path = Path(classified.path)
    item = {**base, "kind": "dicom", "source": classified.name, "path": str(path), "scratch": str(scratch),
            "out_dir": str(scratch.parent)}
    if path.is_dir():
        files = []
        for root, dirs, names in os.walk(path):
            dirs.sort()
            files += [Path(root) / name for name in sorted(names)]
        return [{**item, "path": str(f), "member": f.relative_to(path).as_posix(), "zip": False} for f in files if f.is_file()]
    if path.suffix.lower() == ".zip" or _is_zip(path):
        limits = profile.limits
        members = safe_members(path, classified.name, limits.max_expanded_bytes, limits.max_member_bytes, limits.max_ratio)
        return [{**item, "member": m.name, "member_size": m.size, "zip": True} for m in members]
    return [{**item, "member": "", "zip": False, "single": True}]


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


# ---- the work --------------------------------------------------------------------------------
def process_dicom(item: dict) -> dict:
    source, member = item["source"], item["member"]
    log = ProblemLog(source)
    result = {"kind": "dicom", "problems": None, "dicom_index": [], "quarantine": [],
              "dates": {"dicom_index": INDEX_DATES}}
    path = Path(item["path"])
    extracted = None
    if item.get("zip"):
        extracted = Path(item["scratch"]) / "dicom-in" / f"{item['index']:06d}.dcm"
        try:
            extract_member(path, Member(member, item["member_size"]), extracted, source)
        except ValidationFailed:
            raise
        except Exception:  # zipfile's CRC and format errors
            log.add(member, "", "the archive member could not be read", kind="dicom:unreadable_member")
            result["problems"] = log.as_plain()
            return result
        path = extracted
    try:
        _one_file(item, path, log, result)
    finally:
        if extracted is not None:
            extracted.unlink(missing_ok=True)
    result["problems"] = log.as_plain()
    return result


def _one_file(item: dict, path: Path, log: ProblemLog, result: dict) -> None:
    source, member = item["source"], item["member"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about every oddity of real-world files
        try:
            ds = read_dataset(path)
        except NotDicomError:
            if item.get("single"):
                raise ValidationFailed(N_("%(file)s: not a DICOM file"), params={"file": source}, field="file") from None
            log.add(member, "", "not a DICOM file; skipped", kind="dicom:not_dicom")
            return
        meta = getattr(ds, "file_meta", None)
        if meta is not None and str(meta.get("MediaStorageSOPClassUID", "")) == MEDIA_DIRECTORY_SOP_CLASS:
            log.add(member, "", "a DICOMDIR media index is not released (it describes the original files)",
                    kind="dicom:dicomdir")
            return
        reason = burned_in_reason(ds)
        if reason:
            result["quarantine"].append({"source": source, "member": member, "reason": reason})
            return
        deidentifier = _deidentifier(item["profile"], item["key"], item.get("known"))
        try:
            deidentifier.deidentify(ds)
            relative = _output_path(ds, item)
            target = Path(item["out_dir"]) / relative
            write_dataset(ds, target)
        except Exception as exc:  # one broken file must not stop the others
            log.add(member, "", f"could not be de-identified ({type(exc).__name__})", kind="dicom:failed")
            return
        result["dicom_index"].append(_index_row(ds, relative, target.stat().st_size))


def _text(ds, keyword: str) -> str | None:
    value = ds.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _number(ds, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        return int(value) if value is not None and str(value).strip() != "" else None
    except (TypeError, ValueError):
        return None


def _output_path(ds, item: dict) -> str:
    """``dicom/<patient>/<study>/<series>/<instance>.dcm`` from the de-identified values."""
    fallback = derive(item["key"], "ingest-dicom-path", f"{item['source']}/{item['member']}").hex()[:16]
    parts = [_text(ds, "PatientID") or "unknown", _text(ds, "StudyInstanceUID") or "study-unknown",
             _text(ds, "SeriesInstanceUID") or "series-unknown"]
    instance = _text(ds, "SOPInstanceUID") or fallback
    safe = [part.replace("/", "_").replace("\\", "_")[:80] for part in parts + [instance]]
    return "dicom/" + "/".join(safe[:3]) + f"/{safe[3]}.dcm"


def _index_row(ds, relative: str, size: int) -> dict:
    def date(keyword: str) -> str | None:
        text = _text(ds, keyword)
        return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if text and len(text) >= 8 and text[:8].isdigit() else None

    return {
        "path": relative, "patient": _text(ds, "PatientID"), "study_uid": _text(ds, "StudyInstanceUID"),
        "series_uid": _text(ds, "SeriesInstanceUID"), "sop_uid": _text(ds, "SOPInstanceUID"),
        "sop_class_uid": _text(ds, "SOPClassUID"), "modality": _text(ds, "Modality"),
        "study_date": date("StudyDate"), "series_date": date("SeriesDate"),
        "study_description": _text(ds, "StudyDescription"), "series_description": _text(ds, "SeriesDescription"),
        "body_part": _text(ds, "BodyPartExamined"), "rows": _number(ds, "Rows"), "columns": _number(ds, "Columns"),
        "frames": _number(ds, "NumberOfFrames"), "bytes": size,
    }


def write_index(rows: list[dict], target: Path) -> Path:
    """The index of the written files, one row per file, sorted by path (duplicates once)."""
    unique = {row["path"]: row for row in rows}
    table = pa.Table.from_pylist([unique[p] for p in sorted(unique)], schema=INDEX_SCHEMA)
    write_table(table, target)
    return target
