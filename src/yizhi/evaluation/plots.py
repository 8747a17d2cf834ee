"""Report figures (matplotlib, Agg): ROC, precision–recall, reliability, decision curve, subgroup
forest plot and robustness, as PNG bytes. Drawn from the report's aggregates only."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _axes(title: str, xlabel: str, ylabel: str):
    figure, axes = plt.subplots(figsize=(4.2, 3.4))
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel, fontsize=9)
    axes.set_ylabel(ylabel, fontsize=9)
    axes.grid(alpha=0.3)
    return figure, axes


def figures(report: dict) -> dict[str, bytes]:
    """Name → PNG for every figure the report's task has."""
    out = {}
    curves = report.get("roc_pr")
    if curves:
        figure, axes = _axes("ROC", "1 - specificity", "sensitivity")
        axes.plot(curves["fpr"], curves["tpr"], color="#1f6feb")
        axes.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
        out["roc"] = _png(figure)
        figure, axes = _axes("Precision-recall", "recall", "precision")
        axes.plot(curves["recall"], curves["precision"], color="#8250df")
        out["pr"] = _png(figure)
    bins = [b for b in report.get("reliability") or [] if b.get("n")]
    if bins:
        figure, axes = _axes("Reliability", "predicted probability", "observed frequency")
        axes.plot([0, 1], [0, 1], ls="--", color="grey", lw=0.8)
        axes.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o", color="#cf222e")
        out["reliability"] = _png(figure)
    decision = report.get("decision_curve")
    if decision:
        figure, axes = _axes("Decision curve", "threshold probability", "net benefit")
        axes.plot(decision["thresholds"], decision["model"], label="model")
        axes.plot(decision["thresholds"], decision["treat_all"], label="treat all", ls="--")
        axes.plot(decision["thresholds"], decision["treat_none"], label="treat none", ls=":")
        low = min(min(decision["model"]), 0) - 0.02
        axes.set_ylim(max(low, -0.1), max(max(decision["model"]), max(decision["treat_all"])) + 0.05)
        axes.legend(fontsize=7)
        out["decision_curve"] = _png(figure)
    forest = _forest(report)
    if forest:
        out["subgroups"] = forest
    robustness = [r for r in report.get("robustness") or [] if any(k.startswith("delta_") and r[k] is not None
                                                                      for k in r)]
    if robustness:
        key = next(k for k in robustness[0] if k.startswith("delta_"))
        figure, axes = _axes("Robustness", key.replace("_", " "), "")
        axes.barh([r["perturbation"] for r in robustness], [r[key] or 0 for r in robustness], color="#bf8700")
        out["robustness"] = _png(figure)
    return out


def _forest(report: dict) -> bytes | None:
    rows = []
    for column, section in (report.get("subgroups") or {}).items():
        for group, values in section["groups"].items():
            metric = next(iter((values.get("metrics") or {}).values()), None)
            if metric and metric.get("value") is not None and None not in metric.get("ci", [None]):
                rows.append((f"{column}={group}", metric["value"], metric["ci"]))
    if not rows:
        return None
    figure, axes = plt.subplots(figsize=(4.8, 0.35 * len(rows) + 1.2))
    for i, (label, value, (low, high)) in enumerate(rows):
        axes.plot([low, high], [i, i], color="#1f6feb")
        axes.plot([value], [i], "o", color="#1f6feb")
    axes.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    axes.set_title("Subgroups (95% CI)", fontsize=10)
    axes.grid(alpha=0.3)
    return _png(figure)
