"""Temporary folders for jobs, cleaned up even when their worker was killed.

``with workdir("deid-dicom") as folder:`` makes ``<data_dir>/tmp/<host>-<pid>-deid-dicom-xxxx`` and
removes it afterwards. A worker killed mid-job (OOM, SIGKILL, a server restart) cannot remove its
folder; :func:`clean_stale` removes every folder whose process is gone (a 734 MB unpacked upload
was left in /tmp before).

A job's work folder on the store (``storage.work_url("<purpose>/job-<id>")``, where engine workers
on any node read and write) outlives a dead worker too, and when that job is never run again (it
failed for good, or was retried to success elsewhere) nothing else removes it:
:func:`clean_finished_jobs_work` removes the folders of jobs that are neither queued nor running.
Workers call both when they start and every :data:`SWEEP_SECONDS` (:func:`sweep`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from yizhi.config import get_settings

log = logging.getLogger("yizhi.jobs")
SWEEP_SECONDS = 600.0  # a left folder costs disk, not correctness: a few minutes is soon enough
_JOB_FOLDER = re.compile(r"job-(\d+)")


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


def _job_folders() -> list[tuple[int, str]]:
    """(job id, store URL) of every ``work/<purpose>/job-<id>`` folder on the store."""
    from yizhi import storage

    base = storage.work_url("").rstrip("/")
    fs, root_path = storage.filesystem(base)
    if not fs.exists(root_path):
        return []
    found = []
    for purpose in fs.ls(root_path, detail=False):
        if not fs.isdir(purpose):
            continue
        for folder in fs.ls(purpose, detail=False):
            match = _JOB_FOLDER.fullmatch(PurePosixPath(folder).name)
            if match:
                name = f"{PurePosixPath(purpose).name}/{PurePosixPath(folder).name}"
                found.append((int(match.group(1)), storage.work_url(name)))
    return found


def clean_finished_jobs_work(session) -> int:
    """Remove the store's work folders of jobs that are not queued or running (finished, or deleted);
    returns how many. A queued job's folder stays: its next attempt clears it when it starts."""
    from sqlalchemy import select

    from yizhi import storage
    from yizhi.jobs.models import Job, JobState

    removed = 0
    for job_id, url in _job_folders():
        # The state is read just before each removal, so a job retried by hand meanwhile keeps its folder.
        state = session.scalar(select(Job.state).where(Job.id == job_id))
        if state in (JobState.queued, JobState.running):
            continue
        try:
            storage.remove_tree(url)
        except FileNotFoundError:  # another worker's sweep was first
            continue
        removed += 1
    return removed


def sweep() -> tuple[int, int]:
    """Both clean-ups, as a worker runs them: (this host's temporary folders, the store's job folders)."""
    from yizhi.db import session_scope

    local = clean_stale()
    with session_scope() as session:
        store = clean_finished_jobs_work(session)
    if local or store:
        log.info("removed %d temporary folder(s) of stopped workers and %d work folder(s) of finished jobs",
                 local, store)
    return local, store
