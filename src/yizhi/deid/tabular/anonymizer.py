"""Anonymize a table: config + table in, released table + report out.

``anonymize_table`` works on an in-memory pyarrow table (what a job or a web request holds);
``anonymize_file`` adds reading, writing (atomic) and the JSON report for the CLI.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from yizhi.deid.tabular.config import AnonymizeConfig, load_config
from yizhi.deid.tabular.engine import Problem, combine_keys
from yizhi.deid.tabular.errors import ConfigError, DataError, InfeasibleError
from yizhi.deid.tabular.hierarchies import SUPPRESSED, Hierarchy, build_hierarchy
from yizhi.deid.tabular.privacy import SensitiveColumn
from yizhi.deid.tabular.risk import risk_profile
from yizhi.deid.tabular.search import FlashSearch, SearchResult
from yizhi.deid.tabular.tableio import TableSource, column_as_text, read_table, write_table, write_text_atomically

Progress = Callable[[int, int], None]


@dataclass
class Anonymization:
    table: pa.Table
    report: dict
    search: SearchResult


@dataclass
class _Encoded:
    """A text column as distinct values plus one index per record."""

    values: np.ndarray  # object array of str
    index: np.ndarray  # int64 per record
    first_row: Callable[[int], int]


def _encode(table: pa.Table, name: str) -> _Encoded:
    encoded = column_as_text(table, name).combine_chunks().dictionary_encode()
    values = np.array(encoded.dictionary.to_pylist(), dtype=object)
    index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)

    def first_row(value: int) -> int:
        return int(np.argmax(index == value))

    return _Encoded(values, index, first_row)


def _check_columns(config: AnonymizeConfig, table: pa.Table, source_name: str) -> None:
    present = set(table.column_names)
    for role, names in (
        ("quasi_identifiers", list(config.quasi_identifiers)),
        ("identifiers", config.identifiers),
        ("sensitive", list(config.sensitive)),
    ):
        for name in names:
            if name not in present:
                raise ConfigError(
                    f"{role}: column '{name}' is not in {source_name} "
                    f"(its columns are: {', '.join(table.column_names)})"
                )


def _sensitive_column(config: AnonymizeConfig, requirement, encoded: _Encoded, records: int) -> SensitiveColumn:
    counts = np.bincount(encoded.index, minlength=len(encoded.values))
    share = counts / records
    spec = config.sensitive[requirement.attribute]
    present = counts > 0
    if requirement.l is not None and not requirement.entropy and present.sum() < requirement.l:
        raise InfeasibleError(
            f"sensitive.{requirement.attribute}: l={requirement.l} needs at least {requirement.l} different values, "
            f"but the column has {int(present.sum())}"
        )
    if requirement.l is not None and requirement.entropy:
        entropy = float(-(share[present] * np.log(share[present])).sum())
        if entropy < math.log(requirement.l) - 1e-12:
            raise InfeasibleError(
                f"sensitive.{requirement.attribute}: entropy l-diversity with l={requirement.l} is impossible: even "
                f"the whole table only reaches l={math.exp(entropy):.2f}"
            )
    return SensitiveColumn(requirement, encoded.values, share, _ranks(requirement.attribute, encoded.values, spec.order))


def _ranks(attribute: str, values: np.ndarray, order: list[str] | None) -> np.ndarray:
    texts = [str(value) for value in values.tolist()]
    if order is not None:
        position = {value: rank for rank, value in enumerate(order)}
        missing = [text for text in texts if text not in position]
        if missing:
            raise ConfigError(f"sensitive.{attribute}.order: value '{missing[0]}' of the column is not in the order list")
        keys = [position[text] for text in texts]
    else:
        try:
            keys = [float(text) for text in texts]
        except ValueError:
            keys = texts
    sorted_positions = sorted(range(len(texts)), key=lambda i: keys[i])
    ranks = np.empty(len(texts), dtype=np.int64)
    ranks[sorted_positions] = np.arange(len(texts))
    return ranks


def build_problem(config: AnonymizeConfig, table: pa.Table, source: TableSource | None = None) -> Problem:
    source_name = str(source.path) if source else "the input"
    _check_columns(config, table, source_name)
    records = table.num_rows
    if records == 0:
        raise DataError(f"{source_name} has no records")
    if config.k > records:
        raise InfeasibleError(f"k={config.k} is impossible: {source_name} has only {records} records")
    hierarchies, value_index = [], []
    for attribute in config.quasi_identifiers:
        encoded = _encode(table, attribute)

        def locate(value: int, encoded=encoded) -> str:
            row = encoded.first_row(value)
            return f"{source.where(row)} of {source_name}" if source else f"row {row + 1}"

        hierarchies.append(build_hierarchy(attribute, config.spec(attribute), encoded.values, config.base_dir, locate))
        value_index.append(encoded.index)
    sensitive, sensitive_codes = [], []
    for requirement in config.requirements():
        encoded = _encode(table, requirement.attribute)
        sensitive.append(_sensitive_column(config, requirement, encoded, records))
        sensitive_codes.append(encoded.index)
    max_outliers = int(math.floor(config.max_suppression * records + 1e-9))
    return Problem(hierarchies, value_index, sensitive, sensitive_codes, config.k, max_outliers)


def _row_passing(problem: Problem, result) -> tuple[list[np.ndarray], np.ndarray]:
    """Per record: its generalized code per QI, and whether its class is released (not suppressed)."""
    row_codes = [
        h.value_codes[level][index]
        for h, level, index in zip(problem.hierarchies, result.levels, problem.value_index, strict=True)
    ]
    cards = [h.cardinality(level) for h, level in zip(problem.hierarchies, result.levels, strict=True)]
    n_classes = len(result.node.class_sizes)
    # One call over classes and records together, so both get keys from the same numbering.
    keys, _ = combine_keys(
        [np.concatenate([result.node.class_qi[:, dim], codes]) for dim, codes in enumerate(row_codes)], cards
    )
    class_keys, row_keys = keys[:n_classes], keys[n_classes:]
    order = np.argsort(class_keys)
    position = order[np.searchsorted(class_keys[order], row_keys)]
    return row_codes, result.node.passing[position]


def _labels(hierarchy: Hierarchy, level: int, codes: np.ndarray, released: np.ndarray) -> pa.Array:
    labels = hierarchy.labels[level][codes]
    labels = np.where(released, labels, SUPPRESSED)
    return pa.array(labels.tolist(), type=pa.string())


def _class_sizes_of(columns: list[np.ndarray], cards: list[int]) -> np.ndarray:
    key, _ = combine_keys(columns, cards)
    _, counts = np.unique(key, return_counts=True)
    return counts


def anonymize_table(
    config: AnonymizeConfig,
    table: pa.Table,
    source: TableSource | None = None,
    progress: Progress | None = None,
) -> Anonymization:
    started = time.perf_counter()
    problem = build_problem(config, table, source)
    search = FlashSearch(problem, config.metric, progress).run()
    row_codes, released = _row_passing(problem, search)

    output = table.drop_columns(config.identifiers) if config.identifiers else table
    for hierarchy, level, codes in zip(problem.hierarchies, search.levels, row_codes, strict=True):
        position = output.column_names.index(hierarchy.attribute)
        output = output.set_column(position, hierarchy.attribute, _labels(hierarchy, level, codes, released))

    before = _class_sizes_of(
        [h.value_codes[0][index] for h, index in zip(problem.hierarchies, problem.value_index, strict=True)],
        [h.cardinality(0) for h in problem.hierarchies],
    )
    after = _class_sizes_of(
        [codes[released] for codes in row_codes],
        [h.cardinality(level) for h, level in zip(problem.hierarchies, search.levels, strict=True)],
    )
    metrics = search.metrics
    report = {
        "levels": {h.attribute: int(level) for h, level in zip(problem.hierarchies, search.levels, strict=True)},
        "suppressed": int(metrics.suppressed),
        "classes": int(metrics.classes),
        "min_class_size": int(metrics.min_class_size),
        "metrics": {
            "loss": round(metrics.loss, 6),
            "discernibility": int(metrics.discernibility),
            "ncp": round(metrics.ncp, 6),
            "aecs": round(metrics.aecs, 4),
        },
        "risk": {
            "before": _rounded(risk_profile(before, config.population_size)),
            "after": _rounded(risk_profile(after, config.population_size, suppressed=int(metrics.suppressed))),
        },
        "nodes_checked": int(search.nodes_checked),
        "nodes_total": int(search.nodes_total),
        "records": int(problem.n_records),
        "metric": config.metric,
        "search_seconds": round(search.seconds, 4),
        "seconds": round(time.perf_counter() - started, 4),
    }
    return Anonymization(output, report, search)


def _rounded(profile: dict) -> dict:
    return {name: (round(value, 6) if isinstance(value, float) else value) for name, value in profile.items()}


def anonymize_file(
    input_path: Path,
    output_path: Path,
    config_path: Path,
    report_path: Path | None = None,
    progress: Progress | None = None,
) -> dict:
    """Read, anonymize, write the output (and the report) atomically; returns the report."""
    started = time.perf_counter()
    config = load_config(config_path)
    if input_path.resolve() == output_path.resolve():
        raise ConfigError(f"OUTPUT must differ from INPUT ({input_path}): the input is never overwritten")
    table, source = read_table(input_path, config.separator)
    result = anonymize_table(config, table, source, progress)
    write_table(result.table, output_path, source.separator)
    result.report["seconds"] = round(time.perf_counter() - started, 4)
    if report_path is not None:
        write_text_atomically(report_path, json.dumps(result.report, indent=2, ensure_ascii=False) + "\n")
    return result.report
