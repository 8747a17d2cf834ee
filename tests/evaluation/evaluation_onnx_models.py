"""ONNX models for the evaluation tests: an honest classifier and hostile ones, built in code."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper


def logistic_onnx(X: np.ndarray, y: np.ndarray, seed: int = 0) -> bytes:
    """A scikit-learn logistic regression converted with skl2onnx (tensor output, no ZipMap)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed)).fit(X, y)
    onx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, X.shape[1]]))],
                          options={LogisticRegression: {"zipmap": False}}, target_opset={"": 17, "ai.onnx.ml": 3})
    return onx.SerializeToString()


def _model(nodes, inputs, outputs, initializers=(), opsets=(("", 17),)) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    model.ir_version = 8
    return model


def _io(width: int = 4):
    return ([helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, width])],
            [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])


def external_data_onnx(path: str = "/etc/passwd", width: int = 7) -> bytes:
    inputs, outputs = _io(width)
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[width, 2])
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", path), ("offset", "0"), ("length", "32")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    node = helper.make_node("MatMul", ["input", "w"], ["probabilities"])
    return _model([node], inputs, outputs, [weight]).SerializeToString()


def custom_domain_onnx(width: int = 7) -> bytes:
    inputs, outputs = _io(width)
    node = helper.make_node("Exfiltrate", ["input"], ["probabilities"], domain="com.evil")
    return _model([node], inputs, outputs, opsets=(("", 17), ("com.evil", 1))).SerializeToString()


def memory_bomb_onnx(elements: int = 1 << 36, width: int = 7) -> bytes:
    """Reads its input, then asks for a tensor of ``elements`` floats (256 GiB by default)."""
    inputs, outputs = _io(width)
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [elements // 2, 2])
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["big"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
        helper.make_node("ReduceMean", ["big"], ["mean"], keepdims=0),
        helper.make_node("ReduceSum", ["input"], ["s"], keepdims=1),
        helper.make_node("Mul", ["s", "mean"], ["m"]),
        helper.make_node("Concat", ["m", "m"], ["probabilities"], axis=1),
    ]
    return _model(nodes, inputs, outputs, [shape]).SerializeToString()


def identity_like_onnx(width: int = 4, scale: float = 1.0) -> bytes:
    """probabilities = [1 - sigmoid(scale·x0), sigmoid(scale·x0)] — a tiny standard-ops model."""
    inputs, outputs = _io(width)
    nodes = [
        helper.make_node("Slice", ["input", "starts", "ends", "axes"], ["x0"]),
        helper.make_node("Mul", ["x0", "scale"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["p1"]),
        helper.make_node("Sub", ["one", "p1"], ["p0"]),
        helper.make_node("Concat", ["p0", "p1"], ["probabilities"], axis=1),
    ]
    inits = [helper.make_tensor("starts", TensorProto.INT64, [1], [0]),
             helper.make_tensor("ends", TensorProto.INT64, [1], [1]),
             helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
             helper.make_tensor("scale", TensorProto.FLOAT, [1], [scale]),
             helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])]
    return _model(nodes, inputs, outputs, inits).SerializeToString()


def pickle_bytes() -> bytes:
    import pickle

    return pickle.dumps({"coef": [1.0, 2.0]}, protocol=4)


def endless_loop_onnx(width: int = 7, trips: int = 1 << 50) -> bytes:
    """Standard ops only: a Loop adding 1 to a scalar ``trips`` times (never finishes in practice)."""
    inputs, outputs = _io(width)
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), helper.make_node("Add", ["v_in", "step"], ["v_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1])],
        initializer=[helper.make_tensor("step", TensorProto.FLOAT, [1], [1.0])])
    nodes = [
        helper.make_node("Loop", ["trips", "go", "v0"], ["v"], body=body),
        helper.make_node("ReduceSum", ["input"], ["s"], keepdims=1),
        helper.make_node("Mul", ["s", "v"], ["m"]),
        helper.make_node("Sigmoid", ["m"], ["p"]),
        helper.make_node("Concat", ["p", "p"], ["probabilities"], axis=1),
    ]
    inits = [helper.make_tensor("trips", TensorProto.INT64, [], [trips]),
             helper.make_tensor("go", TensorProto.BOOL, [], [True]),
             helper.make_tensor("v0", TensorProto.FLOAT, [1], [0.0])]
    return _model(nodes, inputs, outputs, inits).SerializeToString()


NETWORK_PROBE = '''
import json, os, socket, sys
from pathlib import Path
request = json.loads((Path(sys.argv[1]) / "request.json").read_text())
try:
    connection = socket.create_connection(("127.0.0.1", request["port"]), timeout=3)
    connection.sendall(b"hidden data")
    outcome = "connected"
except OSError as exc:
    outcome = "refused"
seen = [p for p in request["host_paths"] if os.path.exists(p)]
(Path(sys.argv[2]) / "result.json").write_text(json.dumps(
    {"ok": False, "code": "probe", "template": outcome, "params": {"seen": seen}}))
'''
