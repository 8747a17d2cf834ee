"""Dummy data: schema-faithful, plausible, and never a real row or a rare real value."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from space_helpers import version_of

from space_data import adult_frame, synthetic_tables
from yizhi.space.dummy import dummy_tables, profile, write_dummy


def _real_rows(table: pa.Table) -> set:
    return set(zip(*[table.column(n).to_pylist() for n in table.schema.names], strict=True))


def _rare_values(table: pa.Table, column: str, threshold: int) -> set:
    counts = {}
    for value in table.column(column).to_pylist():
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return {v for v, n in counts.items() if n < threshold}


def _assert_safe(real: dict[str, pa.Table], dummy: dict[str, pa.Table], threshold: int = 10) -> None:
    assert set(dummy) == set(real)
    for name, table in real.items():
        fake = dummy[name]
        assert fake.schema.equals(table.schema), name
        assert not (_real_rows(fake) & _real_rows(table)), f"a real row of {name} is in the dummy data"
        for column in table.schema.names:
            leaked = set(v for v in fake.column(column).to_pylist() if v is not None) & _rare_values(
                table, column, threshold)
            assert not leaked, f"rare real values of {name}.{column} in the dummy data: {sorted(map(str, leaked))[:5]}"


def test_dummy_data_keeps_the_schema_and_leaks_no_row_or_rare_value(db, cast):
    real = synthetic_tables()
    version = version_of(db, "dummy-emr", real)
    dummy = dummy_tables(version, rows=600, seed=3)
    _assert_safe(real, dummy)
    patients = dummy["patients"]
    assert dummy["labs"].num_rows == 600 and 150 <= patients.num_rows <= 250  # the largest has `rows`, others alike
    # the rare ward (2 %: about 8 patients, below the threshold) never appears; common ones do
    wards = set(patients.column("ward").to_pylist())
    assert "rare-ward" not in wards and {"cardio", "endo"} <= wards
    assert len(set(patients.column("patient").to_pylist())) == patients.num_rows  # unique where the real one is
    # joins on patient work: every lab pseudonym is a patient pseudonym
    assert set(dummy["labs"].column("patient").to_pylist()) <= set(patients.column("patient").to_pylist())
    # plausible null share and range
    values = dummy["labs"].column("value")
    assert 0.0 <= values.null_count / len(values) <= 0.12
    numbers = np.array([v for v in values.to_pylist() if v is not None])
    assert numbers.min() >= 3.0 and numbers.max() <= 10.0


def test_dummy_data_on_real_census_rows(db, cast):
    frame = adult_frame().head(3000)
    real = {"people": pa.Table.from_pandas(frame, preserve_index=False)}
    version = version_of(db, "dummy-adult", real)
    dummy = dummy_tables(version, seed=1)
    _assert_safe(real, dummy)
    # without the made-up patient column every generated row could be real: check the others too
    columns = [c for c in real["people"].schema.names if c != "patient"]
    real_rest = set(zip(*[real["people"].column(c).to_pylist() for c in columns], strict=True))
    fake_rest = list(zip(*[dummy["people"].column(c).to_pylist() for c in columns], strict=True))
    assert fake_rest  # something was generated
    assert sum(r in real_rest for r in fake_rest) < len(fake_rest)  # most dummy rows are not real combinations


def test_profile_holds_only_coarse_statistics(db, cast):
    version = version_of(db, "dummy-profile", synthetic_tables())
    stats = profile(version)
    ward = stats["patients"]["columns"]["ward"]
    assert [v for v, _ in ward["values"]] == ["cardio", "endo", "neuro"]
    assert all(abs(share * 100 - round(share * 100)) < 1e-9 for _, share in ward["values"])
    age = stats["patients"]["columns"]["age"]
    real_age = synthetic_tables()["patients"].column("age").to_numpy()
    p5, p95 = np.quantile(real_age, [0.05, 0.95])
    assert age["kind_detail"] == "range"
    assert age["low"] == np.floor(p5) and age["high"] == np.ceil(p95)  # two significant digits, outwards
    assert age["low"] <= p5 and age["high"] >= p95 and age["high"] - age["low"] < real_age.max() - real_age.min()
    assert stats["labs"]["columns"]["value"]["null_share"] in (0.05, 0.1)


def test_write_dummy_writes_parquet_per_table(db, cast, tmp_path):
    version = version_of(db, "dummy-write", synthetic_tables())
    paths = write_dummy(version, tmp_path)
    assert sorted(p.name for p in paths) == ["labs.parquet", "patients.parquet"]
    assert pq.read_table(tmp_path / "patients.parquet").schema.names == ["patient", "sex", "ward", "age", "diabetic"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.one_of(st.integers(-5, 5), st.integers(-10**6, 10**6)), st.sampled_from(["x", "y", "q"]),
                               st.floats(-100, 100, allow_nan=False), st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1))),
                     min_size=1, max_size=80),
       seed=st.integers(0, 1000))
def test_no_real_row_or_rare_value_whatever_the_data(db, cast, rows, seed):
    table = pa.table({"code": [r[0] for r in rows], "kind": [r[1] for r in rows],
                      "amount": [r[2] for r in rows], "day": [r[3] for r in rows]})
    slug = f"dummy-h{seed}-{len(rows)}-{abs(hash(tuple(rows))) % 10**8}"
    version = version_of(db, slug, {"t": table})
    dummy = dummy_tables(version, rows=50, seed=seed)
    _assert_safe({"t": table}, dummy)
    db.rollback()


@pytest.mark.parametrize("arrow_type", [pa.int32(), pa.float32(), pa.timestamp("ms"), pa.large_string()])
def test_types_survive(db, cast, arrow_type):
    raw = {pa.int32(): list(range(40)), pa.float32(): [i / 3 for i in range(40)],
           pa.timestamp("ms"): [dt.datetime(2020, 1, 1) + dt.timedelta(days=i) for i in range(40)],
           pa.large_string(): [f"s{i % 3}" for i in range(40)]}[arrow_type]
    table = pa.table({"c": pa.array(raw, type=arrow_type)})
    version = version_of(db, f"dummy-type-{abs(hash(str(arrow_type))) % 1000}", {"t": table})
    dummy = dummy_tables(version, rows=30)
    assert dummy["t"].schema.field("c").type == arrow_type
    _assert_safe({"t": table}, dummy)
