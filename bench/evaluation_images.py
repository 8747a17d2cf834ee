"""What a DICOM benchmark costs on the platform side: preparing the input tensor from the series
(read with pydicom, rescale, window, resample; once per phase, then cached) and making the twelve
image perturbations of one submission. CPU seconds (``time.process_time``, one thread) and wall.

    PYTHONPATH=src python bench/evaluation_images.py [--cases 200] [--side 256] [--slices 3] [--target 128]

Synthetic CT series (tests/evaluation/evaluation_dicom.py's generator, at the chosen size) in a
temporary version directory; nothing is written to the platform's data directory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "evaluation"))


def build(folder: Path, cases: int, side: int, slices: int) -> None:
    import evaluation_dicom as gen
    from pydicom.uid import generate_uid

    rng = np.random.default_rng(0)
    (folder / "dicom").mkdir(parents=True)
    (folder / "tables").mkdir()
    index, rows = [], []
    for i in range(cases):
        patient, study, series = f"P{i:05d}", generate_uid(), generate_uid()
        hu = rng.normal(40, 60, size=(slices, side, side))
        for k in range(slices):
            path = f"dicom/{patient}-{k}.dcm"
            gen.ct_slice(patient, series, study, k, hu[k], "GE").save_as(folder / path, enforce_file_format=True)
            index.append({"path": path, "patient": patient, "study_uid": study, "series_uid": series,
                          "modality": "CT"})
        rows.append({"patient": patient, "label": i % 2})
    pq.write_table(pa.Table.from_pylist(index), folder / "tables" / "dicom_index.parquet")
    pq.write_table(pa.Table.from_pylist(rows), folder / "tables" / "cases.parquet")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--slices", type=int, default=3)
    parser.add_argument("--target", type=int, default=128)
    args = parser.parse_args()
    import evaluation_dicom as gen

    from yizhi.evaluation.contract import parse_contract
    from yizhi.evaluation.images import prepare
    from yizhi.evaluation.robustness import image_perturbation_names, perturb_image

    contract = parse_contract(gen.TASK.replace("[null, 1, 16, 16]", f"[null, 1, {args.target}, {args.target}]")
                              .replace("subgroups: [sex, site]", "subgroups: []"))
    folder = Path(tempfile.mkdtemp(prefix="bench-eval-images-"))
    try:
        build(folder, args.cases, args.side, args.slices)
        cpu, wall = time.process_time(), time.perf_counter()
        tensor = prepare(contract, folder)["X"]
        prep_cpu, prep_wall = time.process_time() - cpu, time.perf_counter() - wall
        perturb = {}
        for name in image_perturbation_names():
            cpu = time.process_time()
            perturb_image(name, tensor, seed=1)
            perturb[name] = round((time.process_time() - cpu) / args.cases * 1000, 3)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({
        "cases": args.cases, "series": f"{args.slices} × {args.side}²", "tensor": list(tensor.shape),
        "prepare_cpu_ms_per_case": round(prep_cpu / args.cases * 1000, 2),
        "prepare_wall_ms_per_case": round(prep_wall / args.cases * 1000, 2),
        "perturb_cpu_ms_per_case": perturb,
        "perturb_cpu_ms_per_case_all_twelve": round(sum(perturb.values()), 2),
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
