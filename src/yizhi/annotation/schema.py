"""Label schemas and answers: parsed and checked here, every error naming the field at fault.

A schema is a list of label fields::

    labels:
      - {name: phi, type: spans, classes: [NAME, DATE, ID]}       # text spans with types
      - {name: kind, type: class, classes: [normal, abnormal]}    # document / image-level class
      - {name: nodule, type: boxes, classes: [nodule]}            # boxes on a DICOM slice
      - {name: lesion, type: masks, classes: [lesion]}            # polygons on a slice, rasterised
      - {name: note, type: text}                                  # free text
      - {name: quality, type: likert, min: 1, max: 5}

An answer maps field names to values of the field's type. Pure module: no database, no web.
"""

from __future__ import annotations

import math
import re

import yaml

from yizhi.errors import N_, ValidationFailed

TYPES = ("spans", "class", "boxes", "masks", "text", "likert")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_SCHEMA_BYTES = 32 * 1024
MAX_CLASSES = 200
MAX_MARKS = 500            # spans, boxes or polygons in one answer field
MAX_POLYGON_POINTS = 2000
MAX_TEXT = 4000


def _fail(message: str, field: str, **params) -> ValidationFailed:
    return ValidationFailed(message, params={"field": field, **params}, field=field)


def parse_schema(text: str | dict | list) -> dict:
    """``{"labels": [...]}`` from YAML/JSON text or a mapping; ValidationFailed names the field."""
    data = text
    if isinstance(text, str | bytes):
        if len(text) > MAX_SCHEMA_BYTES:
            raise _fail(N_("label schema: larger than %(limit)s bytes"), "schema", limit=MAX_SCHEMA_BYTES)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise _fail(N_("label schema: not valid YAML (line %(line)s)"), "schema",
                        line=mark.line + 1 if mark else "?") from None
    if isinstance(data, list):
        data = {"labels": data}
    if not isinstance(data, dict) or not isinstance(data.get("labels"), list) or not data["labels"]:
        raise _fail(N_("label schema: give a non-empty list under 'labels'"), "schema")
    if len(data["labels"]) > 20:
        raise _fail(N_("label schema: at most 20 label fields"), "schema")
    labels, seen = [], set()
    for position, raw in enumerate(data["labels"], start=1):
        label = _parse_label(raw, position)
        if label["name"] in seen:
            raise _fail(N_("label schema: the name %(name)s is used twice"), "schema", name=label["name"])
        seen.add(label["name"])
        labels.append(label)
    return {"labels": labels}


def _parse_label(raw, position: int) -> dict:
    where = f"labels[{position}]"
    if not isinstance(raw, dict):
        raise _fail(N_("label schema: %(field)s must be a mapping with name and type"), where)
    name, kind = raw.get("name"), raw.get("type")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(N_("label schema: %(field)s.name must be lower-case letters, digits and _ (at most 40)"), where)
    if kind not in TYPES:
        raise _fail(N_("label schema: %(field)s.type must be one of %(types)s"), where, types=", ".join(TYPES))
    label = {"name": name, "type": kind, "title": str(raw.get("title") or name)[:200],
             "required": bool(raw.get("required", kind in ("class", "likert")))}
    if kind in ("spans", "class", "boxes", "masks"):
        classes = raw.get("classes")
        if not isinstance(classes, list) or not classes or len(classes) > MAX_CLASSES \
                or not all(isinstance(c, str | int) and str(c).strip() for c in classes):
            raise _fail(N_("label schema: %(field)s.classes must be a list of 1-%(limit)s names"), where,
                        limit=MAX_CLASSES)
        label["classes"] = [str(c).strip()[:80] for c in classes]
        if len(set(label["classes"])) != len(label["classes"]):
            raise _fail(N_("label schema: %(field)s.classes has a name twice"), where)
    if kind == "likert":
        low, high = raw.get("min", 1), raw.get("max", 5)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not low < high <= low + 100:
            raise _fail(N_("label schema: %(field)s needs whole numbers min < max (at most 100 apart)"), where)
        label["min"], label["max"] = low, high
    return label


def label_of(schema: dict, name: str) -> dict:
    for label in schema["labels"]:
        if label["name"] == name:
            return label
    raise _fail(N_("the schema has no label field %(name)s"), name, name=name)


def check_answer(schema: dict, answer, *, text_length: int | None = None,
                 image_size: tuple[int, int] | None = None, frames: int = 1) -> dict:
    """The answer, normalised (sorted spans, rounded boxes); ValidationFailed naming the field."""
    if not isinstance(answer, dict):
        raise _fail(N_("the answer must be an object of label fields"), "answer")
    unknown = sorted(set(answer) - {label["name"] for label in schema["labels"]})
    if unknown:
        raise _fail(N_("the answer has fields the schema does not: %(names)s"), "answer", names=", ".join(unknown))
    clean = {}
    for label in schema["labels"]:
        value = answer.get(label["name"])
        if value is None or value == [] or value == "":
            if label["required"]:
                raise _fail(N_("%(field)s is required"), label["name"])
            continue
        checker = _CHECKERS[label["type"]]
        clean[label["name"]] = checker(label, value, text_length=text_length, image_size=image_size, frames=frames)
    return clean


def _check_class(label, value, **_) -> str:
    if str(value) not in label["classes"]:
        raise _fail(N_("%(field)s: %(value)s is not one of its classes"), label["name"], value=str(value)[:80])
    return str(value)


def _check_likert(label, value, **_) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) \
            or not label["min"] <= value <= label["max"]:
        raise _fail(N_("%(field)s must be a whole number from %(min)s to %(max)s"), label["name"],
                    min=label["min"], max=label["max"])
    return int(value)


def _check_text(label, value, **_) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _fail(N_("%(field)s must be text of at most %(limit)s characters"), label["name"], limit=MAX_TEXT)
    return value.strip()


def _marks(label, value) -> list:
    if not isinstance(value, list) or len(value) > MAX_MARKS:
        raise _fail(N_("%(field)s must be a list of at most %(limit)s marks"), label["name"], limit=MAX_MARKS)
    return value


def _mark_class(label, mark, index: int) -> str:
    cls = mark.get("label") if isinstance(mark, dict) else None
    if str(cls) not in label["classes"]:
        raise _fail(N_("%(field)s[%(index)s]: label %(value)s is not one of its classes"), label["name"],
                    index=index, value=str(cls)[:80])
    return str(cls)


def _int(value) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        and value == int(value) else None


def _check_spans(label, value, *, text_length=None, **_) -> list:
    spans = []
    for index, mark in enumerate(_marks(label, value)):
        cls = _mark_class(label, mark, index)
        start, end = _int(mark.get("start")), _int(mark.get("end"))
        if start is None or end is None or not 0 <= start < end or (text_length is not None and end > text_length):
            raise _fail(N_("%(field)s[%(index)s]: start and end must be offsets with 0 ≤ start < end ≤ %(length)s"),
                        label["name"], index=index, length=text_length if text_length is not None else "∞")
        spans.append({"start": start, "end": end, "label": cls})
    spans.sort(key=lambda s: (s["start"], s["end"], s["label"]))
    return [s for i, s in enumerate(spans) if i == 0 or s != spans[i - 1]]


def _frame(label, mark, index: int, frames: int) -> int:
    frame = _int(mark.get("frame", 0))
    if frame is None or not 0 <= frame < max(frames, 1):
        raise _fail(N_("%(field)s[%(index)s]: frame must be from 0 to %(last)s"), label["name"], index=index,
                    last=max(frames, 1) - 1)
    return frame


def _check_boxes(label, value, *, image_size=None, frames=1, **_) -> list:
    boxes = []
    for index, mark in enumerate(_marks(label, value)):
        cls = _mark_class(label, mark, index)
        numbers = [mark.get(k) for k in ("x", "y", "w", "h")]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
            raise _fail(N_("%(field)s[%(index)s]: a box needs numbers x, y, w and h"), label["name"], index=index)
        x, y, w, h = (round(float(v), 2) for v in numbers)
        columns, rows = image_size or (math.inf, math.inf)
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > columns + 0.01 or y + h > rows + 0.01:
            raise _fail(N_("%(field)s[%(index)s]: the box must lie inside the image"), label["name"], index=index)
        boxes.append({"x": x, "y": y, "w": w, "h": h, "label": cls, "frame": _frame(label, mark, index, frames)})
    return boxes


def _check_masks(label, value, *, image_size=None, frames=1, **_) -> list:
    masks = []
    for index, mark in enumerate(_marks(label, value)):
        cls = _mark_class(label, mark, index)
        points = mark.get("points")
        if not isinstance(points, list) or not 3 <= len(points) <= MAX_POLYGON_POINTS:
            raise _fail(N_("%(field)s[%(index)s]: a mask is a polygon of 3-%(limit)s points [x, y]"), label["name"],
                        index=index, limit=MAX_POLYGON_POINTS)
        columns, rows = image_size or (math.inf, math.inf)
        clean = []
        for point in points:
            if not (isinstance(point, list | tuple) and len(point) == 2 and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in point)):
                raise _fail(N_("%(field)s[%(index)s]: every point is a pair of numbers [x, y]"), label["name"],
                            index=index)
            if not (0 <= point[0] <= columns and 0 <= point[1] <= rows):
                raise _fail(N_("%(field)s[%(index)s]: the polygon must lie inside the image"), label["name"],
                            index=index)
            clean.append([round(float(point[0]), 2), round(float(point[1]), 2)])
        masks.append({"points": clean, "label": cls, "frame": _frame(label, mark, index, frames)})
    return masks


_CHECKERS = {"class": _check_class, "likert": _check_likert, "text": _check_text, "spans": _check_spans,
             "boxes": _check_boxes, "masks": _check_masks}


def answers_agree(schema: dict, answers: list[dict], *, iou_threshold: float = 0.5) -> bool:
    """Whether several annotators' answers agree well enough to need no adjudicator: class, Likert and
    spans equal; boxes matched one to one at IoU ≥ threshold. Free text is never compared."""
    from yizhi.annotation.agreement import box_iou

    for label in schema["labels"]:
        values = [a.get(label["name"]) for a in answers]
        kind = label["type"]
        if kind == "text":
            continue
        if kind in ("class", "likert", "spans"):
            if any(v != values[0] for v in values[1:]):
                return False
        elif kind in ("boxes", "masks"):
            first = values[0] or []
            for other in values[1:]:
                other = other or []
                if len(other) != len(first):
                    return False
                if kind == "boxes" and not all(
                        any(b["label"] == a["label"] and box_iou(a, b) >= iou_threshold for b in other) for a in first):
                    return False
    return True
