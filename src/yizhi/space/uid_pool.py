"""One host uid per running Tier B job, leased from a range the platform keeps for itself.

Why: Linux counts ``RLIMIT_NPROC`` per uid, across every process of that uid on the host and
through user namespaces. When every job ran as one uid (``nobody``, 65534), a fork bomb in one
company's job — which the sandbox stops at its process limit — left no processes for any other job
running at that moment: their interpreters failed to start threads or died by a signal. Any daemon
of the host that runs as ``nobody`` had the same effect. Each job now runs as a uid of
``[YIZHI_SPACE_SANDBOX_UID, YIZHI_SPACE_SANDBOX_UID + YIZHI_SPACE_SANDBOX_UIDS)``, used by nothing
else: its limits are its own, and one job cannot signal or trace another's processes.

A lease is an exclusive ``flock`` on ``<lock folder>/<uid>``: the kernel drops it when the leasing
process dies, so a killed worker leaves no uid taken. The lock folder is host-wide (two servers, or
two test runs, on one host share it) and root's only. A uid that still owns processes (a sandbox
still dying, or an account someone gave that uid) is passed over.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from yizhi.space.jobs_settings import SandboxSettings

WAIT_SECONDS = 0.2


class NoSandboxUid(RuntimeError):
    """Every uid of the range is in use; the job is retried later by the queue."""


def _uids_with_processes() -> set[int]:
    owners = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                owners.add(entry.stat(follow_symlinks=False).st_uid)
            except OSError:
                continue  # the process ended while we looked
    return owners


def _lock_folder(settings: SandboxSettings) -> Path:
    """The configured folder, or (a host without a writable ``/run``) one in the temporary folder —
    used only if it is root's alone, since whoever could write there could hold every uid."""
    for folder in (Path(settings.sandbox_uid_locks), Path(tempfile.gettempdir()) / "yizhi-sandbox-uids"):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.lstat()
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o077:
            return folder
    raise NoSandboxUid(f"no private folder for the sandbox uids' leases ({settings.sandbox_uid_locks})")


def _try_lease(folder: Path, candidates: list[int], busy: set[int]) -> tuple[int, int] | None:
    for uid in candidates:
        if uid in busy:
            continue
        fd = os.open(folder / str(uid), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    return None


@contextlib.contextmanager
def lease(settings: SandboxSettings, wait_seconds: float = 30.0) -> Iterator[int]:
    """A uid of the range that no other job holds and no process owns, for the ``with`` block."""
    folder = _lock_folder(settings)
    uids = list(range(settings.sandbox_uid, settings.sandbox_uid + settings.sandbox_uids))
    deadline = time.monotonic() + wait_seconds
    while True:
        start = random.randrange(len(uids))  # spread leases so a uid left dying is rarely tried first
        found = _try_lease(folder, uids[start:] + uids[:start], _uids_with_processes())
        if found is not None:
            break
        if time.monotonic() > deadline:
            raise NoSandboxUid(f"all {len(uids)} sandbox uids from {settings.sandbox_uid} are in use")
        time.sleep(WAIT_SECONDS)
    uid, fd = found
    try:
        yield uid
    finally:
        os.close(fd)  # closing the only descriptor releases the flock
