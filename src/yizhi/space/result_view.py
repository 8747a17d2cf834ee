"""A logged query's result laid out for the page: rows of a table, a chart, suppressed cells marked."""

from __future__ import annotations

from yizhi.space import charts


def _label(mapping: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in mapping.items()) or "—"


def result_view(row: dict, gettext) -> dict:
    view = {**row, "table": None, "chart": None, "pairs": None}
    result = row.get("result") or {}
    suppressed_text = gettext("suppressed")
    op = row.get("op")
    if row.get("status") != "released" or not result:
        return view
    if "cells" in result:
        measure = "n" if op == "crosstab" else op
        view["table"] = {"head": [gettext("Row"), gettext("Column"), "n"] + ([measure] if measure != "n" else []),
                         "rows": [[_label(c["row"]), _label(c["column"]), c.get("n")] + (
                             [c.get(measure)] if measure != "n" else []) for c in result["cells"]]}
        values = [c.get(measure) for c in result["cells"]]
        labels = [f"{_label(c['row'])} / {_label(c['column'])}" if c["column"] else _label(c["row"])
                  for c in result["cells"]]
        view["chart"] = charts.bars(labels, values, op or "", suppressed_text)
        view["margins"] = result.get("margins")
    elif op == "histogram" and result.get("counts") is not None:
        edges = result.get("edges") or []
        labels = [f"{edges[i]:g}–{edges[i + 1]:g}" for i in range(len(edges) - 1)] if edges else \
            [str(c) for c in result.get("categories", [])]
        view["table"] = {"head": [gettext("Bin"), "n"], "rows": [[lab, v] for lab, v in zip(labels, result["counts"])]}
        view["chart"] = charts.bars(labels, result["counts"], "histogram", suppressed_text)
    elif op == "km" and result.get("groups"):
        series = [(str(g["group"]), [(p["time"], p["survival"]) for p in (g["curve"] or []) if p["survival"] is not None])
                  for g in result["groups"] if g.get("curve")]
        view["chart"] = charts.steps(series, "Kaplan-Meier")
        view["table"] = {"head": [gettext("Group"), "n", gettext("Events"), gettext("Median")],
                         "rows": [[g["group"], g["n"], g["events"], g["median"]] for g in result["groups"]]}
    elif "coefficients" in result:
        view["table"] = {"head": [gettext("Term"), gettext("Estimate"), "SE", "95% CI", "p"],
                         "rows": [[term, _fmt(c["estimate"]), _fmt(c["se"]),
                                   f"{_fmt(c['ci'][0])} – {_fmt(c['ci'][1])}", _fmt(c["p"])]
                                  for term, c in result["coefficients"].items()]}
    else:
        view["pairs"] = [(k, v) for k, v in result.items() if not isinstance(v, (dict, list)) or k == "quantiles"]
    return view


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.4g}"
