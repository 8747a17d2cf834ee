"""Processes that die with their parent: a killed server or job worker must not leave orphaned
pool processes holding memory."""

from __future__ import annotations

import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies. Linux counts the parent *thread*: a
    forkserver started from a thread that ends is killed and simply started again by the next pool.
    Elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        return
