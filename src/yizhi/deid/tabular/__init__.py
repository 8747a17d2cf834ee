"""Tabular anonymization: full-domain generalization + record suppression, globally optimal search.

Public entry points: :func:`anonymize_file` (CLI), :func:`anonymize_table` (in-memory pyarrow
table), :func:`load_config` / :func:`parse_config`. Pure algorithms: no web or database imports.
"""

from yizhi.deid.tabular.anonymizer import Anonymization, anonymize_file, anonymize_table, build_problem
from yizhi.deid.tabular.config import AnonymizeConfig, load_config, parse_config
from yizhi.deid.tabular.errors import AnonymizationError, ConfigError, DataError, InfeasibleError

__all__ = [
    "Anonymization",
    "AnonymizationError",
    "AnonymizeConfig",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "anonymize_file",
    "anonymize_table",
    "build_problem",
    "load_config",
    "parse_config",
]
