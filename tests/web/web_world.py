"""A small world for the dashboard tests, made through the real API: a published need of the
hospital, a company solution in its category and the company's interest in the need."""

from __future__ import annotations

NEED = {
    "title": "急诊头颅CT脑出血优先阅片", "description": "急诊头颅平扫CT量大，希望AI自动发现颅内出血并计算出血量。",
    "importance": "high", "urgency": "high", "department": "放射科", "modalities": ["ct"],
    "data_available": "近三年脱敏头颅CT约2万例", "expected_outcome": "阳性病例10分钟内出报告",
    "success_measures": "灵敏度≥95%", "budget_min": 50, "budget_max": 120, "deadline": "2027-06-30",
    "contact_name": "陈医生", "contact_info": "chen@hospital.test", "category": "imaging",
}
SOLUTION = {"title": "颅内出血CT急诊分诊", "description": "急诊头颅CT自动检测脑出血并计算出血量，阳性病例置顶。",
            "category": "imaging", "modalities": ["ct"], "maturity": "nmpa_registered", "nmpa_class": "III",
            "deployments": 40}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def build(api, cast) -> dict:
    owner, admin, company = api(cast.owner), api(cast.admin), api(cast.company)
    published = ok(owner.post("/api/v1/needs", json=NEED), 201)
    ok(owner.post(f"/api/v1/needs/{published['id']}/submit"))
    ok(admin.post(f"/api/v1/needs/{published['id']}/review", json={"decision": "approve"}))
    waiting = ok(owner.post("/api/v1/needs", json={**NEED, "title": "病理切片辅助诊断", "category": "pathology"}), 201)
    ok(owner.post(f"/api/v1/needs/{waiting['id']}/submit"))
    ok(owner.post("/api/v1/needs", json={**NEED, "title": "草稿需求"}), 201)
    ok(company.post("/api/v1/needs/solutions", json=SOLUTION), 201)
    ok(company.post(f"/api/v1/needs/{published['id']}/interest", json={"message": "有意向"}), 201)
    return {"published": published, "waiting": waiting}
