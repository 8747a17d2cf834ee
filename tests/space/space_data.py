"""Tables shared by the Tier A tests: UCI Adult from ../shared/data, the Rossi recidivism data lifelines
ships, and generated tables. A module of its own with a unique name: test modules import it by name,
and a bare `conftest` would be whichever conftest.py of another test folder was imported first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

ADULT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "adult" / "adult.csv"


def adult_frame():
    import pandas as pd

    if not ADULT.exists():
        pytest.skip(f"the UCI Adult reference data is not at {ADULT} (../shared/data/adult/adult.csv)")
    frame = pd.read_csv(ADULT, sep=";")
    frame.columns = [c.replace("-", "_") for c in frame.columns]
    frame.insert(0, "patient", [f"A{i:06d}" for i in range(len(frame))])
    frame["age"] = frame["age"].astype("int64")
    frame["high_income"] = (frame["salary_class"] == ">50K").astype("int64")
    return frame


def rossi_frame():
    from lifelines.datasets import load_rossi

    frame = load_rossi()
    frame.insert(0, "patient", [f"R{i:04d}" for i in range(len(frame))])
    frame["group"] = np.where(frame["fin"] == 1, "aid", "no_aid")
    return frame


def synthetic_tables(seed: int = 7, patients: int = 400) -> dict[str, pa.Table]:
    """A small EMR: one row per patient in `patients`, several per patient in `labs`."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(patients)]
    sex = rng.choice(["F", "M"], size=patients)
    ward = rng.choice(["cardio", "endo", "neuro", "rare-ward"], size=patients, p=[0.45, 0.35, 0.18, 0.02])
    age = rng.integers(18, 90, size=patients)
    people = pa.table({"patient": ids, "sex": sex, "ward": ward, "age": age.astype("int64"),
                       "diabetic": rng.random(patients) < 0.3})
    rows = rng.integers(1, 6, size=patients)
    lab_patient = np.repeat(ids, rows)
    hba1c = np.round(rng.normal(6.5, 1.2, size=lab_patient.size), 2)
    hba1c[rng.random(lab_patient.size) < 0.05] = np.nan
    labs = pa.table({"patient": lab_patient, "test": rng.choice(["hba1c", "glucose"], size=lab_patient.size),
                     "value": pa.array(hba1c, from_pandas=True)})
    return {"patients": people, "labs": labs}
