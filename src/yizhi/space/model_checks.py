"""Automatic checks of a model a job wants to release: ONNX only, checked without running it.

The model is parsed from its bytes (never with external data: a tensor stored outside the file is
refused, so a model cannot make the platform read a path), passed through ``onnx.checker``, and
must use only the standard domains (``ai.onnx``, ``ai.onnx.ml``) with no local functions — the
operators the platform's runtime implements and reviewers can read.

Disclosure risk: models that keep training rows inside them are refused outright —
support-vector machines (``SVMClassifier``/``SVMRegressor`` store support vectors, which are
training rows) and nearest-neighbour models (a ``TopK``/``ArgMin`` search over a stored matrix of
rows). Other models (linear, trees, networks) pass this check; whether they memorised their
training rows is estimated by the membership-inference attack in :mod:`yizhi.space.mia`.
Not caught here: a decision tree grown to one row per leaf, or rows hidden in a network's weights —
those show as a high attack AUC or to the checkers.
"""

from __future__ import annotations

from pathlib import Path

from yizhi.errors import N_
from yizhi.space.checks import Check, failed, passed, warned

STANDARD_DOMAINS = {"", "ai.onnx", "ai.onnx.ml"}
SVM_OPS = {"SVMClassifier", "SVMRegressor"}
SEARCH_OPS = {"TopK", "ArgMin"}
MIN_STORED_ROWS = 10


def _graphs(graph):
    """The graph and every subgraph (If/Loop/Scan bodies)."""
    import onnx

    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from _graphs(attribute.g)
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                for sub in attribute.graphs:
                    yield from _graphs(sub)


def _constants(graph):
    """Every stored tensor: initializers and Constant nodes' values."""
    yield from graph.initializer
    for node in graph.node:
        if node.op_type == "Constant":
            for attribute in node.attribute:
                if attribute.name == "value" and attribute.t is not None:
                    yield attribute.t


def load_model(data: bytes):
    """The parsed model, or None when the bytes are not an ONNX model."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError, TypeError):
        return None
    return model if model.HasField("graph") else None


def check_onnx(path: Path) -> tuple[list[Check], dict]:
    """Checks of the model at ``path`` and a short description (operators, parameters, inputs)."""
    import onnx

    model = load_model(path.read_bytes())
    if model is None:
        return [failed("model_format", N_("not a valid ONNX model"))], {}
    graphs = list(_graphs(model.graph))
    checks = [_external_data(graphs), _domains(model, graphs)]
    try:
        onnx.checker.check_model(model)
        checks.append(passed("onnx_checker"))
    except (onnx.checker.ValidationError, ValueError, RuntimeError):
        checks.append(failed("onnx_checker", N_("onnx.checker refused the model")))
    checks.append(_instance_based(graphs))
    return checks, _describe(model, graphs)


def _external_data(graphs) -> Check:
    import onnx

    for graph in graphs:
        for tensor in _constants(graph):
            if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
                return failed("external_data", N_("the model refers to data outside its file (tensor %(name)s)"),
                              name=tensor.name[:80])
    return passed("external_data")


def _domains(model, graphs) -> Check:
    used = {o.domain for o in model.opset_import} | {n.domain for g in graphs for n in g.node}
    foreign = sorted(d for d in used if d not in STANDARD_DOMAINS)
    if foreign:
        return failed("domains", N_("the model uses operators outside the standard domains: %(domains)s"),
                      domains=", ".join(foreign)[:200])
    if len(model.functions):
        return failed("domains", N_("the model defines its own functions; only standard operators are accepted"))
    return passed("domains")


def _instance_based(graphs) -> Check:
    ops = {n.op_type for g in graphs for n in g.node}
    if ops & SVM_OPS:
        return failed("instance_based", N_("a support-vector model stores training rows (its support vectors); "
                                           "it cannot leave the data space"))
    if ops & SEARCH_OPS:
        rows = max((t.dims[0] for g in graphs for t in _constants(g) if len(t.dims) == 2), default=0)
        if rows >= MIN_STORED_ROWS:
            return failed("instance_based", N_("a nearest-neighbour model searches %(rows)s stored rows; "
                                               "it cannot leave the data space"), rows=int(rows))
    if "TreeEnsembleClassifier" in ops or "TreeEnsembleRegressor" in ops:
        return warned("instance_based", N_("tree ensemble: leaves may describe single training rows; "
                                           "see the membership-inference estimate"))
    return passed("instance_based")


def _describe(model, graphs) -> dict:
    parameters = 0
    for graph in graphs:
        for tensor in _constants(graph):
            count = 1
            for dim in tensor.dims:
                count *= dim
            parameters += count
    ops = sorted({n.op_type for g in graphs for n in g.node})
    return {"operators": ops[:40], "parameters": int(parameters),
            "inputs": [i.name for i in model.graph.input][:20], "outputs": [o.name for o in model.graph.output][:20],
            "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import}}
