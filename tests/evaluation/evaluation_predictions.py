"""Helpers of the predictions-file tests: release a phase's inputs, score them with the Pima model the
way a participant would (ONNX Runtime on their own machine), write CSV or Parquet files."""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from evaluation_data import FEATURES


def release(db, benchmark_slug: str, phase_index: int = 0) -> int:
    from yizhi.evaluation import service
    from yizhi.evaluation.releases import release_inputs

    benchmark = service.get_benchmark(db, benchmark_slug)
    phase = benchmark.phases[phase_index]
    release_inputs(db, phase, benchmark.organization)
    db.commit()
    return phase.id


def participant_scores(model: bytes, inputs: pa.Table) -> tuple[list[str], np.ndarray]:
    """The released keys and the model's probability of the positive class, computed outside the platform."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    X = np.column_stack([np.asarray(inputs.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
                         for c in FEATURES]).astype(np.float32)
    output = session.run(["probabilities"], {"input": X})[0]
    return inputs.column("case").to_pylist(), np.asarray(output, dtype=np.float64)[:, 1]


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def predictions_csv(keys: list[str], scores) -> bytes:
    return csv_bytes(["case", "score"], [[k, repr(float(s))] for k, s in zip(keys, scores, strict=True)])


def predictions_parquet(keys: list[str], scores) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"case": keys, "score": pa.array(np.asarray(scores, dtype=np.float64))}), buffer)
    return buffer.getvalue()
