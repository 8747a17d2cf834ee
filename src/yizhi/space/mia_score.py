"""Inside the sandbox: per-row losses of a released model on members and known non-members.

Run by the airlock (not by the grantee) with the untrusted model at /data/model.onnx, rows the job
saw at /data/members.parquet and rows held back from it at /data/nonmembers.parquet; writes
/output/losses.json. A classifier's loss is the cross-entropy of the true label; a regressor's the
squared error.
"""

import json
import sys

import numpy as np
import onnxruntime as ort
import pyarrow.parquet as pq


def _probabilities(outputs, rows: int):
    for value in outputs:
        if isinstance(value, list) and value and isinstance(value[0], dict):  # ZipMap: [{class: p}]
            classes = sorted(value[0])
            return classes, np.array([[row[c] for c in classes] for row in value], dtype=float)
        array = np.asarray(value)
        if array.dtype.kind == "f" and array.ndim == 2 and array.shape[0] == rows and array.shape[1] > 1:
            return None, array
    return None, None


def losses(session, path: str, features: list, label: str, classes_seen: list) -> tuple[str, list]:
    table = pq.read_table(path).to_pandas()
    x = table[features].to_numpy(dtype=np.float32)
    y = table[label].to_numpy()
    outputs = session.run(None, {session.get_inputs()[0].name: x})
    classes, probabilities = _probabilities(outputs, len(x))
    if probabilities is not None:
        classes = classes if classes is not None else classes_seen
        index = {c: i for i, c in enumerate(classes)}
        true = np.array([probabilities[r, index[v]] if v in index else 0.0 for r, v in enumerate(y.tolist())])
        return "classifier", (-np.log(np.clip(true, 1e-12, 1.0))).tolist()
    predicted = np.asarray(outputs[0], dtype=float).reshape(len(x), -1)[:, 0]
    return "regressor", ((predicted - y.astype(float)) ** 2).tolist()


def main() -> None:
    config = json.loads(sys.argv[1])
    features, label = config["features"], config["label"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession("/data/model.onnx", options, providers=["CPUExecutionProvider"])
    labels = set()
    for name in ("members", "nonmembers"):
        labels |= set(pq.read_table(f"/data/{name}.parquet", columns=[label]).column(0).to_pylist())
    classes_seen = sorted(labels)
    kind, member_losses = losses(session, "/data/members.parquet", features, label, classes_seen)
    _, other_losses = losses(session, "/data/nonmembers.parquet", features, label, classes_seen)
    with open("/output/losses.json", "w") as handle:
        json.dump({"kind": kind, "members": member_losses, "nonmembers": other_losses}, handle)


if __name__ == "__main__":
    main()
