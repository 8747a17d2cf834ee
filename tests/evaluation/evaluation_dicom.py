"""Synthetic CT series whose label is visible in the pixels, and a tiny ONNX model that sees it.

Each case is a three-slice CT series (24 × 24, 16-bit, RescaleIntercept −1024) of noisy soft tissue;
a positive case has a bright disk at the centre of every slice, of a contrast drawn per case, so a
model that compares the centre with the border separates the classes well but not perfectly.
"""

from __future__ import annotations

import numpy as np

SIDE = 24
TARGET = 16
WINDOW = {"center": 40, "width": 400}


def ct_slice(patient: str, series_uid: str, study_uid: str, index: int, hu: np.ndarray, manufacturer: str):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.PatientID, ds.PatientName = patient, f"Test^{patient}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.StudyDate = ds.SeriesDate = "20240105"
    ds.Modality, ds.Manufacturer, ds.BurnedInAnnotation = "CT", manufacturer, "NO"
    ds.InstanceNumber = index + 1
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [0, 0, -2.5 * index]     # stored out of order on purpose: sorted on reading
    ds.PixelSpacing, ds.SliceThickness = [0.8, 0.8], 2.5
    ds.Rows = ds.Columns = hu.shape[0]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.PixelData = np.clip(hu + 1024, 0, 65535).astype(np.uint16).tobytes()
    return ds


def case_volume(rng: np.random.Generator, positive: bool) -> np.ndarray:
    hu = rng.normal(40, 60, size=(3, SIDE, SIDE))
    if positive:
        yy, xx = np.mgrid[:SIDE, :SIDE]
        disk = (yy - SIDE / 2 + 0.5) ** 2 + (xx - SIDE / 2 + 0.5) ** 2 <= 5 ** 2
        hu[:, disk] += rng.uniform(10, 160)
    return hu


def write_cases(folder, n: int = 80, seed: int = 7, extra_without_series: int = 0) -> dict:
    """DICOM series under ``folder/dicom`` and ``folder/cases.csv`` (patient_id, label, sex, site)."""
    from pydicom.uid import generate_uid

    rng = np.random.default_rng(seed)
    (folder / "dicom").mkdir(parents=True)
    lines = ["patient_id,label,sex,site"]
    labels = []
    for i in range(n):
        patient, positive = f"P{i:04d}", i % 2 == 0
        study, series = generate_uid(), generate_uid()
        hu = case_volume(rng, positive)
        for k in (2, 0, 1):
            ct_slice(patient, series, study, k, hu[k], "Siemens" if i % 4 < 2 else "GE").save_as(
                folder / "dicom" / f"{patient}-{k}.dcm", enforce_file_format=True)
        lines.append(f"{patient},{int(positive)},{'F' if i % 3 else 'M'},{'north' if i < n // 2 else 'south'}")
        labels.append(int(positive))
    for j in range(extra_without_series):
        lines.append(f"X{j:04d},1,F,north")
    (folder / "cases.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"labels": labels}


PROFILE = """tables:
  cases.csv:
    patient_id: patient_id
    direct_identifiers: []
    quasi_identifiers: []
"""

TASK = """
task: binary_classification
title: 合成 CT 中心病灶
intended_use: Flag a central lesion on a chest CT series (test benchmark)
population: synthetic CT series
table: cases
inputs: dicom
reference: label
image:
  link: patient
  modality: CT
  slices: middle
  window: {center: 40, width: 400}
model:
  input: {name: image, shape: [null, 1, 16, 16], dtype: float32}
  output: {name: probabilities, index: 1}
positive_class: 1
threshold: 0.5
subgroups: [sex, site]
bootstrap: 200
pass_criteria:
  - {metric: auroc, bound: value, min: 0.7}
"""


def centre_model(scale: float = 40.0, offset: float = 0.06) -> bytes:
    """A small CNN in plain ONNX: 3 × 3 mean filter (Conv) → centre-minus-border contrast (MatMul)
    → sigmoid → [1 − p, p]. The centre is where the disk is drawn; no weights are fitted."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    side = TARGET - 2          # the filter runs without padding (zeros at the edge would look like contrast)
    yy, xx = np.mgrid[:side, :side]
    radius = np.hypot(yy - side / 2 + 0.5, xx - side / 2 + 0.5)
    centre, border = radius <= 3, radius >= 5
    weights = (centre / centre.sum() - border / border.sum()).reshape(-1, 1).astype(np.float32) * scale
    inits = [numpy_helper.from_array(np.full((1, 1, 3, 3), 1 / 9, np.float32), "kernel"),
             numpy_helper.from_array(weights, "w"),
             numpy_helper.from_array(np.array([-offset * scale], np.float32), "b"),
             numpy_helper.from_array(np.array([1.0], np.float32), "one")]
    nodes = [helper.make_node("Conv", ["image", "kernel"], ["smooth"]),
             helper.make_node("Flatten", ["smooth"], ["flat"], axis=1),
             helper.make_node("MatMul", ["flat", "w"], ["logit0"]),
             helper.make_node("Add", ["logit0", "b"], ["logit"]),
             helper.make_node("Sigmoid", ["logit"], ["p"]),
             helper.make_node("Sub", ["one", "p"], ["q"]),
             helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1)]
    graph = helper.make_graph(nodes, "centre", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                             [None, 1, TARGET, TARGET])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()
