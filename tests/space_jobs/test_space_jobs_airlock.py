"""The output airlock: automatic checks, then two different checkers of the data holder."""

from __future__ import annotations

import pytest

from yizhi.errors import Conflict, PermissionDenied, NotFound
from yizhi.space import review
from yizhi.space.jobs_models import AutoStatus, ReviewState, SpaceJobState

from .conftest import checks_of, person

pytestmark = pytest.mark.slow

AGGREGATE = """
    import pandas as pd
    frame = pd.read_parquet("/data/cohort.parquet")
    counts = frame.groupby("site").agg(n=("age", "size"), mean_age=("age", "mean")).reset_index()
    counts.to_csv("/output/result.csv", index=False)
    print("rows", len(frame))
"""


def test_an_output_with_patient_rows_is_blocked(db, cast, run_project, write_project, grant):
    # The grant hides `patient`; a job that had it (here: from the dataset's pseudonyms it guessed) or any
    # row-level table with a patient column is blocked all the same.
    job = run_project(write_project("""
        import pandas as pd
        frame = pd.read_parquet("/data/cohort.parquet").head(30)
        frame.insert(0, "patient", [f"PX{i:05d}Q" for i in range(30)])
        frame.to_csv("/output/result.csv", index=False)
    """))
    assert job.state == SpaceJobState.succeeded
    output = next(o for o in job.outputs if o.name == "result.csv")
    checks = checks_of(output)
    assert output.auto_status == AutoStatus.blocked
    assert checks["pseudonyms"]["status"] == "fail"
    assert checks["patient_column"]["status"] == "fail"
    with pytest.raises(Conflict, match="blocked"):
        review.review(db, person(db, cast.owner), output, "approve", "looks fine")


def test_small_counts_are_blocked_by_the_disclosure_rules(run_project, write_project):
    job = run_project(write_project("""
        import pandas as pd
        frame = pd.read_parquet("/data/cohort.parquet")
        frame[frame.age > 88].groupby("site").size().rename("n").reset_index().to_csv("/output/result.csv", index=False)
    """))
    output = next(o for o in job.outputs if o.name == "result.csv")
    assert checks_of(output)["disclosure"]["status"] == "fail"
    assert output.auto_status == AutoStatus.blocked


def test_an_aggregate_table_is_released_only_after_two_different_checkers(db, cast, run_project, write_project, api):
    job = run_project(write_project(AGGREGATE))
    assert job.state == SpaceJobState.succeeded, job.error_code
    output = next(o for o in job.outputs if o.name == "result.csv")
    assert output.auto_status == AutoStatus.passed, output.checks
    company = api(cast.company)
    url = f"/api/v1/space/jobs/{job.id}/outputs/result.csv"
    assert company.get(url).status_code == 403  # held

    # the requester's side may not review; the same checker may not decide twice
    with pytest.raises((PermissionDenied, NotFound)):
        review.review(db, person(db, cast.company), output, "approve", "mine")
    first = api(cast.owner).post(url + "/review", json={"decision": "approve", "comment": "counts ≥ 10"})
    assert first.status_code == 200, first.text
    assert first.json()["review_state"] == "pending"
    again = api(cast.owner).post(url + "/review", json={"decision": "approve", "comment": "again"})
    assert again.status_code == 409
    assert company.get(url).status_code == 403
    second = api(cast.colleague).post(url + "/review", json={"decision": "approve", "comment": "agree"})
    assert second.json()["review_state"] == "approved"

    released = company.get(url)
    assert released.status_code == 200
    assert released.text.splitlines()[0] == "site,n,mean_age"
    logs = {o.name: o for o in job.outputs if o.kind == "log"}
    assert set(logs) == {"stdout.log", "stderr.log"}
    assert company.get(f"/api/v1/space/jobs/{job.id}/outputs/stdout.log").status_code == 403  # logs held too

    from sqlalchemy import select

    from yizhi.ledger.models import LedgerEntry

    kinds = [e.kind for e in db.scalars(select(LedgerEntry))]
    for kind in ("space.job_submitted", "space.job_finished", "space.output_checked", "space.output_reviewed",
                 "space.output_downloaded"):
        assert kind in kinds, kind


def test_one_rejection_rejects(db, cast, run_project, write_project):
    job = run_project(write_project(AGGREGATE))
    output = next(o for o in job.outputs if o.name == "result.csv")
    review.review(db, person(db, cast.owner), output, "approve", "ok")
    review.review(db, person(db, cast.colleague), output, "reject", "the mean could single out site C")
    assert output.review_state == ReviewState.rejected


def test_an_undeclared_file_and_a_forbidden_type_are_blocked(run_project, write_project):
    job = run_project(write_project("""
        open("/output/result.csv", "w").write("n\\n20\\n")
        open("/output/extra.csv", "w").write("n\\n20\\n")
        open("/output/model.pkl", "wb").write(b"\\x80\\x04")
    """))
    outputs = {o.name: o for o in job.outputs}
    assert outputs["result.csv"].auto_status == AutoStatus.passed
    assert checks_of(outputs["extra.csv"])["declared"]["status"] == "fail"
    assert checks_of(outputs["model.pkl"])["type"]["status"] == "fail"


TRAIN = """
    import numpy as np, pandas as pd
    from skl2onnx import to_onnx
    from sklearn.{module} import {cls}
    frame = pd.read_parquet("/data/cohort.parquet")
    x = frame[["age", "hba1c"]].to_numpy(np.float32)
    model = {cls}({args}).fit(x, frame.outcome)
    onx = to_onnx(model, x[:1], options={{id(model): {{"zipmap": False}}}})
    open("/output/model.onnx", "wb").write(onx.SerializeToString())
"""
MODEL_OUTPUT = [{"path": "model.onnx", "kind": "model", "table": "cohort", "features": ["age", "hba1c"],
                 "label": "outcome"}]


def test_a_logistic_regression_exported_as_onnx_passes(run_project, write_project):
    job = run_project(write_project(TRAIN.format(module="linear_model", cls="LogisticRegression", args=""),
                                    outputs=MODEL_OUTPUT))
    assert job.state == SpaceJobState.succeeded, job.error_code
    model = next(o for o in job.outputs if o.name == "model.onnx")
    checks = checks_of(model)
    assert checks["onnx_checker"]["status"] == "pass"
    assert checks["instance_based"]["status"] == "pass"
    mia = checks["membership_inference"]
    assert mia["status"] == "pass", mia
    assert 0.3 < mia["params"]["auc"] < 0.6
    assert mia["params"]["nonmembers"] >= 20
    assert model.auto_status == AutoStatus.passed
    assert job.view_rows < 600  # a fifth of the rows was held back as known non-members


def test_a_knn_model_is_refused(run_project, write_project):
    job = run_project(write_project(TRAIN.format(module="neighbors", cls="KNeighborsClassifier", args="3"),
                                    outputs=MODEL_OUTPUT))
    model = next(o for o in job.outputs if o.name == "model.onnx")
    assert checks_of(model)["instance_based"]["status"] == "fail"
    assert model.auto_status == AutoStatus.blocked


def test_a_memorising_model_shows_a_high_attack_auc(run_project, write_project):
    # a fully grown forest on noise-level features memorises its rows: the attack must see it
    job = run_project(write_project(TRAIN.format(module="ensemble", cls="RandomForestClassifier",
                                                 args="n_estimators=30, random_state=0"), outputs=MODEL_OUTPUT))
    model = next(o for o in job.outputs if o.name == "model.onnx")
    mia = checks_of(model)["membership_inference"]
    assert mia["params"]["auc"] >= 0.6, mia
    assert mia["status"] in ("warn", "fail")
