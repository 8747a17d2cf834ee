"""Reader studies on a benchmark's cases: sequential and crossover designs, the AI's output shown only
in the aided condition, the washout, and the report (per reader AUROC equals scikit-learn's on the
same ratings; sensitivity/specificity; the OR MRMC analysis)."""

from datetime import timedelta

import numpy as np
import pytest
from annotation_helpers import _org, person
from sklearn.metrics import roc_auc_score

from yizhi.accounts.models import Person
from yizhi.annotation import queue, study
from yizhi.annotation.models import Assignment
from yizhi.annotation.payload import item_view
from yizhi.errors import ValidationFailed

CASES = 24


@pytest.fixture
def benchmark(nodule_benchmark):
    made = nodule_benchmark(CASES, seed=7, readers=3)
    rng, malignant = made.rng, made.malignant
    ai = {str(i): float(np.clip(0.5 + 0.4 * (m - 0.5) * 2 + rng.normal(0, 0.15), 0, 1)) for i, m in enumerate(malignant)}
    return made.readers, ai, malignant


def _read_everything(db, project, member, rate):
    reader = person(db, member)
    seen = []
    while (assignment := queue.next_item(db, project, reader)) is not None:
        view = item_view(project, assignment.item, assignment)
        assert ("ai_score" in view) == (assignment.condition == "aided")
        seen.append((assignment.condition, study.session_of(project, assignment)))
        queue.submit(db, project, reader, assignment.id, {"rating": rate(assignment, view)})
    return seen


def test_sequential_study_report(db, cast, benchmark):
    readers, ai, malignant = benchmark
    project = study.create_reader_study(db, slug="nodule-readers", title="结节阅片研究", org=_org(db, "commission"),
                                        benchmark="nodules", readers=[r.email for r in readers], ai_scores=ai,
                                        actor=db.get(Person, cast.admin.id))
    db.commit()
    rng = np.random.default_rng(11)
    given = {}

    def rate(assignment, view):
        truth = malignant[int(assignment.item.key)]
        noise = rng.normal(0, 1.2 if assignment.condition == "unaided" else 0.6)
        value = int(np.clip(round(3 + (truth - 0.5) * 2 + noise), 1, 5))
        given[(assignment.annotator_id, assignment.condition, int(assignment.item.key))] = value
        return value

    for member in readers:
        order = _read_everything(db, project, member, rate)
        assert [c for c, _s in order] == ["unaided"] * CASES + ["aided"] * CASES
    result = study.report(db, project)
    assert result["complete_cases"] == CASES and result["mrmc"] is not None
    for entry in result["per_reader"]:
        for condition in ("unaided", "aided"):
            ratings = [given[(entry["reader"], condition, i)] for i in range(CASES)]
            assert entry[condition]["auroc"] == pytest.approx(roc_auc_score(malignant, ratings))
            calls = np.array(ratings) >= 3
            assert entry[condition]["sensitivity"] == pytest.approx(calls[malignant == 1].mean())
            assert entry[condition]["specificity"] == pytest.approx(1 - calls[malignant == 0].mean())
    assert result["ai_alone"]["auroc"] == pytest.approx(roc_auc_score(malignant, [ai[str(i)] for i in range(CASES)]))
    mrmc = result["mrmc"]
    assert mrmc["difference"] == pytest.approx(result["average"]["aided"]["auroc"] - result["average"]["unaided"]["auroc"])
    assert mrmc["difference_ci"][0] < mrmc["difference"] < mrmc["difference_ci"][1]


def test_crossover_with_washout(db, cast, benchmark):
    readers, ai, _malignant = benchmark
    project = study.create_reader_study(db, slug="nodule-crossover", title="交叉设计", org=_org(db, "commission"),
                                        benchmark="nodules", readers=[readers[0].email], ai_scores=ai,
                                        design="crossover", washout_days=28)
    db.commit()
    reader = person(db, readers[0])
    first_session = []
    while (assignment := queue.next_item(db, project, reader)) is not None:
        first_session.append(assignment.condition)
        queue.submit(db, project, reader, assignment.id, {"rating": 3})
    assert len(first_session) == CASES and 0 < first_session.count("aided") < CASES
    assert queue.next_item(db, project, reader) is None          # the washout has not passed
    # four weeks later the second session swaps the conditions
    for done in db.query(Assignment).filter(Assignment.project_id == project.id):
        done.submitted_at = done.submitted_at - timedelta(days=29)
    db.commit()
    second = []
    while (assignment := queue.next_item(db, project, reader)) is not None:
        second.append((assignment.item_id, assignment.condition))
        queue.submit(db, project, reader, assignment.id, {"rating": 4})
    assert len(second) == CASES and second[0][1] in ("aided", "unaided")
    assert sorted(c for _i, c in second).count("aided") == first_session.count("unaided")


def test_reader_study_refusals(db, cast, benchmark):
    readers, ai, _m = benchmark
    with pytest.raises(ValidationFailed, match="design"):
        study.create_reader_study(db, slug="bad-design", title="x", org=_org(db, "commission"), benchmark="nodules",
                                  readers=[readers[0].email], ai_scores=ai, design="parallel")
    with pytest.raises(ValidationFailed, match="lack case"):
        study.create_reader_study(db, slug="no-ai", title="x", org=_org(db, "commission"), benchmark="nodules",
                                  readers=[readers[0].email], ai_scores={"0": 0.5})
