"""Errors the tabular anonymizer raises for bad input.

Every message says *what* is wrong and *where* (file, line, column, value, target) so the
CLI can print it as is; nothing here carries a stack trace to the user.
"""

from __future__ import annotations


class AnonymizationError(Exception):
    """Base class: a problem the user can fix (bad config, bad data, impossible target)."""


class ConfigError(AnonymizationError):
    """The YAML configuration is invalid (unknown key, wrong type, missing column...)."""


class DataError(AnonymizationError):
    """The input table or a hierarchy file cannot be used as given."""


class InfeasibleError(AnonymizationError):
    """No transformation in the lattice meets the privacy target within the suppression limit."""
