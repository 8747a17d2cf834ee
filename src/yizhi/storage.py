"""Content-addressed file store: uploads are kept (by SHA-256) before anything processes them.

Local disk under ``<data_dir>/files/ab/cd/<sha256>`` by default. Writes go to a temporary file and
are renamed into place, so a crash never leaves a half-written object under a valid name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from yizhi.config import get_settings
from yizhi.errors import N_, NotFound, PayloadTooLarge, ValidationFailed

CHUNK = 1 << 20


def root() -> Path:
    path = get_settings().resolved_data_dir() / "files"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_for(digest: str) -> Path:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationFailed(N_("%(digest)s is not a SHA-256 hex digest"), params={"digest": digest[:80]})
    return root() / digest[:2] / digest[2:4] / digest


def put_stream(stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]:
    """Store everything read from ``stream``; returns (sha256 hex, size)."""
    hasher = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=root(), prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise PayloadTooLarge(N_("the upload is larger than %(limit)s bytes"), params={"limit": max_bytes})
                hasher.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        digest = hasher.hexdigest()
        target = path_for(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)
        return digest, size
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def put_bytes(data: bytes) -> str:
    import io

    return put_stream(io.BytesIO(data))[0]


def existing_path(digest: str) -> Path:
    """The stored file's path, or NotFound (a result whose file was removed is not a server error)."""
    path = path_for(digest)
    if not path.exists():
        raise NotFound(N_("no stored file %(digest)s"), params={"digest": digest})
    return path


def open_file(digest: str) -> BinaryIO:
    path = path_for(digest)
    if not path.exists():
        raise NotFound(N_("no stored file %(digest)s"), params={"digest": digest})
    return path.open("rb")
