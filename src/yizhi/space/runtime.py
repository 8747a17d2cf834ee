"""The platform runtime a Tier B job runs on: this interpreter and an allow-listed set of packages.

Only the allow-listed distributions and what they depend on (read from their installed metadata)
are placed in the sandbox's ``site-packages``; the platform's own code and its other dependencies
(web framework, database drivers, keys) are not there to import. Nothing is installed at run time:
an operator adds a package by pinning it in ``pyproject.toml``, installing the platform again and
adding its distribution name to :data:`ALLOWED` (see docs/readme/space.md).
"""

from __future__ import annotations

import re
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

ALLOWED = ("numpy", "pandas", "pyarrow", "duckdb", "scikit-learn", "statsmodels", "lifelines", "scipy",
           "onnx", "skl2onnx", "onnxruntime", "matplotlib")
SANDBOX_PYTHON = "/runtime/python"
PY_VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
SANDBOX_SITE = f"{SANDBOX_PYTHON}/lib/{PY_VERSION}/site-packages"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Bind:
    source: Path
    target: str


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(dist: metadata.Distribution) -> list[str]:
    """Names of what ``dist`` needs on this interpreter (extras left out)."""
    from packaging.requirements import Requirement

    names = []
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        names.append(requirement.name)
    return names


@lru_cache(maxsize=1)
def package_closure() -> tuple[str, ...]:
    """The allow-listed distributions and everything they need, installed here (normalised names)."""
    seen: dict[str, metadata.Distribution] = {}
    pending = list(ALLOWED)
    while pending:
        name = _normal(pending.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency not installed is simply absent in the sandbox too
        seen[name] = dist
        pending.extend(_requirements(dist))
    return tuple(sorted(seen))


def missing_packages() -> list[str]:
    """Allow-listed distributions that are not installed (the sandbox self-check refuses then)."""
    missing = []
    for name in ALLOWED:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


@lru_cache(maxsize=1)
def package_binds() -> tuple[Bind, ...]:
    """Top-level files and folders of every distribution in the closure (modules, .libs, dist-info)."""
    entries: dict[str, Path] = {}
    for name in package_closure():
        dist = metadata.distribution(name)
        base = Path(dist.locate_file("")).resolve()
        for file in dist.files or []:
            parts = Path(file).parts
            if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(".pth"):
                continue
            source = base / parts[0]
            if source.exists():
                entries.setdefault(parts[0], source)
    return tuple(Bind(path, f"{SANDBOX_SITE}/{top}") for top, path in sorted(entries.items()))


@lru_cache(maxsize=1)
def interpreter_binds() -> tuple[Bind, ...]:
    """The interpreter binary, its standard library and its shared library, at /runtime/python."""
    base = Path(sys.base_prefix).resolve()
    binary = Path(sys.executable).resolve()
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix, "installed_base": sys.base_prefix})["stdlib"])
    binds = [Bind(binary, f"{SANDBOX_PYTHON}/bin/{PY_VERSION}"), Bind(stdlib.resolve(), f"{SANDBOX_PYTHON}/lib/{PY_VERSION}")]
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    for library in sorted(libdir.glob(f"libpython{sys.version_info.major}.{sys.version_info.minor}*.so*")):
        binds.append(Bind(library.resolve(), f"{SANDBOX_PYTHON}/lib/{library.name}"))
    return tuple(binds)


SYSTEM_LIBS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/aarch64-linux-gnu", "/usr/share/zoneinfo")
