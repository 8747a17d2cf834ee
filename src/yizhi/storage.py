"""Content-addressed file store: uploads are kept (by SHA-256) before anything processes them.

Local disk under ``<data_dir>/files/ab/cd/<sha256>`` by default. With ``YIZHI_STORAGE_URL`` the
store is any fsspec filesystem (``s3://bucket/prefix`` on S3-compatible storage, or a folder every
node of a cluster mounts), so a Ray worker on another machine reads the same objects.

Writes are atomic either way: on a local or mounted disk they go to a temporary file renamed into
place; on object storage one PUT of the finished object (an object is visible whole or not at all).
A crash never leaves a half-written object under a valid name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from yizhi.config import get_settings
from yizhi.engine import messages
from yizhi.errors import NotFound, PayloadTooLarge, ValidationFailed

CHUNK = 1 << 20


# ---- which filesystem -------------------------------------------------------------------------------
def storage_url() -> str | None:
    """The remote store's URL, or None for the local default."""
    url = get_settings().storage_url
    return url.rstrip("/") if url else None


def is_local() -> bool:
    url = storage_url()
    return url is None or url.startswith("file://") or "://" not in url


def store_config() -> tuple[str | None, str | None]:
    """(storage URL, options JSON) as configured here: sent along with engine tasks, so a worker on
    another node opens files the way the platform does whatever its own environment says."""
    settings = get_settings()
    return settings.storage_url, settings.storage_options


def filesystem(url: str, store: tuple[str | None, str | None] | None = None):
    """(fsspec filesystem, path inside it) for ``url``; the store's options apply to its protocol."""
    from fsspec.core import url_to_fs

    store_url, raw_options = store if store is not None else store_config()
    options = {}
    if store_url and raw_options and "://" in url and "://" in store_url \
            and url.split("://", 1)[0] == store_url.split("://", 1)[0]:
        options = _parse_options(raw_options)
    return url_to_fs(url, **options)


@lru_cache(maxsize=4)
def _parse_options(raw: str) -> dict:
    try:
        options = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(messages.STORAGE_OPTIONS_JSON,
                               params={"problem": str(exc)}) from None
    if not isinstance(options, dict):
        raise ValidationFailed(messages.STORAGE_OPTIONS_OBJECT)
    return options


def work_url(name: str) -> str:
    """A folder on the store for one job's intermediate files (``work/<name>``): an fsspec URL with a
    remote store, a path under the local one, so engine workers on other nodes reach it as they reach
    uploads. Content-addressed objects live under two-hex-digit folders, so ``work`` never collides."""
    store = storage_url()
    base = store if store is not None and not is_local() else str(root())
    return f"{base}/work/{name.strip('/')}"


def remove_tree(url: str) -> None:
    """Remove a folder of the store and everything under it (nothing if it is not there)."""
    fs, path = filesystem(url)
    if fs.exists(path):
        fs.rm(path, recursive=True)


# ---- the local default ---------------------------------------------------------------------------
def root() -> Path:
    """The local store's folder: ``<data_dir>/files``, the shared folder ``YIZHI_STORAGE_URL`` names,
    or with object storage the local cache of objects read by path."""
    store = storage_url()
    if store is None:
        path = get_settings().resolved_data_dir() / "files"
    elif is_local():
        path = Path(store.removeprefix("file://"))
    else:
        path = get_settings().resolved_data_dir() / "cache" / "files"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check(digest: str) -> None:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationFailed(messages.NOT_A_DIGEST, params={"digest": repr(digest[:80])})


def _relative(digest: str) -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def path_for(digest: str) -> Path:
    """A local path holding the object. With a remote store this is a read-only cached copy,
    fetched on first use; write through ``put_stream``, never into this path."""
    _check(digest)
    path = root() / _relative(digest)
    if not is_local() and not path.exists():
        _fetch(digest, path)
    return path


def url_for(digest: str) -> str:
    """The object's fsspec URL (a local path by default): what a worker on another node opens."""
    _check(digest)
    store = storage_url()
    if is_local():
        return str(root() / _relative(digest))
    return f"{store}/{_relative(digest)}"


def _fetch(digest: str, path: Path) -> None:
    fs, remote = filesystem(url_for(digest))
    if not fs.exists(remote):
        return  # callers check path.exists() and say what is missing
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fs.get_file(remote, str(tmp))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---- writing and reading ---------------------------------------------------------------------------
def put_stream(stream: BinaryIO, *, max_bytes: int | None = None) -> tuple[str, int]:
    """Store everything read from ``stream``; returns (sha256 hex, size)."""
    hasher = hashlib.sha256()
    size = 0
    staging = root() if is_local() else get_settings().resolved_data_dir()
    fd, tmp_name = tempfile.mkstemp(dir=staging, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise PayloadTooLarge(messages.TOO_LARGE, params={"limit": max_bytes})
                hasher.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        digest = hasher.hexdigest()
        _commit(tmp_name, digest)
        return digest, size
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _commit(tmp_name: str, digest: str) -> None:
    if is_local():
        target = root() / _relative(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)
        return
    fs, remote = filesystem(url_for(digest))
    if not fs.exists(remote):  # content-addressed: the same bytes are already there
        fs.put_file(tmp_name, remote)  # one PUT: the object appears whole
    Path(tmp_name).unlink(missing_ok=True)


def put_bytes(data: bytes) -> str:
    import io

    return put_stream(io.BytesIO(data))[0]


def exists(digest: str) -> bool:
    _check(digest)
    if is_local():
        return (root() / _relative(digest)).exists()
    fs, remote = filesystem(url_for(digest))
    return fs.exists(remote)


def existing_path(digest: str) -> Path:
    """A local path holding the stored file (fetched from a remote store), or NotFound: a result
    whose file was removed is not a server error."""
    path = path_for(digest)
    if not path.exists():
        raise NotFound(messages.NO_STORED_FILE, params={"digest": digest})
    return path


def open_file(digest: str) -> BinaryIO:
    _check(digest)
    if is_local():
        path = root() / _relative(digest)
        if not path.exists():
            raise NotFound(messages.NO_STORED_FILE, params={"digest": digest})
        return path.open("rb")
    fs, remote = filesystem(url_for(digest))
    if not fs.exists(remote):
        raise NotFound(messages.NO_STORED_FILE, params={"digest": digest})
    return fs.open(remote, "rb")
