"""`yizhi needs import`, `yizhi solutions import` and `yizhi needs match` on the test database."""

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from yizhi.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def count(db, model):
    return db.scalar(select(func.count()).select_from(model))


SOLUTIONS = [
    {"id": "S-1", "title": "肺结节CT智能辅助检测", "description": "胸部CT肺结节检出与良恶性评估", "category": "imaging",
     "modalities": "ct", "maturity": "nmpa_registered", "nmpa_class": "三类"},
    {"id": "S-2", "title": "Diabetic retinopathy screening", "description": "AI grading of fundus photographs",
     "modalities": ["fundus"], "maturity": "prototype"},
    {"id": "S-3", "title": "中医舌诊仪", "description": "舌象采集与体质辨识", "maturity": "product"},
]


def test_import_both_sides_and_match_by_external_id(tmp_path, cast, db):
    from yizhi.needs.models import Need, Solution

    result = run("solutions", "import", write_jsonl(tmp_path / "s.jsonl", SOLUTIONS), "--org", "company")
    assert result.exit_code == 0, result.output
    assert "imported 3 new" in result.output and "2 categories suggested" in result.output
    tongue = db.scalar(select(Solution).where(Solution.external_id == "S-3"))
    assert tongue.category == "tcm" and tongue.category_suggested
    assert db.scalar(select(Solution).where(Solution.external_id == "S-1")).nmpa_class == "III"

    csv_file = tmp_path / "needs.csv"
    csv_file.write_text(
        "id,title,description,modalities,budget_min,budget_max\n"
        "H-7,社区糖网筛查,社区医院用眼底照相筛查糖尿病视网膜病变，需要自动判断是否转诊,fundus,10,30\n"
        "H-8,体检中心肺结节筛查,低剂量胸部CT肺结节检出,ct,,\n",
        encoding="utf-8",
    )
    result = run("needs", "import", csv_file, "--org", "hospital", "--publish")
    assert result.exit_code == 0, result.output
    assert "and published" in result.output
    assert {n.status.value for n in db.scalars(select(Need))} == {"published"}

    result = run("needs", "match", "H-7", "--top", "2", "--json")
    assert result.exit_code == 0, result.output
    matches = json.loads(result.output)
    assert len(matches) == 2
    assert set(matches[0]) == {"solution_id", "external_id", "title", "score", "good_match", "why"}
    assert matches[0]["external_id"] == "S-2"  # Chinese need, English solution
    assert "语义相似度" in matches[0]["why"]

    result = run("needs", "match", "H-8")
    assert result.exit_code == 0 and "S-1" in result.output.split("\n")[4]  # first table row


def test_bad_records_are_reported_by_line_and_nothing_is_imported(tmp_path, cast, db):
    from yizhi.needs.models import Need

    rows = [
        {"id": "a", "title": "好的需求", "description": "正常"},
        {"id": "b", "title": " ", "category": "astrology"},
        {"id": "a", "title": "重复编号"},
        {"id": "c", "title": "预算颠倒", "budget_min": 9, "budget_max": 1},
    ]
    result = run("needs", "import", write_jsonl(tmp_path / "bad.jsonl", rows), "--org", "hospital")
    assert result.exit_code == 1
    assert "line 2, field 'title'" in result.output
    assert "line 2, field 'category'" in result.output
    assert "line 3, field 'id'" in result.output and "also on line 1" in result.output
    assert "line 4" in result.output and "minimum budget is larger than the maximum" in result.output
    assert "nothing was imported" in result.output
    assert count(db, Need) == 0


def test_file_and_org_errors_are_one_clear_line(tmp_path, cast):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "正常的一行"}\n{"title": \n', encoding="utf-8")
    result = run("needs", "import", broken, "--org", "hospital")
    assert result.exit_code == 1 and "line 2: not valid JSON" in result.output
    result = run("needs", "import", tmp_path / "missing.csv", "--org", "hospital")
    assert result.exit_code == 1 and "no such file" in result.output
    result = run("needs", "import", tmp_path / "x.xlsx", "--org", "hospital")
    assert result.exit_code == 1 and "expected a .jsonl or .csv" in result.output
    ok = write_jsonl(tmp_path / "ok.jsonl", [{"title": "正常需求"}])
    assert "no organisation with slug 'nobody'" in run("needs", "import", ok, "--org", "nobody").output
    assert "not a hospital" in run("needs", "import", ok, "--org", "company").output
    assert "not a company" in run("solutions", "import", ok, "--org", "hospital").output
    assert run("needs", "match", "nope").exit_code == 1


@pytest.mark.parametrize("text,expected", [("中医舌诊与体质辨识", "tcm"), ("医保DRG结算清单骗保识别", "insurance")])
def test_suggest_category_command(text, expected):
    result = run("needs", "suggest-category", text)
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split("\t")[0] == expected


def test_reimport_updates_drafts_by_external_id(tmp_path, cast, db):
    from yizhi.needs.models import Need

    path = write_jsonl(tmp_path / "n.jsonl", [{"id": "k1", "title": "初稿标题", "category": "other"}])
    assert run("needs", "import", path, "--org", "hospital").exit_code == 0
    write_jsonl(path, [{"id": "k1", "title": "修改后的标题", "category": "other"}])
    result = run("needs", "import", path, "--org", "hospital")
    assert "updated 1" in result.output
    db.expire_all()
    assert [n.title for n in db.scalars(select(Need))] == ["修改后的标题"]
