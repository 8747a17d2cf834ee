"""Several server processes, each with a listening socket of its own (``SO_REUSEPORT``).

uvicorn's ``workers=N`` binds one socket in the supervisor and every process accepts from it.
Whichever event loop wakes first accepts every connection waiting, so keep-alive clients end up
unevenly spread: under 64 clients the two processes held 52 and 12 connections (bench/load.py,
"connections per process"), and the busier one set the latency tail for everyone, /healthz
included. With a socket per process in one ``SO_REUSEPORT`` group the kernel spreads new
connections over the processes by a hash of their addresses.

uvicorn's supervisor (restarts, signals, health checks) is kept: it hands each process it starts
an :class:`OwnSocket`, which becomes a fresh socket when the process unpickles it. The supervisor
itself only binds (never listens), which reserves the port and fails at once when it is taken.
"""

from __future__ import annotations

import logging
import socket
import sys

log = logging.getLogger("uvicorn.error")


def supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def bind_reuseport(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _socket_in_process(host: str, port: int) -> socket.socket:
    from uvicorn.config import STARTUP_FAILURE

    try:
        return bind_reuseport(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of restarting us in a loop


class OwnSocket:
    """What the supervisor passes to each server process: unpickled there as its own new socket."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __reduce__(self):
        return _socket_in_process, (self.host, self.port)


def run_processes(app: str, processes: int, **options) -> None:
    """``uvicorn.run(app, factory=True, workers=processes, **options)``, one socket per process."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    config = Config(app, factory=True, workers=processes, **options)
    try:
        # First without SO_REUSEPORT: a port another server (another `yizhi serve` too) listens on
        # is refused, instead of being silently shared with it.
        bind_reuseport(config.host, config.port, reuse_port=False).close()
        reserved = bind_reuseport(config.host, config.port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    log.info("Uvicorn running on http://%s:%d with %d processes, one socket each (Press CTRL+C to quit)",
             config.host, config.port, processes)
    try:
        Multiprocess(config, sockets=[OwnSocket(config.host, config.port)]).run()
    finally:
        reserved.close()
