"""Predictions files: a participant's scores for a phase whose inputs are released.

A file is CSV (UTF-8, a header) or Parquet with the column ``case`` (the released key) and the
task's score columns: ``score`` (the positive class's probability) for binary classification,
``score_<class>`` per class for multiclass, ``value`` for regression, ``risk`` for survival risk.
Every case of the release exactly once; scores finite, probabilities in [0, 1]. Every bad line is
reported with its number and reason (up to :data:`MAX_PROBLEMS`), as message ids the reader sees in
their language; in a Parquet file the header counts as line 1 too, so row *k* (from 1) is line *k* + 1.

Scoring reuses the model path's report (metrics, CIs, calibration, subgroups, verdict) on the same
hidden rows; robustness and efficiency are not applicable to a file of scores.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from yizhi.errors import N_, ValidationFailed, problem
from yizhi.evaluation.contract import TaskContract
from yizhi.evaluation.releases import KEY_COLUMN, case_keys
from yizhi.evaluation.report import NOT_APPLICABLE  # noqa: F401  (one msgid, re-exported)

EXTENSIONS = (".csv", ".parquet")
MAX_PROBLEMS = 1000
MISSING_SHOWN = 5


def is_predictions_file(name: str | None) -> bool:
    return bool(name) and name.lower().endswith(EXTENSIONS)


def score_columns(contract: TaskContract) -> list[str]:
    if contract.task == "multiclass_classification":
        return [f"score_{c}" for c in contract.classes]
    return {"binary_classification": ["score"], "regression": ["value"], "survival_risk": ["risk"]}[contract.task]


def _bounded(contract: TaskContract) -> bool:
    """Probabilities must lie in [0, 1]; a regression value or a survival risk is any finite number."""
    return contract.task in ("binary_classification", "multiclass_classification")


class _Problems:
    """Collects per-line problems up to the cap, counting the rest."""

    def __init__(self):
        self.items: list[dict] = []
        self.more = 0

    def add(self, message: str, params: dict | None = None, *, line: int | None = None, field: str | None = None):
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(problem(message, params, line=line, field=field))
        else:
            self.more += 1

    def raise_if_any(self, filename: str) -> None:
        if not self.items:
            return
        items = list(self.items)
        if self.more:
            items.append(problem(N_("and %(count)s more problem(s) not listed"), {"count": self.more}))
        raise ValidationFailed(N_("%(file)s: %(count)s problem(s)"),
                               params={"file": filename, "count": len(self.items) + self.more},
                               problems=items, field="predictions", code="invalid_predictions")


def parse(data: bytes, filename: str, contract: TaskContract, expected: set[str]) -> tuple[list[str], np.ndarray]:
    """The keys in file order and the scores (n,) — or (n, classes) for multiclass — or every problem."""
    name = Path(filename or "predictions").name[:120]
    lowered = name.lower()
    if lowered.endswith(".csv"):
        rows = _csv_rows(data, name)
    elif lowered.endswith(".parquet"):
        rows = _parquet_rows(data, name)
    else:
        raise ValidationFailed(N_("a predictions file is .csv or .parquet, not %(file)s"), params={"file": name},
                               field="predictions", code="invalid_predictions")
    header, body = next(rows), rows
    wanted = [KEY_COLUMN, *score_columns(contract)]
    found = [str(h).strip() for h in header[1]]
    if sorted(found) != sorted(wanted):
        problems = _Problems()
        problems.add(N_("the header must name the columns %(expected)s (found %(found)s)"),
                     {"expected": ", ".join(wanted), "found": ", ".join(found) or "-"}, line=header[0])
        problems.raise_if_any(name)
    return _check_rows(body, found, wanted, contract, expected, name)


def _check_rows(body, found: list[str], wanted: list[str], contract: TaskContract, expected: set[str],
                name: str) -> tuple[list[str], np.ndarray]:
    position = {column: found.index(column) for column in wanted}
    score_names, bounded = wanted[1:], _bounded(contract)
    problems, first_line = _Problems(), {}
    keys, scores = [], []
    for line, cells in body:
        if len(cells) != len(found):
            problems.add(N_("expected %(want)s fields, found %(got)s"), {"want": len(found), "got": len(cells)},
                         line=line)
            continue
        key = "" if cells[position[KEY_COLUMN]] is None else str(cells[position[KEY_COLUMN]]).strip()
        ok = _check_key(key, line, expected, first_line, problems)
        values = [_number(cells[position[c]], c, line, bounded, problems) for c in score_names]
        if ok and None not in values:
            keys.append(key)
            scores.append(values)
    missing = sorted(expected - set(first_line))
    if missing:
        problems.add(N_("%(count)s released case(s) have no prediction, for example %(keys)s"),
                     {"count": len(missing), "keys": ", ".join(missing[:MISSING_SHOWN])}, field=KEY_COLUMN)
    problems.raise_if_any(name)
    matrix = np.asarray(scores, dtype=np.float64).reshape(len(scores), len(score_names))
    return keys, (matrix if contract.task == "multiclass_classification" else matrix[:, 0])


def _check_key(key: str, line: int, expected: set[str], first_line: dict, problems: _Problems) -> bool:
    if not key:
        problems.add(N_("the case key is empty"), line=line, field=KEY_COLUMN)
    elif key not in expected:
        problems.add(N_("case %(key)s is not a released case of this phase"), {"key": key[:40]}, line=line,
                     field=KEY_COLUMN)
    elif key in first_line:
        problems.add(N_("case %(key)s appears again (first on line %(first)s)"),
                     {"key": key, "first": first_line[key]}, line=line, field=KEY_COLUMN)
    else:
        first_line[key] = line
        return True
    return False


def _number(cell, column: str, line: int, bounded: bool, problems: _Problems) -> float | None:
    text = "" if cell is None else str(cell).strip()
    try:
        value = float(cell) if isinstance(cell, int | float) and not isinstance(cell, bool) else float(text)
    except ValueError:
        if text == "":
            problems.add(N_("%(column)s is empty"), {"column": column}, line=line, field=column)
        else:
            problems.add(N_("%(column)s is not a number: %(value)s"), {"column": column, "value": text[:40]},
                         line=line, field=column)
        return None
    if not math.isfinite(value):
        problems.add(N_("%(column)s is not a finite number: %(value)s"), {"column": column, "value": text[:40]},
                     line=line, field=column)
        return None
    if bounded and not 0.0 <= value <= 1.0:
        problems.add(N_("%(column)s must be a probability between 0 and 1, not %(value)s"),
                     {"column": column, "value": text[:40]}, line=line, field=column)
        return None
    return value


def _csv_rows(data: bytes, name: str):
    """(line number, cells) for the header, then for each non-blank line; undecodable lines are
    reported all at once before anything else (one encoding problem per line)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    problems = _Problems()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(N_("not UTF-8 text (byte %(byte)s at column %(column)s); save the file as UTF-8"),
                         {"byte": f"0x{raw[exc.start]:02x}", "column": exc.start + 1}, line=number)
    problems.raise_if_any(name)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        header = None
        problems.add(N_("the line cannot be read as CSV: %(reason)s"), {"reason": str(exc)[:120]}, line=1)
        problems.raise_if_any(name)
    if header is None:
        raise ValidationFailed(N_("%(file)s is empty"), params={"file": name}, field="predictions",
                               code="invalid_predictions")
    yield reader.line_num, header
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:   # e.g. an unclosed quote: report it and stop (the rest is one field)
            problems.add(N_("the line cannot be read as CSV: %(reason)s"), {"reason": str(exc)[:120]},
                         line=reader.line_num)
            problems.raise_if_any(name)
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def _parquet_rows(data: bytes, name: str):
    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several kinds for a damaged or foreign file
        raise ValidationFailed(N_("%(file)s is not a readable Parquet file: %(reason)s"),
                               params={"file": name, "reason": str(exc)[:200]}, field="predictions",
                               code="invalid_predictions") from None
    yield 1, table.column_names
    columns = [table.column(c).to_pylist() for c in table.column_names]
    for index, cells in enumerate(zip(*columns, strict=True)):
        yield index + 2, list(cells)


def align(keys: list[str], scores: np.ndarray, salt: str, table_rows: int, kept_rows: np.ndarray) -> np.ndarray:
    """The submitted scores in the order of the hidden rows the scoring keeps (row numbers)."""
    where = {key: i for i, key in enumerate(keys)}
    all_keys = case_keys(salt, table_rows)
    return scores[np.array([where[all_keys[row]] for row in kept_rows], dtype=np.int64)]


def score_predictions(keys: list[str], scores: np.ndarray, contract: TaskContract, table_path: Path, salt: str,
                      dataset: dict, hashes: dict, seed: int, workers: int | None = 1) -> tuple[dict, dict]:
    """The report and the per-case scores (as :func:`yizhi.evaluation.scoring.score_with_cases`) for a
    checked predictions file: the same hidden rows, metrics, CIs, calibration, subgroups and verdict."""
    from yizhi.evaluation.report import ScoringInput, build_report
    from yizhi.evaluation.scoring import load_hidden
    from yizhi.evaluation.settings import get_evaluation_settings

    hidden = load_hidden(table_path, contract)
    table_rows = pq.ParquetFile(table_path).metadata.num_rows
    aligned = align(keys, scores, salt, table_rows, hidden["rows"])
    report = build_report(ScoringInput(
        contract=contract, reference=hidden["reference"], scores=aligned, groups=hidden["groups"], perturbed={},
        dataset={**dataset, "excluded": hidden["excluded"]}, hashes=hashes, stats={}, seed=seed,
        min_cell=get_evaluation_settings().min_cell, time=hidden["time"], workers=workers,
        extras={"kind": "predictions"}))
    return report, {"rows": hidden["rows"], "scores": aligned}
