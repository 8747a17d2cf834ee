"""A reader study takes a scored submission as its AI aid: the evaluation center's per-case outputs
reach the readers (aided condition), the use is on the ledger, and neither the submitter nor a
submitter of another organisation can read those outputs through any route."""

import json

import numpy as np
import onnx
import pytest
from annotation_helpers import _org, person
from annotation_team import make_member
from onnx import TensorProto, helper
from sqlalchemy import select

from yizhi.annotation import queue
from yizhi.annotation.models import Item
from yizhi.annotation.payload import item_view
from yizhi.db import session_scope
from yizhi.errors import NotFound, PermissionDenied

CASES = 30
WEIGHTS = (0.5, 1.5, -6.0)   # the submitted model: p = sigmoid(0.5·size + 1.5·spiculated − 6)


def nodule_model() -> bytes:
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 2])
    y = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])
    inits = [helper.make_tensor("w", TensorProto.FLOAT, [2, 1], list(WEIGHTS[:2])),
             helper.make_tensor("b", TensorProto.FLOAT, [1], [WEIGHTS[2]]),
             helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])]
    nodes = [helper.make_node("MatMul", ["input", "w"], ["z0"]), helper.make_node("Add", ["z0", "b"], ["z"]),
             helper.make_node("Sigmoid", ["z"], ["p1"]), helper.make_node("Sub", ["one", "p1"], ["p0"]),
             helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1)]
    model = helper.make_model(helper.make_graph(nodes, "nodules", [x], [y], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


@pytest.fixture
def scored(db, cast, api, nodule_benchmark):
    """The commission's benchmark on nodule cases; the company's model submitted and scored; a second
    company (another submitter) with its own member."""
    from yizhi.accounts import service as accounts
    from yizhi.jobs.service import work_once

    made = nodule_benchmark(CASES, seed=3, readers=2)
    table, readers = made.table, made.readers
    accounts.create_organization(db, slug="company-b", name="另一家企业", kind="company")
    db.commit()
    with session_scope() as s:
        rival = make_member(s, _org(s, "company-b"), "rival@company-b.test", "owner", "对手")
    answer = api(cast.company).post("/api/v1/evaluation/benchmarks/nodules/submissions",
                                    files={"model": ("m.onnx", nodule_model())}, data={"org": "company"})
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["id"]
    assert work_once("test")
    x = np.column_stack([table.column("size_mm").to_numpy(), table.column("spiculated").to_numpy()]).astype(np.float32)
    expected = 1 / (1 + np.exp(-(x.astype(np.float64) @ np.array(WEIGHTS[:2]) + WEIGHTS[2])))
    return {"id": submission_id, "readers": readers, "rival": rival, "expected": expected}


def test_submission_outputs_aid_the_readers(db, cast, api, scored):
    from yizhi.evaluation.cases import case_outputs
    from yizhi.ledger.models import LedgerEntry

    db.expire_all()
    stored = case_outputs(db, scored["id"])
    assert sorted(stored, key=int) == [str(i) for i in range(CASES)]
    assert [stored[str(i)] for i in range(CASES)] == pytest.approx(scored["expected"], abs=1e-6)
    answer = api(cast.admin).post("/api/v1/annotation/reader-studies", json={
        "slug": "nodule-ai-aid", "title": "以提交模型为辅助的阅片研究", "org": "commission", "benchmark": "nodules",
        "readers": [r.email for r in scored["readers"]], "ai_submission": scored["id"]})
    assert answer.status_code == 201, answer.text
    db.expire_all()
    from yizhi.annotation import service as annotation

    project = annotation.get_project(db, "nodule-ai-aid")
    items = {i.key: i.suggestion["ai_score"] for i in db.scalars(select(Item).where(Item.project_id == project.id))}
    assert items == pytest.approx(stored)
    reader = person(db, scored["readers"][0])
    aided = {}
    while (assignment := queue.next_item(db, project, reader)) is not None:
        view = item_view(project, assignment.item, assignment)
        if assignment.condition == "aided":
            aided[assignment.item.key] = view["ai_score"]
        else:
            assert "ai_score" not in view
        queue.submit(db, project, reader, assignment.id, {"rating": 3})
    assert aided == pytest.approx(stored) and len(aided) == CASES
    use = db.scalar(select(LedgerEntry).where(LedgerEntry.kind == "evaluation.case_outputs_used"))
    assert use is not None and use.subject == f"submission:{scored['id']}"


def test_no_submitter_reads_the_case_outputs(db, cast, api, web, scored):
    from yizhi.accounts.models import Person
    from yizhi.evaluation.cases import aid_for_reader_study
    from yizhi.evaluation.models import CaseOutputs

    db.expire_all()
    digest = db.get(CaseOutputs, scored["id"]).digest
    needles = [repr(float(v)) for v in scored["expected"][:5]] + [f"{v:.6f}" for v in scored["expected"][:5]] + [digest]
    # the service route: the submitter is refused, a submitter of another organisation does not see it exists
    with pytest.raises(PermissionDenied):
        aid_for_reader_study(db, db.get(Person, cast.company.id), scored["id"], "nodules", "x")
    db.rollback()
    with pytest.raises(NotFound):
        aid_for_reader_study(db, db.get(Person, scored["rival"].id), scored["id"], "nodules", "x")
    db.rollback()
    sid = scored["id"]
    for member, org in ((cast.company, "company"), (scored["rival"], "company-b")):
        refused = api(member).post("/api/v1/annotation/reader-studies", json={
            "slug": f"steal-{org}", "org": org, "benchmark": "nodules", "readers": [member.email],
            "ai_submission": sid})
        assert refused.status_code in (403, 404), refused.text
        answers = [api(member).get(path) for path in (
            "/api/v1/evaluation/submissions", f"/api/v1/evaluation/submissions/{sid}",
            f"/api/v1/evaluation/submissions/{sid}/report", f"/api/v1/evaluation/submissions/{sid}/report.html",
            "/api/v1/evaluation/benchmarks/nodules", "/api/v1/annotation/projects",
            "/api/v1/annotation/projects/nodule-ai-aid")]
        answers += [web(member).get(path) for path in (
            f"/evaluation/submissions/{sid}", "/evaluation/benchmarks/nodules", "/evaluation")]
        for answer in [refused, *answers]:
            assert answer.status_code < 500
            assert not any(needle in answer.text for needle in needles), (answer.url, member.email)
    report = api(cast.company).get(f"/api/v1/evaluation/submissions/{sid}/report")
    assert report.status_code == 200 and "auroc" in json.dumps(report.json())  # the submitter still gets aggregates
