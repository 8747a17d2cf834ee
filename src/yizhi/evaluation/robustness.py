"""Defined perturbations of a table's feature matrix, each seeded, for the robustness section.

- ``noise``: Gaussian noise with a tenth of each column's standard deviation;
- ``missing``: 10% of the cells set to NaN (what the model does with a missing value is its own);
- ``unit_shift``: columns multiplied by the contract's unit factors (e.g. glucose mg/dL → mmol/L,
  1/18), or by 1.1 (a 10% calibration drift) where the contract names none;
- ``out_of_range``: 5% of the cases get one feature set beyond its plausible range (the contract's
  ``robustness.ranges``, else 10 × the column's largest absolute value).
"""

from __future__ import annotations

import numpy as np

from yizhi.errors import N_

PERTURBATIONS = ("noise", "missing", "unit_shift", "out_of_range")


def perturb(name: str, matrix: np.ndarray, seed: int, inputs: list[str], unit_factors: dict,
            ranges: dict) -> np.ndarray:
    rng = np.random.default_rng([seed, PERTURBATIONS.index(name)])
    out = matrix.astype(np.float64, copy=True)
    if name == "noise":
        scale = np.nanstd(out, axis=0) * 0.1
        out += rng.normal(size=out.shape) * np.nan_to_num(scale)
    elif name == "missing":
        out[rng.random(out.shape) < 0.10] = np.nan
    elif name == "unit_shift":
        factors = np.array([unit_factors.get(c, 1.1) for c in inputs])
        out *= factors
    elif name == "out_of_range":
        rows = np.flatnonzero(rng.random(len(out)) < 0.05)
        columns = rng.integers(0, out.shape[1], size=len(rows))
        # from the unperturbed columns: read from ``out`` inside the loop, each case set before raised
        # the next one's value tenfold (1e37 and inf on 10,000 cases)
        largest = np.nanmax(np.abs(matrix.astype(np.float64)), axis=0) if len(out) else np.zeros(out.shape[1])
        for row, col in zip(rows, columns, strict=True):
            name_ = inputs[col]
            out[row, col] = ranges[name_][1] * 2 if name_ in ranges else 10 * largest[col]
    else:
        raise ValueError(name)
    return out.astype(matrix.dtype)


def describe(name: str) -> str:
    return {
        "noise": N_("Gaussian noise, 0.1 × column SD"),
        "missing": N_("10% of cells missing (NaN)"),
        "unit_shift": N_("unit factors from the contract, else × 1.1"),
        "out_of_range": N_("5% of cases with one feature beyond its plausible range"),
    }[name]
