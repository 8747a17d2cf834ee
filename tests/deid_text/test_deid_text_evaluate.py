"""`yizhi deid text evaluate GOLD.jsonl` and its page: scores per type, the misses, every bad line named."""

from __future__ import annotations

import io
import json

from typer.testing import CliRunner

from yizhi.cli import app
from yizhi.deid.text.evaluate import evaluate, read_gold

runner = CliRunner()
NOTE = "患者张三，电话13812345678，于2024年3月5日入院。"
# The second span is marked on purpose where nothing identifying is: it must show as a miss.
GOLD = [{"id": "n1", "text": NOTE, "spans": [{"start": 2, "end": 4, "type": "NAME"}, {"start": 7, "end": 18, "type": "PHONE"},
                                             {"start": 20, "end": 29, "type": "DATE"}]},
        {"id": "n2", "text": "Seen by Dr. Okafor on 6/3, wife marge called.", "spans": [
            {"start": 12, "end": 18, "type": "NAME"}, {"start": 22, "end": 25, "type": "DATE"},
            {"start": 32, "end": 37, "type": "NAME"}, {"start": 38, "end": 44, "type": "NAME"}]}]


def _gold_bytes(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def test_scores_per_type_and_lists_the_misses():
    report = evaluate(read_gold(io.BytesIO(_gold_bytes(GOLD))), "auto")
    assert report["documents"] == 2
    assert report["by_type"]["PHONE"]["char_recall"] == 1.0 and report["by_type"]["DATE"]["entity_recall"] == 1.0
    assert [miss["text"] for miss in report["misses"]] == ["called"]  # the span marked on "called"
    assert report["overall"]["gold_entities"] == 7
    assert 0 < report["overall"]["char_recall"] < 1


def test_cli_prints_the_table_and_the_misses(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(_gold_bytes(GOLD))
    result = runner.invoke(app, ["deid", "text", "evaluate", str(gold), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert "ALL" in result.output and "PHONE" in result.output and "'called'" in result.output
    assert json.loads((tmp_path / "r.json").read_text())["documents"] == 2


def test_every_bad_line_is_named(tmp_path):
    gold = tmp_path / "bad.jsonl"
    gold.write_bytes(b'{"id": 1, "text": "abc", "spans": [{"start": 0, "end": 9, "type": "NAME"}]}\n'
                     b"not json\n" + _gold_bytes(GOLD[:1]) + b'{"text": 5, "spans": []}\n')
    result = runner.invoke(app, ["deid", "text", "evaluate", str(gold)])
    assert result.exit_code == 1
    assert "3 bad line(s)" in result.output and "line 1:" in result.output and "line 2:" in result.output
    assert "line 4:" in result.output
    result = runner.invoke(app, ["deid", "text", "evaluate", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and "missing.jsonl" in result.output


def test_de_identifying_stays_the_default_verb(tmp_path):
    source, out = tmp_path / "n.jsonl", tmp_path / "o.jsonl"
    source.write_text(json.dumps({"id": 1, "text": NOTE}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["deid", "text", str(source), str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["text"] == "患者[姓名]，电话[电话]，于[日期]入院。"


def test_page_scores_an_upload_and_refuses_bad_ones(web, cast):
    client = web(cast.colleague)
    assert client.get("/deid/text/evaluate").status_code == 200
    response = client.http.post("/deid/text/evaluate", data={"csrf_token": client.csrf, "lang": "auto"},
                                files={"file": ("gold.jsonl", _gold_bytes(GOLD), "application/json")})
    assert response.status_code == 200, response.text
    assert 'id="evaluate-table"' in response.text and "called" in response.text
    response = client.http.post("/deid/text/evaluate", data={"csrf_token": client.csrf},
                                files={"file": ("gold.jsonl", b"not json\n", "application/json")})
    assert response.status_code == 422 and "line 1" in response.text
    assert web().get("/deid/text/evaluate").status_code in (303, 401)
    assert web(cast.outsider).get("/deid/text/evaluate").status_code == 200  # an approved organisation's member


def test_page_reads_a_gold_file_larger_than_the_default_body_limit(web, cast):
    """The gold upload may be up to 20 MB (max_body_size on the route), above the platform's default
    body cap: a 3 MB file is read and its bad lines named — not refused with 413 before it is read."""
    from yizhi.config import get_settings

    client = web(cast.colleague)
    line = b"not json " + b"x" * 90 + b"\n"
    body = line * (3 * 1024 * 1024 // len(line) + 1)
    assert get_settings().max_body_bytes < len(body) < 20 * 1024 * 1024
    response = client.http.post("/deid/text/evaluate?lang=en", data={"csrf_token": client.csrf, "lang": "auto"},
                                files={"file": ("gold.jsonl", body, "application/json")})
    assert response.status_code == 422, response.status_code
    assert "line 1" in response.text and "line 2" in response.text
