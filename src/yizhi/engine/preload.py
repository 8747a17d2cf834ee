"""Imported once by the local engine's forkserver, before it forks any pool process.

Why: a pool process forked from the forkserver starts with whatever the forkserver had imported.
Measured on the DICOM folder (bench/cluster.py, shared machine under load): importing pydicom,
the DICOM de-identifier and the text de-identifier took 2.0 s *in each* new pool process, longer than the
whole job takes in one process (0.3 s) — the main reason 2 workers were slower than 1. Imported
here once, the pages are shared copy-on-write by every pool process.

The module of the function the first pool runs is preloaded too (``yizhi.engine.local``).
Only imports: nothing here may start threads or open model sessions (ONNX Runtime thread pools do
not survive a fork). Modules of other domains are optional (a build may leave one out).
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
