"""Real DICOM corpora (pydicom, pydicom-data, deid-data) and an independent leak finder.

The leak finder defines "identifying" straight from the generated Table E.1-1 (every attribute the
table lists, every private attribute, curves and overlays) and searches the written output bytes;
it does not reuse the engine's decisions.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset

from yizhi.deid.dicom.profile_table import OPTION_FIELDS, PROFILE

TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
# Values the de-identifier itself writes; finding them in the output is not a leak.
WRITTEN_BY_US = {b"ANONYMIZED", b"19000101", b"19000101000000", b"000000", b"YES", b"REMOVED", b"MODIFIED"}


def _corpus_roots() -> dict[str, Path]:
    roots = {"pydicom": Path(pydicom.__file__).parent / "data" / "test_files"}
    try:
        import data_store  # pydicom-data

        roots["pydicom-data"] = Path(data_store.__file__).parent / "data"
    except ImportError:
        pass
    try:
        import deid_data

        roots["deid-data"] = Path(deid_data.__file__).parent / "data"
    except ImportError:
        pass
    return roots


CORPUS_ROOTS = _corpus_roots()


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def identifying_tags(options_fields: tuple[str, ...] = ()) -> set[int]:
    """Tags the table lists and that none of the given option columns says to keep."""
    indexes = [1 + OPTION_FIELDS.index(field) for field in options_fields]
    return {tag for tag, actions in PROFILE.items() if not any(actions[i] == "K" for i in indexes)}


def _is_graphics_or_private(tag: int) -> bool:
    group = tag >> 16
    return bool(group & 1) or 0x5000 <= group <= 0x501E or 0x6000 <= group <= 0x601E


def _tokens(raw_value: bytes, vr: str) -> set[bytes]:
    if vr in TEXT_VRS:
        parts = re.split(rb"[\\^=]", raw_value)
        return {part.strip(b" \x00") for part in parts if len(part.strip(b" \x00")) >= 4}
    return {run.strip() for run in re.findall(rb"[\x20-\x7e]{6,}", raw_value) if len(run.strip()) >= 6}


def _dictionary_vr(tag: int) -> str:
    if tag & 0xFFFF == 0:
        return "UL"  # group length
    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


def _walk(ds: Dataset, identifying: set[int], found: dict, kept: set, inherited: bool, path: str) -> None:
    for tag in list(ds.keys()):
        raw = ds.get_item(tag)
        is_identifying = inherited or tag in identifying or _is_graphics_or_private(tag)
        vr = raw.VR or _dictionary_vr(tag)
        if vr == "SQ":
            try:
                items = ds[tag].value or []
            except Exception:
                continue
            # Everything inside a sequence the table removes or empties is identifying; inside one
            # it keeps or walks into (D, U, X/Z/U*), each nested attribute is judged by its own tag.
            swallowed = inherited or PROFILE.get(tag, ("K",))[0] in ("X", "Z") or _is_graphics_or_private(tag)
            for index, item in enumerate(items):
                _walk(item, identifying, found, kept, swallowed, f"{path}({tag:08X})[{index}]")
            continue
        if tag == 0x7FE00010 or not isinstance(raw.value, (bytes, bytearray)):
            continue
        for token in _tokens(bytes(raw.value), vr):
            if is_identifying:
                found.setdefault(token, f"{path}({tag:08X})")
            else:
                kept.add(token)


def identifying_tokens(source: Path, identifying: set[int]) -> dict[bytes, str]:
    """token -> where it was, for values of identifying attributes of ``source`` (all depths)."""
    ds = pydicom.dcmread(source, force=True)
    found: dict[bytes, str] = {}
    kept: set[bytes] = set()
    if getattr(ds, "file_meta", None) is not None:
        _walk(ds.file_meta, identifying, found, kept, False, "meta")
    _walk(ds, identifying, found, kept, False, "")
    # A value that the input also holds in an attribute the profile keeps cannot reveal the other.
    kept_text = b"\x00".join(kept)
    found = {token: where for token, where in found.items() if not re.search(bounded(token), kept_text)}
    # UIDs under 1.2.840.10008 are defined by the standard itself (SOP classes, transfer syntaxes).
    return {
        token: where
        for token, where in found.items()
        if token not in kept and token not in WRITTEN_BY_US and not token.startswith(b"1.2.840.10008.")
    }


def searchable_bytes(output: Path) -> bytes:
    """The output file as written, minus its pixel data (random pixels may match anything)."""
    ds = pydicom.dcmread(output, force=True)
    if "PixelData" in ds:
        del ds.PixelData
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()


def bounded(token: bytes) -> bytes:
    """A pattern for ``token`` as a whole word: 1.2.3 must not match inside 1.2.3.4."""
    return rb"(?<![0-9A-Za-z.])" + re.escape(token) + rb"(?![0-9A-Za-z.])"


def leaks(source: Path, output: Path, identifying: set[int]) -> list[str]:
    haystack = searchable_bytes(output)
    found = []
    for token, where in identifying_tokens(source, identifying).items():
        if re.search(bounded(token), haystack):
            found.append(f"{where}: {token!r}")
    return found
