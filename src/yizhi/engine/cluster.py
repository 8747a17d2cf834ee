"""The Ray side of the engine: connecting, task options, and file-level work as Ray tasks.

Only this module and ``raydata`` import ``ray`` (an optional extra: ``pip install 'yizhi[cluster]'``).
Each task names what it needs (``YIZHI_RAY_CPUS_PER_TASK``, ``YIZHI_RAY_MEMORY_PER_TASK_MB``), so
Ray places it where that much is free; a task whose worker process or node dies is run again
(``YIZHI_RAY_MAX_RETRIES``), an error raised by our own code is not (the same input would fail again).
"""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from yizhi.config import get_settings
from yizhi.engine import messages
from yizhi.errors import ValidationFailed, YizhiError

IN_FLIGHT_PER_CPU = 2


def ray_module():
    try:
        import ray  # optional: only deployments with YIZHI_ENGINE=ray install it
    except ImportError:
        raise ValidationFailed(messages.RAY_MISSING) from None
    return ray


def connect():
    """The ``ray`` module, connected to ``YIZHI_RAY_ADDRESS`` (or the running local instance)."""
    ray = ray_module()
    if ray.is_initialized():
        return ray
    address = get_settings().ray_address or "auto"
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ValidationFailed(messages.RAY_UNREACHABLE, params={"address": address,
                                                                  "problem": str(exc).splitlines()[0][:200]}) from None
    return ray


def task_options(**resources: Any) -> dict:
    """Ray options of one engine task: its resource request and the retry rule."""
    settings = get_settings()
    options: dict[str, Any] = {"num_cpus": settings.ray_cpus_per_task, "max_retries": settings.ray_max_retries,
                               "retry_exceptions": False}
    if settings.ray_memory_per_task_mb > 0:
        options["memory"] = settings.ray_memory_per_task_mb * 1024 * 1024
    options.update({key: value for key, value in resources.items() if value is not None})
    return options


MARKER = "yizhi-error:"


class CarriedError(Exception):
    """Our error on its way out of a Ray task. Ray keeps an exception's text across processes but
    not its chain (``__cause__`` is not pickled), so the msgid and values travel in the text."""

    @classmethod
    def of(cls, exc: YizhiError) -> CarriedError:
        payload = {"class": type(exc).__name__, "template": exc.template, "params": exc.params, "field": exc.field}
        return cls(MARKER + json.dumps(payload, ensure_ascii=False, default=str))


def carrying(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` so that a YizhiError it raises leaves the task as a CarriedError."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except YizhiError as exc:
            raise CarriedError.of(exc) from None

    return run


def unwrap(exc: BaseException) -> BaseException:
    """Our own error back from inside Ray's wrappers (task error, Ray Data's user-code error), so
    the user reads our message in their language, not Ray's traceback."""
    text = str(exc)
    start = text.find(MARKER)
    if start == -1:
        return exc
    try:
        payload, _end = json.JSONDecoder().raw_decode(text[start + len(MARKER):])
    except json.JSONDecodeError:
        return exc
    import yizhi.errors as errors

    found = getattr(errors, payload.get("class", ""), None)
    kind = found if isinstance(found, type) and issubclass(found, YizhiError) else YizhiError
    return kind(payload["template"], params=payload.get("params") or {}, field=payload.get("field"))


@carrying
def _run_chunk(fn: Callable[[Any], Any], chunk: list) -> list:
    return [fn(item) for item in chunk]


def map_tasks(fn: Callable[[Any], Any], items: Iterable[Any], *, chunksize: int = 1,
              resources: dict | None = None) -> Iterator[Any]:
    """``fn`` over ``items`` as Ray tasks of ``chunksize`` items, results in input order; at most
    ``IN_FLIGHT_PER_CPU`` tasks per cluster CPU are submitted ahead of the oldest unfinished one, so
    a long input never becomes millions of pending tasks (back-pressure)."""
    ray = connect()
    remote = ray.remote(_run_chunk).options(**task_options(**(resources or {})))
    window = max(2, int(ray.cluster_resources().get("CPU", 1) * IN_FLIGHT_PER_CPU))
    iterator = iter(items)
    pending: deque = deque()

    def fill() -> None:
        while len(pending) < window:
            chunk = [item for _, item in zip(range(max(1, chunksize)), iterator)]
            if not chunk:
                return
            pending.append(remote.remote(fn, chunk))

    fill()
    try:
        while pending:
            ref = pending.popleft()
            try:
                results = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - Ray wraps the task's exception
                raise unwrap(exc) from None
            fill()
            yield from results
    finally:
        for ref in pending:
            ray.cancel(ref)
