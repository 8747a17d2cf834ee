"""Export a project's labels as a new dataset version of its organisation.

The version holds ``tables/labels.parquet`` (one row per labelled item: its key and source row or
image, how the label was reached, class and Likert fields as columns, the rest as JSON) and, under
``labels/``: spans as JSONL, boxes as COCO JSON, masks as DICOM-SEG (highdicom, one object per
image), classes as CSV. The card records the annotation protocol, the annotators' qualification and
the agreement figures. No row of the source data is copied: labels point at ``SLUG@N`` and a row or
SOP instance, so a project working under a grant exports only what its annotators made.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Person
from yizhi.annotation import agreement, report
from yizhi.annotation.models import Assignment, AssignmentState, Item, ItemStatus, Project, Qualification
from yizhi.annotation.queue import gold_accuracy
from yizhi.catalog import manifest, store
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.catalog.testing import table_schema
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, ValidationFailed

LABELLED = (ItemStatus.complete, ItemStatus.resolved)


def _labelled(session: Session, project: Project) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.project_id == project.id, Item.gold == "",
                                                   Item.status.in_(LABELLED)).order_by(Item.id)))


def labels_table(project: Project, items: list[Item], counts: dict[int, int]) -> pa.Table:
    columns: dict[str, list] = {"key": [], "source": [], "source_row": [], "source_path": [], "decided_by": [],
                                "annotators": []}
    for label in project.schema["labels"]:
        columns[label["name"]] = []
    for item in items:
        answer = item.final_answer or {}
        columns["key"].append(item.key)
        columns["source"].append(project.version.ref)
        columns["source_row"].append(item.ref.get("row"))
        columns["source_path"].append(item.ref.get("path"))
        columns["decided_by"].append(item.final_source)
        columns["annotators"].append(counts.get(item.id, 0))
        for label in project.schema["labels"]:
            value = answer.get(label["name"])
            if label["type"] in ("class", "text"):
                columns[label["name"]].append(value)
            elif label["type"] == "likert":
                columns[label["name"]].append(None if value is None else int(value))
            else:
                columns[label["name"]].append(json.dumps(value or [], ensure_ascii=False))
    types = {"source_row": pa.int64(), "annotators": pa.int64()}
    for label in project.schema["labels"]:
        types[label["name"]] = pa.int64() if label["type"] == "likert" else pa.string()
    return pa.table({name: pa.array(values, type=types.get(name, pa.string())) for name, values in columns.items()})


def _spans_jsonl(project: Project, items: list[Item]) -> str | None:
    fields = [label["name"] for label in project.schema["labels"] if label["type"] == "spans"]
    if not fields:
        return None
    lines = [json.dumps({"key": i.key, "source": project.version.ref, "table": project.source.get("table"),
                         "row": i.ref.get("row"), "column": project.source.get("text_column"),
                         **{f: (i.final_answer or {}).get(f, []) for f in fields}}, ensure_ascii=False) for i in items]
    return "\n".join(lines) + "\n"


def _coco(project: Project, items: list[Item]) -> dict | None:
    fields = [label for label in project.schema["labels"] if label["type"] == "boxes"]
    if not fields:
        return None
    categories, images, annotations = [], [], []
    ids = {}
    for label in fields:
        for cls in label["classes"]:
            ids[(label["name"], cls)] = len(ids) + 1
            categories.append({"id": ids[(label["name"], cls)], "name": cls, "supercategory": label["name"]})
    for image_id, item in enumerate(items, start=1):
        images.append({"id": image_id, "file_name": item.ref.get("path") or item.key, "width": item.ref.get("columns"),
                       "height": item.ref.get("rows"), "sop_instance_uid": item.key})
        for label in fields:
            for box in (item.final_answer or {}).get(label["name"], []):
                annotations.append({"id": len(annotations) + 1, "image_id": image_id, "frame": box.get("frame", 0),
                                    "category_id": ids[(label["name"], box["label"])],
                                    "bbox": [box["x"], box["y"], box["w"], box["h"]], "area": box["w"] * box["h"],
                                    "iscrowd": 0})
    return {"info": {"description": f"{project.title} ({project.version.ref})", "version": "1.0"},
            "images": images, "annotations": annotations, "categories": categories, "licenses": []}


def _classes_csv(project: Project, items: list[Item]) -> str | None:
    fields = [label["name"] for label in project.schema["labels"] if label["type"] in ("class", "likert")]
    if not fields:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["key", *fields])
    for item in items:
        writer.writerow([item.key, *[(item.final_answer or {}).get(f, "") for f in fields]])
    return buffer.getvalue()


def dicom_seg(source_path: Path, masks: list[dict], classes: list[str], *, series_uid: str, sop_uid: str,
              field: str) -> bytes | None:
    """A binary DICOM Segmentation (highdicom) of one image: one segment per class with a mask."""
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes

    source = pydicom.dcmread(source_path)
    rows, columns = int(source.Rows), int(source.Columns)
    frames = int(getattr(source, "NumberOfFrames", 1) or 1)
    used = [c for c in classes if any(m["label"] == c for m in masks)]
    if not used:
        return None
    pixel = np.zeros((frames, rows, columns, len(used)), dtype=bool)
    for s, cls in enumerate(used):
        for frame in range(frames):
            pixel[frame, :, :, s] = agreement.rasterize(masks, rows, columns, label=cls, frame=frame)
    descriptions = [hd.seg.SegmentDescription(
        segment_number=n, segment_label=cls[:64], segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Lesion, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
        for n, cls in enumerate(used, start=1)]
    seg = hd.seg.Segmentation(
        source_images=[source], pixel_array=pixel, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=series_uid, series_number=900, sop_instance_uid=sop_uid,
        instance_number=1, manufacturer="YiZhi", manufacturer_model_name="yizhi-annotation", software_versions="1",
        device_serial_number="yizhi", content_label=field.upper()[:16], omit_empty_frames=False)
    buffer = io.BytesIO()
    seg.save_as(buffer)
    return buffer.getvalue()


def _segs(project: Project, items: list[Item], target: Path) -> int:
    from highdicom import UID

    from yizhi.annotation.content import dicom_path

    fields = [label for label in project.schema["labels"] if label["type"] == "masks"]
    written = 0
    if not fields or project.source.get("kind") != "dicom":
        return 0
    for item in items:
        for label in fields:
            masks = (item.final_answer or {}).get(label["name"]) or []
            if not masks:
                continue
            data = dicom_seg(dicom_path(project, item), masks, label["classes"], series_uid=UID(), sop_uid=UID(),
                             field=label["name"])
            if data:
                target.mkdir(parents=True, exist_ok=True)
                (target / f"{item.key}.{label['name']}.seg.dcm").write_bytes(data)
                written += 1
    return written


def qualification_summary(session: Session, project: Project) -> list[dict]:
    out = []
    people = {p.id: p for p in session.scalars(select(Person).join(Assignment, Assignment.annotator_id == Person.id)
                                               .where(Assignment.project_id == project.id).distinct())}
    states = dict(session.execute(select(Qualification.person_id, Qualification.state).where(
        Qualification.project_id == project.id)).all())
    for person_id in sorted(people):
        correct, graded = gold_accuracy(session, project, person_id)
        answered = session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.project_id == project.id, Assignment.annotator_id == person_id,
            Assignment.state == AssignmentState.submitted)) or 0
        out.append({"annotator": person_id, "qualification": states.get(person_id, "qualified"), "answered": answered,
                    "gold_graded": graded, "gold_accuracy": round(correct / graded, 4) if graded else None})
    return out


def export_version(session: Session, project: Project, *, dataset_slug: str | None = None,
                   actor: Person | None = None) -> DatasetVersion:
    """Write the labels as the next version of ``dataset_slug`` (default ``<project>-labels``), owned
    by the project's organisation; flushes, records it on the ledger."""
    items = _labelled(session, project)
    if not items:
        raise Conflict(N_("project %(slug)s has no labelled item to export yet"), params={"slug": project.slug},
                       code="nothing_to_export")
    slug = dataset_slug or f"{project.slug}-labels"[:64]
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None:
        from yizhi.annotation.service import SLUG

        if not SLUG.match(slug):
            raise ValidationFailed(N_("a dataset slug is 3-64 lower-case letters, digits and dashes"), field="dataset")
        dataset = Dataset(slug=slug, organization_id=project.organization_id, title=f"{project.title} — labels",
                          description=f"Labels of annotation project {project.slug} on {project.version.ref}.")
        session.add(dataset)
        session.flush()
    elif dataset.organization_id != project.organization_id:
        raise Conflict(N_("dataset %(slug)s belongs to another organisation"), params={"slug": slug})
    counts = dict(session.execute(select(Assignment.item_id, func.count()).where(
        Assignment.project_id == project.id, Assignment.state == AssignmentState.submitted)
        .group_by(Assignment.item_id)).all())
    table = labels_table(project, items, counts)
    figures = report.project_agreement(session, project)
    number = (session.scalar(select(func.max(DatasetVersion.number)).where(DatasetVersion.dataset_id == dataset.id)) or 0) + 1
    card = {"title": dataset.title, "annotation": {
        "project": project.slug, "kind": project.kind.value, "source": project.version.ref,
        "source_root_hash": project.version.root_hash, "protocol": project.instructions, "schema": project.schema,
        "overlap": project.overlap, "overlap_percent": project.overlap_percent,
        "qualification": {"gold_items": project.qualification_count, "min_accuracy": project.qualification_min,
                          "hidden_gold_rate": project.gold_rate, "annotators": qualification_summary(session, project)},
        "agreement": figures, "labelled_items": len(items),
        "decided_by": {k: sum(1 for i in items if i.final_source == k) for k in ("single", "consensus", "adjudicated")}}}
    version = DatasetVersion(dataset_id=dataset.id, number=number, state=VersionState.building,
                             tables={"labels": table_schema(table)}, card=card,
                             created_by_id=actor.id if actor else None)
    version.dataset = dataset
    session.add(version)
    session.flush()
    directory = store.version_dir(version)
    shutil.rmtree(directory, ignore_errors=True)
    (directory / "tables").mkdir(parents=True)
    pq.write_table(table, directory / "tables" / "labels.parquet")
    files = directory / "labels"
    files.mkdir()
    written = {"spans.jsonl": _spans_jsonl(project, items), "classes.csv": _classes_csv(project, items)}
    coco = _coco(project, items)
    if coco:
        written["boxes.coco.json"] = json.dumps(coco, ensure_ascii=False, indent=1)
    for name, text in written.items():
        if text:
            (files / name).write_text(text, encoding="utf-8")
    segs = _segs(project, items, files / "seg")
    version.root_hash = manifest.write_manifest(directory)["root_hash"]
    version.state = VersionState.ready
    card["annotation"]["files"] = sorted([n for n, t in written.items() if t]) + (["seg/"] if segs else [])
    version.card = dict(card)
    ledger.record(session, "dataset.version_built", f"dataset_version:{version.id}",
                  {"version": version.ref, "root_hash": version.root_hash}, org=project.organization.slug)
    ledger.record(session, "annotation.exported", f"annotation_project:{project.id}",
                  {"project": project.slug, "version": version.ref, "root_hash": version.root_hash, "items": len(items)},
                  actor=str(actor.id) if actor else None, org=project.organization.slug)
    version.created_at = utcnow()
    session.flush()
    return version
