"""The report as PDF (reportlab: pure Python, no system service), with the figures embedded.

Text stays text (extractable); figures are PNG images. Chinese text uses reportlab's built-in
CID font STSong-Light so titles and intended-use text in Chinese render without font files.
"""

from __future__ import annotations

import io
import json

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yizhi.evaluation.plots import figures

FONT = "STSong-Light"
_KINDS = {"model": "ONNX model", "predictions": "predictions file"}


def _styles():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    styles = getSampleStyleSheet()
    for name in ("Normal", "Heading1", "Heading2", "Title"):
        styles[name].fontName = FONT
    return styles


def _escape(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[list], widths=None) -> Table:
    table = Table([[_escape(c) for c in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
                               ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    return table


def _fmt(value) -> str:
    return "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def image_summary(images: dict) -> str:
    """One line of a DICOM benchmark's image aggregates (the card's ``images``)."""
    parts = [f"{images.get('series')} series",
             "modalities " + ", ".join(f"{k} {v}" for k, v in (images.get("modalities") or {}).items()),
             "manufacturers " + ", ".join(f"{k} {v}" for k, v in (images.get("manufacturers") or {}).items())]
    slices = images.get("slices_per_series")
    if slices:
        parts.append(f"slices per series {slices['min']}–{slices['max']} (median {slices['median']})")
    spacing = images.get("pixel_spacing_mm")
    if spacing:
        parts.append(f"pixel spacing {spacing['row'][0]}–{spacing['row'][1]} × {spacing['column'][0]}–"
                     f"{spacing['column'][1]} mm")
    if images.get("slice_thickness_mm"):
        parts.append(f"slice thickness {images['slice_thickness_mm'][0]}–{images['slice_thickness_mm'][1]} mm")
    return " · ".join(parts)


def _robustness(report: dict, styles) -> list:
    """A predictions file was never run: the section says so instead of an empty table."""
    if report.get("not_applicable"):
        return [Paragraph(_escape(report["not_applicable"]["robustness"]), styles["Normal"])]
    return [_table([["perturbation", "n", "change"]] + [
        [r["perturbation"], r["n"], ", ".join(f"{k}={_fmt(v)}" for k, v in r.items() if k.startswith("delta_"))]
        for r in report["robustness"]])]


def _efficiency(report: dict, styles) -> list:
    if report.get("not_applicable"):
        return [Paragraph(_escape(report["not_applicable"]["efficiency"]), styles["Normal"])]
    return [_table([["measure", "value"]] + [[k, _fmt(v)] for k, v in report["efficiency"].items()])]


def render_pdf(report: dict, meta: dict) -> bytes:
    """``meta``: submission id, benchmark, organisation, signature note, ledger index."""
    styles = _styles()
    story = [Paragraph(_escape(f"YiZhi evaluation report — submission {meta.get('submission_id')}"), styles["Title"]),
             Paragraph(_escape(f"Benchmark {meta.get('benchmark')} · {meta.get('organization')} · "
                               f"verdict {report['verdict']['overall']}"), styles["Normal"])]
    card = report["card"]
    story += [Paragraph("1. Intended use and test set", styles["Heading2"]),
              Paragraph(_escape(f"Intended use: {card['intended_use']}"), styles["Normal"]),
              Paragraph(_escape(f"Population: {card['population']}"), styles["Normal"]),
              Paragraph(_escape(f"Dataset {card['dataset']}, n = {card['n']}, prevalence {card.get('prevalence')}"),
                        styles["Normal"])]
    if card.get("images"):      # a DICOM benchmark: series-level aggregates only
        story.append(Paragraph(_escape(f"Images: {image_summary(card['images'])}"), styles["Normal"]))
    story += [Paragraph("2-3. Metrics with 95% CI", styles["Heading2"]),
              _table([["metric", "value", "95% CI", "method"]] + [
                  [name, _fmt(m["value"]), f"{_fmt(m['ci'][0])} – {_fmt(m['ci'][1])}", m.get("method", "")]
                  for name, m in report["metrics"].items()])]
    images = figures(report)
    for name in ("roc", "pr", "reliability", "decision_curve", "subgroups", "robustness"):
        if name in images:
            story += [Spacer(1, 0.2 * cm), Image(io.BytesIO(images[name]), width=9 * cm, height=7 * cm,
                                                 kind="proportional")]
    story += [Paragraph("5. Subgroups", styles["Heading2"])]
    for column, section in report["subgroups"].items():
        rows = [["group", "n", "primary metric", "95% CI"]]
        for group, values in section["groups"].items():
            metric = next(iter((values.get("metrics") or {}).values()), {"value": None, "ci": [None, None]})
            rows.append([f"{column}={group}", values.get("n"), _fmt(metric["value"]),
                         f"{_fmt(metric['ci'][0])} – {_fmt(metric['ci'][1])}"])
        story += [_table(rows), Paragraph(_escape(f"gaps: {json.dumps(section.get('gaps', {}))}; worst: "
                                                  f"{json.dumps(section.get('worst_group'))}"), styles["Normal"])]
    story += [Paragraph("6. Robustness", styles["Heading2"]), *_robustness(report, styles)]
    story += [Paragraph("7. Efficiency", styles["Heading2"]), *_efficiency(report, styles)]
    story += [Paragraph("8. Traceability", styles["Heading2"]),
              _table([["item", "value"]] + [[k, v] for k, v in report["hashes"].items()] +
                     [[k, json.dumps(v)] for k, v in report["traceability"].items()])]
    story += [Paragraph("9. Verdict, limitations, guideline map", styles["Heading2"]),
              _table([["metric", "bound", "min", "observed", "passed"]] + [
                  [c["metric"], c["bound"], _fmt(c["min"]), _fmt(c["observed"]), "yes" if c["passed"] else "no"]
                  for c in report["verdict"]["criteria"]])]
    story += [Paragraph(_escape(f"• {note}"), styles["Normal"]) for note in report["limitations"]]
    story += [_table([["section", "NMPA 2022", "TRIPOD+AI"]] + [
        [row["section"], row["nmpa_2022"], row["tripod_ai"]] for row in report["guideline_map"]],
        widths=[4.5 * cm, 5.5 * cm, 7 * cm])]
    story += [Paragraph("Signature (platform key) and ledger entry", styles["Heading2"]),
              Paragraph(_escape(f"ledger index {meta.get('ledger_index')}; report sha256 {meta.get('report_sha256')}"),
                        styles["Normal"]),
              Paragraph(_escape(meta.get("signature") or "").replace("\n", "<br/>"), styles["Normal"])]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"YiZhi evaluation report {meta.get('submission_id')}").build(story)
    return buffer.getvalue()
