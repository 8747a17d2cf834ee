"""Export as a new dataset version: the labels table, JSONL spans, COCO boxes, CSV classes, and
DICOM-SEG masks that read back with highdicom; the card carries protocol, qualification, agreement."""

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from annotation_helpers import SPAN_SCHEMA, make_project, person

from yizhi.annotation import export, queue
from yizhi.catalog import manifest, store
from yizhi.errors import Conflict

IMAGE_SCHEMA = {"labels": [{"name": "finding", "type": "class", "classes": ["normal", "abnormal"]},
                           {"name": "nodule", "type": "boxes", "classes": ["nodule"]},
                           {"name": "lesion", "type": "masks", "classes": ["lesion", "vessel"]}]}


def _answer(db, project, member, answer_for):
    annotator = person(db, member)
    while (assignment := queue.next_item(db, project, annotator)) is not None:
        queue.submit(db, project, annotator, assignment.id, answer_for(assignment.item))


def test_text_labels_export_with_agreement_in_the_card(db, cast, team, notes_version):
    project = make_project(db, cast, slug="phi-gold", schema=SPAN_SCHEMA, overlap=2, instructions="标出所有标识符。")
    with pytest.raises(Conflict, match="no labelled item"):
        export.export_version(db, project)
    spans = {"phi": [{"start": 0, "end": 2, "label": "NAME"}]}
    _answer(db, project, team["a1"], lambda item: spans)
    _answer(db, project, team["a2"], lambda item: spans if item.key != "3" else {"phi": []})
    version = export.export_version(db, project)
    db.commit()
    assert version.ref == "phi-gold-labels@1"
    directory = store.version_dir(version)
    table = pq.read_table(directory / "tables" / "labels.parquet").to_pylist()
    assert len(table) == 5 and {r["decided_by"] for r in table} == {"consensus"}     # item 3 is disputed
    assert json.loads(table[0]["phi"]) == spans["phi"] and table[0]["source"] == "notes-demo@1"
    lines = [json.loads(line) for line in (directory / "labels" / "spans.jsonl").read_text().splitlines()]
    assert len(lines) == 5 and lines[0]["column"] == "text" and "text" not in lines[0]   # no source text copied
    card = version.card["annotation"]
    assert card["protocol"] == "标出所有标识符。" and card["source"] == "notes-demo@1"
    assert card["agreement"]["fields"]["phi"]["f1_exact"] == pytest.approx(2 * 5 / (5 + 6))
    assert {a["answered"] for a in card["qualification"]["annotators"]} == {6}
    assert manifest.verify_manifest(directory) == []
    assert version.root_hash == json.loads((directory / "manifest.json").read_text())["root_hash"]


def test_image_labels_export_coco_csv_and_dicom_seg(db, cast, team, ct_version):
    hd = pytest.importorskip("highdicom")
    project = make_project(db, cast, slug="ct-marks", dataset="ct-demo@1", schema=IMAGE_SCHEMA,
                           source={"kind": "dicom"})
    square = [[10, 10], [40, 10], [40, 40], [10, 40]]

    def answer(item):
        return {"finding": "abnormal", "nodule": [{"x": 20, "y": 30, "w": 15, "h": 12, "label": "nodule"}],
                "lesion": [{"points": square, "label": "lesion"}]}

    _answer(db, project, team["a1"], answer)
    version = export.export_version(db, project)
    db.commit()
    directory = store.version_dir(version)
    coco = json.loads((directory / "labels" / "boxes.coco.json").read_text())
    assert len(coco["images"]) == 2 and coco["annotations"][0]["bbox"] == [20, 30, 15, 12]
    assert coco["categories"] == [{"id": 1, "name": "nodule", "supercategory": "nodule"}]
    csv_lines = (directory / "labels" / "classes.csv").read_text().splitlines()
    assert csv_lines[0] == "key,finding" and csv_lines[1].endswith(",abnormal")
    segs = sorted((directory / "labels" / "seg").glob("*.dcm"))
    assert len(segs) == 2
    import pydicom

    ct_sop = pq.read_table(store.version_dir(project.version) / "tables" / "dicom_index.parquet").column("sop_uid")[0].as_py()
    seg = hd.seg.segread(next(p for p in segs if p.name.startswith(ct_sop)))
    assert seg.SegmentationType == "BINARY" and seg.number_of_segments == 1
    assert seg.get_segment_description(1).segment_label == "lesion"
    mask = seg.get_pixels_by_source_instance(source_sop_instance_uids=[ct_sop], segment_numbers=[1])
    assert mask.shape == (1, 128, 128, 1)
    assert int(mask.sum()) == 31 * 31 and mask[0, 10:41, 10:41, 0].all()
    source = pydicom.dcmread(store.version_dir(project.version) / "dicom" / "0.dcm", stop_before_pixels=True)
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == source.SeriesInstanceUID
    assert np.asarray(mask).dtype.kind in "biu"
