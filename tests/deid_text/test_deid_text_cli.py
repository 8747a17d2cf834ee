"""`yizhi deid text`: formats, errors that name the line, atomic output, workers."""

import json

import pytest
from typer.testing import CliRunner

from yizhi.cli import app

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["deid", "text", *map(str, args)])


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def notes(tmp_path):
    path = tmp_path / "notes.jsonl"
    rows = [
        {"id": "a", "text": "患者张三，电话13812345678，于2024年3月5日入院。", "ward": "5A"},
        {"id": "b", "text": "Seen by Dr. Smith on Jun 3, 2024. MRN: 1234567"},
        {"id": "c", "text": "无特殊。"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_round_trip_carries_other_fields_and_original_offsets(notes, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run(notes, out, "--keep-span-text")
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["ward"] == "5A"
    assert rows[0]["text"] == "患者[姓名]，电话[电话]，于[日期]入院。"
    original = "患者张三，电话13812345678，于2024年3月5日入院。"
    for span in rows[0]["spans"]:
        assert original[span["start"] : span["end"]] == span["text"]
    assert rows[2]["spans"] == []


def test_malformed_line_stops_with_its_number_and_leaves_no_output(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run(src, out)
    assert result.exit_code == 1
    assert "line 2" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no temporary file left behind


def test_failed_run_keeps_the_previous_output(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": 1}\n', encoding="utf-8")
    result = run(src, out)
    assert result.exit_code == 1 and 'field "text"' in result.output
    assert out.read_text(encoding="utf-8") == "previous\n"


def test_csv_with_column(tmp_path):
    src = tmp_path / "notes.csv"
    src.write_text("id,note,dept\n7,患者李四于3月5日入院,心内科\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(src, out).exit_code == 1  # --column is required
    result = run(src, out, "--column", "note")
    assert result.exit_code == 0, result.output
    row = read_jsonl(out)[0]
    assert row["id"] == "7" and row["dept"] == "心内科" and "李四" not in row["text"]


def test_txt_is_one_document(tmp_path):
    src = tmp_path / "summary.txt"
    src.write_text("Discharged on 03/14/2024 by Dr. Okafor.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(src, out, "--lang", "en").exit_code == 0
    row = read_jsonl(out)[0]
    assert row["id"] == "summary" and row["text"] == "Discharged on [DATE] by Dr. [NAME]."


def test_two_workers_write_the_same_output_as_one(notes, tmp_path):
    many = tmp_path / "many.jsonl"
    lines = notes.read_text(encoding="utf-8").splitlines()
    many.write_text("\n".join(lines * 100) + "\n", encoding="utf-8")  # 300 notes: several batches
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run(many, one, "--workers", "1").exit_code == 0
    assert run(many, two, "--workers", "2").exit_code == 0
    assert one.read_text(encoding="utf-8") == two.read_text(encoding="utf-8")


def test_surrogates_with_a_key_file_are_reproducible(notes, tmp_path):
    key = tmp_path / "key"
    key.write_text("a" * 64)
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert run(notes, first, "--policy", "surrogate", "--key-file", key).exit_code == 0
    assert run(notes, second, "--policy", "surrogate", "--key-file", key).exit_code == 0
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    assert "张三" not in read_jsonl(first)[0]["text"]


def test_by_default_no_original_value_is_in_the_output(notes, tmp_path):
    out = tmp_path / "shareable.jsonl"
    assert run(notes, out).exit_code == 0
    content = out.read_text(encoding="utf-8")
    assert "张三" not in content and "13812345678" not in content and "Smith" not in content
    assert read_jsonl(out)[0]["spans"][0] == {"start": 2, "end": 4, "type": "NAME"}


def test_bad_options_are_clear_errors(notes, tmp_path):
    result = run(notes, tmp_path / "o.jsonl", "--policy", "blur")
    assert result.exit_code == 1 and "--policy" in result.output
    result = run(tmp_path / "missing.jsonl", tmp_path / "o.jsonl")
    assert result.exit_code == 1 and "no such file" in result.output
    result = run(notes, tmp_path / "o.jsonl", "--policy", "surrogate", "--key-file", tmp_path / "nokey")
    assert result.exit_code == 1 and "cannot read key file" in result.output


def test_the_file_matches_deidentify_note_by_note(tmp_path):
    """The CLI finds a batch at once (``detect_many`` under the Chinese tagger's prefetch); every record
    must still be what ``deidentify`` gives that note alone — mixed languages, per-patient date shifts."""
    from deid_text_corpora import labeled_texts

    from yizhi.deid.keys import load_key
    from yizhi.deid.text import deidentify

    notes = [{"id": f"{name}-{i}", "text": text, "patient_id": f"p{i % 7}"}
             for name in ("zh_dev", "en_dev") for i, text in enumerate(labeled_texts(name, 40))]
    source, out, key_file = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "key"
    source.write_text("".join(json.dumps(n, ensure_ascii=False) + "\n" for n in notes), encoding="utf-8")
    key_file.write_bytes(b"k" * 32)
    result = run(source, out, "--policy", "surrogate", "--key-file", key_file, "--keep-span-text")
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    assert len(rows) == len(notes)
    for note, row in zip(notes, rows):
        alone = deidentify(note["text"], policy="surrogate", key=load_key(key_file), patient_id=note["patient_id"])
        assert row["text"] == alone.text, note["id"]
        assert row["spans"] == [span.public() for span in alone.spans], note["id"]
