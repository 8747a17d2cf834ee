"""Assemble the nine-section report (a plain JSON-able dict) from the scored outputs.

Pure: takes the contract, the hidden set's arrays (which never leave this function as anything but
aggregates), the model's outputs and the run's statistics. Groups under ``min_cell`` cases are
suppressed everywhere (card, subgroups, reliability bins).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from yizhi.errors import N_
from yizhi.evaluation import EVALUATOR_VERSION, binary_report, other_tasks
from yizhi.evaluation.contract import LOWER_IS_BETTER, TaskContract
from yizhi.evaluation.robustness import describe_any, severity_of

NOT_APPLICABLE = N_("not applicable to a predictions file")

# Sections of the report and the guideline topics each answers (mapped by topic; TRIPOD+AI item
# numbers only where the checklist's numbering is unambiguous).
GUIDELINE_MAP = [
    {"section": N_("1. intended use, I/O contract, test-set card"),
     "nmpa_2022": "预期用途；测试集（来源、样本量、分布、参考标准）",
     "tripod_ai": N_("3b target population; 5a data sources; 5b dates; 6a setting and centres; "
                     "outcome and predictors")},
    {"section": N_("2. discrimination"), "nmpa_2022": "算法性能评估（灵敏度、特异度、ROC/AUC 及置信区间）",
     "tripod_ai": N_("model performance measures with confidence intervals")},
    {"section": N_("3. calibration"), "nmpa_2022": "算法性能评估（校准）",
     "tripod_ai": N_("calibration (plot, slope, intercept)")},
    {"section": N_("4. clinical utility"), "nmpa_2022": "临床意义 / 临床评价",
     "tripod_ai": N_("clinical utility (net benefit)")},
    {"section": N_("5. subgroups and fairness"), "nmpa_2022": "泛化能力（亚组、不同中心）",
     "tripod_ai": N_("3c health inequalities; fairness across groups")},
    {"section": N_("6. robustness"), "nmpa_2022": "鲁棒性 / 压力测试（噪声、缺失、单位、越界输入）",
     "tripod_ai": N_("data preparation; handling of missing data")},
    {"section": N_("7. efficiency"), "nmpa_2022": "算法性能（运行时间、资源占用）",
     "tripod_ai": N_("computational requirements of the model")},
    {"section": N_("8. traceability"), "nmpa_2022": "可追溯性（算法与数据版本）；重复性",
     "tripod_ai": N_("model specification; code and data availability")},
    {"section": N_("9. verdict and limitations"), "nmpa_2022": "结论与局限",
     "tripod_ai": N_("limitations; interpretation")},
]


@dataclass
class ScoringInput:
    contract: TaskContract
    reference: np.ndarray                 # binary: 0/1; multiclass: class index; regression: value
    scores: np.ndarray                    # binary: score per case; multiclass: (n, k); regression: value
    groups: dict[str, np.ndarray]         # subgroup column -> labels as text
    perturbed: dict[str, np.ndarray]      # perturbation -> scores
    dataset: dict                         # ref, root_hash, rows, excluded, card
    hashes: dict                          # model_sha256, dataset_root_hash, task_sha256
    stats: dict                           # runner stats, model size, rerun_identical
    seed: int
    min_cell: int = 10
    time: np.ndarray | None = None        # survival
    workers: int | None = 1
    extras: dict = field(default_factory=dict)


def _counts(labels: np.ndarray, min_cell: int) -> dict:
    values, counts = np.unique(labels, return_counts=True)
    return {str(v): (int(c) if c >= min_cell else f"<{min_cell}") for v, c in zip(values, counts, strict=True)}


def card(s: ScoringInput) -> dict:
    c = s.contract
    section = {"title": c.title, "intended_use": c.intended_use, "population": c.population,
               "reference_standard": c.reference_standard or c.reference,
               "io_contract": {"table": c.table, "inputs": c.inputs, "reference": c.reference,
                               "model_input": {"name": c.input_name, "shape": c.input_shape, "dtype": c.input_dtype},
                               "model_output": {"name": c.output_name, "index": c.output_index},
                               "positive_class": c.positive_class, "threshold": c.threshold},
               "dataset": s.dataset.get("ref"), "n": int(len(s.reference)),
               "excluded_missing_reference": s.dataset.get("excluded", 0),
               "distributions": {col: _counts(labels, s.min_cell) for col, labels in s.groups.items()}}
    if c.is_dicom:     # series-level aggregates only (images.py), small counts suppressed
        from yizhi.evaluation.images import suppress

        section["io_contract"].update(inputs="dicom", image=dict(c.image))
        section["images"] = suppress(s.dataset.get("images") or {}, s.min_cell)
    if c.task == "binary_classification":
        section["prevalence"] = round(float(np.mean(s.reference)), 6)
    dataset_card = s.dataset.get("card") or {}
    for key in ("dates", "sites", "source", "description"):
        if key in dataset_card:
            section[key] = dataset_card[key]
    return section


def _worst(groups: dict, metric: str) -> dict | None:
    candidates = [(g, v["metrics"].get(metric, {}).get("value")) for g, v in groups.items()
                  if isinstance(v, dict) and "metrics" in v]
    candidates = [(g, x) for g, x in candidates if x is not None]
    if not candidates:
        return None
    pick = max if metric in LOWER_IS_BETTER else min
    group, value = pick(candidates, key=lambda item: item[1])
    return {"metric": metric, "group": group, "value": value}


def _fairness(y: np.ndarray, predicted: np.ndarray, labels: np.ndarray) -> dict:
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    if len(np.unique(labels)) < 2:
        return {}
    return {"equalized_odds_difference": round(float(equalized_odds_difference(y, predicted, sensitive_features=labels)), 6),
            "demographic_parity_difference": round(float(demographic_parity_difference(
                y, predicted, sensitive_features=labels)), 6)}


def subgroups(s: ScoringInput, metric_fn) -> dict:
    out = {}
    c = s.contract
    for column, labels in s.groups.items():
        groups, kept = {}, np.zeros(len(labels), bool)
        for value in np.unique(labels):
            mask = labels == value
            if mask.sum() < s.min_cell:
                groups[str(value)] = {"n": f"<{s.min_cell}", "suppressed": True}
                continue
            kept |= mask
            groups[str(value)] = {"n": int(mask.sum()), **metric_fn(mask)}
        section = {"groups": groups, "worst_group": _worst(groups, primary_metric(c.task))}
        if c.task == "binary_classification" and kept.any():
            section["gaps"] = _fairness(s.reference[kept], (s.scores[kept] >= c.threshold).astype(int), labels[kept])
        out[column] = section
    return out


def primary_metric(task: str) -> str:
    return {"binary_classification": "auroc", "multiclass_classification": "macro_auroc", "regression": "mae",
            "survival_risk": "c_index"}[task]


def _verdict(contract: TaskContract, metrics: dict) -> dict:
    rows = []
    for criterion in contract.pass_criteria:
        found = metrics.get(criterion.metric) or {}
        value = found.get("value") if criterion.bound == "value" else \
            (found.get("ci") or [None, None])[0 if criterion.bound == "ci_lower" else 1]
        ok = value is not None and (criterion.min is None or value >= criterion.min) and \
            (criterion.max is None or value <= criterion.max)
        rows.append({"metric": criterion.metric, "bound": criterion.bound, "min": criterion.min, "max": criterion.max,
                     "observed": value, "passed": bool(ok)})
    overall = "no_criteria" if not rows else ("pass" if all(r["passed"] for r in rows) else "fail")
    return {"criteria": rows, "overall": overall}


def _is_predictions(s: ScoringInput) -> bool:
    return s.extras.get("kind") == "predictions"


def _limitation_messages(s: ScoringInput) -> list[dict]:
    """The report's limitations as message ids with their values: the report keeps the English text
    (it is signed), pages show them in the reader's language."""
    notes = [
        {"msgid": N_("Performance is measured on one hidden test set; it may not transfer to other sites, devices "
                     "or periods."), "params": {}},
        {"msgid": N_("Scored from a predictions file: the evaluation center never ran the model, so robustness, "
                     "efficiency and reproducibility of the scores are not assessed."), "params": {}}
        if _is_predictions(s) else
        {"msgid": N_("Robustness perturbations are synthetic and defined in advance; they do not cover every real "
                     "shift."), "params": {}},
        {"msgid": N_("Groups with fewer than %(min_cell)s cases are suppressed and not compared."),
         "params": {"min_cell": s.min_cell}},
    ]
    n = len(s.reference)
    if n < 500:
        notes.append({"msgid": N_("The test set is small (n=%(n)s); confidence intervals are wide."), "params": {"n": n}})
    if s.contract.task == "binary_classification" and min(s.reference.sum(), n - s.reference.sum()) < 100:
        notes.append({"msgid": N_("Fewer than 100 cases in one class: estimates at the threshold are imprecise."),
                      "params": {}})
    return notes


def _limitations(s: ScoringInput) -> list[str]:
    return [m["msgid"] % m["params"] if m["params"] else m["msgid"] for m in _limitation_messages(s)]


def build_report(s: ScoringInput) -> dict:
    c = s.contract
    if c.task == "binary_classification":
        metrics = binary_report.metrics_with_ci(s.reference, s.scores, c.threshold, c.bootstrap, s.seed, s.workers)
        confusion = metrics.pop("_confusion", {})
        extra = {"confusion_matrix": confusion,
                 **binary_report.curves(s.reference, s.scores, c.threshold, c.net_benefit_thresholds, s.min_cell)}

        def per_group(mask):
            found = binary_report.metrics_with_ci(s.reference[mask], s.scores[mask], c.threshold,
                                                  min(c.bootstrap, 1000), s.seed)
            found.pop("_confusion", None)
            return {"prevalence": round(float(s.reference[mask].mean()), 6), "metrics": found}
    else:
        metrics = other_tasks.metrics_with_ci(c.task, s.reference, s.scores, s.seed, min(c.bootstrap, 500), s.time)
        extra = {}

        def per_group(mask):
            return {"metrics": other_tasks.metrics_with_ci(c.task, s.reference[mask], s.scores[mask], s.seed,
                                                           min(c.bootstrap, 200),
                                                           None if s.time is None else s.time[mask])}
    predictions = _is_predictions(s)
    report = {
        "task": c.task, "submission_kind": "predictions" if predictions else "model", "card": card(s),
        "metrics": metrics, **extra,
        "subgroups": subgroups(s, per_group),
        # a predictions file has no model to perturb or time: said so, never left blank
        "robustness": [] if predictions else robustness(s),
        "efficiency": {"not_applicable": NOT_APPLICABLE} if predictions else efficiency(s),
        "verdict": _verdict(c, metrics),
        "hashes": dict(s.hashes),
        "traceability": {"evaluator_version": EVALUATOR_VERSION, "seeds": {"bootstrap": s.seed,
                         "perturbations": s.seed}, "bootstrap_replicates": c.bootstrap,
                         "rerun_bit_identical": s.stats.get("rerun_identical"),
                         **({"predictions_sha256": s.hashes.get("predictions_sha256")} if predictions else {})},
        **({"not_applicable": {"robustness": NOT_APPLICABLE, "efficiency": NOT_APPLICABLE}} if predictions else {}),
        "limitations": _limitations(s),
        "limitations_i18n": _limitation_messages(s),
        "guideline_map": GUIDELINE_MAP,
    }
    return report


def efficiency(s: ScoringInput) -> dict:
    keys = ("latency_ms_p50", "latency_ms_p95", "cases_timed", "peak_memory_mb", "load_ms", "model_bytes",
            "sandbox_cpu_seconds", "sandbox_wall_seconds")
    return {k: (round(float(s.stats[k]), 4) if isinstance(s.stats.get(k), float) else s.stats.get(k)) for k in keys}


def robustness(s: ScoringInput) -> list[dict]:
    from yizhi.engine import map_parallel

    # in the order scoring ran them: the table perturbations, or the image ones with their severities
    items = [(name, s.contract.task, s.reference, s.scores, s.perturbed[name], s.contract.threshold, s.time)
             for name in s.perturbed]
    workers = s.workers if len(s.reference) > 20_000 else 1
    return list(map_parallel(robustness_row, items, workers=workers, chunksize=1))


def robustness_row(item: tuple) -> dict:
    """One perturbation's change in the primary metric (and sensitivity), on cases with finite scores."""
    name, task, reference, base, perturbed, threshold, time = item
    finite = np.all(np.isfinite(perturbed.reshape(len(perturbed), -1)), axis=1)
    row = {"perturbation": name, "description": describe_any(name), **severity_of(name), "n": int(finite.sum()),
           "non_finite_fraction": round(float(1 - finite.mean()), 6) if len(finite) else None}
    metric = primary_metric(task)
    before = other_tasks.point(task, reference, base, time)[metric]
    after = other_tasks.point(task, reference[finite], perturbed[finite], None if time is None else time[finite])[metric] \
        if finite.sum() >= 2 else None
    row[metric] = after
    row[f"delta_{metric}"] = None if after is None or before is None else round(after - before, 6)
    if task == "binary_classification":
        sens = lambda y, p: float(np.mean(p[y == 1] >= threshold)) if np.any(y == 1) else None  # noqa: E731
        base_sens, new_sens = sens(reference, base), sens(reference[finite], perturbed[finite])
        row["sensitivity"] = None if new_sens is None else round(new_sens, 6)
        row["delta_sensitivity"] = None if new_sens is None or base_sens is None else round(new_sens - base_sens, 6)
    return row
