"""`yizhi anonymize` end to end: formats, config keys, report keys, and clear errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from yizhi.cli import app
from yizhi.deid.tabular import ConfigError, DataError, InfeasibleError, anonymize_file, load_config

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

REPORT_KEYS = {"levels", "suppressed", "classes", "min_class_size", "metrics", "risk", "nodes_checked", "seconds"}
PATIENTS = [
    # record_id, age, zip, admit_date, race, sex, diagnosis, cost
    ("r1", "34", "100081", "2024-01-15", "Han", "F", "flu", "120.5"),
    ("r2", "36", "100082", "2024-02-03", "Han", "M", "asthma", "80"),
    ("r3", "38", "100083", "2024-02-20", "Hui", "F", "flu", "95"),
    ("r4", "31", "100084", "2024-03-11", "Han", "M", "diabetes", "300"),
    ("r5", "52", "200011", "2024-05-02", "Zhuang", "F", "asthma", "60"),
    ("r6", "55", "200012", "2024-05-19", "Han", "M", "flu", "75"),
    ("r7", "57", "200013", "2024-06-30", "Hui", "F", "diabetes", "410"),
    ("r8", "59", "200014", "2024-06-01", "Han", "M", "flu", "55"),
]
HEADER = ["record_id", "age", "zip", "admit_date", "race", "sex", "diagnosis", "cost"]
RACE_HIERARCHY = "Han;Majority;*\nHui;Minority;*\nZhuang;Minority;*\n"


def write_csv(path: Path, separator: str = ",", rows=PATIENTS) -> Path:
    lines = [separator.join(HEADER)] + [separator.join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_config(folder: Path, extra: str = "", k: int = 2, sensitive: str = "{diagnosis: {l: 2}}") -> Path:
    (folder / "race.csv").write_text(RACE_HIERARCHY, encoding="utf-8")
    config = folder / "config.yaml"
    config.write_text(
        "quasi_identifiers:\n"
        "  age: {intervals: [5, 10, 20, 40]}\n"
        "  zip: {mask: 6}\n"
        "  admit_date: {dates: [month, quarter, year]}\n"
        "  race: {hierarchy: race.csv}\n"
        "  sex: {}\n"
        "identifiers: [record_id]\n"
        f"sensitive: {sensitive}\n"
        f"k: {k}\n"
        "max_suppression: 0.0\n"
        "metric: loss\n" + extra,
        encoding="utf-8",
    )
    return config


def run_cli(*args: str):
    return CliRunner().invoke(app, ["anonymize", *args])


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_csv_separator_detected_and_kept(tmp_path, separator):
    source = write_csv(tmp_path / "in.csv", separator)
    output, report = tmp_path / "out.csv", tmp_path / "report.json"
    result = run_cli(str(source), str(output), "--config", str(write_config(tmp_path)), "--report", str(report))
    assert result.exit_code == 0, result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(separator) == [c for c in HEADER if c != "record_id"]  # identifier removed
    assert len(lines) == len(PATIENTS) + 1
    data = json.loads(report.read_text(encoding="utf-8"))
    assert REPORT_KEYS <= set(data)
    assert set(data["metrics"]) == {"loss", "discernibility", "ncp", "aecs"}
    assert set(data["risk"]) == {"before", "after"}
    assert set(data["levels"]) == {"age", "zip", "admit_date", "race", "sex"}
    assert data["min_class_size"] >= 2
    # pass-through columns unchanged, row order kept
    costs = [line.split(separator)[-1] for line in lines[1:]]
    assert costs == [row[-1] for row in PATIENTS]


def test_generated_hierarchies_label_values(tmp_path):
    """Force each QI one level up and check the labels the generated hierarchies write."""
    source = write_csv(tmp_path / "in.csv")
    config = write_config(tmp_path, k=2, sensitive="{}")
    report = anonymize_file(source, tmp_path / "out.csv", config)
    out = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    header = out[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in out[1:]]
    levels = report["levels"]
    first = rows[0]
    expected_age = {0: "34", 1: "30-34", 2: "30-39", 3: "20-39", 4: "0-39", 5: "*"}[levels["age"]]
    expected_zip = ("100081"[: 6 - levels["zip"]] + "*" * levels["zip"]) if levels["zip"] <= 6 else "*"
    expected_date = {0: "2024-01-15", 1: "2024-01", 2: "2024-Q1", 3: "2024", 4: "*"}[levels["admit_date"]]
    expected_race = {0: "Han", 1: "Majority", 2: "*"}[levels["race"]]
    assert (first["age"], first["zip"], first["admit_date"], first["race"]) == (
        expected_age, expected_zip, expected_date, expected_race,
    )
    assert sum(levels.values()) > 0


def test_parquet_in_and_out_keeps_other_column_types(tmp_path):
    table = pa.table({
        "record_id": [row[0] for row in PATIENTS],
        "age": pa.array([int(row[1]) for row in PATIENTS], type=pa.int64()),
        "zip": [row[2] for row in PATIENTS],
        "admit_date": pa.array([date.fromisoformat(row[3]) for row in PATIENTS], type=pa.date32()),
        "race": [row[4] for row in PATIENTS],
        "sex": [row[5] for row in PATIENTS],
        "diagnosis": [row[6] for row in PATIENTS],
        "cost": pa.array([float(row[7]) for row in PATIENTS]),
    })
    pq.write_table(table, tmp_path / "in.parquet")
    report = anonymize_file(tmp_path / "in.parquet", tmp_path / "out.parquet", write_config(tmp_path))
    output = pq.read_table(tmp_path / "out.parquet")
    assert output.schema.field("cost").type == pa.float64()
    assert output.column("cost").to_pylist() == table.column("cost").to_pylist()
    assert "record_id" not in output.column_names
    assert report["classes"] >= 1 and report["min_class_size"] >= 2
    # a Parquet date column is generalized like ISO text; the QI column becomes text
    first_date = output.column("admit_date").to_pylist()[0]
    assert first_date == {0: "2024-01-15", 1: "2024-01", 2: "2024-Q1", 3: "2024", 4: "*"}[report["levels"]["admit_date"]]


def test_suppressed_records_have_every_qi_starred(tmp_path):
    # one outlier far from everyone else; 20% suppression lets the search drop it instead of generalizing
    rows = PATIENTS + [("r9", "90", "999999", "2020-12-31", "Hui", "F", "gout", "1")]
    source = write_csv(tmp_path / "in.csv", rows=rows)
    config = write_config(tmp_path, extra="", sensitive="{}")
    config.write_text(config.read_text().replace("max_suppression: 0.0", "max_suppression: 0.2"))
    report = anonymize_file(source, tmp_path / "out.csv", config)
    lines = (tmp_path / "out.csv").read_text().splitlines()
    outlier = dict(zip(lines[0].split(","), lines[-1].split(",")))
    assert report["suppressed"] >= 1
    assert [outlier[c] for c in ("age", "zip", "admit_date", "race", "sex")] == ["*"] * 5
    assert outlier["diagnosis"] == "gout" and outlier["cost"] == "1"


# -- errors ------------------------------------------------------------------------------------


def test_missing_column_is_named(tmp_path):
    config = write_config(tmp_path, extra="")
    config.write_text(config.read_text().replace("  sex: {}\n", "  gender: {}\n"))
    result = run_cli(str(write_csv(tmp_path / "in.csv")), str(tmp_path / "out.csv"), "--config", str(config))
    assert result.exit_code == 2
    assert "column 'gender'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_value_absent_from_hierarchy_names_value_line_and_file(tmp_path):
    rows = PATIENTS[:-1] + [("r8", "59", "200014", "2024-06-01", "Miao", "M", "flu", "55")]
    source = write_csv(tmp_path / "in.csv", rows=rows)
    with pytest.raises(DataError) as error:
        anonymize_file(source, tmp_path / "out.csv", write_config(tmp_path))
    message = str(error.value)
    assert "'Miao'" in message and "line 9" in message and "race.csv" in message and "'race'" in message


def test_impossible_l_names_the_target(tmp_path):
    config = write_config(tmp_path, sensitive="{diagnosis: {l: 5}}")
    result = run_cli(str(write_csv(tmp_path / "in.csv")), str(tmp_path / "out.csv"), "--config", str(config))
    assert result.exit_code == 2
    assert "sensitive.diagnosis: l=5" in result.stderr and "has 3" in result.stderr


def test_impossible_k_names_the_target(tmp_path):
    with pytest.raises(InfeasibleError, match="k=50 is impossible.*only 8 records"):
        anonymize_file(write_csv(tmp_path / "in.csv"), tmp_path / "out.csv", write_config(tmp_path, k=50))


def test_unknown_setting_points_at_yaml_line(tmp_path):
    config = write_config(tmp_path, extra="suppression_limit: 0.1\n")
    with pytest.raises(ConfigError, match=r"line 12: suppression_limit: unknown setting"):
        load_config(config)


def test_wrong_type_points_at_yaml_line(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("[5, 10, 20, 40]", "[5, ten]"))
    with pytest.raises(ConfigError, match=r"line 2: quasi_identifiers\.age\.intervals\.1"):
        load_config(config)


def test_non_nested_intervals_rejected(tmp_path):
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("[5, 10, 20, 40]", "[5, 7]"))
    with pytest.raises(ConfigError, match="width 7 is not a multiple of 5"):
        anonymize_file(write_csv(tmp_path / "in.csv"), tmp_path / "out.csv", config)


def test_non_numeric_value_in_interval_column(tmp_path):
    rows = PATIENTS[:2] + [("r3", "thirty", "100083", "2024-02-20", "Hui", "F", "flu", "95")] + PATIENTS[3:]
    with pytest.raises(DataError, match=r"column 'age': value 'thirty' \(line 4"):
        anonymize_file(write_csv(tmp_path / "in.csv", rows=rows), tmp_path / "out.csv", write_config(tmp_path))


def test_hierarchy_that_is_not_a_tree(tmp_path):
    config = write_config(tmp_path)
    (tmp_path / "race.csv").write_text("Han;Majority;A\nHui;Majority;B\nZhuang;Minority;B\n", encoding="utf-8")
    with pytest.raises(DataError, match="level 1 value 'Majority' generalizes to more than one"):
        anonymize_file(write_csv(tmp_path / "in.csv"), tmp_path / "out.csv", config)


def test_ragged_csv_line_is_reported(tmp_path):
    source = write_csv(tmp_path / "in.csv")
    source.write_text(source.read_text() + "r9,40,100085\n")
    result = run_cli(str(source), str(tmp_path / "out.csv"), "--config", str(write_config(tmp_path)))
    assert result.exit_code == 2
    assert "line 10: 3 fields but the header has 8" in result.stderr


def test_role_overlap_and_no_model(tmp_path):
    config = write_config(tmp_path, extra="")
    config.write_text(config.read_text().replace("identifiers: [record_id]", "identifiers: [record_id, sex]"))
    with pytest.raises(ConfigError, match="'sex' is listed under both quasi_identifiers and identifiers"):
        load_config(config)
    config = write_config(tmp_path, k=1, sensitive="{}")
    with pytest.raises(ConfigError, match="no privacy model"):
        load_config(config)


def test_output_may_not_overwrite_input(tmp_path):
    source = write_csv(tmp_path / "in.csv")
    before = source.read_bytes()
    result = run_cli(str(source), str(source), "--config", str(write_config(tmp_path)))
    assert result.exit_code == 2 and "never overwritten" in result.stderr
    assert source.read_bytes() == before


def test_lattice_too_large_is_refused_with_its_size():
    import pyarrow as pa

    from yizhi.deid.tabular import anonymize_table, parse_config

    names = [f"q{i}" for i in range(8)]
    table = pa.table({name: ["abcdefghij", "abcdefghik"] for name in names})
    config = parse_config({"quasi_identifiers": {name: {"mask": 10} for name in names}, "k": 2})
    with pytest.raises(ConfigError, match=r"429,981,696 nodes .*12 x 12"):
        anonymize_table(config, table)
