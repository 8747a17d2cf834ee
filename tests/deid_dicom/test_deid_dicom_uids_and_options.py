"""Keyed UIDs stay linked across files and runs; each profile option does what Table E.1-1 says."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pydicom
import pytest
from deid_dicom_helpers import CORPUS_ROOTS
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from yizhi.deid.dicom.batch import deidentify_tree
from yizhi.deid.dicom.engine import SHIFT_MAX_DAYS, Deidentifier, choose_by_type
from yizhi.deid.dicom.options import Option, OptionError, parse_options

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

KEY_A = b"a" * 32
KEY_B = b"b" * 32
CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
MR = Path(pydicom.data.get_testdata_file("MR_small.dcm"))


def _deid(path: Path, key=KEY_A, options=frozenset(), cleaner=None) -> Dataset:
    ds = pydicom.dcmread(path)
    Deidentifier(key, frozenset(options), cleaner).deidentify(ds)
    return ds


def _study_pair(folder: Path) -> tuple[Path, Path]:
    """Two real CT files of one patient and study; the second cites the first as evidence."""
    first = pydicom.dcmread(CT)
    second = pydicom.dcmread(CT)
    second.SOPInstanceUID = first.SOPInstanceUID + ".2"
    second.file_meta.MediaStorageSOPInstanceUID = second.SOPInstanceUID
    sop = Dataset()
    sop.ReferencedSOPClassUID = first.SOPClassUID
    sop.ReferencedSOPInstanceUID = first.SOPInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = first.SeriesInstanceUID
    series.ReferencedSOPSequence = Sequence([sop])
    study = Dataset()
    study.StudyInstanceUID = first.StudyInstanceUID
    study.ReferencedSeriesSequence = Sequence([series])
    second.CurrentRequestedProcedureEvidenceSequence = Sequence([study])
    (folder / "sub").mkdir(parents=True)
    first.save_as(folder / "a.dcm")
    second.save_as(folder / "sub" / "b.dcm")
    return folder / "a.dcm", folder / "sub" / "b.dcm"


def test_uids_link_files_of_one_study_and_references_follow(tmp_path):
    _study_pair(tmp_path / "in")
    deidentify_tree(tmp_path / "in", tmp_path / "out", KEY_A)
    first = pydicom.dcmread(tmp_path / "out" / "a.dcm")
    second = pydicom.dcmread(tmp_path / "out" / "sub" / "b.dcm")
    original = pydicom.dcmread(CT)
    assert first.StudyInstanceUID == second.StudyInstanceUID != original.StudyInstanceUID
    assert first.SeriesInstanceUID == second.SeriesInstanceUID
    assert first.FrameOfReferenceUID == second.FrameOfReferenceUID
    assert first.SOPInstanceUID != second.SOPInstanceUID
    study = second.CurrentRequestedProcedureEvidenceSequence[0]
    assert study.StudyInstanceUID == first.StudyInstanceUID
    series = study.ReferencedSeriesSequence[0]
    assert series.SeriesInstanceUID == first.SeriesInstanceUID
    assert series.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == first.SOPInstanceUID
    assert series.ReferencedSOPSequence[0].ReferencedSOPClassUID == original.SOPClassUID


def test_type_dependent_actions_follow_the_iod(tmp_path):
    ct = _deid(CT)
    assert "SeriesDate" not in ct  # X/D, Type 3 in General Series: removed
    assert "InstitutionName" not in ct  # X/Z/D, Type 3: removed
    assert ct.ContentDate == ""  # Z/D, Type 2C in General Image: emptied
    enhanced = pydicom.dcmread(CT)
    enhanced.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR Image
    enhanced.DeviceSerialNumber = "SN-4711"
    enhanced.SeriesDate = "20040119"
    path = tmp_path / "enhanced.dcm"
    enhanced.save_as(path)
    ds = _deid(path)
    assert ds.ContentDate == "19000101"  # Type 1 in Enhanced MR: a dummy keeps it valid
    assert ds.DeviceSerialNumber == "ANONYMIZED"  # Type 1 in Enhanced General Equipment
    assert "SeriesDate" not in ds
    unknown = pydicom.dcmread(CT)
    unknown.SOPClassUID = "1.2.3.4.5.6"  # not a standard SOP class: type unknown
    unknown.SeriesDate = "20040119"
    path = tmp_path / "unknown.dcm"
    unknown.save_as(path)
    assert _deid(path).SeriesDate == "19000101"  # keeps the object valid whatever the type


@pytest.mark.parametrize(
    ("choices", "attribute_type", "action"),
    [("X/Z", "3", "X"), ("X/Z", "2", "Z"), ("X/Z", None, "X"), ("X/D", "1C", "D"), ("X/D", "2", "D"),
     ("Z/D", "2C", "Z"), ("Z/D", "1", "D"), ("Z/D", "3", "Z"), ("X/Z/D", "1", "D"), ("X/Z/U*", "1", "U"),
     ("X/Z/U*", "2", "Z"), ("X/Z/U*", "3", "X")],
)
def test_choose_by_type(choices, attribute_type, action):
    assert choose_by_type(choices, attribute_type) == action


def test_same_key_gives_same_uids_in_another_run_and_another_key_does_not():
    uid_tags = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")
    run_1, run_2, other = _deid(CT, KEY_A), _deid(CT, KEY_A), _deid(CT, KEY_B)
    for name in uid_tags:
        assert run_1.get(name) == run_2.get(name)
        assert run_1.get(name) != other.get(name)
        assert run_1.get(name).startswith("2.25.")


def test_distinct_uids_stay_distinct_on_the_deid_data_cookies():
    folder = CORPUS_ROOTS.get("deid-data")
    if folder is None:
        pytest.skip("deid-data is not installed (test extra)")
    originals, written = set(), set()
    for path in sorted((folder / "dicom-cookies").glob("*.dcm")):
        original = pydicom.dcmread(path)
        ds = _deid(path)
        for name in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            originals.add(original.get(name))
            written.add(ds.get(name))
    assert len(written) == len(originals) >= 14


def test_patient_gets_a_keyed_pseudonym_shared_by_their_files():
    ct, ct_again, mr = _deid(CT), _deid(CT), _deid(MR)
    original = pydicom.dcmread(CT)
    assert ct.PatientID == ct_again.PatientID != original.PatientID
    assert ct.PatientID.startswith("YZ") and ct.PatientID != mr.PatientID
    assert str(ct.PatientName) == ct.PatientID
    assert ct.PatientBirthDate == ""
    assert "InstitutionName" not in ct or ct.InstitutionName in ("", "ANONYMIZED")


def test_marks_and_codes_for_the_chosen_options():
    options = parse_options(["retain-long-modified-dates", "retain-uids", "retain-patient-chars"])
    ds = _deid(CT, options=options)
    codes = [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
    assert codes[0] == "113100" and set(codes[1:]) == {"113107", "113110", "113108"}
    assert all(item.CodingSchemeDesignator == "DCM" for item in ds.DeidentificationMethodCodeSequence)
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    assert any("2024b" in value for value in ds.DeidentificationMethod)


def test_modified_dates_shift_one_patient_consistently_and_keep_times():
    options = frozenset({Option.RETAIN_LONG_MODIFIED_DATES})
    original = pydicom.dcmread(CT)
    ds, again = _deid(CT, options=options), _deid(CT, options=options)
    study = dt.datetime.strptime(original.StudyDate, "%Y%m%d")
    shifted = dt.datetime.strptime(ds.StudyDate, "%Y%m%d")
    assert 1 <= (study - shifted).days <= SHIFT_MAX_DAYS
    content = dt.datetime.strptime(original.ContentDate, "%Y%m%d")
    assert (content - dt.datetime.strptime(ds.ContentDate, "%Y%m%d")) == study - shifted
    assert ds.StudyDate == again.StudyDate
    assert ds.StudyTime == original.StudyTime
    assert _deid(CT, KEY_B, options).StudyDate != ds.StudyDate  # another key, another shift


def test_without_date_options_dates_are_removed_and_flagged():
    ds = _deid(CT)
    assert ds.StudyDate == "" and ds.get("AcquisitionDate", "") in ("", "19000101")
    assert ds.LongitudinalTemporalInformationModified == "REMOVED"


def test_full_dates_option_keeps_dates_and_excludes_modified_dates():
    ds = _deid(CT, options=frozenset({Option.RETAIN_LONG_FULL_DATES}))
    assert ds.StudyDate == pydicom.dcmread(CT).StudyDate
    assert ds.LongitudinalTemporalInformationModified == "UNMODIFIED"
    with pytest.raises(OptionError, match="exclude each other"):
        parse_options(["retain-long-full-dates", "retain-long-modified-dates"])
    with pytest.raises(OptionError, match="unknown option 'retain-everything'"):
        parse_options(["retain-everything"])


def test_patient_characteristics_option_keeps_sex_and_age_only_when_chosen():
    original = pydicom.dcmread(CT)
    kept = _deid(CT, options=frozenset({Option.RETAIN_PATIENT_CHARACTERISTICS}))
    removed = _deid(CT)
    assert kept.PatientSex == original.PatientSex != "" and kept.PatientAge == original.PatientAge
    assert removed.PatientSex == "" and "PatientAge" not in removed


def test_device_and_institution_options_keep_what_they_name(tmp_path):
    source = pydicom.dcmread(MR)
    source.DeviceSerialNumber = "SN-4711-XYZ"
    source.InstitutionName = "Shanghai Sixth People's Hospital"
    source.StationName = "MRSTATION7"
    path = tmp_path / "mr.dcm"
    source.save_as(path)
    device = _deid(path, options=frozenset({Option.RETAIN_DEVICE_IDENTITY}))
    institution = _deid(path, options=frozenset({Option.RETAIN_INSTITUTION_IDENTITY}))
    basic = _deid(path)
    assert device.DeviceSerialNumber == "SN-4711-XYZ" and device.StationName == "MRSTATION7"
    assert device.get("InstitutionName") != source.InstitutionName
    assert institution.InstitutionName == source.InstitutionName
    assert institution.get("DeviceSerialNumber") != "SN-4711-XYZ"
    assert basic.get("DeviceSerialNumber") != "SN-4711-XYZ" and basic.get("StationName") != "MRSTATION7"


def test_retain_uids_option_keeps_instance_uids():
    original = pydicom.dcmread(CT)
    ds = _deid(CT, options=frozenset({Option.RETAIN_UIDS}))
    assert ds.SOPInstanceUID == original.SOPInstanceUID
    assert ds.StudyInstanceUID == original.StudyInstanceUID


def test_clean_descriptors_uses_the_cleaner_and_removes_without_one():
    original = pydicom.dcmread(CT)
    original.StudyDescription = "CT head for Zhang Wei"
    cleaner_calls = []

    def cleaner(text, patient_key):
        cleaner_calls.append(text)
        return text.replace("Zhang Wei", "[PERSON]")

    ds = original.copy()
    Deidentifier(KEY_A, frozenset({Option.CLEAN_DESCRIPTORS}), cleaner).deidentify(ds)
    assert ds.StudyDescription == "CT head for [PERSON]"
    assert "CT head for Zhang Wei" in cleaner_calls
    without = original.copy()
    Deidentifier(KEY_A, frozenset({Option.CLEAN_DESCRIPTORS}), None).deidentify(without)
    assert "StudyDescription" not in without


def test_clean_descriptors_with_the_text_deidentifier_when_it_is_built():
    try:
        from yizhi.deid.text import deidentify  # noqa: F401
    except Exception:
        pytest.skip("yizhi.deid.text is not built yet: descriptors fall back to removal (tested above)")
    from yizhi.deid.dicom.batch import text_cleaner_or_none

    original = pydicom.dcmread(CT)
    text = "Follow-up for patient John Smith, phone 555-123-4567"
    original.StudyDescription = text
    cleaner = text_cleaner_or_none(KEY_A)
    assert cleaner is not None
    Deidentifier(KEY_A, frozenset({Option.CLEAN_DESCRIPTORS}), cleaner).deidentify(original)
    # The text de-identifier's own accuracy is tested in its folder; here: its output is what lands.
    assert original.StudyDescription == cleaner(text, "")[:64] or original.StudyDescription != text
    assert original.StudyDescription != text


def test_safe_private_keeps_only_listed_private_attributes():
    ds = pydicom.dcmread(CT)
    block = ds.private_block(0x0043, "GEMS_PARM_01", create=True)
    block.add_new(0x27, "SH", "/1.0:1")
    block.add_new(0x28, "LO", "Patient Zhang")
    Deidentifier(KEY_A, frozenset({Option.RETAIN_SAFE_PRIVATE}), None,
                 frozenset({("GEMS_PARM_01", 0x0043, 0x27)})).deidentify(ds)
    private = {elem.tag: elem.value for elem in ds if elem.tag.is_private}
    assert "/1.0:1" in private.values() and "Patient Zhang" not in private.values()
    plain = pydicom.dcmread(CT)
    Deidentifier(KEY_A).deidentify(plain)
    assert not any(elem.tag.is_private for elem in plain)


def test_workers_give_the_same_bytes_as_one_process(tmp_path):
    folder = CORPUS_ROOTS.get("deid-data")
    if folder is None:
        pytest.skip("deid-data is not installed (test extra)")
    source = tmp_path / "in"
    shutil.copytree(folder, source, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    one = deidentify_tree(source, tmp_path / "one", KEY_A, workers=1)
    two = deidentify_tree(source, tmp_path / "two", KEY_A, workers=2)
    assert (one.ok, one.quarantined, one.error) == (two.ok, two.quarantined, two.error)
    assert (tmp_path / "one" / "deid-report.jsonl").read_text() == (tmp_path / "two" / "deid-report.jsonl").read_text()
    written = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.dcm"))
    assert len(written) == one.ok + one.quarantined
    for relative in written:
        assert (tmp_path / "one" / relative).read_bytes() == (tmp_path / "two" / relative).read_bytes()
