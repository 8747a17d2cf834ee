"""Generated hierarchies, and the metrics on tables small enough to compute by hand."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from yizhi.deid.tabular import ConfigError, DataError, anonymize_table, parse_config
from yizhi.deid.tabular.hierarchies import build_hierarchy

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def labels(hierarchy, level):
    return hierarchy.labels[level][hierarchy.value_codes[level]].tolist()


def test_intervals_on_integers_and_decimals():
    ints = build_hierarchy("age", {"intervals": [5, 10]}, np.array(["3", "7", "12", "-1"], dtype=object))
    assert labels(ints, 1) == ["0-4", "5-9", "10-14", "-5--1"]
    assert labels(ints, 2) == ["0-9", "0-9", "10-19", "-10--1"]
    assert labels(ints, 3) == ["*"] * 4
    decimals = build_hierarchy("bmi", {"intervals": [2.5]}, np.array(["18.4", "21.0"], dtype=object))
    assert labels(decimals, 1) == ["[17.5, 20)", "[20, 22.5)"]


def test_mask_keeps_length_and_handles_short_values():
    mask = build_hierarchy("zip", {"mask": 3}, np.array(["100081", "10"], dtype=object))
    assert [labels(mask, level) for level in range(5)] == [
        ["100081", "10"], ["10008*", "1*"], ["1000**", "**"], ["100***", "**"], ["*", "*"],
    ]


def test_dates_by_unit_and_bad_dates():
    dates = build_hierarchy(
        "admitted", {"dates": ["month", "quarter", "half", "year", "decade"]},
        np.array(["2024-08-15", "2019-02-01T10:30:00"], dtype=object),
    )
    assert [labels(dates, level)[0] for level in range(1, 7)] == ["2024-08", "2024-Q3", "2024-H2", "2024", "2020s", "*"]
    assert labels(dates, 2)[1] == "2019-Q1"
    with pytest.raises(DataError, match=r"value '15/08/2024' \(row 3\) is not an ISO date"):
        build_hierarchy("admitted", {"dates": ["year"]}, np.array(["2024-01-01", "15/08/2024"], dtype=object),
                        locate=lambda i: f"row {i + 2}")
    with pytest.raises(ConfigError, match="from fine to coarse"):
        build_hierarchy("admitted", {"dates": ["year", "month"]}, np.array(["2024-01-01"], dtype=object))


def test_shares_and_ncp_of_a_hierarchy_file(tmp_path):
    path = tmp_path / "ward.csv"
    path.write_text("A1;A;*\nA2;A;*\nA3;A;*\nB1;B;*\n", encoding="utf-8")
    ward = build_hierarchy("ward", {"hierarchy": str(path)}, np.array(["A1", "B1"], dtype=object))
    assert ward.domain_size == 4  # the file's rows, not only the values present
    level1 = dict(zip(ward.labels[1].tolist(), ward.shares[1].tolist()))
    assert level1 == {"A": 0.75, "B": 0.25}
    assert ward.ncp[0].tolist() == [0.0] * 4 and ward.ncp[2].tolist() == [1.0]


def small_table():
    return pa.table({"age": ["1", "2", "11", "12"], "sex": ["M", "M", "F", "F"], "note": ["a", "b", "c", "d"]})


def test_loss_discernibility_ncp_aecs_by_hand():
    config = parse_config({"quasi_identifiers": {"age": {"intervals": [10]}, "sex": {}}, "k": 2})
    report = anonymize_table(config, small_table()).report
    # age at level 1 ("0-9", "10-19"), sex kept: classes {0-9,M} and {10-19,F} of 2 records
    assert report["levels"] == {"age": 1, "sex": 0}
    # age: shares 2/4 each -> sum 2; min 4/4 = 1, max 4 -> (2-1)/(4-1) = 1/3; sex: 0
    assert report["metrics"]["loss"] == pytest.approx(math.sqrt(4 / 3) - 1, abs=1e-6)
    assert report["metrics"]["discernibility"] == 2 * 2 + 2 * 2
    # NCP: age intervals cover 1..2 and 11..12 of the range 1..12 -> 1/11 per record; sex 0
    assert report["metrics"]["ncp"] == pytest.approx((1 / 11) / 2, abs=1e-6)
    assert report["metrics"]["aecs"] == 2.0


def test_suppression_costs_by_hand():
    table = pa.table({"ward": ["A", "A", "A", "B"]})
    config = parse_config({"quasi_identifiers": {"ward": {}}, "k": 2, "max_suppression": 0.25, "metric": "dm"})
    result = anonymize_table(config, table)
    report = result.report
    # keeping ward and suppressing the lone B record (DM 9 + 4 = 13) beats '*' for all (DM 16)
    assert report["levels"] == {"ward": 0} and report["suppressed"] == 1
    assert report["metrics"]["discernibility"] == 3 * 3 + 1 * 4
    # Loss: shares 1/2 each at level 0 ... 3 kept records at level 0 -> 3 * 1/2, suppressed 1 -> 1
    # min = 4 / 2 = 2, max = 4: (1.5 + 1 - 2) / (4 - 2) = 0.25
    assert report["metrics"]["loss"] == pytest.approx(0.25)
    assert result.table.column("ward").to_pylist() == ["A", "A", "A", "*"]
    # before: B is unique; after: the suppressed record matches all 4, the A class has 3
    assert report["risk"]["before"]["sample_uniques"] == 0.25 and report["risk"]["before"]["prosecutor"] == 1.0
    assert report["risk"]["after"]["sample_uniques"] == 0.0
    assert report["risk"]["after"]["prosecutor"] == pytest.approx(1 / 3)
    assert report["risk"]["after"]["prosecutor_average"] == pytest.approx((3 * (1 / 3) + 1 / 4) / 4)
