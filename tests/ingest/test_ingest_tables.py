"""Tables: encodings and separators detected, Parquet types kept, the column map applied,
k-anonymity through yizhi.deid.tabular, and unmapped tables handled by their column names."""

from __future__ import annotations

import datetime as dt

import ingest_cohort as cohort
import pyarrow as pa
import pyarrow.parquet as pq

from yizhi.ingest import Source, build_version, load_profile
from yizhi.ingest.identity import Identity

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _build(tmp_path, name, data, profile=None):
    path = tmp_path / name
    if isinstance(data, pa.Table):
        pq.write_table(data, path)
    else:
        path.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    result = build_version([Source(name, path)], out, profile=load_profile(profile), key=cohort.KEY)
    stem = name.rsplit(".", 1)[0]
    return pq.read_table(out / "tables" / f"{stem}.parquet"), result


def test_gb18030_and_semicolons_are_detected(tmp_path):
    text = "病人编号;诊断;采样日期\nA1;2型糖尿病;2023年3月5日\nA2;高血压;2023年4月1日\n"
    table, result = _build(tmp_path, "dx.csv", text.encode("gb18030"),
                           "tables:\n  dx.csv:\n    patient_id: 病人编号\n    dates: [采样日期]\n")
    assert table.column_names == ["patient", "诊断", "采样日期"]
    assert table.column("诊断").to_pylist() == ["2型糖尿病", "高血压"]
    identity = Identity(cohort.KEY)
    shift = identity.shift_days(identity.pseudonym("A1"))
    moved = dt.date(2023, 3, 5) + dt.timedelta(days=shift)
    assert table.column("采样日期").to_pylist()[0] == f"{moved.year}年{moved.month}月{moved.day}日"


def test_parquet_types_survive_and_dates_move(tmp_path):
    source = pa.table({"pid": ["p1", "p2"], "taken": [dt.date(2020, 1, 1), dt.date(2020, 6, 1)],
                       "hba1c": [7.5, 6.0], "count": [3, 4]})
    table, result = _build(tmp_path, "labs.parquet", source,
                           "tables:\n  labs.parquet:\n    patient_id: pid\n    dates: [taken]\n")
    assert result.tables["labs"]["columns"] == {"patient": "string", "taken": "date32[day]", "hba1c": "double",
                                                "count": "int64"}
    identity = Identity(cohort.KEY)
    expected = [dt.date(2020, 1, 1) + dt.timedelta(days=identity.shift_days(identity.pseudonym("p1"))),
                dt.date(2020, 6, 1) + dt.timedelta(days=identity.shift_days(identity.pseudonym("p2")))]
    assert table.column("taken").to_pylist() == expected
    assert result.quality["tables"]["labs"]["columns"]["hba1c"]["range"] == [6.0, 7.5]


def test_csv_numbers_are_inferred_unless_a_later_block_disagrees(tmp_path):
    table, result = _build(tmp_path, "v.csv", b"patient_id,value\np1,1.5\np2,2\n")
    assert result.tables["v"]["columns"]["value"] == "double"


def test_k_anonymity_generalises_quasi_identifiers(tmp_path):
    rows = "".join(f"p{i},{30 + i % 7},{'F' if i % 2 else 'M'},{100000 + i}\n" for i in range(40))
    profile = """
tables:
  people.csv:
    patient_id: pid
    quasi_identifiers: {age: {intervals: [5, 10, 20]}, sex: {}}
    k: 5
"""
    table, result = _build(tmp_path, "people.csv", ("pid,age,sex,zip\n" + rows).encode(), profile)
    keys = list(zip(table.column("age").to_pylist(), table.column("sex").to_pylist()))
    released = [k for k in keys if "*" not in k[0]]
    assert all(released.count(k) >= 5 for k in released)
    assert any("[" in age or "-" in age for age, _ in keys)  # ages became intervals


def test_unmapped_table_is_mapped_by_column_names(tmp_path):
    text = ("patient_id,name,phone,visit_date,age,remark\n"
            "p1,Walter Henderson,(617) 555-0143,2023-03-05,95,Call Walter Henderson at (617) 555-0143\n")
    table, result = _build(tmp_path, "visits.csv", text.encode())
    assert table.column_names == ["patient", "visit_date", "age", "remark"]
    row = table.to_pylist()[0]
    assert row["age"] == "90" and row["visit_date"] != "2023-03-05"
    assert "Henderson" not in row["remark"] and "555-0143" not in row["remark"]


def test_a_guessed_map_does_not_trust_long_numbers(tmp_path):
    table, result = _build(tmp_path, "contacts.csv", b"patient_id,ref_no,visits\np1,13912345678,3\n")
    row = table.to_pylist()[0]
    assert row["visits"] == 3
    assert row["ref_no"] != "13912345678" and row["ref_no"] != 13912345678
