"""Job workers: `yizhi worker` (a process of its own) and the thread inside `yizhi serve`."""

from __future__ import annotations

import logging
import threading
import time

from yizhi.db import session_scope
from yizhi.jobs import service, workdirs

log = logging.getLogger("yizhi.jobs")
SCHEDULE_CHECK_SECONDS = 5.0


def run_forever(stop: threading.Event, *, poll_seconds: float = 1.0, worker_name: str | None = None) -> None:
    name = worker_name or service.default_worker_name()
    service.load_handlers()
    next_schedule = next_sweep = 0.0  # both at start, then every few seconds / minutes
    while not stop.is_set():
        try:
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + workdirs.SWEEP_SECONDS
                workdirs.sweep()
            if time.monotonic() >= next_schedule:
                # Every live worker looks for jobs whose worker died, not only a starting one.
                with session_scope() as session:
                    service.requeue_stale(session)
                with session_scope() as session:
                    service.enqueue_due_periodic(session)
                next_schedule = time.monotonic() + SCHEDULE_CHECK_SECONDS
            ran = service.work_once(name)
        except Exception:  # the loop must survive a database hiccup
            log.exception("worker loop error")
            ran = False
        if not ran:
            stop.wait(poll_seconds)


class EmbeddedWorker:
    """The embedded default: one worker thread inside the web server."""

    def __init__(self, poll_seconds: float = 1.0):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=run_forever, args=(self._stop,),
                                        kwargs={"poll_seconds": poll_seconds}, daemon=True,
                                        name="yizhi-embedded-worker")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
