"""Discovery of the domain packages' plug-in modules.

A domain plugs into the platform by *having* a module, never by editing a central list:
``models`` (tables), ``api`` and ``views`` (routers), ``tasks`` (job handlers), ``demo`` (seed data).
A module that exists but fails to import is an error, not a silent skip.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

DOMAINS = (
    "web",
    "accounts",
    "jobs",
    "notify",
    "ledger",
    "deid",
    "needs",
    "ingest",
    "catalog",
    "access",
    "space",
    "evaluation",
    "market",
    "annotation",
)


def domain_modules(name: str) -> list[ModuleType]:
    """Import ``yizhi.<domain>.<name>`` for every domain that has one, in DOMAINS order."""
    found = []
    for domain in DOMAINS:
        dotted = f"yizhi.{domain}.{name}"
        if importlib.util.find_spec(f"yizhi.{domain}") is None:
            continue
        if importlib.util.find_spec(dotted) is None:
            continue
        found.append(importlib.import_module(dotted))
    return found


def import_domain_models() -> None:
    domain_modules("models")
