"""The output airlock's automatic checks: every file a job wrote is held and checked here first.

Per file: declared in ``project.yaml``; an allowed type whose content matches its name (csv, json,
txt, md, png, svg, pdf, onnx); under its size cap; no ``patient`` column; no pseudonym of the
version (every ``patient`` value of its tables) anywhere in its bytes; a declared table passes the
Tier A disclosure rules of the dataset's holder (minimum counts, dominance, degrees of freedom); a
model passes :mod:`yizhi.space.model_checks` and, when it names its training table, the
membership-inference estimate of :mod:`yizhi.space.mia`. Logs (stdout, stderr) are checked for
size and pseudonyms. What passes still waits for two human checkers; what fails cannot be approved.

Pseudonyms are found by their bytes: text inside compressed PDF streams or PNG image data is not
seen — the checkers look at every figure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from yizhi.errors import N_
from yizhi.space import model_checks
from yizhi.space.checks import Check, failed, passed, warned
from yizhi.space.jobs_settings import SandboxSettings
from yizhi.space.project import ALLOWED_TYPES, DeclaredOutput, Project

MIB = 1 << 20
SIZE_CAPS = {"csv": 20 * MIB, "json": 20 * MIB, "txt": 10 * MIB, "md": 10 * MIB, "png": 20 * MIB,
             "svg": 10 * MIB, "pdf": 20 * MIB, "onnx": 100 * MIB, "log": 4 * MIB}
MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "pdf": (b"%PDF-",)}
TOKEN = re.compile(rb"[A-Za-z0-9_\-:.]{3,80}")
PATIENT = "patient"


@dataclass
class AirlockContext:
    project: Project
    pseudonyms: pa.Array
    rules: object | None
    settings: SandboxSettings
    view_dir: Path | None = None
    holdout_dir: Path | None = None
    work_dir: Path | None = None
    notes: dict = field(default_factory=dict)


def pseudonym_values(table_paths: list[Path]) -> pa.Array:
    """Every distinct ``patient`` value of the version's tables (Arrow, for vectorised look-ups)."""
    chunks = []
    for path in table_paths:
        schema = pq.read_schema(path)
        if PATIENT not in schema.names:
            continue
        column = pq.read_table(path, columns=[PATIENT]).column(0)
        chunks.append(pc.unique(pc.cast(column, pa.string())).drop_null())
    if not chunks:
        return pa.array([], pa.string())
    values = pc.unique(pa.concat_arrays([c.combine_chunks() if hasattr(c, "combine_chunks") else c for c in chunks]))
    return pc.filter(values, pc.greater_equal(pc.utf8_length(values), 3))


def find_pseudonyms(path: Path, pseudonyms: pa.Array, limit: int = 5) -> int:
    """How many distinct pseudonyms occur as tokens of the file's bytes (counting stops at ``limit``)."""
    if len(pseudonyms) == 0:
        return 0
    found: set[str] = set()
    with path.open("rb") as handle:
        tail = b""
        while chunk := handle.read(4 * MIB):
            data = tail + chunk
            cut = max(data.rfind(b"\n"), len(data) - 100)
            text, tail = data[:cut], data[cut:]
            found |= _tokens_in(text, pseudonyms)
            if len(found) >= limit:
                return len(found)
        found |= _tokens_in(tail, pseudonyms)
    return len(found)


def _tokens_in(data: bytes, pseudonyms: pa.Array) -> set[str]:
    tokens = {t.decode("ascii") for t in TOKEN.findall(data)}
    # a pseudonym may sit inside a longer token (p-001.png): try the parts between separators too
    tokens |= {part for t in list(tokens) for part in re.split(r"[.:]", t) if len(part) >= 3}
    if not tokens:
        return set()
    array = pa.array(sorted(tokens), pa.string())
    return set(pc.filter(array, pc.is_in(array, value_set=pseudonyms)).to_pylist())


def check_file(path: Path, name: str, context: AirlockContext, *, log: bool = False) -> tuple[list[Check], dict]:
    """All automatic checks of one held file; (checks, a description for the checkers)."""
    suffix = "log" if log else (name.rsplit(".", 1)[-1].lower() if "." in name else "")
    declared = None if log else context.project.output(name)
    checks: list[Check] = []
    if not log:
        checks.append(_declared(name, declared))
        checks.append(_type(path, suffix))
    checks.append(_size(path, suffix))
    if checks[-1].status == "fail" or any(c.status == "fail" and c.check == "type" for c in checks):
        return checks, {}
    checks.append(_pseudonyms(path, context))
    description: dict = {}
    if suffix in ("csv", "json") and not log:
        checks.extend(_table_checks(path, suffix, declared, context))
    if suffix == "onnx":
        model, description = model_checks.check_onnx(path)
        checks.extend(model)
        if declared is not None and all(c.status != "fail" for c in model):
            checks.append(_membership(path, declared, context))
    return checks, description


def _declared(name: str, declared: DeclaredOutput | None) -> Check:
    if declared is None:
        return failed("declared", N_("%(name)s is not declared in project.yaml"), name=name)
    return passed("declared")


def _type(path: Path, suffix: str) -> Check:
    if suffix not in ALLOWED_TYPES:
        return failed("type", N_("files of type %(type)s cannot leave the data space (allowed: %(allowed)s)"),
                      type=suffix or "-", allowed=", ".join(sorted(ALLOWED_TYPES)))
    head = path.open("rb").read(4096)
    if suffix in MAGIC and not head.startswith(MAGIC[suffix]):
        return failed("type", N_("the content is not a %(type)s file"), type=suffix)
    if suffix in ("csv", "json", "txt", "md", "svg"):
        try:
            path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return failed("type", N_("the content is not UTF-8 text"))
        if suffix == "svg" and b"<svg" not in path.read_bytes()[:65536]:
            return failed("type", N_("the content is not a %(type)s file"), type=suffix)
        if suffix == "json":
            try:
                json.loads(path.read_bytes())
            except ValueError:
                return failed("type", N_("the content is not valid JSON"))
    return passed("type")


def _size(path: Path, suffix: str) -> Check:
    size, cap = path.stat().st_size, SIZE_CAPS.get(suffix, 10 * MIB)
    if size > cap:
        return failed("size", N_("%(size)s bytes is over the %(cap)s-byte cap for %(type)s files"), size=size,
                      cap=cap, type=suffix)
    return passed("size")


def _pseudonyms(path: Path, context: AirlockContext) -> Check:
    count = find_pseudonyms(path, context.pseudonyms)
    if count:
        return failed("pseudonyms", N_("holds %(count)s patient pseudonym(s) of the dataset"),
                      count=f"{count}+" if count >= 5 else count)
    return passed("pseudonyms")


def read_table(path: Path, suffix: str):
    import pandas as pd

    if suffix == "csv":
        return pd.read_csv(path)
    raw = json.loads(path.read_bytes())
    if isinstance(raw, list):
        return pd.DataFrame(raw)
    if isinstance(raw, dict) and all(isinstance(v, list) for v in raw.values()):
        return pd.DataFrame(raw)
    return None


def _table_checks(path: Path, suffix: str, declared: DeclaredOutput | None, context: AirlockContext) -> list[Check]:
    try:
        frame = read_table(path, suffix)
    except Exception:  # a malformed table is the job's problem, reported as a check, never a crash
        frame = None
    if frame is None:
        if declared is not None and declared.kind == "table":
            return [failed("table", N_("a declared table must be a CSV or a JSON list of records"))]
        return []
    columns = [str(c).strip().lower() for c in frame.columns]
    if PATIENT in columns:
        return [failed("patient_column", N_("has a patient column: row-level data cannot leave the data space"))]
    checks = [passed("patient_column")]
    if declared is not None and declared.kind == "table":
        checks.append(_disclosure(frame, context))
    return checks


def _disclosure(frame, context: AirlockContext) -> Check:
    problems = disclosure_problems(frame, context.rules)
    if problems:
        return failed("disclosure", N_("disclosure rules: %(problems)s"), problems="; ".join(problems[:5])[:600])
    return passed("disclosure")


def disclosure_problems(frame, rules) -> list[str]:
    """Tier A's checker (``yizhi.space.disclosure.check_table``) with the holder's rules; until Tier A
    is installed, the minimum-count rule alone (:func:`minimum_count_problems`)."""
    try:
        from yizhi.space.disclosure import check_table
    except ImportError:
        return minimum_count_problems(frame)
    return list(check_table(frame, rules))


COUNT_NAME = re.compile(r"^(n|count|counts|freq|frequency)$|^(n|count|num)_|_(n|count|freq)$")
MIN_COUNT = 10


def minimum_count_problems(frame) -> list[str]:
    """Count columns (by name) holding a value between 0 and the minimum of 10 units."""
    problems = []
    for column in frame.columns:
        if not COUNT_NAME.search(str(column).lower()):
            continue
        values = frame[column]
        small = values[(values > 0) & (values < MIN_COUNT)] if values.dtype.kind in "iuf" else []
        if len(small):
            problems.append(f"{column}: {len(small)} cell(s) below {MIN_COUNT}")
    return problems


def _membership(path: Path, declared: DeclaredOutput, context: AirlockContext) -> Check:
    if not declared.table or context.view_dir is None or context.holdout_dir is None:
        return warned("membership_inference", N_("no training table declared for this model; "
                                                 "no membership-inference estimate"))
    from yizhi.space import mia

    holdout = context.holdout_dir / f"{declared.table}.parquet"
    if not holdout.is_file():
        return warned("membership_inference", N_("no rows were held back; no membership-inference estimate"))
    work = context.work_dir / f"mia-{path.stem}"
    return mia.estimate(path, context.view_dir / f"{declared.table}.parquet", holdout, declared.features,
                        declared.label, work, context.settings)
