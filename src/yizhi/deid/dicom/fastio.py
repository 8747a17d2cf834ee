"""Read a DICOM file without loading its pixel data, and write it back with the pixels copied by the OS.

De-identification never changes the pixel data, yet a plain pydicom read+write copies it several
times through Python memory (read, element buffer, file buffer). That copy is most of the cost of
a whole-folder run. So we read with ``defer_size`` (pixel data stays on disk, its offset known),
let pydicom write every other element, then append the pixel data element ourselves: its header,
then its value bytes copied file-to-file by the kernel (``os.copy_file_range``), byte-identical.

Whenever the fast path's preconditions do not hold (deflated transfer syntax, an element after
the pixel data, pixel data already in memory, an encapsulated value we cannot delimit) we fall back
to pydicom's ordinary writer, so the output is always a valid file with the same pixel data.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataset import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_dataset, write_file_meta_info
from pydicom.tag import BaseTag

PIXEL_DATA = 0x7FE00010
UNDEFINED_LENGTH = 0xFFFFFFFF
DEFER_BYTES = 64 * 1024
DEFLATED = "1.2.840.10008.1.2.1.99"
COPY_CHUNK = 8 * 1024 * 1024
# Explicit VR elements whose length field is 4 bytes (after 2 reserved bytes), PS3.5 7.1.2.
LONG_LENGTH_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})


def read(path: Path, force: bool = False) -> Dataset:
    """dcmread with large values (above all the pixel data) left on disk until needed."""
    ds = pydicom.dcmread(path, defer_size=DEFER_BYTES, force=force)
    # Remember where the last element was, to know if an undefined-length pixel value runs to EOF.
    keys = list(ds.keys())
    ds._yizhi_last_tag = max(keys) if keys else None  # type: ignore[attr-defined]
    ds._yizhi_source = Path(path)  # type: ignore[attr-defined]
    return ds


def truncation(ds: Dataset) -> str | None:
    """Why the file is cut short, or None. pydicom keeps a value cut by the end of the file."""
    tags = list(ds.keys())
    if not tags:
        return None
    last = ds._dict.get(tags[-1])
    if not isinstance(last, RawDataElement) or last.length == UNDEFINED_LENGTH:
        return None
    where = f"element ({last.tag >> 16:04X},{last.tag & 0xFFFF:04X})"
    if isinstance(last.value, bytes):
        have = len(last.value)
    else:
        source = getattr(ds, "_yizhi_source", None)
        meta = getattr(ds, "file_meta", None)
        if source is None or last.value_tell is None or (
            meta is not None and str(meta.get("TransferSyntaxUID", "")) == DEFLATED
        ):
            return None
        have = max(0, source.stat().st_size - last.value_tell)
    if have < last.length:
        return f"truncated DICOM file: {where} has {have} of its {last.length} bytes"
    return None


def save(ds: Dataset, handle: BinaryIO) -> None:
    """Write ``ds`` to the open binary ``handle``: pixel data by kernel copy when possible."""
    encoding = _encoding(ds)
    if encoding is None:
        ds.save_as(handle, enforce_file_format=False)  # deflated or unknown: pydicom decides
        return
    plan = _pixel_copy_plan(ds)
    if plan is not None:
        raw = plan[0]
        del ds._dict[PIXEL_DATA]
    try:
        handle.write(_encode(ds, encoding))
    finally:
        if plan is not None:
            ds._dict[BaseTag(PIXEL_DATA)] = raw  # the caller's dataset stays whole
    if plan is None:
        return
    raw, source, offset, count = plan
    handle.write(_element_header(raw, *encoding))
    handle.flush()
    _copy_range(source, offset, count, handle)


def _encoding(ds: Dataset) -> tuple[bool, bool] | None:
    """(implicit VR, little endian) the body is written in, as pydicom's dcmwrite would choose."""
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is not None and str(syntax) == DEFLATED:
        return None
    if syntax is not None and not syntax.is_private and syntax.is_transfer_syntax:
        return bool(syntax.is_implicit_VR), bool(syntax.is_little_endian)
    is_implicit, is_little = ds.original_encoding
    if is_implicit is None or is_little is None:
        return None
    return bool(is_implicit), bool(is_little)


def _encode(ds: Dataset, encoding: tuple[bool, bool]) -> bytes:
    """Preamble, file meta and dataset as bytes, like dcmwrite(enforce_file_format=False).

    Why not dcmwrite itself: it deep-copies the file meta on every call (about a millisecond a
    file) and writes element by element to the file object; one buffer and one write is faster.
    """
    buffer = DicomBytesIO()
    buffer.is_implicit_VR, buffer.is_little_endian = encoding
    preamble = getattr(ds, "preamble", None)
    if preamble:
        buffer.write(preamble)
        buffer.write(b"DICM")
    meta = getattr(ds, "file_meta", None)
    if meta:
        _write_file_meta(buffer, meta)
    if _raw_bytes_reusable(ds, encoding):
        _write_body(buffer, ds, encoding)
    else:
        write_dataset(buffer, ds)
    return buffer.getvalue()


def _write_file_meta(buffer: DicomBytesIO, meta) -> None:
    """File meta information (always explicit VR little endian) with its group length updated."""
    if meta.original_encoding != (False, True):
        write_file_meta_info(buffer, meta, enforce_standard=False)
        return
    body = DicomBytesIO()
    body.is_implicit_VR, body.is_little_endian = False, True
    length_elem = meta._dict.pop(0x00020000, None)
    try:
        _write_body(body, meta, (False, True))
    finally:
        if length_elem is not None:
            meta._dict[BaseTag(0x00020000)] = length_elem
    data = body.getvalue()
    if length_elem is not None:  # written only when the input had it, as pydicom does
        buffer.write(struct.pack("<HH2sHI", 0x0002, 0x0000, b"UL", 4, len(data)))
    buffer.write(data)


def _raw_bytes_reusable(ds: Dataset, encoding: tuple[bool, bool]) -> bool:
    """True when undecoded elements can be written back byte for byte (pydicom's own rule)."""
    if ds.original_encoding != encoding:
        return False
    return getattr(ds, "original_character_set", None) == getattr(ds, "_character_set", None)


def _write_body(buffer: DicomBytesIO, ds: Dataset, encoding: tuple[bool, bool], charset=None) -> None:
    """The elements in tag order: undecoded ones as their original bytes, sequences item by item,
    anything else through pydicom.

    pydicom's write_dataset also copies raw bytes through, but with a temporary buffer and several
    checks per element; untouched elements are most of a file, so we write those ourselves.
    """
    is_implicit, is_little = encoding
    structs = _structs(is_little)
    charset = ds.get("SpecificCharacterSet", charset or "iso8859")
    elements = ds._dict
    for tag in sorted(elements):
        if tag & 0xFFFF == 0 and tag >> 16 > 6:
            continue  # retired group lengths are not written (PS3.5 7.2), as pydicom does
        elem = elements[tag]
        if isinstance(elem, RawDataElement):
            value, vr = elem.value, elem.VR
            if not isinstance(value, bytes) or elem.length == UNDEFINED_LENGTH:
                write_data_element(buffer, ds.get_item(tag), charset)
                continue
        elif elem.VR == "SQ":
            value = _sequence_bytes(elem.value or [], encoding, charset, structs)
            if elem.is_undefined_length:  # kept as it came, like pydicom does
                _write_header(buffer, tag, "SQ", UNDEFINED_LENGTH, is_implicit, structs)
                buffer.write(value)
                buffer.write(structs["implicit"].pack(0xFFFE, 0xE0DD, 0))  # sequence delimiter
                continue
            vr = "SQ"
        else:
            value, vr = _ascii_value(elem), elem.VR
            if value is None:
                write_data_element(buffer, elem, charset)
                continue
        if not _write_header(buffer, tag, vr, len(value), is_implicit, structs):
            write_data_element(buffer, ds.get_item(tag), charset)
            continue
        buffer.write(value)


def _ascii_value(elem) -> bytes | None:
    """Bytes of a decoded code/UID/date element holding plain ASCII strings; None otherwise."""
    if elem.VR not in ("CS", "UI", "DA", "TM", "DT", "AS", "AE") or elem.is_undefined_length:
        return None
    value = elem.value
    parts = [value] if isinstance(value, str) else list(value) if value is not None else []
    if not all(type(part) is str for part in parts):
        return None
    try:
        data = "\\".join(parts).encode("ascii")
    except UnicodeEncodeError:
        return None
    if len(data) % 2:
        data += b"\x00" if elem.VR == "UI" else b" "
    return data


def _structs(is_little: bool) -> dict[str, struct.Struct]:
    endian = "<" if is_little else ">"
    return {
        "short": struct.Struct(f"{endian}HH2sH"),
        "long": struct.Struct(f"{endian}HH2s2xI"),
        "implicit": struct.Struct(f"{endian}HHI"),
    }


def _write_header(buffer, tag: int, vr, length: int, is_implicit: bool, structs) -> bool:
    """Write an element header; False when this element needs pydicom (unknown VR, too long)."""
    group, element = tag >> 16, tag & 0xFFFF
    if is_implicit:
        buffer.write(structs["implicit"].pack(group, element, length))
    elif vr is None or len(vr) != 2:
        return False
    elif vr in LONG_LENGTH_VRS:
        buffer.write(structs["long"].pack(group, element, vr.encode(), length))
    elif length > 0xFFFF:
        return False
    else:
        buffer.write(structs["short"].pack(group, element, vr.encode(), length))
    return True


def _sequence_bytes(items, encoding: tuple[bool, bool], charset, structs) -> bytes:
    """A sequence value: (FFFE,E000) items, each holding its elements, with defined lengths except
    for items that came with undefined length (kept so, as pydicom's writer does)."""
    out = DicomBytesIO()
    out.is_implicit_VR, out.is_little_endian = encoding
    for item in items:
        body = DicomBytesIO()
        body.is_implicit_VR, body.is_little_endian = encoding
        if _raw_bytes_reusable(item, encoding):
            _write_body(body, item, encoding, charset)
        else:
            write_dataset(body, item, charset)
        data = body.getvalue()
        if getattr(item, "is_undefined_length_sequence_item", False):  # as it came, like pydicom
            out.write(structs["implicit"].pack(0xFFFE, 0xE000, UNDEFINED_LENGTH))
            out.write(data)
            out.write(structs["implicit"].pack(0xFFFE, 0xE00D, 0))  # item delimiter
        else:
            out.write(structs["implicit"].pack(0xFFFE, 0xE000, len(data)))
            out.write(data)
    return out.getvalue()


def _pixel_copy_plan(ds: Dataset):
    """(raw element, source file, value offset, byte count) for the fast path, else None."""
    raw = ds._dict.get(PIXEL_DATA)
    source = getattr(ds, "_yizhi_source", None)
    if getattr(ds, "preamble", None) is not None and len(ds.preamble) != 128:
        return None
    if not isinstance(raw, RawDataElement) or raw.value is not None or source is None:
        return None  # not deferred: already in memory, nothing to save
    if any(tag > PIXEL_DATA for tag in ds.keys()):
        return None  # something must be written after the pixel data
    is_implicit, is_little = ds.original_encoding
    if is_implicit is None or is_little is None or raw.value_tell is None:
        return None
    if (bool(is_implicit), bool(is_little)) != _encoding(ds):
        return None  # the body is re-encoded (or deflated); let pydicom convert the pixel element
    if raw.length != UNDEFINED_LENGTH:
        return raw, source, raw.value_tell, raw.length
    # Encapsulated pixel data: the value (items and sequence delimiter) runs to the end of the file
    # when the pixel data was the file's last element; check the delimiter is really there.
    if getattr(ds, "_yizhi_last_tag", None) != PIXEL_DATA:
        return None
    size = source.stat().st_size
    delimiter = struct.pack("<HHI" if is_little else ">HHI", 0xFFFE, 0xE0DD, 0)
    with source.open("rb") as handle:
        handle.seek(size - 8)
        if handle.read(8) != delimiter:
            return None
    return raw, source, raw.value_tell, size - raw.value_tell


def _element_header(raw: RawDataElement, is_implicit: bool, is_little: bool) -> bytes:
    endian = "<" if is_little else ">"
    tag = struct.pack(f"{endian}HH", raw.tag >> 16, raw.tag & 0xFFFF)
    if is_implicit:
        return tag + struct.pack(f"{endian}I", raw.length)
    vr = (raw.VR or "OW").encode("ascii")
    return tag + vr + b"\x00\x00" + struct.pack(f"{endian}I", raw.length)


def _copy_range(source: Path, offset: int, count: int, handle: BinaryIO) -> None:
    """Copy ``count`` bytes at ``offset`` of ``source`` to the end of ``handle``.

    File to file, the kernel copies (``os.copy_file_range``); otherwise (another file system, an
    in-memory buffer) it goes through Python in chunks.
    """
    with source.open("rb") as src:
        if src.seek(0, os.SEEK_END) < offset + count:
            raise ValueError(f"{source.name}: pixel data runs past the end of the file")
        copied = 0
        try:
            out_fd = handle.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            out_fd = None
        if out_fd is not None:
            try:
                while copied < count:
                    step = os.copy_file_range(src.fileno(), out_fd, count - copied, offset + copied)
                    if step == 0:
                        break
                    copied += step
            except (AttributeError, OSError):
                pass  # no copy_file_range here, or not across these file systems
            if copied:
                handle.seek(0, os.SEEK_END)  # the kernel moved the file offset under the buffer
        src.seek(offset + copied)
        while copied < count:
            chunk = src.read(min(COPY_CHUNK, count - copied))
            if not chunk:
                raise ValueError(f"{source.name}: file ended inside the pixel data")
            handle.write(chunk)
            copied += len(chunk)
        handle.flush()
