"""`yizhi datasets create|ingest|show|publish|export|card` end to end, through the real pipeline."""

import json

import pyarrow.parquet as pq
from typer.testing import CliRunner

from yizhi.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_create_ingest_show_publish_export_card(cast, hospital_files, tmp_path):
    created = run("datasets", "create", "dm-emr", "--org", "hospital", "--title", "2型糖尿病电子病历",
                  "--template", "t2dm-emr")
    assert created.exit_code == 0, created.output
    ingested = run("datasets", "ingest", "dm-emr", hospital_files["labs"], hospital_files["notes"],
                   "--profile", hospital_files["profile"])
    assert ingested.exit_code == 0, ingested.output
    assert ingested.stdout.strip().splitlines()[-1] == "dm-emr@1"

    shown = json.loads(run("datasets", "show", "dm-emr@1", "--json").stdout)
    assert shown["state"] == "ready" and set(shown["tables"]) == {"labs", "notes"}
    assert "patient_id" not in shown["tables"]["labs"]["columns"] and "patient" in shown["tables"]["labs"]["columns"]
    assert shown["card"]["number_of_records"] == 6 and shown["card"]["number_of_unique_individuals"] == 3

    refused = run("datasets", "publish", "dm-emr@1")
    assert refused.exit_code == 1
    for field in ("description", "contact_point", "legal_basis", "purpose", "inclusion_criteria", "reference_standard"):
        assert field in refused.output
    assert "Traceback" not in refused.output

    described = run("datasets", "describe", "dm-emr@1", "--set", "description=Labs and notes",
                    "--set", "contact_point=data@hospital.test", "--set", "legal_basis=dpv:Consent",
                    "--set", "purpose=dpv:ResearchAndDevelopment", "--set", "inclusion_criteria=E11 adults",
                    "--set", "reference_standard=ICD-10 E11")
    assert described.exit_code == 0 and "complete" in described.stdout
    published = run("datasets", "publish", "dm-emr@1")
    assert published.exit_code == 0, published.output

    out = tmp_path / "export"
    exported = run("datasets", "export", "dm-emr@1", out)
    assert exported.exit_code == 0, exported.output
    for name in ("manifest.json", "tables/labs.parquet", "tables/notes.parquet", "card.json", "croissant.json"):
        assert (out / name).is_file(), name
    assert pq.read_schema(out / "tables" / "notes.parquet").names[:4] == ["patient", "date", "kind", "text"]
    exported_bytes = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for planted in ("张三".encode(), "李四".encode(), b"13812345678", b"P001"):
        assert planted not in exported_bytes

    croissant = json.loads(run("datasets", "card", "dm-emr@1", "--format", "croissant").stdout)
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert {rs["name"] for rs in croissant["recordSet"]} == {"labs", "notes"}
    dcat = run("datasets", "card", "dm-emr@1", "--format", "dcat")
    assert dcat.exit_code == 0 and "healthdcatap:numberOfRecords" in dcat.stdout


def test_second_ingest_adds_data_and_keeps_the_key(cast, hospital_files, tmp_path):
    run("datasets", "create", "dm2", "--org", "hospital", "--title", "DM")
    assert run("datasets", "ingest", "dm2", hospital_files["labs"], "--profile", hospital_files["profile"]).exit_code == 0
    second = run("datasets", "ingest", "dm2", hospital_files["notes"])
    assert second.exit_code == 0, second.output
    assert second.stdout.strip().splitlines()[-1] == "dm2@2"
    v2 = json.loads(run("datasets", "show", "dm2@2", "--json").stdout)
    assert set(v2["tables"]) == {"labs", "notes"}                  # the previous sources were kept
    assert v2["profile"].startswith("tables:")                     # and the previous profile
    assert [s["name"] for s in v2["sources"]] == ["labs.csv", "notes.jsonl"]
    v1_labs = pq.read_table(_table("dm2", 1, "labs"))
    v2_labs = pq.read_table(_table("dm2", 2, "labs"))
    assert v1_labs.column("patient").to_pylist() == v2_labs.column("patient").to_pylist()  # same key, same pseudonyms


def _table(slug, number, table):
    from yizhi.catalog import service, store
    from yizhi.db import session_scope

    with session_scope() as session:
        return store.table_path(service.get_version(session, slug, number), table)


def test_bad_input_is_one_clear_line(cast, tmp_path):
    assert run("datasets", "create", "Bad Slug", "--org", "hospital", "--title", "x").exit_code == 1
    assert "not a dataset name" in run("datasets", "create", "Bad Slug", "--org", "hospital", "--title", "x").output
    assert "no card template" in run("datasets", "create", "abc", "--org", "hospital", "--title", "x",
                                     "--template", "nope").output
    assert "no organisation" in run("datasets", "create", "abc", "--org", "nowhere", "--title", "x").output
    assert "not a dataset version" in run("datasets", "publish", "abc").output
    run("datasets", "create", "abc", "--org", "hospital", "--title", "x")
    missing = run("datasets", "ingest", "abc", tmp_path / "nope.csv")
    assert missing.exit_code == 1 and "neither a file nor a folder" in missing.output
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02binary\xff\xfe" * 100)
    failed = run("datasets", "ingest", "abc", junk)
    assert failed.exit_code == 1 and "Traceback" not in failed.output
    shown = json.loads(run("datasets", "show", "abc@1", "--json").stdout)
    assert shown["state"] == "failed" and shown["error"]


def test_a_dicom_folder_becomes_dicom_files_an_index_and_a_file_set(cast, tmp_path):
    import shutil
    from pathlib import Path

    import pydicom
    mlc = __import__("pytest").importorskip("mlcroissant")

    folder = tmp_path / "ct"
    folder.mkdir()
    source = Path(pydicom.__file__).parent / "data" / "test_files"
    for name in ("CT_small.dcm", "MR_small.dcm"):
        shutil.copy(source / name, folder / name)
    run("datasets", "create", "ct-demo", "--org", "hospital", "--title", "CT", "--template", "lung-nodule-ct")
    ingested = run("datasets", "ingest", "ct-demo", folder)
    assert ingested.exit_code == 0, ingested.output
    shown = json.loads(run("datasets", "show", "ct-demo@1", "--json").stdout)
    assert [s["name"] for s in shown["sources"]] == ["ct.zip"]
    assert shown["stats"]["dicom_series"] == {"CT": 1, "MR": 1}
    out = tmp_path / "out"
    assert run("datasets", "export", "ct-demo@1", out).exit_code == 0
    written = sorted(p.relative_to(out).as_posix() for p in (out / "dicom").rglob("*.dcm"))
    assert len(written) == 2
    for path in written:
        assert pydicom.dcmread(out / path).PatientName != pydicom.dcmread(source / "CT_small.dcm").PatientName
    document = json.loads((out / "croissant.json").read_text())
    assert any(d["@type"] == "cr:FileSet" for d in document["distribution"])
    records = list(mlc.Dataset(jsonld=str(out / "croissant.json")).records(record_set="dicom_index"))
    assert sorted(r["dicom_index/path"].decode() for r in records) == written
    from yizhi.catalog import service
    from yizhi.db import session_scope
    with session_scope() as session:
        assert {"CT", "MR"} <= set(service.get_dataset(session, "ct-demo").modalities)
