"""The platform's checkpoint-signing key in ``<data_dir>/ledger/`` (generated on first use).

``platform.key`` holds the signer key text (mode 0600); ``platform.vkey`` the public verifier key
that anyone may have. Creation uses O_EXCL so two workers starting together keep one key.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from yizhi.ledger.note import NoteError, Signer, generate_signer, parse_skey

KEY_FILE = "platform.key"
VKEY_FILE = "platform.vkey"


class LedgerKeyError(RuntimeError):
    """The platform key is missing, unreadable or belongs to another log."""


def ledger_dir() -> Path:
    from yizhi.config import get_settings

    path = get_settings().resolved_data_dir() / "ledger"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _create_key(path: Path, origin: str, kind: str) -> None:
    """Write the key to a temp file, then hard-link it into place: the link fails if another
    process already created the key, and readers never see a half-written file."""
    signer = generate_signer(origin, kind)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(signer.skey + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race; use its key
    finally:
        temporary.unlink(missing_ok=True)


@lru_cache(maxsize=8)
def _load_signer(path: str, mtime_ns: int) -> Signer:
    try:
        return parse_skey(Path(path).read_text(encoding="ascii"))
    except (OSError, NoteError, UnicodeDecodeError) as exc:
        raise LedgerKeyError(f"{path}: cannot read the ledger signing key: {exc}") from None


def platform_signer(origin: str, kind: str = "ed25519") -> Signer:
    """The platform signer for ``origin``, generating it (as ``kind``) if there is none yet."""
    directory = ledger_dir()
    path = directory / KEY_FILE
    if not path.exists():
        _create_key(path, origin, kind)
    signer = _load_signer(str(path), path.stat().st_mtime_ns)
    if signer.name != origin:
        raise LedgerKeyError(
            f"{path}: the key is named {signer.name!r} but this log's origin is {origin!r}; "
            "restore the right key file (a log keeps one origin for life)"
        )
    vkey_path = directory / VKEY_FILE
    vkey = signer.verifier.vkey + "\n"
    if not vkey_path.exists() or vkey_path.read_text(encoding="ascii") != vkey:
        write_atomically(vkey_path, vkey)
    return signer
