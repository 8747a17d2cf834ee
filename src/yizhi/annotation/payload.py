"""What the API and the pages show of an item: to an annotator, only the item they hold (text, the
granted fields, or an image link), the pre-annotation, and — in a reader study's aided condition
only — the AI's output; never the gold answer nor other annotators' answers."""

from __future__ import annotations

from yizhi.annotation import content
from yizhi.annotation.models import Assignment, Item, Project, ProjectKind


def deid_suggestion(project: Project, text: str) -> dict:
    """The text de-identifier's spans as a pre-annotation of the first spans field (types the schema has)."""
    from yizhi.deid.text import detect

    field = next(label for label in project.schema["labels"] if label["type"] == "spans")
    classes = set(field["classes"])
    spans = [{"start": s.start, "end": s.end, "label": s.type} for s in detect(text) if s.type in classes]
    return {field["name"]: spans}


def suggestion_for(project: Project, item: Item, text: str | None) -> dict | None:
    if project.kind == ProjectKind.reader_study:
        return None
    if item.suggestion:
        return item.suggestion
    if project.source.get("prefill") == "deid" and text is not None:
        return deid_suggestion(project, text)
    return None


def item_view(project: Project, item: Item, assignment: Assignment | None = None) -> dict:
    kind = project.source.get("kind")
    view = {"key": item.key, "kind": kind}
    text = None
    if kind == "text":
        text = content.item_text(project, item)
        view["text"] = text
    elif kind == "rows":
        view["fields"] = {k: (None if v is None else str(v)) for k, v in content.item_fields(project, item).items()}
    else:
        view["image"] = {"url": f"/api/v1/annotation/projects/{project.slug}/items/{item.key}/image.png",
                         "rows": item.ref.get("rows"), "columns": item.ref.get("columns"),
                         "frames": item.ref.get("frames") or 1}
    view["suggestion"] = suggestion_for(project, item, text)
    if project.kind == ProjectKind.reader_study and assignment is not None:
        view["condition"] = assignment.condition
        if assignment.condition == "aided":
            view["ai_score"] = (item.suggestion or {}).get("ai_score")
    return view


def assignment_view(project: Project, assignment: Assignment) -> dict:
    return {"assignment_id": assignment.id, "state": assignment.state.value,
            "locked_until": assignment.locked_until.isoformat(), "answer": assignment.answer,
            "review_comment": assignment.review_comment if assignment.review_state == "returned" else "",
            "item": item_view(project, assignment.item, assignment)}
