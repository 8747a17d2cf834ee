"""Partitions: cut where records end, read back exactly, bad input named by file and byte."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from yizhi.engine import partitions as parts
from yizhi.engine.records import run_records
from yizhi.engine.testing import tag_records
from yizhi.errors import ValidationFailed

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _jsonl(path, count):
    path.write_text("".join(json.dumps({"id": i, "text": "x" * (i % 50)}) + "\n" for i in range(count)))
    return path


def test_jsonl_partitions_cover_every_record_once(tmp_path):
    source = _jsonl(tmp_path / "in.jsonl", 500)
    plan = parts.plan(str(source), 2048)
    assert len(plan) > 5
    assert plan[0].start == 0 and plan[-1].end == source.stat().st_size
    assert all(a.end == b.start for a, b in zip(plan, plan[1:]))
    ids = [record["id"] for partition in plan for record in parts.read_records(partition)]
    assert ids == list(range(500))


def test_csv_is_never_cut_inside_a_quoted_line_break(tmp_path):
    source = tmp_path / "notes.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "note"])
        for i in range(300):
            writer.writerow([i, f"line one of {i}\nline \"two\"\n" * (1 + i % 4)])
    plan = parts.plan(str(source), 1024)
    assert len(plan) > 5
    rows = [row for partition in plan for row in parts.read_records(partition)]
    with source.open(newline="", encoding="utf-8") as handle:
        assert rows == list(csv.DictReader(handle))


def test_parquet_partitions_are_row_groups(tmp_path):
    source = tmp_path / "notes.parquet"
    table = pa.table({"id": list(range(1000)), "text": [f"note {i}" for i in range(1000)]})
    pq.write_table(table, source, row_group_size=100)
    plan = parts.plan(str(source), 1024)
    assert len(plan) > 1
    assert [r["id"] for p in plan for r in parts.read_records(p)] == list(range(1000))


def test_bad_json_is_named_by_file_and_byte(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1}\n{"id": 2\n')
    (partition,) = parts.plan(str(source), 4096)
    with pytest.raises(ValidationFailed) as caught:
        parts.read_records(partition)
    assert "in.jsonl, byte 10: not valid JSON" in caught.value.message


def test_csv_row_with_extra_fields_is_refused(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n1,a\n2,b,c\n")
    (partition,) = parts.plan(str(source), 4096)
    with pytest.raises(ValidationFailed, match="do not match the header"):
        parts.read_records(partition)


def test_unknown_format_and_missing_file_are_refused(tmp_path):
    with pytest.raises(ValidationFailed, match="unsupported input type .xml"):
        parts.plan(str(tmp_path / "a.xml"), 4096)
    with pytest.raises(ValidationFailed, match="no such file"):
        parts.plan(str(tmp_path / "missing.jsonl"), 4096)


def test_a_run_writes_parts_and_the_manifest_last(tmp_path):
    source = _jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out"
    manifest = run_records(tag_records, str(source), str(out), params={"marker": "m"}, engine="local",
                           workers=2, partition_bytes=2048)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([entry["name"] for entry in manifest["parts"]] + [parts.MANIFEST])
    assert manifest["records"] == manifest["records_in"] == 300
    lines = [json.loads(line) for entry in manifest["parts"] for line in (out / entry["name"]).read_text().splitlines()]
    assert [line["id"] for line in lines] == list(range(300)) and {line["seen_by"] for line in lines} == {"m"}
    assert json.loads((out / parts.MANIFEST).read_text()) == manifest


def test_output_of_another_run_is_refused(tmp_path):
    source = _jsonl(tmp_path / "in.jsonl", 10)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "part-00000.jsonl").write_text("old\n")
    with pytest.raises(ValidationFailed, match="already holds files"):
        run_records(tag_records, str(source), str(tmp_path / "out"), engine="local", workers=1)


def test_a_part_is_replaced_whole_and_leaves_no_temporary_file(tmp_path):
    parts.commit_part(str(tmp_path), "part-00000.jsonl", b"first\n")
    parts.commit_part(str(tmp_path), "part-00000.jsonl", b"second\n")
    assert [p.name for p in tmp_path.iterdir()] == ["part-00000.jsonl"]
    assert (tmp_path / "part-00000.jsonl").read_bytes() == b"second\n"


def test_partition_size_must_be_sane(tmp_path):
    with pytest.raises(ValidationFailed, match="at least 1 KB"):
        parts.plan(str(_jsonl(tmp_path / "in.jsonl", 3)), 10)
