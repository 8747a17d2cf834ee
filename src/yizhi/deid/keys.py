"""The secret key that makes surrogates, date shifts and replacement UIDs consistent.

One key per deployment (or per dataset, when a data owner passes ``--key-file``): the same input
maps to the same output under the same key, and nobody without the key can reverse or link it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from yizhi.config import create_secret_file, get_settings

KEY_BYTES = 32


class KeyFileError(ValueError):
    """The key file is missing, unreadable or too short."""


def load_key(key_file: Path | None = None) -> bytes:
    """Read the key from ``key_file``, or the deployment key (created once in the data dir)."""
    if key_file is not None:
        return _read_key_file(Path(key_file))
    path = get_settings().resolved_data_dir() / "deid_key"
    create_secret_file(path, secrets.token_hex(KEY_BYTES))
    return _read_key_file(path)


def _read_key_file(path: Path) -> bytes:
    try:
        raw = path.read_bytes().strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    if len(raw) < 16:
        raise KeyFileError(f"key file {path} holds {len(raw)} bytes; at least 16 are needed")
    # Hash whatever the file holds (hex, base64 or raw bytes) into a fixed-size key.
    return hashlib.sha256(raw).digest()


def derive(key: bytes, purpose: str, value: str) -> bytes:
    """A keyed, purpose-separated digest: the building block of every consistent pseudonym."""
    return hmac.new(key, f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest()
