"""Pages, API and CLI show the same absolute relevance and the "no good match yet" state."""

import json

from typer.testing import CliRunner

from yizhi.cli import app
from yizhi.needs.matching.relevance import default_model

NEED = {"title": "住院病历内涵质控", "description": "出院病历缺项多、前后矛盾，希望AI自动做病历内涵质控并提示医生修改。",
        "importance": "high", "urgency": "medium", "modalities": ["emr"]}
ECG = {"title": "心电图12导联AI辅助诊断", "description": "静息12导联心电图自动诊断心肌梗死、房颤等，医生审核后出报告。",
       "modalities": ["ecg"], "maturity": "product"}
QC = {"title": "电子病历内涵质控系统", "description": "基于自然语言处理对住院病历进行内涵质控，发现缺项和前后矛盾并提示医生修改。",
      "modalities": ["emr"], "maturity": "product"}


def _published_need(api, cast) -> int:
    owner, admin = api(cast.owner), api(cast.admin)
    need = owner.post("/api/v1/needs", json=NEED).json()
    assert owner.post(f"/api/v1/needs/{need['id']}/submit").status_code == 200
    assert admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}).status_code == 200
    return need["id"]


def test_only_a_weak_match_says_no_good_match_yet_everywhere(api, web, cast):
    need_id = _published_need(api, cast)
    company = api(cast.company)
    assert company.post("/api/v1/needs/solutions", json=ECG).status_code == 201
    rows = company.get(f"/api/v1/needs/{need_id}/matches").json()
    assert len(rows) == 1 and rows[0]["good_match"] is False and rows[0]["score"] < default_model().threshold
    for lang, text in (("zh", "暂无合适的匹配"), ("en", "No good match yet")):
        page = web(cast.owner).get(f"/needs/{need_id}?lang={lang}").text
        assert 'id="no-good-match"' in page and text in page and f"{rows[0]['score']:.2f}" in page
    result = CliRunner().invoke(app, ["needs", "match", str(need_id)])
    assert result.exit_code == 0 and "No good match yet" in result.output and "(weak)" in result.output

    assert company.post("/api/v1/needs/solutions", json=QC).status_code == 201
    rows = company.get(f"/api/v1/needs/{need_id}/matches").json()
    assert rows[0]["title"] == QC["title"] and rows[0]["good_match"] is True
    page = web(cast.owner).get(f"/needs/{need_id}").text
    assert 'id="no-good-match"' not in page and 'data-good="yes"' in page
    cli = json.loads(CliRunner().invoke(app, ["needs", "match", str(need_id), "--json"]).output)
    assert [(r["title"], r["score"], r["good_match"]) for r in cli] == [
        (r["title"], r["score"], r["good_match"]) for r in rows]
