"""The task contract: a benchmark's YAML that says what the model gets, what it must return, and
how it is judged. Parsed and validated here, with every error naming the key at fault.

Exact keys (issue 15): ``task``, ``intended_use``, ``population``, ``table``, ``inputs``,
``reference``, ``model.input.{name, shape, dtype}``, ``model.output.{name, index}``,
``positive_class``, ``threshold``, ``subgroups``, ``pass_criteria``. Our own additions:
``title``, ``reference_standard``, ``time_column`` / ``event_column`` (survival), ``robustness``
(per-column unit factors and plausible ranges), ``bootstrap`` (replicates), ``net_benefit_thresholds``,
and for ``inputs: dicom`` the ``image`` section (:mod:`.image_contract`: which column of ``table`` links
a case to its series, and how pixels become the model's input tensor).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

import yaml

from yizhi.errors import N_, ValidationFailed

TASKS = ("binary_classification", "multiclass_classification", "regression", "survival_risk")
IMAGE_TASKS = ("binary_classification", "multiclass_classification")
LATER_TASKS = ("segmentation", "detection")
DTYPES = ("float32", "float64", "int64", "int32")
MAX_YAML_BYTES = 64 * 1024
MAX_INPUTS = 2048
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\- ]{0,127}$")
# Metrics a pass criterion (and a leaderboard) may name, per task
METRICS = {
    "binary_classification": ("auroc", "auprc", "sensitivity", "specificity", "ppv", "npv", "f1", "accuracy",
                              "brier", "ece", "calibration_slope", "calibration_intercept", "oe_ratio"),
    "multiclass_classification": ("accuracy", "macro_f1", "macro_auroc", "balanced_accuracy"),
    "regression": ("mae", "rmse", "r2", "pearson_r"),
    "survival_risk": ("c_index",),
}
LOWER_IS_BETTER = {"brier", "ece", "mae", "rmse"}
BOUNDS = ("value", "ci_lower", "ci_upper")
KNOWN_KEYS = {"task", "title", "intended_use", "population", "reference_standard", "table", "inputs", "reference",
              "model", "positive_class", "threshold", "subgroups", "pass_criteria", "time_column", "event_column",
              "robustness", "bootstrap", "net_benefit_thresholds", "classes", "image"}


@dataclass(frozen=True)
class Criterion:
    metric: str
    bound: str = "ci_lower"
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class TaskContract:
    task: str
    intended_use: str
    population: str
    table: str
    inputs: list[str]
    reference: str
    input_name: str
    input_shape: list
    input_dtype: str
    output_name: str
    output_index: int | None
    positive_class: object = 1
    threshold: float = 0.5
    subgroups: list[str] = field(default_factory=list)
    pass_criteria: list[Criterion] = field(default_factory=list)
    title: str = ""
    reference_standard: str = ""
    time_column: str | None = None
    event_column: str | None = None
    classes: list = field(default_factory=list)
    unit_factors: dict = field(default_factory=dict)
    ranges: dict = field(default_factory=dict)
    bootstrap: int = 2000
    net_benefit_thresholds: tuple = (0.01, 0.99, 0.01)
    image: dict = field(default_factory=dict)    # ``inputs: dicom``: the image section, validated

    @property
    def is_dicom(self) -> bool:
        return bool(self.image)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["pass_criteria"] = [asdict(c) for c in self.pass_criteria]
        data["net_benefit_thresholds"] = list(self.net_benefit_thresholds)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TaskContract:
        values = dict(data)
        values["pass_criteria"] = [Criterion(**c) for c in values.get("pass_criteria", [])]
        values["net_benefit_thresholds"] = tuple(values.get("net_benefit_thresholds", (0.01, 0.99, 0.01)))
        return cls(**values)

    def columns_needed(self) -> list[str]:
        """Every column of the hidden table the scoring reads."""
        extra = [self.reference, *self.subgroups]
        if self.is_dicom:
            extra = [self.image["link"], *extra]
        if self.task == "survival_risk":
            extra = [self.time_column, self.event_column, *self.subgroups]
        return list(dict.fromkeys([*self.inputs, *[c for c in extra if c]]))


def _fail(message: str, key: str, **params) -> ValidationFailed:
    return ValidationFailed(message, params={"key": key, **params}, field=key)


def _text(data: dict, key: str, *, required: bool = True, limit: int = 4000) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise _fail(N_("task contract: %(key)s is missing"), key)
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(N_("task contract: %(key)s must be non-empty text"), key)
    if len(value) > limit:
        raise _fail(N_("task contract: %(key)s is longer than %(limit)s characters"), key, limit=limit)
    return value.strip()


def _column(value, key: str) -> str:
    if not isinstance(value, str) or not COLUMN.match(value):
        raise _fail(N_("task contract: %(key)s must be a column name, not %(value)r"), key, value=value)
    return value


def _number(value, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(N_("task contract: %(key)s must be a finite number"), key)
    return float(value)


def parse_contract(text: str | bytes) -> TaskContract:
    """Parse and validate a task contract YAML; ValidationFailed names the key at fault."""
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            raise _fail(N_("task contract: the file is larger than %(limit)s bytes"), "task", limit=MAX_YAML_BYTES)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(N_("task contract: the file is not UTF-8 text"), "task") from None
    if len(text) > MAX_YAML_BYTES:
        raise _fail(N_("task contract: the file is larger than %(limit)s bytes"), "task", limit=MAX_YAML_BYTES)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = where.line + 1 if where else "?"
        raise ValidationFailed(N_("task contract: not valid YAML (line %(line)s)"), params={"line": line},
                               field="task") from None
    if not isinstance(data, dict):
        raise _fail(N_("task contract: the file must hold a mapping of keys"), "task")
    return contract_from_mapping(data)


def contract_from_mapping(data: dict) -> TaskContract:
    unknown = sorted(str(k) for k in data if k not in KNOWN_KEYS)
    if unknown:
        raise _fail(N_("task contract: unknown key(s) %(keys)s"), unknown[0], keys=", ".join(unknown))
    task = _task(data)
    if data.get("inputs") == "dicom":
        from yizhi.evaluation.image_contract import image_section, image_model_input

        if task not in IMAGE_TASKS:
            raise _fail(N_("task contract: DICOM series inputs are supported for %(supported)s, not %(value)s"),
                        "inputs", supported=", ".join(IMAGE_TASKS), value=task)
        inputs, image = [], image_section(data.get("image"))
        model_in, model_out = _model(data, 0, image_model_input)
    else:
        if "image" in data:
            raise _fail(N_("task contract: %(key)s is only for inputs: dicom"), "image")
        inputs, image = _inputs(data.get("inputs")), {}
        model_in, model_out = _model(data, len(inputs))
    subgroups = data.get("subgroups") or []
    if not isinstance(subgroups, list):
        raise _fail(N_("task contract: %(key)s must be a list of columns"), "subgroups")
    subgroups = [_column(c, f"subgroups[{i}]") for i, c in enumerate(subgroups)]
    survival = _survival_columns(data, task)
    reference = _column(data.get("reference"), "reference") if task != "survival_risk" or data.get("reference") \
        else survival[1]
    threshold = _number(data.get("threshold", 0.5), "threshold")
    robustness = _robustness(data.get("robustness") or {}, inputs)
    contract = TaskContract(
        task=task, intended_use=_text(data, "intended_use"), population=_text(data, "population"),
        table=_column(data.get("table"), "table"), inputs=inputs, reference=reference,
        input_name=model_in[0], input_shape=model_in[1], input_dtype=model_in[2],
        output_name=model_out[0], output_index=model_out[1],
        positive_class=_positive_class(data, task), threshold=threshold, subgroups=subgroups,
        pass_criteria=_criteria(data.get("pass_criteria") or [], task),
        title=_text(data, "title", required=False, limit=200),
        reference_standard=_text(data, "reference_standard", required=False),
        time_column=survival[0], event_column=survival[1], classes=_classes(data, task),
        unit_factors=robustness[0], ranges=robustness[1], bootstrap=_bootstrap(data),
        net_benefit_thresholds=_nb_thresholds(data), image=image,
    )
    return contract


def _inputs(inputs) -> list[str]:
    if not isinstance(inputs, list) or not inputs or len(inputs) > MAX_INPUTS:
        raise _fail(N_("task contract: %(key)s must be a non-empty list of feature columns, or dicom"), "inputs")
    inputs = [_column(c, f"inputs[{i}]") for i, c in enumerate(inputs)]
    if len(set(inputs)) != len(inputs):
        raise _fail(N_("task contract: %(key)s lists a column twice"), "inputs")
    return inputs


def _task(data: dict) -> str:
    task = data.get("task")
    if task in LATER_TASKS:
        raise _fail(N_("task contract: task %(value)s (images) is not supported yet; supported: %(supported)s"),
                    "task", value=task, supported=", ".join(TASKS))
    if task not in TASKS:
        raise _fail(N_("task contract: task must be one of %(supported)s, not %(value)r"), "task",
                    supported=", ".join(TASKS), value=task)
    return task


def _model(data: dict, width: int, check_input=None) -> tuple[tuple, tuple]:
    model = data.get("model")
    if not isinstance(model, dict):
        raise _fail(N_("task contract: %(key)s is missing"), "model")
    spec_in, spec_out = model.get("input"), model.get("output")
    if not isinstance(spec_in, dict):
        raise _fail(N_("task contract: %(key)s is missing"), "model.input")
    if not isinstance(spec_out, dict):
        raise _fail(N_("task contract: %(key)s is missing"), "model.output")
    name = spec_in.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(N_("task contract: %(key)s must be the model's input name"), "model.input.name")
    shape = spec_in.get("shape")
    if check_input is not None:
        shape = check_input(shape, _fail)
    elif not isinstance(shape, list) or len(shape) != 2 or not all(d is None or (isinstance(d, int) and d > 0)
                                                                    for d in shape):
        raise _fail(N_("task contract: %(key)s must be [null, number of inputs]"), "model.input.shape")
    if check_input is None and shape[1] is not None and shape[1] != width:
        raise _fail(N_("task contract: %(key)s says %(width)s features but inputs lists %(count)s"),
                    "model.input.shape", width=shape[1], count=width)
    dtype = spec_in.get("dtype", "float32")
    if dtype not in DTYPES:
        raise _fail(N_("task contract: %(key)s must be one of %(supported)s"), "model.input.dtype",
                    supported=", ".join(DTYPES))
    out_name = spec_out.get("name")
    if not isinstance(out_name, str) or not out_name:
        raise _fail(N_("task contract: %(key)s must be the model's output name"), "model.output.name")
    index = spec_out.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise _fail(N_("task contract: %(key)s must be a column index (0 or more)"), "model.output.index")
    return (name, shape, dtype), (out_name, index)


def _positive_class(data: dict, task: str):
    value = data.get("positive_class", 1 if task == "binary_classification" else None)
    if task == "binary_classification" and (value is None or isinstance(value, list | dict)):
        raise _fail(N_("task contract: %(key)s must be the reference value that means positive"), "positive_class")
    return value


def _classes(data: dict, task: str) -> list:
    classes = data.get("classes") or []
    if task == "multiclass_classification" and (not isinstance(classes, list) or len(classes) < 2):
        raise _fail(N_("task contract: %(key)s must list the reference values in the model's output order"),
                    "classes")
    return list(classes) if isinstance(classes, list) else []


def _survival_columns(data: dict, task: str) -> tuple[str | None, str | None]:
    if task != "survival_risk":
        return None, None
    return _column(data.get("time_column"), "time_column"), _column(data.get("event_column"), "event_column")


def _criteria(items, task: str) -> list[Criterion]:
    if not isinstance(items, list):
        raise _fail(N_("task contract: %(key)s must be a list"), "pass_criteria")
    found = []
    for i, item in enumerate(items):
        key = f"pass_criteria[{i}]"
        if not isinstance(item, dict) or set(item) - {"metric", "bound", "min", "max"}:
            raise _fail(N_("task contract: %(key)s must have metric, bound and min or max"), key)
        metric, bound = item.get("metric"), item.get("bound", "ci_lower")
        if metric not in METRICS[task]:
            raise _fail(N_("task contract: %(key)s: unknown metric %(value)r for %(task)s (known: %(known)s)"),
                        key, value=metric, task=task, known=", ".join(METRICS[task]))
        if bound not in BOUNDS:
            raise _fail(N_("task contract: %(key)s: bound must be one of %(known)s"), key, known=", ".join(BOUNDS))
        low = _number(item["min"], f"{key}.min") if "min" in item else None
        high = _number(item["max"], f"{key}.max") if "max" in item else None
        if low is None and high is None:
            raise _fail(N_("task contract: %(key)s must have metric, bound and min or max"), key)
        found.append(Criterion(metric, bound, low, high))
    return found


def _robustness(section, inputs: list[str]) -> tuple[dict, dict]:
    if not isinstance(section, dict) or set(section) - {"unit_factors", "ranges"}:
        raise _fail(N_("task contract: %(key)s may hold unit_factors and ranges"), "robustness")
    factors, ranges = section.get("unit_factors") or {}, section.get("ranges") or {}
    for column, factor in factors.items():
        if column not in inputs:
            raise _fail(N_("task contract: %(key)s names %(value)s, which is not an input"),
                        "robustness.unit_factors", value=column)
        if _number(factor, f"robustness.unit_factors.{column}") <= 0:
            raise _fail(N_("task contract: %(key)s must be a finite number"), f"robustness.unit_factors.{column}")
    for column, pair in ranges.items():
        key = f"robustness.ranges.{column}"
        if column not in inputs:
            raise _fail(N_("task contract: %(key)s names %(value)s, which is not an input"), "robustness.ranges",
                        value=column)
        if not isinstance(pair, list) or len(pair) != 2 or _number(pair[0], key) >= _number(pair[1], key):
            raise _fail(N_("task contract: %(key)s must be [low, high] with low < high"), key)
    return ({k: float(v) for k, v in factors.items()}, {k: [float(a), float(b)] for k, (a, b) in ranges.items()})


def _bootstrap(data: dict) -> int:
    value = data.get("bootstrap", 2000)
    if isinstance(value, bool) or not isinstance(value, int) or not 200 <= value <= 20000:
        raise _fail(N_("task contract: %(key)s must be a whole number of replicates between 200 and 20000"),
                    "bootstrap")
    return value


def _nb_thresholds(data: dict) -> tuple:
    value = data.get("net_benefit_thresholds", [0.01, 0.99, 0.01])
    if not isinstance(value, list) or len(value) != 3:
        raise _fail(N_("task contract: %(key)s must be [start, stop, step]"), "net_benefit_thresholds")
    start, stop, step = (_number(v, "net_benefit_thresholds") for v in value)
    if not (0 < start < stop < 1 and 0 < step <= stop - start) or (stop - start) / step > 1000:
        raise _fail(N_("task contract: %(key)s must be [start, stop, step]"), "net_benefit_thresholds")
    return (start, stop, step)


def check_against_table(contract: TaskContract, columns: dict[str, str], ref: str) -> None:
    """Refuse a contract whose columns the dataset version's table does not have (named)."""
    if not columns:
        raise ValidationFailed(N_("dataset version %(ref)s has no table %(table)s"),
                               params={"ref": ref, "table": contract.table}, field="table")
    missing = [c for c in contract.columns_needed() if c not in columns]
    if missing:
        raise ValidationFailed(N_("table %(table)s of %(ref)s has no column(s) %(columns)s"),
                               params={"table": contract.table, "ref": ref, "columns": ", ".join(missing)},
                               field="inputs")
