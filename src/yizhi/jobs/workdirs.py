"""Temporary folders for jobs, cleaned up even when their worker was killed.

``with workdir("deid-dicom") as folder:`` makes ``<data_dir>/tmp/<host>-<pid>-deid-dicom-xxxx`` and
removes it afterwards. A worker killed mid-job (OOM, SIGKILL, a server restart) cannot remove its
folder; :func:`clean_stale`, run when a worker starts, removes every folder whose process is gone
(a 734 MB unpacked upload was left in /tmp before).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from yizhi.config import get_settings


def root() -> Path:
    path = get_settings().resolved_data_dir() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _host() -> str:
    return socket.gethostname().replace("-", "_")[:40]


@contextlib.contextmanager
def workdir(purpose: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"{_host()}-{os.getpid()}-{purpose}-", dir=root()))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale() -> int:
    """Remove the folders of this host's workers that no longer run; returns how many."""
    removed = 0
    for folder in root().iterdir():
        host, _, rest = folder.name.partition("-")
        pid_text = rest.split("-", 1)[0]
        if host != _host() or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
