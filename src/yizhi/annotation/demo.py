"""Demo data: a de-identification review (脱敏复核) on a sample of a first-hospital notes version,
pre-annotated by the text de-identifier, with the labels of two annotators — one of the hospital,
one of the medical university working under an administrative grant — so the agreement page,
review and adjudication have something to show. The notes are fictional."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

NOTES = [
    "入院记录：患者张伟，男，58岁，因反复胸闷2年、加重3天于2024年3月12日入院。联系电话13912345678。",
    "主诉：多饮、多尿、体重下降半年。既往史：高血压病史5年，规律服用氨氯地平。",
    "病程记录：患者血糖控制欠佳，空腹血糖9.8mmol/L，调整胰岛素剂量。主治医师刘洋查房。",
    "出院小结：患者李秀英，女，66岁，住院号A2024031205，诊断2型糖尿病伴周围神经病变。",
    "影像报告：胸部CT示右肺上叶磨玻璃结节，直径约6mm，建议年度随访。",
    "家属王强（患者之子）陪同就诊，住址上海市浦东新区世纪大道100号。",
    "护理记录：患者夜间睡眠可，生命体征平稳，无不适主诉。",
    "门诊病历：患者陈静，身份证号310101196502031234，因头晕1周就诊，血压160/95mmHg。",
]


def _answers(suggestion: dict, variant: int) -> tuple[dict, dict]:
    """Two annotators: the first accepts the suggestions; the second drops one on every third note."""
    spans = suggestion.get("phi", [])
    second = spans[1:] if variant % 3 == 0 and len(spans) > 1 else spans
    return {"phi": spans}, {"phi": second}


def seed(session: Session, orgs: dict, people: dict) -> int:
    import pyarrow as pa

    from yizhi.access.grants import create_grant
    from yizhi.annotation import queue, service
    from yizhi.annotation.models import Project
    from yizhi.annotation.payload import item_view
    from yizhi.catalog.testing import make_version

    if session.scalar(select(Project.id).where(Project.slug == "deid-review-demo")) is not None:
        return 0
    hospital, university = orgs["first-hospital"], orgs["med-university"]
    first, second = people.get("annotator@hospital1.demo"), people.get("annotator@university.demo")
    if first is None or second is None:
        return 0
    table = pa.table({"patient": [f"D{i:04d}" for i in range(len(NOTES))], "date": ["2024-03-12"] * len(NOTES),
                      "kind": ["note"] * len(NOTES), "text": NOTES})
    version = make_version(session, hospital, "notes-review-demo", {"notes": table},
                           title="门诊与住院病历样本（脱敏复核演示）", publish=False)
    create_grant(session, org=university, versions={version: {"notes": ["text"]}}, days=365, administrative=True,
                 reason="demo: university annotators help review the de-identifier's output",
                 title="脱敏复核标注协作（演示）", actor=people.get("admin@commission.demo"))
    project = service.create_project(
        session, slug="deid-review-demo", title="病历脱敏复核（演示）", org=hospital, dataset=version.ref,
        kind="deid_review", overlap=2, annotator_orgs=["first-hospital", "med-university"],
        reviewer_people=["reviewer@hospital1.demo"], actor=people.get("owner@hospital1.demo"),
        instructions="检查脱敏工具标出的每个标识符：删去误报，补上漏报（姓名、电话、证件号、住院号、地址、日期、年龄）。")
    session.commit()
    for annotator in (first, second):
        for membership in annotator.memberships:
            _ = membership.organization
    for index in range(len(NOTES)):
        held_first = queue.next_item(session, project, first)
        held_second = queue.next_item(session, project, second)
        if held_first is None or held_second is None:
            break
        one, _ = _answers(item_view(project, held_first.item)["suggestion"] or {}, int(held_first.item.key))
        _, two = _answers(item_view(project, held_second.item)["suggestion"] or {}, int(held_second.item.key))
        queue.submit(session, project, first, held_first.id, one, seconds=40 + index)
        queue.submit(session, project, second, held_second.id, two, seconds=55 + index)
    # what is still waiting (items the two took in different orders) is answered too
    for annotator, pick in ((first, 0), (second, 1)):
        while (held := queue.next_item(session, project, annotator)) is not None:
            answer = _answers(item_view(project, held.item)["suggestion"] or {}, int(held.item.key))[pick]
            queue.submit(session, project, annotator, held.id, answer)
    session.commit()
    return 3
