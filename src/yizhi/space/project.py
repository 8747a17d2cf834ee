"""A Tier B project: a folder (or a zip of one) with ``project.yaml`` and Python code.

``project.yaml`` (keys ``entry``, ``tables``, ``outputs`` are the exact interface; the others are ours)::

    entry: main.py                     # the program, run as /project/main.py
    tables: [labs, visits]             # granted tables it reads, at /data/<table>.parquet
    outputs:                           # what it declares it writes to /output
      - {path: counts.csv, kind: table}
      - {path: model.onnx, kind: model, table: labs, features: [age, hba1c], label: outcome}
    dataset: dm-emr@1                  # which version, when the grant covers several (optional)
    description: ...                   # free text (optional)

A ``model`` output may name the table, feature columns and label it was trained on: then the
airlock runs a membership-inference attack on it (see :mod:`yizhi.space.model_checks`).
Zips are unpacked with every name checked (no absolute paths, ``..``, links or devices), the file
count, the declared and the actual unpacked sizes capped (zip bombs stop at the cap, not after).
No pickle is accepted in a project: nothing the grantee sends is unpickled, here or in the sandbox.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from yizhi.errors import N_, PayloadTooLarge, ValidationFailed

PROJECT_FILE = "project.yaml"
KINDS = {"table": {"csv", "json"}, "figure": {"png", "svg", "pdf"}, "model": {"onnx"},
         "text": {"txt", "md", "json", "csv"}}
ALLOWED_TYPES = {"csv", "json", "txt", "md", "png", "svg", "pdf", "onnx"}
FORBIDDEN_SUFFIXES = {".pkl", ".pickle", ".joblib", ".npy", ".npz", ".so", ".pyd", ".dll", ".whl", ".egg"}
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
MAX_FILES = 500
MAX_YAML = 64 * 1024
KNOWN_KEYS = {"entry", "tables", "outputs", "dataset", "description"}
OUTPUT_KEYS = {"path", "kind", "table", "features", "label", "description"}


@dataclass
class DeclaredOutput:
    path: str
    kind: str
    table: str | None = None
    features: list[str] = field(default_factory=list)
    label: str | None = None

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "table": self.table, "features": self.features,
                "label": self.label}


@dataclass
class Project:
    entry: str
    tables: list[str]
    outputs: list[DeclaredOutput]
    dataset: str | None = None
    description: str = ""

    def output(self, name: str) -> DeclaredOutput | None:
        return next((o for o in self.outputs if o.path == name), None)

    def as_dict(self) -> dict:
        return {"entry": self.entry, "tables": self.tables, "outputs": [o.as_dict() for o in self.outputs],
                "dataset": self.dataset, "description": self.description}


def _invalid(message: str, **params) -> ValidationFailed:
    return ValidationFailed(message, params=params, field="project")


def load_project(folder: Path) -> Project:
    """Read and check ``folder/project.yaml`` against the folder's files."""
    path = folder / PROJECT_FILE
    if not path.is_file():
        raise _invalid(N_("the project has no %(file)s at its top level"), file=PROJECT_FILE)
    if path.stat().st_size > MAX_YAML:
        raise _invalid(N_("%(file)s is larger than %(max)s bytes"), file=PROJECT_FILE, max=MAX_YAML)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        raise _invalid(N_("%(file)s is not valid YAML (line %(line)s)"), file=PROJECT_FILE,
                       line=(where.line + 1) if where else "?") from None
    return parse_project(raw, folder)


def parse_project(raw, folder: Path | None = None) -> Project:
    if not isinstance(raw, dict):
        raise _invalid(N_("%(file)s must be a mapping with entry, tables and outputs"), file=PROJECT_FILE)
    unknown = sorted(str(k) for k in raw if k not in KNOWN_KEYS)
    if unknown:
        raise _invalid(N_("%(file)s has unknown key(s) %(keys)s (known: %(known)s)"), file=PROJECT_FILE,
                       keys=", ".join(unknown), known=", ".join(sorted(KNOWN_KEYS)))
    entry = _entry(raw.get("entry"), folder)
    tables = _tables(raw.get("tables"))
    outputs = _outputs(raw.get("outputs"), tables)
    dataset = raw.get("dataset")
    if dataset is not None and not isinstance(dataset, str):
        raise _invalid(N_("dataset must be a version name such as lung-ct@1"))
    description = raw.get("description") or ""
    return Project(entry, tables, outputs, dataset, str(description)[:2000])


def _entry(value, folder: Path | None) -> str:
    if not isinstance(value, str) or not value.endswith(".py"):
        raise _invalid(N_("entry must name the project's Python program, e.g. main.py"))
    pure = PurePosixPath(value)
    if pure.is_absolute() or ".." in pure.parts or "\\" in value:
        raise _invalid(N_("entry %(entry)s must be a path inside the project"), entry=value)
    if folder is not None and not (folder / pure).is_file():
        raise _invalid(N_("entry %(entry)s is not a file of the project"), entry=value)
    return pure.as_posix()


def _tables(value) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > 50:
        raise _invalid(N_("tables must list the granted tables the project reads (1 to 50)"))
    for name in value:
        if not isinstance(name, str) or not NAME.match(name):
            raise _invalid(N_("%(name)s is not a table name"), name=str(name)[:80])
    if len(set(value)) != len(value):
        raise _invalid(N_("tables lists a table twice"))
    return list(value)


def _outputs(value, tables: list[str]) -> list[DeclaredOutput]:
    if not isinstance(value, list) or not value or len(value) > 100:
        raise _invalid(N_("outputs must list what the project writes (1 to 100 entries of path and kind)"))
    outputs = [_output(item, tables) for item in value]
    names = [o.path for o in outputs]
    if len(set(names)) != len(names):
        raise _invalid(N_("outputs lists a path twice"))
    return outputs


def _output(item, tables: list[str]) -> DeclaredOutput:
    if not isinstance(item, dict) or not {"path", "kind"} <= item.keys():
        raise _invalid(N_("each output needs a path and a kind (table, figure, model or text)"))
    unknown = sorted(str(k) for k in item if k not in OUTPUT_KEYS)
    if unknown:
        raise _invalid(N_("output %(path)s has unknown key(s) %(keys)s"), path=str(item["path"])[:120],
                       keys=", ".join(unknown))
    path, kind = str(item["path"]), str(item["kind"])
    if not OUTPUT_NAME.match(path):
        raise _invalid(N_("output path %(path)s must be a plain file name in /output"), path=path[:120])
    if kind not in KINDS:
        raise _invalid(N_("output %(path)s has kind %(kind)s; use table, figure, model or text"), path=path,
                       kind=kind[:40])
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in KINDS[kind]:
        raise _invalid(N_("a %(kind)s output must be one of %(types)s, not %(path)s"), kind=kind,
                       types=", ".join(sorted(KINDS[kind])), path=path)
    table, features, label = item.get("table"), item.get("features") or [], item.get("label")
    if kind == "model" and table is not None:
        if table not in tables:
            raise _invalid(N_("model %(path)s names table %(table)s, which the project does not read"),
                           path=path, table=str(table)[:80])
        if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
            raise _invalid(N_("model %(path)s must list its feature columns"), path=path)
        if not isinstance(label, str):
            raise _invalid(N_("model %(path)s must name its label column"), path=path)
    return DeclaredOutput(path, kind, table, list(features), label)


def check_files(folder: Path) -> None:
    """Refuse links, special files, pickles and too many files in a project folder."""
    count = 0
    for path in folder.rglob("*"):
        count += 1
        if count > MAX_FILES:
            raise _invalid(N_("the project has more than %(max)s files"), max=MAX_FILES)
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise _invalid(N_("%(path)s is a link or a special file; a project holds plain files only"),
                           path=relative)
        if path.suffix.lower() in FORBIDDEN_SUFFIXES:
            raise _invalid(N_("%(path)s: pickled objects and binaries are not accepted in a project"),
                           path=relative)


def zip_folder(folder: Path, max_bytes: int) -> bytes:
    """The folder as a deterministic zip (for the CLI: every job starts from a stored zip)."""
    check_files(folder)
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            parts = path.relative_to(folder).parts
            if any(part.startswith(".") for part in parts) or "__pycache__" in parts:
                continue  # .git, .venv, caches: not part of the project
            total += path.stat().st_size
            if total > max_bytes:
                raise PayloadTooLarge(N_("the project is larger than %(max)s bytes"), params={"max": max_bytes})
            info = zipfile.ZipInfo("/".join(parts), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def extract_zip(stream, destination: Path, max_bytes: int) -> Path:
    """Unpack a project zip safely into ``destination``; returns the project folder inside it."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _invalid(N_("the project upload is not a zip file")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise _invalid(N_("the project has more than %(max)s files"), max=MAX_FILES)
        if sum(m.file_size for m in members) > max_bytes:
            raise PayloadTooLarge(N_("the project unpacks to more than %(max)s bytes"), params={"max": max_bytes})
        budget = [max_bytes]
        for member in members:
            _extract_member(archive, member, destination, budget)
    return _project_root(destination)


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, destination: Path, budget: list[int]) -> None:
    name = member.filename
    pure = PurePosixPath(name)
    if (not name or "\\" in name or "\x00" in name or pure.is_absolute() or ".." in pure.parts
            or re.match(r"^[A-Za-z]:", name)):
        raise _invalid(N_("the zip holds an unsafe path %(path)s"), path=name[:200])
    kind = stat.S_IFMT(member.external_attr >> 16)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise _invalid(N_("%(path)s is a link or a special file; a project holds plain files only"), path=name[:200])
    if PurePosixPath(name).suffix.lower() in FORBIDDEN_SUFFIXES:
        raise _invalid(N_("%(path)s: pickled objects and binaries are not accepted in a project"), path=name[:200])
    target = destination.joinpath(*pure.parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(member) as source, target.open("wb") as out:
            while chunk := source.read(1 << 16):
                budget[0] -= len(chunk)
                if budget[0] < 0:  # the sizes in the directory can lie; count what really comes out
                    raise PayloadTooLarge(N_("the project unpacks to more than its allowed size"))
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError):
        raise _invalid(N_("the zip entry %(path)s cannot be read (damaged or encrypted)"), path=name[:200]) from None


def _project_root(destination: Path) -> Path:
    """The folder holding project.yaml: the top, or the single folder a zipped folder makes."""
    if (destination / PROJECT_FILE).is_file():
        return destination
    children = [p for p in destination.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(children) == 1 and children[0].is_dir() and (children[0] / PROJECT_FILE).is_file():
        return children[0]
    raise _invalid(N_("the project has no %(file)s at its top level"), file=PROJECT_FILE)
