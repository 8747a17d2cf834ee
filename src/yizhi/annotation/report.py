"""A project's agreement figures (per label field, per class, per annotator pair) and the SVG matrix
chart of the agreement page. Reads submitted answers on real (not gold) items."""

from __future__ import annotations

import itertools
from html import escape

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.annotation import agreement
from yizhi.annotation.models import Assignment, AssignmentState, Item, Project

MAX_ITEMS = 200_000


def _answers(session: Session, project: Project) -> tuple[dict[int, dict[int, dict]], dict]:
    """{item_id: {annotator_id: answer}} over overlapped items, and item refs (for mask sizes)."""
    rows = session.execute(select(Assignment.item_id, Assignment.annotator_id, Assignment.answer, Item.ref)
                           .join(Item, Item.id == Assignment.item_id)
                           .where(Assignment.project_id == project.id, Assignment.state == AssignmentState.submitted,
                                  Item.gold == "", Item.required > 1).limit(MAX_ITEMS * 5)).all()
    by_item: dict[int, dict[int, dict]] = {}
    refs = {}
    for item_id, annotator_id, answer, ref in rows:
        by_item.setdefault(item_id, {})[annotator_id] = answer or {}
        refs[item_id] = ref
    return {k: v for k, v in by_item.items() if len(v) >= 2}, refs


def _categorical(label: dict, by_item: dict, annotators: list[int]) -> dict:
    name = label["name"]
    matrix = [[answers.get(a, {}).get(name) if a in answers else None for a in annotators] for answers in by_item.values()]
    columns = {a: [row[i] for row in matrix] for i, a in enumerate(annotators)}
    pairs = {f"{a}-{b}": value for (a, b), value in agreement.pairwise(columns, agreement.cohen_kappa).items()}
    level = "ordinal" if label["type"] == "likert" else "nominal"
    order = [str(v) for v in range(label["min"], label["max"] + 1)] if label["type"] == "likert" else label["classes"]
    result = {"type": label["type"], "items": len(matrix), "fleiss_kappa": agreement.fleiss_kappa(matrix),
              "krippendorff_alpha": agreement.krippendorff_alpha(matrix, level, order=order), "level": level,
              "pairs": pairs}
    if label["type"] == "class" and len(label["classes"]) > 2:
        result["per_class"] = {
            cls: agreement.krippendorff_alpha([[None if v is None else v == cls for v in row] for row in matrix],
                                              "nominal", order=["False", "True"]) for cls in label["classes"]}
    return result


def _spans(label: dict, by_item: dict, annotators: list[int]) -> dict:
    name = label["name"]
    pairs, exact_all, overlap_all = {}, [], []
    for a, b in itertools.combinations(annotators, 2):
        both = [(ans[a].get(name) or [], ans[b].get(name) or []) for ans in by_item.values() if a in ans and b in ans]
        if both:
            pairs[f"{a}-{b}"] = agreement.pooled_span_f1(both)
            exact_all += both
            overlap_all += both
    per_class = {}
    for cls in label["classes"]:
        filtered = [([s for s in x if s["label"] == cls], [s for s in y if s["label"] == cls]) for x, y in exact_all]
        if any(x or y for x, y in filtered):
            per_class[cls] = agreement.pooled_span_f1(filtered)
    return {"type": "spans", "items": len(by_item), "f1_exact": agreement.pooled_span_f1(exact_all),
            "f1_overlap": agreement.pooled_span_f1(overlap_all, overlap=True), "pairs": pairs, "per_class": per_class}


def _boxes(label: dict, by_item: dict, annotators: list[int]) -> dict:
    name = label["name"]
    pairs, everything = {}, []
    for a, b in itertools.combinations(annotators, 2):
        scores = []
        for answers in by_item.values():
            if a in answers and b in answers:
                first, second = answers[a].get(name) or [], answers[b].get(name) or []
                for box in first:
                    scores.append(max((agreement.box_iou(box, other) for other in second
                                       if other["label"] == box["label"]), default=0.0))
                scores.extend(0.0 for _ in range(max(len(second) - len(first), 0)))
        if scores:
            pairs[f"{a}-{b}"] = float(np.mean(scores))
            everything += scores
    return {"type": "boxes", "items": len(by_item), "mean_iou": float(np.mean(everything)) if everything else None,
            "pairs": pairs}


def _masks(label: dict, by_item: dict, refs: dict, annotators: list[int]) -> dict:
    name = label["name"]
    pairs, dice_all, iou_all = {}, [], []
    for a, b in itertools.combinations(annotators, 2):
        dice = []
        for item_id, answers in by_item.items():
            if a in answers and b in answers:
                rows, columns = int(refs[item_id].get("rows") or 512), int(refs[item_id].get("columns") or 512)
                for frame in sorted({m.get("frame", 0) for m in (answers[a].get(name) or []) + (answers[b].get(name) or [])}):
                    first = agreement.rasterize(answers[a].get(name) or [], rows, columns, frame=frame)
                    second = agreement.rasterize(answers[b].get(name) or [], rows, columns, frame=frame)
                    dice.append(agreement.mask_dice(first, second))
                    iou_all.append(agreement.mask_iou(first, second))
        if dice:
            pairs[f"{a}-{b}"] = float(np.mean(dice))
            dice_all += dice
    return {"type": "masks", "items": len(by_item), "mean_dice": float(np.mean(dice_all)) if dice_all else None,
            "mean_iou": float(np.mean(iou_all)) if iou_all else None, "pairs": pairs}


def project_agreement(session: Session, project: Project) -> dict:
    """Agreement per label field over items answered by two or more annotators."""
    by_item, refs = _answers(session, project)
    annotators = sorted({a for answers in by_item.values() for a in answers})
    fields = {}
    for label in project.schema["labels"]:
        if label["type"] in ("class", "likert"):
            fields[label["name"]] = _categorical(label, by_item, annotators)
        elif label["type"] == "spans":
            fields[label["name"]] = _spans(label, by_item, annotators)
        elif label["type"] == "boxes":
            fields[label["name"]] = _boxes(label, by_item, annotators)
        elif label["type"] == "masks":
            fields[label["name"]] = _masks(label, by_item, refs, annotators)
    return {"items": len(by_item), "annotators": annotators, "fields": fields}


def headline(field: dict) -> tuple[str, float | None]:
    """The figure a matrix cell shows for a field type."""
    for key in ("krippendorff_alpha", "f1_exact", "mean_iou", "mean_dice"):
        if key in field:
            return key, field[key]
    return "", None


def matrix_svg(annotators: list[int], names: dict[int, str], pairs: dict[str, float | None], title: str) -> str:
    """A pairwise agreement matrix as inline SVG (cells coloured from red at 0 to green at 1)."""
    n = len(annotators)
    cell, left, top = 56, 130, 40
    width, height = left + cell * n + 20, top + cell * n + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="agreement-matrix" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>']
    for i, a in enumerate(annotators):
        label = escape(names.get(a, str(a))[:16])
        parts.append(f'<text x="{left - 6}" y="{top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">{label}</text>')
        parts.append(f'<text x="{left + i * cell + cell / 2}" y="{top - 8}" text-anchor="middle" font-size="12">{label}</text>')
        for j, b in enumerate(annotators):
            value = 1.0 if a == b else pairs.get(f"{min(a, b)}-{max(a, b)}")
            fill = "#eeeeee" if value is None else _colour(value)
            text = "–" if value is None else f"{value:.2f}"
            x, y = left + j * cell, top + i * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}" '
                         f'data-pair="{a}-{b}"><title>{text}</title></rect>')
            parts.append(f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle" font-size="12">{text}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _colour(value: float) -> str:
    v = min(max(value, 0.0), 1.0)
    red, green = int(230 - 150 * v), int(120 + 100 * v)
    return f"rgb({red},{green},120)"


def accuracy_svg(series: dict[int, list[dict]], names: dict[int, str], title: str) -> str:
    """Cumulative gold accuracy per annotator, one polyline each."""
    width, height, left, top = 520, 220, 40, 20
    longest = max((len(p) for p in series.values()), default=1)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - 30}" stroke="#999"/>',
             f'<line x1="{left}" y1="{height - 30}" x2="{width - 10}" y2="{height - 30}" stroke="#999"/>',
             f'<text x="4" y="{top + 4}" font-size="11">1.0</text><text x="4" y="{height - 30}" font-size="11">0</text>']
    span_x, span_y = width - 10 - left, height - 30 - top
    for index, (person_id, points) in enumerate(sorted(series.items())):
        colour = colours[index % len(colours)]
        coords = " ".join(f"{left + span_x * (p['n'] - 1) / max(longest - 1, 1):.1f},"
                          f"{height - 30 - span_y * p['accuracy']:.1f}" for p in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        parts.append(f'<text x="{width - 150}" y="{top + 14 * index + 10}" font-size="11" fill="{colour}">'
                     f'{escape(names.get(person_id, str(person_id))[:20])}</text>')
    parts.append("</svg>")
    return "".join(parts)
