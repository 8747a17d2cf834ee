"""A small cohort written in every format the ingest reads, with identifiers planted everywhere.

Two patients, the same people in FHIR (NDJSON and a Bundle), notes, a GB18030 CSV and DICOM
(real pydicom test images carrying their identities): ``PLANTED`` lists every identifying value,
``SAME_DAY`` a date each patient has in every modality (to check the shift agrees).
"""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file

PATIENTS = {
    "A": {"mrn": "40213377", "family": "Henderson", "given": "Walter", "name": "Walter Henderson",
          "phone": "(617) 555-0143", "email": "walter.henderson@example.org", "street": "1742 Evergreen Terrace",
          "city": "Springfield", "postcode": "62704", "birth": "1950-03-04", "day": "2023-03-05",
          "ssn": "078-05-1120"},
    "B": {"mrn": "55120987", "family": "王", "given": "建国", "name": "王建国", "phone": "13912345678",
          "email": "wangjianguo@example.cn", "street": "朝阳区建国路88号", "city": "北京市", "postcode": "100022",
          "birth": "1931-11-20", "day": "2022-10-17", "id_number": "110105193111203218"},
}
KEY = b"ingest-test-key-0123456789abcdef"


def planted_values() -> list[str]:
    """Every identifying value planted somewhere (full birth dates in the forms used)."""
    values = []
    for p in PATIENTS.values():
        values += [p["mrn"], p["name"], p["phone"], p["email"], p["street"], p["birth"], p["birth"].replace("-", "")]
        values += [p[k] for k in ("ssn", "id_number") if k in p]
        if p["family"].isascii():
            values += [p["family"]]
    values += ["Dr. Josephine Abernathy", "Abernathy", "Mercy General Hospital"]
    return values


def _fhir_resources(key: str) -> list[dict]:
    p = PATIENTS[key]
    mrn, day = p["mrn"], p["day"]
    narrative = f'<div xmlns="http://www.w3.org/1999/xhtml">{p["name"]}, MRN {mrn}, phone {p["phone"]}</div>'
    note_text = (f"Patient {p['name']} was called at {p['phone']} on {day} by Dr. Josephine Abernathy."
                 if p["family"].isascii() else f"患者{p['name']}，电话{p['phone']}，于{day}复诊。")
    document = base64.b64encode(f"Discharge summary for {p['name']}, MRN {mrn}. Seen {day}.".encode()).decode()
    return [
        {"resourceType": "Patient", "id": mrn, "text": {"status": "generated", "div": narrative},
         "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": mrn}],
         "name": [{"family": p["family"], "given": [p["given"]], "text": p["name"]}],
         "telecom": [{"system": "phone", "value": p["phone"]}, {"system": "email", "value": p["email"]}],
         "gender": "male", "birthDate": p["birth"],
         "address": [{"line": [p["street"]], "city": p["city"], "postalCode": p["postcode"], "country": "CN"}],
         "contact": [{"name": {"text": "Dr. Josephine Abernathy"}, "telecom": [{"system": "phone", "value": p["phone"]}]}],
         "extension": [{"url": "http://example.org/fhir/StructureDefinition/contact-note",
                        "valueString": f"Reach {p['name']} at {p['email']}"}]},
        {"resourceType": "Encounter", "id": f"enc-{mrn}", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "subject": {"reference": f"Patient/{mrn}", "display": p["name"]},
         "period": {"start": f"{day}T09:00:00+08:00", "end": f"{day}T10:30:00+08:00"},
         "serviceProvider": {"reference": "Organization/org1", "display": "Mercy General Hospital"}},
        {"resourceType": "Observation", "id": f"obs-{mrn}", "status": "final",
         "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}]},
         "subject": {"reference": f"Patient/{mrn}"}, "encounter": {"reference": f"Encounter/enc-{mrn}"},
         "effectiveDateTime": f"{day}T09:30:00+08:00", "valueQuantity": {"value": 7.1, "unit": "%"},
         "note": [{"text": note_text}]},
        {"resourceType": "Observation", "id": f"comment-{mrn}", "status": "final",
         "code": {"text": "Social history"}, "subject": {"reference": f"Patient/{mrn}"},
         "effectiveDateTime": day, "valueString": note_text},
        {"resourceType": "ImagingStudy", "id": f"img-{mrn}", "status": "available",
         "subject": {"reference": f"Patient/{mrn}"}, "started": f"{day}T11:00:00+08:00",
         "description": f"CT chest for {p['name']}"},
        {"resourceType": "DocumentReference", "id": f"doc-{mrn}", "status": "current",
         "subject": {"reference": f"Patient/{mrn}"}, "date": f"{day}T12:00:00+08:00",
         "content": [{"attachment": {"contentType": "text/plain", "data": document, "title": f"Summary {p['name']}"}}]},
    ]


def write_fhir_ndjson(path: Path, keys=("A",)) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for key in keys:
            for resource in _fhir_resources(key):
                handle.write(json.dumps(resource, ensure_ascii=False) + "\n")
    return path


def write_fhir_bundle(path: Path, keys=("B",)) -> Path:
    entries = []
    for key in keys:
        for resource in _fhir_resources(key):
            entries.append({"fullUrl": f"urn:uuid:{resource['resourceType'].lower()}-{resource['id']}",
                            "resource": resource})
    # references inside a transaction bundle often point at fullUrls
    for entry in entries:
        subject = entry["resource"].get("subject")
        if subject:
            subject["reference"] = "urn:uuid:patient-" + subject["reference"].split("/")[-1]
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def write_notes(path: Path) -> Path:
    lines = []
    for p in PATIENTS.values():
        if p["family"].isascii():
            text = (f"Progress note {p['day']}: Mr. {p['name']} (MRN {p['mrn']}, SSN {p['ssn']}) lives at "
                    f"{p['street']}, {p['city']}. Call {p['phone']} or {p['email']}.")
        else:
            text = (f"{p['day']}病程记录：患者{p['name']}，身份证号{p['id_number']}，住址{p['city']}{p['street']}，"
                    f"联系电话{p['phone']}，邮箱{p['email']}。")
        lines.append({"patient_id": p["mrn"], "text": text, "date": p["day"], "kind": "progress", "id": f"note-{p['mrn']}"})
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


LABS_PROFILE = """
tables:
  labs.csv:
    patient_id: 病人编号
    direct_identifiers: [姓名, 电话]
    dates: [采样日期]
    free_text: [备注]
    postcodes: [邮编]
"""


def write_labs_gb18030(path: Path) -> Path:
    rows = ["病人编号,姓名,电话,采样日期,糖化血红蛋白,备注,邮编"]
    for p in PATIENTS.values():
        comment = f"已电话通知{p['name']}（{p['phone']}）" if not p["family"].isascii() else f"Told {p['name']} by phone {p['phone']}"
        rows.append(f"{p['mrn']},{p['name']},{p['phone']},{p['day']},6.8,{comment},{p['postcode']}")
    path.write_bytes(("\n".join(rows) + "\n").encode("gb18030"))
    return path


def _dicom_for(key: str, source: str, target: Path, burned_in: bool = False) -> Path:
    p = PATIENTS[key]
    ds = pydicom.dcmread(get_testdata_file(source))
    ds.PatientName = p["name"] if p["family"].isascii() else f"{p['family']}^{p['given']}"
    ds.PatientID = p["mrn"]
    ds.PatientBirthDate = p["birth"].replace("-", "")
    ds.StudyDate = p["day"].replace("-", "")
    ds.SeriesDate = p["day"].replace("-", "")
    ds.StudyDescription = f"CT chest {p['name']}"
    ds.InstitutionName = "Mercy General Hospital"
    ds.ReferringPhysicianName = "Abernathy^Josephine"
    ds.OtherPatientIDs = p["phone"]
    ds.SpecificCharacterSet = "ISO_IR 192"
    if burned_in:
        ds.BurnedInAnnotation = "YES"
    ds.save_as(target)
    return target


def write_dicom_zip(path: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    files = {
        f"{PATIENTS['A']['name']}/ct1.dcm": _dicom_for("A", "CT_small.dcm", work / "a.dcm"),
        f"{PATIENTS['B']['mrn']}/mr1.dcm": _dicom_for("B", "MR_small.dcm", work / "b.dcm"),
        "burned/screen.dcm": _dicom_for("A", "CT_small.dcm", work / "burned.dcm", burned_in=True),
        "README.txt": _text_file(work / "readme.txt"),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.write(source, name)
    return path


def _text_file(path: Path) -> Path:
    path.write_text("exported by PACS\n")
    return path


def write_all(folder: Path) -> list[tuple[str, Path]]:
    """Every source of the cohort: (uploaded name, path)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        ("patients.ndjson", write_fhir_ndjson(folder / "patients.ndjson")),
        ("bundle.json", write_fhir_bundle(folder / "bundle.json")),
        ("notes.jsonl", write_notes(folder / "notes.jsonl")),
        ("labs.csv", write_labs_gb18030(folder / "labs.csv")),
        ("study.zip", write_dicom_zip(folder / "study.zip", folder / "dicom-work")),
    ]
