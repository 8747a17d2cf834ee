"""Demo data for `yizhi demo`: a few needs in every state, solutions from both demo companies,
an engagement with messages and a running pilot, and the first needs list. Idempotent: records are
found by external id and nothing is created twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, Person
from yizhi.needs import service
from yizhi.needs.models import Need, Release, Solution
from yizhi.needs.schemas import InterestIn, NeedIn, PilotIn, SolutionIn

NEEDS = [
    ("first-hospital", "DEMO-N1", "published", {
        "title": "急诊头颅CT脑出血优先阅片", "department": "放射科", "importance": "high", "urgency": "high",
        "description": "急诊夜间头颅平扫CT量大，只有一名值班医生。希望AI自动发现颅内出血并计算出血量，阳性检查排到阅片队列最前。",
        "modalities": ["ct"], "data_available": "近三年脱敏头颅CT约2万例，含报告", "expected_outcome": "阳性病例10分钟内出报告",
        "success_measures": "灵敏度≥95%，阅片等待时间下降50%", "budget_min": 50, "budget_max": 120,
        "contact_name": "陈医生", "contact_info": "doctor@hospital1.demo"}),
    ("first-hospital", "DEMO-N2", "published", {
        "title": "社区糖尿病患者眼底筛查", "department": "内分泌科", "importance": "high", "urgency": "medium",
        "description": "医联体内社区签约糖尿病患者每年需要眼底检查，社区没有眼科医生，需要免散瞳眼底照相加AI判断糖网程度并决定转诊。",
        "modalities": ["fundus"], "expected_outcome": "社区完成初筛，转诊准确", "success_measures": "转诊灵敏度≥90%",
        "budget_min": 20, "budget_max": 60, "contact_name": "陈医生", "contact_info": "doctor@hospital1.demo"}),
    ("first-hospital", "DEMO-N3", "submitted", {
        "title": "住院病历内涵质控", "department": "医务处",
        "description": "医务处人工抽查病历覆盖率不足5%，需要对全部住院病历进行内涵质控并实时提醒医生修改。",
        "modalities": ["emr", "text"]}),
    ("tcm-hospital", "DEMO-N4", "published", {
        "title": "中医舌象客观化采集分析", "department": "中医内科",
        "description": "舌诊依赖医生经验，缺乏客观记录。需要标准化采集舌象并自动识别舌色、苔质、齿痕，用于体质辨识和教学。",
        "modalities": ["image"]}),
    ("tcm-hospital", "DEMO-N5", "draft", {
        "title": "基层中医辨证开方辅助", "description": "社区中医馆医生经验不足，需要根据四诊信息推荐证型和方剂。",
        "modalities": ["text"]}),
]

SOLUTIONS = [
    ("mediai", "DEMO-S1", {"title": "颅内出血CT急诊分诊", "category": "imaging", "modalities": ["ct"],
     "description": "急诊头颅平扫CT自动检测脑出血、蛛网膜下腔出血和硬膜下血肿，计算出血量，阳性病例置顶。",
     "maturity": "nmpa_registered", "nmpa_class": "III", "deployments": 36, "contact_name": "吴总"}),
    ("mediai", "DEMO-S2", {"title": "Diabetic retinopathy screening from fundus photographs", "category": "imaging",
     "modalities": ["fundus"], "maturity": "nmpa_registered", "nmpa_class": "II", "deployments": 120,
     "description": "Grades diabetic retinopathy on non-mydriatic fundus photographs with a refer/no-refer decision."}),
    ("mediai", "DEMO-S3", {"title": "肺结节CT智能辅助检测", "category": "imaging", "modalities": ["ct"],
     "description": "胸部CT肺结节检出、测量与良恶性风险评估。", "maturity": "nmpa_registered", "nmpa_class": "III"}),
    ("cardio-ai", "DEMO-S4", {"title": "动态心电图AI分析", "modalities": ["ecg"], "maturity": "product",
     "description": "24小时动态心电图自动识别房颤、早搏等心律失常，医生审核时间缩短70%。"}),
    ("cardio-ai", "DEMO-S5", {"title": "中医舌诊智能分析仪", "modalities": ["image"], "maturity": "prototype",
     "description": "标准光源采集舌象，识别舌色、苔色、齿痕、裂纹，辅助体质辨识。"}),
]


def seed(session: Session, orgs: dict[str, Organization], people: dict[str, Person]) -> int:
    created = 0
    doctor, admin = people["doctor@hospital1.demo"], people["admin@commission.demo"]
    for slug, external_id, data in SOLUTIONS:
        org = orgs[slug]
        if session.scalar(select(Solution).where(Solution.org_id == org.id, Solution.external_id == external_id)):
            continue
        solution = service.create_solution(session, None, org, SolutionIn(**data))
        solution.external_id = external_id
        created += 1
    needs: dict[str, Need] = {}
    for slug, external_id, state, data in NEEDS:
        org = orgs[slug]
        need = session.scalar(select(Need).where(Need.org_id == org.id, Need.external_id == external_id))
        if need is None:
            need = service.create_need(session, None, org, NeedIn(**data))
            need.external_id = external_id
            need.created_by_id = doctor.id if slug == "first-hospital" else None
            if state in ("submitted", "published"):
                service.submit_need(session, None, need)
            if state == "published":
                service.review_need(session, admin, need, "approve", "符合需求清单收录要求")
            created += 1
        needs[external_id] = need
    session.flush()
    if session.scalar(select(Release.id).limit(1)) is None:
        service.release_needs_list(session, admin, year=2026, notes="演示数据")
        created += 1
    first = needs["DEMO-N1"]
    if not service.engagements_for(session, admin, first):
        company_person = people["owner@mediai.demo"]
        solution = session.scalar(select(Solution).where(Solution.external_id == "DEMO-S1"))
        engagement = service.express_interest(session, company_person, first, InterestIn(
            message="我们的颅内出血CT产品已获三类证，已在36家医院部署。", proposed_approach="先在急诊夜班试用三个月，对接PACS。",
            solution_id=solution.id, org="mediai"))
        service.decide_engagement(session, people["owner@hospital1.demo"], engagement, True, "欢迎，请联系信息科对接")
        service.post_message(session, company_person, engagement, "下周二可以到院部署测试环境。")
        service.post_message(session, doctor, engagement, "好的，请提前提交接口文档。")
        service.start_pilot(session, people["owner@hospital1.demo"], engagement, PilotIn(
            site="市第一人民医院急诊科", product="颅内出血CT急诊分诊 v2.1", scenario="急诊夜班头颅CT",
            start_date=date(2026, 12, 1), end_date=date(2027, 2, 28), outcome_measures="阅片等待时间、灵敏度、医生满意度"))
        created += 4
    return created
