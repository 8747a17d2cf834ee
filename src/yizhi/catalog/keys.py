"""Each dataset's own secret key: pseudonyms and date shifts of its versions are keyed with it.

The key is generated when the dataset's first version is built (or brought with ``--key-file``),
kept in ``<data_dir>/dataset-keys/<slug>.key`` with mode 0600 — outside every version directory,
so neither an export nor a grant can carry it — and reused by every later version, so a patient
keeps the same pseudonym across versions of one dataset and gets another in any other dataset.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from yizhi.catalog.models import Dataset
from yizhi.catalog.store import keys_root
from yizhi.errors import N_, Conflict, ValidationFailed

KEY_BYTES = 32
MIN_KEY_BYTES = 16
MAX_KEY_FILE_BYTES = 4096


def key_path(dataset: Dataset) -> Path:
    return keys_root() / f"{dataset.slug}.key"


def has_key(dataset: Dataset) -> bool:
    return key_path(dataset).exists()


def read_key_file(path: Path) -> bytes:
    """The bytes of a key the data owner brings; refused when unreadable, too short or too long."""
    try:
        size = path.stat().st_size
        if size > MAX_KEY_FILE_BYTES:
            raise ValidationFailed(N_("the key file %(path)s is %(size)d bytes; a key file holds at most %(max)d"),
                                   params={"path": str(path), "size": size, "max": MAX_KEY_FILE_BYTES},
                                   field="key_file")
        raw = path.read_bytes().strip()
    except OSError as exc:
        raise ValidationFailed(N_("cannot read the key file %(path)s: %(reason)s"),
                               params={"path": str(path), "reason": exc.strerror or str(exc)},
                               field="key_file") from exc
    if len(raw) < MIN_KEY_BYTES:
        raise ValidationFailed(N_("the key file %(path)s holds %(size)d bytes; a key needs at least %(min)d"),
                               params={"path": str(path), "size": len(raw), "min": MIN_KEY_BYTES},
                               field="key_file")
    return raw


def ensure_key(dataset: Dataset, brought: bytes | None = None) -> bytes:
    """The dataset's key: created (or taken from ``brought``) on first use, then always the same.

    A brought key that differs from the one the dataset already has is refused: switching keys
    would give every patient a new pseudonym and break the link between versions.
    """
    path = key_path(dataset)
    if path.exists():
        current = path.read_bytes()
        if brought is not None and not hmac.compare_digest(current, brought):
            raise Conflict(N_("dataset %(slug)s already has a different key; its versions must share one key"),
                           params={"slug": dataset.slug})
        return current
    key = brought if brought is not None else secrets.token_hex(KEY_BYTES).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return ensure_key(dataset, brought)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    dataset.key_origin = "brought" if brought is not None else "generated"
    return key
