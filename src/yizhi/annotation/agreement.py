"""Inter-annotator agreement: Cohen's κ (pairs), Fleiss' κ, Krippendorff's α (the ``krippendorff``
package), span-level F1, and IoU/Dice for boxes and masks.

Cohen's and Fleiss' κ are written here (a dozen lines each) rather than taken from scikit-learn and
statsmodels because annotation data is ragged: labels are strings, items miss raters, and an item
rated by only some annotators must count for the pairs that rated it. The tests check both against
``sklearn.metrics.cohen_kappa_score`` and ``statsmodels.stats.inter_rater.fleiss_kappa`` on random
data. Pure module: no database, no web.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

MISSING = None


def cohen_kappa(first: list, second: list) -> float | None:
    """κ of two raters over the items both rated (None where either is missing); None if undefined."""
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not MISSING and b is not MISSING]
    if not pairs:
        return None
    categories = sorted({str(v) for pair in pairs for v in pair})
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for a, b in pairs:
        table[index[str(a)], index[str(b)]] += 1
    total = table.sum()
    observed = np.trace(table) / total
    expected = float((table.sum(axis=0) * table.sum(axis=1)).sum()) / total**2
    if math.isclose(expected, 1.0):
        return 1.0 if math.isclose(observed, 1.0) else None
    return float((observed - expected) / (1 - expected))


def fleiss_kappa(ratings: list[list]) -> float | None:
    """Fleiss' κ over items rated by the same number (≥ 2) of raters; items with fewer are left out.

    ``ratings[i]`` holds item i's labels (None for a rater who did not rate it)."""
    rows = [[str(v) for v in row if v is not MISSING] for row in ratings]
    counts = [len(r) for r in rows if len(r) >= 2]
    if not counts:
        return None
    raters = max(set(counts), key=lambda n: (counts.count(n), n))
    rows = [r for r in rows if len(r) == raters]
    categories = sorted({v for r in rows for v in r})
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(rows), len(categories)))
    for i, row in enumerate(rows):
        for value in row:
            table[i, index[value]] += 1
    per_item = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    shares = table.sum(axis=0) / table.sum()
    observed, expected = per_item.mean(), float((shares**2).sum())
    if math.isclose(expected, 1.0):
        return 1.0 if math.isclose(observed, 1.0) else None
    return float((observed - expected) / (1 - expected))


def krippendorff_alpha(ratings: list[list], level: str = "nominal", order: list | None = None) -> float | None:
    """Krippendorff's α (``krippendorff`` package); ``ratings[i][r]`` is rater r's label of item i.

    Nominal labels are coded by first appearance; ordinal ones by ``order`` (e.g. a Likert scale)."""
    import krippendorff

    values = [v for row in ratings for v in row if v is not MISSING]
    if len({str(v) for v in values}) < 2:
        return None if not values else (1.0 if values else None)
    if order is None:
        order = sorted({str(v) for v in values}, key=lambda v: (float(v), v) if _is_number(v) else (math.inf, v))
    code = {str(v): i for i, v in enumerate(order)}
    matrix = np.array([[np.nan if v is MISSING else code[str(v)] for v in row] for row in ratings], dtype=float).T
    if (np.sum(~np.isnan(matrix), axis=0) >= 2).sum() == 0:
        return None
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


def pairwise(matrix_of: dict[int, list], metric) -> dict[tuple[int, int], float | None]:
    """``metric(a, b)`` for every pair of annotators (ids), over the items both did."""
    out = {}
    for a, b in itertools.combinations(sorted(matrix_of), 2):
        out[(a, b)] = metric(matrix_of[a], matrix_of[b])
    return out


# --- spans -------------------------------------------------------------------------------------

def span_f1(reference: list[dict], other: list[dict], *, overlap: bool = False) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``other`` against ``reference`` spans (``start``, ``end``, ``label``).

    Exact: same offsets and label. Overlap: same label and any shared character. Two empty lists
    agree perfectly (1, 1, 1)."""
    if not reference and not other:
        return 1.0, 1.0, 1.0

    def hit(span, pool) -> bool:
        if overlap:
            return any(s["label"] == span["label"] and s["start"] < span["end"] and span["start"] < s["end"]
                       for s in pool)
        return any(s["label"] == span["label"] and s["start"] == span["start"] and s["end"] == span["end"]
                   for s in pool)

    precision = sum(hit(s, reference) for s in other) / len(other) if other else 0.0
    recall = sum(hit(s, other) for s in reference) / len(reference) if reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pooled_span_f1(pairs: list[tuple[list[dict], list[dict]]], *, overlap: bool = False) -> float | None:
    """Micro-averaged F1 over many documents (the usual inter-annotator span figure)."""
    if not pairs:
        return None
    matched_a = matched_b = total_a = total_b = 0
    for first, second in pairs:
        p, r, _ = span_f1(first, second, overlap=overlap)
        total_a, total_b = total_a + len(first), total_b + len(second)
        matched_a += round(r * len(first))
        matched_b += round(p * len(second))
    if total_a == 0 and total_b == 0:
        return 1.0
    precision = matched_b / total_b if total_b else 0.0
    recall = matched_a / total_a if total_a else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --- boxes and masks ---------------------------------------------------------------------------

def box_iou(a: dict, b: dict) -> float:
    if a.get("frame", 0) != b.get("frame", 0):
        return 0.0
    x1, y1 = max(a["x"], b["x"]), max(a["y"], b["y"])
    x2, y2 = min(a["x"] + a["w"], b["x"] + b["w"]), min(a["y"] + a["h"], b["y"] + b["h"])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a["w"] * a["h"] + b["w"] * b["h"] - inter
    return inter / union if union > 0 else 0.0


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def mask_dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    total = a.sum() + b.sum()
    return float(2 * np.logical_and(a, b).sum() / total) if total else 1.0


def rasterize(polygons: list[dict], rows: int, columns: int, label: str | None = None, frame: int = 0) -> np.ndarray:
    """A boolean mask (rows × columns) of the polygons of ``label`` (all when None) on ``frame``."""
    from PIL import Image, ImageDraw

    canvas = Image.new("1", (columns, rows), 0)
    draw = ImageDraw.Draw(canvas)
    for polygon in polygons:
        if (label is None or polygon["label"] == label) and polygon.get("frame", 0) == frame:
            draw.polygon([tuple(p) for p in polygon["points"]], fill=1, outline=1)
    return np.array(canvas, dtype=bool)
