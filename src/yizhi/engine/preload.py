"""Imported once by the local engine's forkserver, before it forks any pool process.

Why: a pool process forked from the forkserver starts with whatever the forkserver had imported.
Measured on the DICOM folder (bench/cluster.py, shared machine under load): importing pydicom,
the DICOM de-identifier and the text de-identifier took 2.0 s *in each* new pool process, longer than the
whole job takes in one process (0.3 s) — the main reason 2 workers were slower than 1. Imported
here once, the pages are shared copy-on-write by every pool process.

The module of the function the first pool runs is preloaded too (``yizhi.engine.local``).
Besides imports, only plain data is built here: the text de-identifier's word lists and automata
(name, place and common-word lists, wordfreq ranks, gazetteers), which each pool process otherwise
built itself on its first record — about 1 CPU-second per process, paid again by every pool a job
starts (measured: CPU of ``deid_text`` on one record in a fresh process, docs/scaling.md). Nothing
here may start threads or open model sessions (ONNX Runtime thread pools do not survive a fork: the
Chinese tagger stays lazy, per process). Modules of other domains are optional (a build may leave
one out).
"""

from __future__ import annotations

import importlib
import os
from multiprocessing import process, spawn

MAIN_PATH_VARIABLE = "YIZHI_ENGINE_MAIN"


def _import_main() -> None:
    """Import the parent's main script here, once, as the forkserver means to: CPython 3.11's
    forkserver asks for the key ``main_path`` where the preparation data says ``init_main_from_path``,
    so its ``__main__`` preload never happens and every pool process ran the main script again (for
    the ``yizhi`` command: the whole CLI with every domain, 5.8 s on the loaded shared machine). Pool processes whose
    ``__main__`` already has that file skip the import (``spawn._fixup_main_from_path``)."""
    main_path = os.environ.get(MAIN_PATH_VARIABLE)
    if not main_path:
        return
    process.current_process()._inheriting = True
    try:
        spawn.import_main_path(main_path)
    except Exception:  # noqa: BLE001 - then each pool process imports it, as before
        pass
    finally:
        del process.current_process()._inheriting


_import_main()

MODULES = (
    "numpy",
    "pyarrow",
    "pyarrow.parquet",
    "orjson",
    "pydicom",
    "yizhi.deid.text",  # the DICOM de-identifier cleans descriptions with it; the notes jobs run it
)

for _name in MODULES:
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001 - a missing optional module only costs the import in each worker
        pass


# The zero-argument, once-per-process loaders (``@lru_cache(maxsize=1)``) of these modules build word
# lists and automata only; the tagger module is left out on purpose (its loader opens an ONNX session).
WARMED = (
    "yizhi.deid.text.normalize",
    "yizhi.deid.text.recognizers.english",
    "yizhi.deid.text.recognizers.english_tagger",
    "yizhi.deid.text.recognizers.chinese",
)


def warm_lexicons() -> int:
    """Build the word lists now (in the forkserver, once); returns how many loaders ran."""
    import inspect

    ran = 0
    for name in WARMED:
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a build without the text de-identifier
            continue
        for value in list(vars(module).values()):
            info = getattr(value, "cache_info", None)
            if info is None or getattr(value, "__module__", None) != name or info().maxsize != 1:
                continue
            if inspect.signature(value).parameters:
                continue
            try:
                value()
                ran += 1
            except Exception:  # noqa: BLE001 - then the pool process builds it, as before
                pass
    return ran


warm_lexicons()
