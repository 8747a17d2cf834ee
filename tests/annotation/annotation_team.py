"""Data and helpers the annotation tests share (a module with a name of its own: a bare
``from conftest import`` resolves to whichever tests folder's conftest was imported first)."""

from __future__ import annotations

import pyarrow as pa

NOTES = [
    "患者[姓名]，男，65岁，因胸痛3天于2023-05-02入院。既往高血压病史10年。",
    "主诉：咳嗽、咳痰2周。查体：双肺呼吸音粗，未闻及干湿啰音。诊断：急性支气管炎。",
    "患者王建国，女，52岁，联系电话13812345678，住址北京市朝阳区幸福路8号。",
    "出院小结：患者病情平稳，血糖控制可，嘱定期复查糖化血红蛋白。",
    "影像所见：右肺上叶见一直径约8mm结节，边界清楚。建议3个月后复查胸部CT。",
    "主治医师李明查房：患者神志清，精神可，继续当前治疗方案。",
]


def _org(db, slug):
    from yizhi.accounts.models import Organization

    return db.query(Organization).filter_by(slug=slug).one()


def notes_table(n: int | None = None) -> pa.Table:
    texts = NOTES if n is None else [NOTES[i % len(NOTES)] + f"（第{i}份）" for i in range(n)]
    return pa.table({"patient": [f"P{i:05d}" for i in range(len(texts))],
                     "date": ["2023-05-02"] * len(texts), "kind": ["progress"] * len(texts), "text": texts})


def make_member(session, org, email, role, name):
    from types import SimpleNamespace

    from yizhi.accounts import service

    person = service.create_person(session, email=email, display_name=name, password=PASSWORD)
    service.add_member(session, org, person, role)
    return SimpleNamespace(id=person.id, email=email, org_slug=org.slug, role=role, password=PASSWORD)


PASSWORD = "Correct-Horse-Battery-9"
