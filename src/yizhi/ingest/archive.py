"""Zip archives of DICOM files, opened safely: no member escapes, no bomb goes off.

Checked before anything is extracted, from the central directory: member names (no ``..``, no
absolute or drive paths, no backslashes, no NUL), the declared sizes against a per-member and a
total cap, and each member's expansion ratio. While a member is extracted the bytes are counted
again, so a directory that lies about sizes is caught too. A member is extracted to a scratch file
chosen by us (never by its name).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from yizhi.errors import N_, ValidationFailed

COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    name: str
    size: int


def safe_members(path: Path, source: str, max_total: int, max_member: int, max_ratio: float) -> list[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ValidationFailed(N_("%(file)s: not a readable zip archive"), params={"file": source}, field="file") from None
    total = 0
    members = []
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            _check_name(info.filename, source)
            if info.flag_bits & 0x1:
                raise ValidationFailed(N_("%(file)s: member %(member)s is encrypted"),
                                       params={"file": source, "member": info.filename}, field="file")
            if info.file_size > max_member:
                raise ValidationFailed(N_("%(file)s: member %(member)s expands to %(size)s bytes, above the limit of %(limit)s"),
                                       params={"file": source, "member": info.filename, "size": info.file_size,
                                               "limit": max_member}, field="file")
            ratio = info.file_size / info.compress_size if info.compress_size else (float("inf") if info.file_size else 1)
            if ratio > max_ratio:
                raise ValidationFailed(N_("%(file)s: member %(member)s expands %(ratio)s times (limit %(limit)s): "
                                          "a zip bomb is refused"),
                                       params={"file": source, "member": info.filename,
                                               "ratio": "∞" if ratio == float("inf") else round(ratio), "limit": max_ratio},
                                       field="file")
            total += info.file_size
            if total > max_total:
                raise ValidationFailed(N_("%(file)s: the archive expands to more than %(limit)s bytes"),
                                       params={"file": source, "limit": max_total}, field="file")
            members.append(Member(info.filename, info.file_size))
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ValidationFailed(N_("%(file)s: the archive names a member twice"), params={"file": source}, field="file")
    return members


def _check_name(name: str, source: str) -> None:
    parts = PurePosixPath(name).parts
    bad = (not name or name.startswith("/") or "\\" in name or "\x00" in name or ".." in parts
           or (len(name) > 1 and name[1] == ":"))
    if bad:
        raise ValidationFailed(N_("%(file)s: member name %(member)s points outside the archive (zip slip); refused"),
                               params={"file": source, "member": name[:200]}, field="file")


def extract_member(path: Path, member: Member, target: Path, source: str) -> None:
    """Copy one member to ``target`` counting bytes: more than the directory declared is refused."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zipfile.ZipFile(path) as archive, archive.open(member.name) as reader, target.open("wb") as out:
        while chunk := reader.read(COPY_CHUNK):
            written += len(chunk)
            if written > member.size:
                out.close()
                target.unlink(missing_ok=True)
                raise ValidationFailed(N_("%(file)s: member %(member)s holds more bytes than the archive declares; refused"),
                                       params={"file": source, "member": member.name}, field="file")
            out.write(chunk)
