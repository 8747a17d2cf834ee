"""project.yaml and project zips: every mistake refused with what and where; hostile zips stopped."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from yizhi.errors import PayloadTooLarge, ValidationFailed
from yizhi.space.project import extract_zip, load_project, parse_project, zip_folder

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

GOOD = {"entry": "main.py", "tables": ["cohort"], "outputs": [{"path": "counts.csv", "kind": "table"}]}


@pytest.mark.parametrize("change, message", [
    ({"entry": None}, "entry must name"),
    ({"entry": "../main.py"}, "inside the project"),
    ({"tables": []}, "tables must list"),
    ({"tables": ["a b"]}, "not a table name"),
    ({"outputs": [{"path": "x.csv"}]}, "needs a path and a kind"),
    ({"outputs": [{"path": "x.csv", "kind": "plot"}]}, "use table, figure, model or text"),
    ({"outputs": [{"path": "x.pkl", "kind": "model"}]}, "must be one of onnx"),
    ({"outputs": [{"path": "sub/x.csv", "kind": "table"}]}, "plain file name"),
    ({"outputs": [{"path": "m.onnx", "kind": "model", "table": "other", "features": ["a"], "label": "y"}]},
     "does not read"),
    ({"colour": "red"}, "unknown key"),
])
def test_mistakes_in_project_yaml_are_named(change, message):
    spec = {**GOOD, **change}
    spec = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(ValidationFailed, match=message):
        parse_project(spec)


def test_a_valid_project_reads(tmp_path):
    (tmp_path / "main.py").write_text("print(1)")
    (tmp_path / "project.yaml").write_text("entry: main.py\ntables: [cohort]\noutputs:\n  - {path: c.csv, kind: table}\n")
    project = load_project(tmp_path)
    assert project.entry == "main.py" and project.tables == ["cohort"] and project.output("c.csv").kind == "table"


def test_yaml_errors_say_the_line(tmp_path):
    (tmp_path / "project.yaml").write_text("entry: main.py\ntables: [cohort\n")
    with pytest.raises(ValidationFailed, match=r"not valid YAML \(line \d+\)"):
        load_project(tmp_path)


def _zip(entries: dict[str, bytes], modes: dict[str, int] | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            archive.writestr(info, data)
    buffer.seek(0)
    return buffer


PROJECT_YAML = b"entry: main.py\ntables: [cohort]\noutputs:\n  - {path: c.csv, kind: table}\n"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/cron.d/x", "a/../../evil.py", "C:/evil.py", "a\\..\\evil.py"])
def test_zip_slip_names_are_refused(tmp_path, name):
    with pytest.raises(ValidationFailed, match="unsafe path"):
        extract_zip(_zip({"project.yaml": PROJECT_YAML, name: b"x"}), tmp_path, 1 << 20)
    assert not (tmp_path.parent / "evil.py").exists()


def test_links_in_a_zip_are_refused(tmp_path):
    archive = _zip({"project.yaml": PROJECT_YAML, "main.py": b"/etc/passwd"}, {"main.py": stat.S_IFLNK | 0o777})
    with pytest.raises(ValidationFailed, match="link or a special file"):
        extract_zip(archive, tmp_path, 1 << 20)


def test_a_zip_bomb_stops_at_the_cap(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.yaml", PROJECT_YAML)
        archive.writestr("main.py", b"0" * (50 << 20))  # 50 MiB of zeros: about 50 KiB compressed
    assert len(buffer.getvalue()) < 1 << 20
    buffer.seek(0)
    with pytest.raises(PayloadTooLarge):
        extract_zip(buffer, tmp_path, 1 << 20)
    written = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert written <= 1 << 20


def test_a_zip_whose_directory_lies_about_sizes_stops_while_unpacking(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.yaml", PROJECT_YAML)
        archive.writestr("main.py", b"1" * (4 << 20))
    data = bytearray(buffer.getvalue())
    # patch the central directory's uncompressed size of main.py down to 10 bytes
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    with pytest.raises((PayloadTooLarge, ValidationFailed)):
        extract_zip(io.BytesIO(bytes(data)), tmp_path, 1 << 20)
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= 2 << 20


def test_not_a_zip_and_pickles_are_refused(tmp_path):
    with pytest.raises(ValidationFailed, match="not a zip"):
        extract_zip(io.BytesIO(b"plain text"), tmp_path, 1 << 20)
    with pytest.raises(ValidationFailed, match="pickled"):
        extract_zip(_zip({"project.yaml": PROJECT_YAML, "model.pkl": b"\x80\x04"}), tmp_path / "b", 1 << 20)


def test_a_zipped_folder_is_found_inside_its_single_top_folder(tmp_path):
    folder = extract_zip(_zip({"proj/project.yaml": PROJECT_YAML, "proj/main.py": b"print(1)"}), tmp_path, 1 << 20)
    assert folder.name == "proj" and load_project(folder).entry == "main.py"


def test_zip_folder_skips_hidden_folders_and_refuses_links(tmp_path):
    (tmp_path / "project.yaml").write_bytes(PROJECT_YAML)
    (tmp_path / "main.py").write_text("print(1)")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    names = zipfile.ZipFile(io.BytesIO(zip_folder(tmp_path, 1 << 20))).namelist()
    assert sorted(names) == ["main.py", "project.yaml"]
    (tmp_path / "link.py").symlink_to("/etc/passwd")
    with pytest.raises(ValidationFailed, match="link"):
        zip_folder(tmp_path, 1 << 20)
