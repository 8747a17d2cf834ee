"""DICOM-series benchmarks without the platform around them: the contract's image section, the
preparation of the input tensor from a version directory, the image perturbations."""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evaluation_dicom import TASK, TARGET, centre_model, write_cases
from yizhi.errors import ValidationFailed
from yizhi.evaluation.contract import parse_contract


def contract_with(**changes):
    import yaml

    data = yaml.safe_load(TASK)
    for key, value in changes.items():
        target = data
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return parse_contract(yaml.safe_dump(data, allow_unicode=True))


def test_the_image_section_is_parsed_with_its_defaults():
    contract = contract_with()
    assert contract.is_dicom and contract.inputs == []
    assert contract.image == {"link": "patient", "match": "patient", "modality": "CT", "slices": "middle",
                              "rescale": True, "window": {"center": 40.0, "width": 400.0}, "normalize": "none"}
    assert contract.input_shape == [None, 1, TARGET, TARGET]
    assert contract.columns_needed() == ["patient", "label", "sex", "site"]
    again = type(contract).from_dict(contract.as_dict())
    assert again == contract


@pytest.mark.parametrize(("changes", "key", "words"), [
    ({"image": None}, "image", "missing"),
    ({"image.link": "bad column!"}, "image.link", "column name"),
    ({"image.match": "accession"}, "image.match", "series_uid"),
    ({"image.slices": "first"}, "image.slices", "middle"),
    ({"image.window": {"center": 40}}, "image.window", "center"),
    ({"image.window.width": -1}, "image.window.width", "positive"),
    ({"image.normalize": "zscore"}, "image.normalize", "not both"),
    ({"image.rescale": "yes"}, "image.rescale", "true or false"),
    ({"image.colour": 1}, "image.colour", "unknown"),
    ({"model.input.shape": [None, 256]}, "model.input.shape", "[null, 1 or 3, H, W]"),
    ({"model.input.shape": [None, 2, 16, 16]}, "model.input.shape", "[null, 1 or 3, H, W]"),
    ({"model.input.shape": [None, 1, 600, 600, 600]}, "model.input.shape", "limit"),
    ({"task": "regression"}, "inputs", "binary_classification"),
])
def test_contract_errors_name_the_key(changes, key, words):
    with pytest.raises(ValidationFailed) as caught:
        contract_with(**changes)
    assert caught.value.field == key
    assert words in caught.value.message


def test_a_table_contract_may_not_carry_an_image_section():
    with pytest.raises(ValidationFailed) as caught:
        contract_with(inputs=["glucose"], **{"model.input.shape": [None, 1]})
    assert caught.value.field == "image"


def make_version_dir(tmp_path, n=40, **kwargs):
    """A version directory laid out as ingest writes it (dicom/, tables/dicom_index, tables/cases),
    without de-identification: the preparation reads only the layout."""
    import pydicom

    source = tmp_path / "source"
    made = write_cases(source, n=n, **kwargs)
    version = tmp_path / "version"
    (version / "tables").mkdir(parents=True)
    rows = []
    for path in sorted((source / "dicom").glob("*.dcm")):
        target = version / "dicom" / path.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(path, target)
        ds = pydicom.dcmread(path)
        rows.append({"path": f"dicom/{path.name}", "patient": ds.PatientID, "study_uid": ds.StudyInstanceUID,
                     "series_uid": ds.SeriesInstanceUID, "modality": ds.Modality})
    pq.write_table(pa.Table.from_pylist(rows), version / "tables" / "dicom_index.parquet")
    lines = (source / "cases.csv").read_text().splitlines()[1:]
    cases = [dict(zip(("patient", "label", "sex", "site"), line.split(","), strict=True)) for line in lines]
    for case in cases:
        case["label"] = int(case["label"])
    pq.write_table(pa.Table.from_pylist(cases), version / "tables" / "cases.parquet")
    return version, made["labels"]


def test_prepare_builds_the_declared_tensor_and_card_aggregates(tmp_path):
    from yizhi.evaluation.images import prepare

    version, labels = make_version_dir(tmp_path)
    built = prepare(contract_with(), version)
    x = built["X"]
    assert x.shape == (40, 1, TARGET, TARGET) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1                        # windowed to [0, 1]
    centre = x[:, 0, 6:10, 6:10].mean(axis=(1, 2)) - x[:, 0, :2, :].mean(axis=(1, 2))
    assert centre[np.array(labels) == 1].mean() > centre[np.array(labels) == 0].mean() + 0.05
    assert built["rows"].tolist() == list(range(40))
    aggregates = built["aggregates"]
    assert aggregates["series"] == 40 and aggregates["modalities"] == {"CT": 40}
    assert aggregates["manufacturers"] == {"Siemens": 20, "GE": 20}
    assert aggregates["slices_per_series"] == {"min": 3, "median": 3.0, "max": 3}
    assert aggregates["pixel_spacing_mm"] == {"row": [0.8, 0.8], "column": [0.8, 0.8]}


def test_slices_are_ordered_along_the_patient_axis_and_rescaled(tmp_path):
    from yizhi.evaluation.images import read_series

    version, _ = make_version_dir(tmp_path, n=2)
    paths = [f"dicom/P0001-{k}.dcm" for k in (2, 0, 1)]
    image = contract_with(**{"image.window": None}).image
    volume, headers = read_series(version, paths, image, 0, "cases")
    assert [h.InstanceNumber for h in headers] == [3, 2, 1]           # z = -5, -2.5, 0
    assert abs(volume.mean() - 40) < 15                                 # Hounsfield units, not stored values


def test_a_missing_series_names_the_case_row(tmp_path):
    from yizhi.evaluation.images import SeriesProblem, prepare

    version, _ = make_version_dir(tmp_path, n=6, extra_without_series=1)
    with pytest.raises(SeriesProblem) as caught:
        prepare(contract_with(), version)
    assert caught.value.message == "case at row 6 of table cases: no DICOM series matches its patient"


def test_an_unreadable_series_names_the_case_row(tmp_path):
    from yizhi.evaluation.images import SeriesProblem, prepare

    version, _ = make_version_dir(tmp_path, n=6)
    (version / "dicom" / "P0003-1.dcm").write_bytes(b"not dicom at all")
    with pytest.raises(SeriesProblem) as caught:
        prepare(contract_with(), version)
    assert caught.value.message.startswith("case at row 3 of table cases: its DICOM series cannot be read")


def test_another_modality_filter_finds_no_series(tmp_path):
    from yizhi.evaluation.images import SeriesProblem, prepare

    version, _ = make_version_dir(tmp_path, n=4)
    with pytest.raises(SeriesProblem):
        prepare(contract_with(**{"image.modality": "MR"}), version)


def test_a_3d_input_keeps_the_slices(tmp_path):
    from yizhi.evaluation.images import prepare

    version, _ = make_version_dir(tmp_path, n=4)
    built = prepare(contract_with(**{"model.input.shape": [None, 1, 2, 8, 8], "image.window": None,
                                     "image.normalize": "zscore"}), version)
    assert built["X"].shape == (4, 1, 2, 8, 8)
    assert abs(float(built["X"][0].mean())) < 0.2


def test_image_perturbations_are_seeded_and_change_the_images():
    from yizhi.evaluation.robustness import image_perturbation_names, perturb_image

    rng = np.random.default_rng(0)
    tensor = rng.random((5, 1, TARGET, TARGET)).astype(np.float32)
    tensor[:, :, 6:10, 6:10] += 1
    names = image_perturbation_names()
    assert len(names) == 12 and names[0] == "image_noise:1" and names[-1] == "image_rotation:3"
    for name in names:
        out = perturb_image(name, tensor, seed=3)
        assert out.shape == tensor.shape and out.dtype == tensor.dtype
        assert not np.array_equal(out, tensor), name
        assert np.array_equal(out, perturb_image(name, tensor, seed=3)), name
    weak, strong = (np.abs(perturb_image(f"image_noise:{k}", tensor, 3) - tensor).mean() for k in (1, 3))
    assert strong > 3 * weak
    contrast = perturb_image("image_contrast:3", tensor, 3)
    assert np.isclose(contrast.std(axis=(1, 2, 3)), 0.4 * tensor.std(axis=(1, 2, 3)), rtol=1e-4).all()


def test_the_centre_model_separates_the_prepared_cases(tmp_path):
    """The test model is a fair one: onnxruntime on the prepared tensor, outside the sandbox."""
    import onnxruntime as ort
    from sklearn.metrics import roc_auc_score

    from yizhi.evaluation.images import prepare

    version, labels = make_version_dir(tmp_path, n=40)
    x = prepare(contract_with(), version)["X"]
    session = ort.InferenceSession(centre_model(), providers=["CPUExecutionProvider"])
    p = session.run(["probabilities"], {"image": x})[0][:, 1]
    assert 0.8 < roc_auc_score(labels, p) < 1.0 or roc_auc_score(labels, p) == 1.0
    assert ((p >= 0.5) == np.array(labels)).mean() > 0.75


def test_a_multiclass_image_contract_and_the_model_check_of_its_shape():
    from yizhi.evaluation.onnx_safety import ModelRefused, check_model_bytes
    from yizhi.evaluation.scoring import model_spec

    contract = contract_with(task="multiclass_classification", classes=[0, 1], positive_class=None,
                             pass_criteria=None, **{"model.output.index": None})
    spec = model_spec(contract)
    assert spec["row_shape"] == [1, TARGET, TARGET]
    check_model_bytes(centre_model(), spec)                       # the exact shape passes
    with pytest.raises(ModelRefused) as caught:
        check_model_bytes(centre_model(), {**spec, "row_shape": [1, 32, 32]})
    assert caught.value.code == "contract_mismatch"
