"""Checks a submitted ONNX model must pass before anything executes it.

Run inside the sandbox (:mod:`.sandbox_child`; this file is copied beside it into the sandbox's
``/project``, where the platform is not importable), never in the web or worker process: the
platform process does not even parse an untrusted model. Each refusal is a :class:`ModelRefused`
with a stable code and an English msgid with its values apart (translated where it is shown).

Order: not a pickle/zip archive → protobuf parses → no external-data tensors anywhere (graph,
subgraphs, node attributes; loading them would read files named by the model — the path traversal
bug class of onnx/onnxruntime) → operator domains only '' / 'ai.onnx' / 'ai.onnx.ml', no local
functions → ``onnx.checker`` full check (with shape inference) → inputs and outputs match the task
contract.
"""

from __future__ import annotations

try:
    from yizhi.errors import N_
except ImportError:  # in the sandbox: the platform is not importable there; msgids stay English
    def N_(text: str) -> str:
        return text

ALLOWED_DOMAINS = {"", "ai.onnx", "ai.onnx.ml"}
DTYPE_CODES = {"float32": 1, "int32": 6, "int64": 7, "float64": 11}


class ModelRefused(Exception):
    def __init__(self, code: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.code, self.template, self.params = code, message, params


def refuse_archives(data: bytes) -> None:
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise ModelRefused("not_onnx", N_("the file is a Python pickle, not an ONNX model; pickles are never loaded"))
    if data[:4] == b"PK\x03\x04":
        raise ModelRefused("not_onnx", N_("the file is a zip archive (joblib/torch?), not an ONNX model"))


def parse(data: bytes):
    import onnx
    from google.protobuf.message import DecodeError

    refuse_archives(data)
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ModelRefused("not_onnx", N_("the file is not an ONNX model (it does not parse: %(reason)s)"),
                           reason=str(exc)[:200]) from None
    if model.ir_version <= 0 or not model.opset_import or not model.graph.node:
        raise ModelRefused("not_onnx", N_("the file is not an ONNX model (no IR version, opset or graph nodes); "
                                          "is it truncated?"))
    return model


def _graphs(graph):
    """The graph and every subgraph (If/Loop/Scan bodies), depth first."""
    from onnx import AttributeProto

    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == AttributeProto.GRAPH:
                yield from _graphs(attribute.g)
            elif attribute.type == AttributeProto.GRAPHS:
                for sub in attribute.graphs:
                    yield from _graphs(sub)


def _tensors(graph):
    from onnx import AttributeProto

    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == AttributeProto.TENSOR:
                yield attribute.t
            elif attribute.type == AttributeProto.TENSORS:
                yield from attribute.tensors
            elif attribute.type == AttributeProto.SPARSE_TENSOR:
                yield attribute.sparse_tensor.values


def refuse_external_data(model) -> None:
    from onnx import TensorProto

    for graph in _graphs(model.graph):
        for tensor in _tensors(graph):
            if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
                location = next((e.value for e in tensor.external_data if e.key == "location"), "?")
                raise ModelRefused("external_data", N_("tensor %(tensor)s refers to external data (%(location)s); "
                                                       "only self-contained models are accepted"),
                                   tensor=tensor.name or "?", location=location[:200])


def refuse_custom_domains(model) -> None:
    for opset in model.opset_import:
        if opset.domain not in ALLOWED_DOMAINS:
            raise ModelRefused("custom_domain", N_("operator domain %(domain)s is not allowed (allowed: the standard "
                                                   "domain and ai.onnx.ml)"), domain=opset.domain[:100])
    if len(model.functions):
        raise ModelRefused("custom_domain", N_("model-local functions are not allowed (%(name)s)"),
                           name=model.functions[0].name[:100])
    for graph in _graphs(model.graph):
        for node in graph.node:
            if node.domain not in ALLOWED_DOMAINS:
                raise ModelRefused("custom_domain", N_("node %(node)s uses operator %(op)s of domain %(domain)s, "
                                                       "which is not allowed"),
                                   node=node.name[:100] or "?", op=node.op_type[:100], domain=node.domain[:100])


def full_check(model) -> None:
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelRefused("invalid_model", N_("the ONNX checker rejects the model: %(reason)s"),
                           reason=first[:300]) from None


def _dims(value_info) -> list:
    shape = value_info.type.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else None for d in shape.dim]


def check_contract(model, spec: dict) -> None:
    """The model's one input and the named output are what the task contract says."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    names = ", ".join(i.name for i in inputs)
    if len(inputs) != 1 or inputs[0].name != spec["input_name"]:
        raise ModelRefused("contract_mismatch", N_("the model's inputs are %(names)s; the task contract expects one "
                                                   "input named %(expected)s"),
                           names=names or "none", expected=spec["input_name"])
    tensor = inputs[0].type.tensor_type
    if not inputs[0].type.HasField("tensor_type") or tensor.elem_type != DTYPE_CODES[spec["input_dtype"]]:
        raise ModelRefused("contract_mismatch", N_("input %(name)s must be a %(dtype)s tensor"),
                           name=spec["input_name"], dtype=spec["input_dtype"])
    dims = _dims(inputs[0])
    row_shape = spec.get("row_shape")
    if row_shape is not None:     # an image model: [N, C, H, W] or [N, 1, D, H, W] exactly as the contract says
        if len(dims) != len(row_shape) + 1 or any(d is not None and d != want for d, want in zip(dims[1:], row_shape)):
            raise ModelRefused("contract_mismatch", N_("input %(name)s has shape %(shape)s; the task contract "
                                                       "expects %(expected)s"),
                               name=spec["input_name"], shape=str(dims), expected=str(["N", *row_shape]))
    elif len(dims) != 2 or (dims[1] is not None and dims[1] != spec["width"]):
        raise ModelRefused("contract_mismatch", N_("input %(name)s has shape %(shape)s; the task contract expects "
                                                   "[N, %(width)s]"),
                           name=spec["input_name"], shape=str(dims), width=spec["width"])
    outputs = {o.name: o for o in model.graph.output}
    if spec["output_name"] not in outputs:
        raise ModelRefused("contract_mismatch", N_("the model has no output %(name)s (outputs: %(names)s)"),
                           name=spec["output_name"], names=", ".join(outputs) or "none")
    if not outputs[spec["output_name"]].type.HasField("tensor_type"):
        raise ModelRefused("contract_mismatch", N_("output %(name)s must be a tensor, not a sequence or map "
                                                   "(skl2onnx: convert with options={'zipmap': False})"),
                           name=spec["output_name"])


def check_model_bytes(data: bytes, spec: dict):
    """Every check, in order; returns the parsed model."""
    model = parse(data)
    refuse_external_data(model)
    refuse_custom_domains(model)
    full_check(model)
    check_contract(model, spec)
    return model
