"""Score one model on one hidden table: read the columns, run the model (and its perturbations) in
the sandbox, run it again in a fresh process for the bit-identical check, build the report.

No database here: the job in ``tasks.py`` passes paths, bytes and the contract.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from yizhi.errors import N_, ValidationFailed
from yizhi.evaluation.contract import TaskContract
from yizhi.evaluation.report import ScoringInput, build_report
from yizhi.evaluation.robustness import PERTURBATIONS, image_perturbation_names, perturb, perturb_image
from yizhi.evaluation.runner import Limits, run_model
from yizhi.evaluation.settings import get_evaluation_settings

NUMPY_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "int32": np.int32}


class ModelFailed(ValidationFailed):
    """The model ran but failed (memory, time, error); the submission fails with this message."""

    code = "model_failed"


def model_spec(contract: TaskContract) -> dict:
    spec = {"input_name": contract.input_name, "input_dtype": contract.input_dtype, "width": len(contract.inputs),
            "output_name": contract.output_name}
    if contract.is_dicom:     # an image model: every dimension but the batch is fixed by the contract
        spec["row_shape"] = list(contract.input_shape[1:])
    return spec


def _is_positive(values: list, positive) -> np.ndarray:
    return np.array([v == positive or str(v) == str(positive) for v in values], dtype=np.int8)


def load_hidden(path: Path, contract: TaskContract, root_hash: str = "") -> dict:
    """Feature matrix (or image tensor), reference, subgroup labels (and survival times) of the hidden
    table; for ``inputs: dicom`` the tensor comes from :mod:`.images` (prepared once, cached)."""
    if contract.is_dicom:
        return _load_hidden_images(path, contract, root_hash)
    table = pq.read_table(path, columns=contract.columns_needed())
    reference_column = contract.event_column if contract.task == "survival_risk" else contract.reference
    reference_raw = table.column(reference_column).to_pylist()
    keep = np.array([v is not None for v in reference_raw])
    features = np.column_stack([np.asarray(table.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
                                for c in contract.inputs])[keep]
    reference_kept = [v for v, k in zip(reference_raw, keep, strict=True) if k]
    reference, groups, time = _targets(table, contract, reference_kept, keep)
    dtype = NUMPY_DTYPES[contract.input_dtype]
    matrix = np.nan_to_num(features, nan=0).astype(dtype) if dtype in (np.int64, np.int32) else features.astype(dtype)
    return {"X": matrix, "reference": reference, "groups": groups, "time": time, "excluded": int((~keep).sum()),
            "rows": np.flatnonzero(keep)}


def _load_hidden_images(path: Path, contract: TaskContract, root_hash: str) -> dict:
    from yizhi.evaluation.images import prepared

    images = prepared(contract, path.parent.parent, root_hash)   # tables/<name>.parquet → the version dir
    table = pq.read_table(path, columns=contract.columns_needed())
    reference_raw = table.column(contract.reference).to_pylist()
    keep = np.array([v is not None for v in reference_raw])
    if not np.array_equal(np.flatnonzero(keep), images["rows"]):
        raise ValidationFailed(N_("the prepared images do not match table %(table)s; prepare them again"),
                               params={"table": contract.table}, field="image")
    reference_kept = [v for v, k in zip(reference_raw, keep, strict=True) if k]
    reference, groups, _ = _targets(table, contract, reference_kept, keep)
    return {"X": images["X"], "reference": reference, "groups": groups, "time": None,
            "excluded": int((~keep).sum()), "rows": images["rows"], "images": images["aggregates"]}


def _targets(table, contract: TaskContract, reference_kept: list, keep: np.ndarray) -> tuple:
    """Reference as scored (0/1, class index or value), subgroup labels, survival times."""
    if contract.task == "binary_classification":
        reference = _is_positive(reference_kept, contract.positive_class)
    elif contract.task == "multiclass_classification":
        lookup = {str(c): i for i, c in enumerate(contract.classes)}
        unknown = sorted({str(v) for v in reference_kept} - set(lookup))
        if unknown:
            raise ValidationFailed(N_("reference values %(values)s are not among the contract's classes"),
                                   params={"values": ", ".join(unknown[:5])}, field="classes")
        reference = np.array([lookup[str(v)] for v in reference_kept])
    else:
        reference = np.asarray(reference_kept, dtype=np.float64)
    groups = {c: np.array(["(missing)" if v is None else str(v) for v in table.column(c).to_pylist()])[keep]
              for c in contract.subgroups}
    time = np.asarray(table.column(contract.time_column).to_numpy(zero_copy_only=False), dtype=np.float64)[keep] \
        if contract.task == "survival_risk" else None
    return reference, groups, time


def extract_scores(output: np.ndarray, contract: TaskContract, rows: int) -> np.ndarray:
    """The score (or class probabilities) per case from the model's raw output."""
    output = np.asarray(output, dtype=np.float64)
    if output.shape[0] != rows:
        raise ModelFailed(N_("the model returned %(got)s rows for %(rows)s cases"), params={"got": output.shape[0],
                                                                                          "rows": rows})
    if contract.task == "multiclass_classification":
        if output.ndim != 2 or output.shape[1] != len(contract.classes):
            raise ModelFailed(N_("output %(name)s must have one column per class"), params={"name": contract.output_name})
        return output
    if contract.output_index is not None:
        if output.ndim != 2 or output.shape[1] <= contract.output_index:
            raise ModelFailed(N_("output %(name)s has no column %(index)s"),
                              params={"name": contract.output_name, "index": contract.output_index})
        return output[:, contract.output_index]
    return output.reshape(rows, -1)[:, 0]


def perturbed_inputs(matrix: np.ndarray, contract: TaskContract, seed: int):
    """``(name, array)`` pairs for the sandbox: the inputs, then each perturbation. A generator, so an
    image benchmark's twelve perturbed tensors are made and written one at a time, not held together."""
    yield "main", matrix
    if contract.is_dicom:
        for key in image_perturbation_names():
            yield key, perturb_image(key, matrix, seed)
        return
    for name in PERTURBATIONS:
        yield name, perturb(name, matrix, seed, contract.inputs, contract.unit_factors, contract.ranges)


def outputs_digest(outputs: dict[str, np.ndarray]) -> str:
    hasher = hashlib.sha256()
    for name in sorted(outputs):
        hasher.update(name.encode() + b"\0" + np.ascontiguousarray(outputs[name]).tobytes())
    return hasher.hexdigest()


def score(model_bytes: bytes, contract: TaskContract, table_path: Path, dataset: dict, hashes: dict, seed: int,
          progress: Callable[[float, str], None] = lambda f, n: None, workers: int | None = 1) -> dict:
    """The report (aggregates only)."""
    return score_with_cases(model_bytes, contract, table_path, dataset, hashes, seed, progress, workers)[0]


def score_with_cases(model_bytes: bytes, contract: TaskContract, table_path: Path, dataset: dict, hashes: dict,
                     seed: int, progress: Callable[[float, str], None] = lambda f, n: None,
                     workers: int | None = 1) -> tuple[dict, dict]:
    """The report and the per-case outputs ``{"rows": row numbers in the table, "scores": ...}``;
    the caller keeps the latter inside the platform (:mod:`.cases`), never in the report."""
    hidden = load_hidden(table_path, contract, dataset.get("root_hash", ""))
    progress(0.1, "hidden table read")
    inputs = perturbed_inputs(hidden["X"], contract, seed)
    settings = get_evaluation_settings()
    limits = Limits.from_settings(latency_cases=settings.latency_cases)
    first = run_model(model_bytes, inputs, model_spec(contract), limits)
    if not first.ok:
        raise ModelFailed(first.template, params=first.params, code=first.code)
    progress(0.4, "model run; checking a re-run in a fresh process")
    again = run_model(model_bytes, {"main": hidden["X"]}, model_spec(contract), Limits.from_settings())
    identical = again.ok and outputs_digest({"main": again.outputs["main"]}) == \
        outputs_digest({"main": first.outputs["main"]})
    rows = len(hidden["X"])
    scores = {name: extract_scores(out, contract, rows) for name, out in first.outputs.items()}
    progress(0.55, "computing metrics and confidence intervals")
    stats = {**first.stats, "model_bytes": len(model_bytes), "rerun_identical": bool(identical)}
    report = build_report(ScoringInput(
        contract=contract, reference=hidden["reference"], scores=scores["main"], groups=hidden["groups"],
        perturbed={k: v for k, v in scores.items() if k != "main"},
        dataset={**dataset, "excluded": hidden["excluded"], "images": hidden.get("images")}, hashes=hashes, stats=stats, seed=seed,
        min_cell=settings.min_cell, time=hidden["time"], workers=workers))
    progress(0.95, "report built")
    return report, {"rows": hidden["rows"], "scores": scores["main"]}
