"""SQL-on-FHIR v2 ViewDefinitions: validated, compiled once, evaluated per resource with fhirpathpy.

fhirpathpy evaluates the FHIRPath expressions; no Python package evaluates ViewDefinitions
themselves (the selection structure: ``select``, ``column``, ``forEach``, ``forEachOrNull``,
``unionAll``, ``where``, ``constant``), so that part is written here, following the spec's
processing algorithm: a selection's rows are the cartesian product of its columns, nested selects
and unionAll, once per focus of its forEach/forEachOrNull; a view's rows are its top-level selects'
product for each resource that passes every ``where``. ``getResourceKey()`` and
``getReferenceKey([type])`` are provided as the spec requires.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import fhirpathpy
from antlr4 import CommonTokenStream, InputStream, Token
from antlr4.error.ErrorListener import ErrorListener
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser
import pyarrow as pa
from fhirpathpy.models import models

from yizhi.errors import N_, ValidationFailed
from yizhi.ingest.fhir.fastpath import NeedsModel, NotSimple, compile_simple
from yizhi.ingest.fhir.viewdef_keys import reference_key

R4_MODEL = models["r4"]
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CONSTANT_VALUES = ("valueString", "valueBoolean", "valueInteger", "valueDecimal", "valueDate", "valueDateTime",
                    "valueCode", "valueId", "valueUri", "valueUrl", "valueCanonical", "valueInstant", "valueTime",
                    "valuePositiveInt", "valueUnsignedInt", "valueOid", "valueUuid", "valueBase64Binary")
_ARROW_TYPES = {
    "boolean": pa.bool_(), "integer": pa.int64(), "positiveInt": pa.int64(), "unsignedInt": pa.int64(),
    "integer64": pa.int64(), "decimal": pa.float64(),
}


def _resource_key(inputs):
    return [item.get("id") for item in inputs if isinstance(item, dict) and item.get("id")]


def _reference_key(inputs, type_info=None):
    return reference_key(inputs, getattr(type_info, "name", None) if type_info else None)


USER_FUNCTIONS = {
    "getResourceKey": {"fn": _resource_key, "arity": {0: []}},
    "getReferenceKey": {"fn": _reference_key, "arity": {0: [], 1: ["TypeSpecifier"]}},
}


class ViewError(ValueError):
    """A ViewDefinition that breaks the spec; ``path`` says where in the JSON."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


@dataclass(frozen=True)
class Compiled:
    """An expression compiled twice: by fhirpathpy, and by the fast path when it fits (else None)."""

    slow: Any
    fast: Any


@dataclass
class Column:
    name: str
    path: str
    fhir_type: str | None
    collection: bool
    compiled: Any = None

    @property
    def arrow_type(self) -> pa.DataType:
        scalar = _ARROW_TYPES.get(self.fhir_type or "", pa.string())
        return pa.list_(scalar) if self.collection else scalar


@dataclass
class Selection:
    columns: list[Column] = field(default_factory=list)
    selects: list[Selection] = field(default_factory=list)
    union_all: list[Selection] = field(default_factory=list)
    for_each: Any = None
    or_null: bool = False

    def all_columns(self) -> list[Column]:
        found = list(self.columns)
        for child in self.selects:
            found += child.all_columns()
        if self.union_all:
            found += self.union_all[0].all_columns()
        return found


@dataclass
class View:
    name: str
    resource: str
    root: Selection
    where: list[Any]
    constants: dict[str, Any]
    definition: dict

    @property
    def columns(self) -> list[Column]:
        return self.root.all_columns()

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(column.name, column.arrow_type) for column in self.columns])

    fast: bool = False  # every expression fits the fast path (fastpath.py)

    def rows(self, resource: dict, fast: bool | None = None) -> list[dict]:
        """The view's rows for one resource (none when it is another type or fails a where)."""
        if resource.get("resourceType") != self.resource:
            return []
        fast = self.fast if fast is None else (fast and self.fast)
        if fast:
            try:
                return self._rows(resource, True)
            except NeedsModel:
                pass
        return self._rows(resource, False)

    def _rows(self, resource: dict, fast: bool) -> list[dict]:
        for condition in self.where:
            if _evaluate(condition, resource, self.constants, fast) != [True]:
                return []
        return [_typed(row, self.columns) for row in _process(self.root, resource, self.constants, fast)]


def _evaluate(compiled: Compiled, node, constants, fast: bool) -> list:
    if fast:
        return compiled.fast([node])
    return compiled.slow(node, constants)


def _all_fast(selection: Selection) -> bool:
    expressions = [c.compiled for c in selection.columns] + ([selection.for_each] if selection.for_each else [])
    return (all(e.fast is not None for e in expressions) and all(_all_fast(s) for s in selection.selects)
            and all(_all_fast(s) for s in selection.union_all))


def _process(selection: Selection, node: Any, constants: dict, fast: bool) -> list[dict]:
    if selection.for_each is not None:
        foci = _evaluate(selection.for_each, node, constants, fast) if node is not None else []
        if not foci:
            if not selection.or_null:
                return []
            foci = [None]
    else:
        foci = [node]
    rows: list[dict] = []
    for focus in foci:
        parts: list[list[dict]] = []
        base = {}
        for column in selection.columns:
            value = [] if focus is None else _evaluate(column.compiled, focus, constants, fast)
            if not column.collection and len(value) > 1:
                raise ViewError(column.name, "a column without collection: true got more than one value")
            base[column.name] = value if column.collection else (value[0] if value else None)
        parts.append([base])
        for child in selection.selects:
            parts.append(_process(child, focus, constants, fast))
        if selection.union_all:
            union = []
            for option in selection.union_all:
                union += _process(option, focus, constants, fast)
            parts.append(union)
        for combination in itertools.product(*parts):
            row: dict = {}
            for part in combination:
                row.update(part)
            rows.append(row)
    return rows


def _typed(row: dict, columns: list[Column]) -> dict:
    return {column.name: _cast(row.get(column.name), column) for column in columns}


def _cast(value, column: Column):
    if column.collection:
        return [_scalar(item, column.fhir_type) for item in (value or [])]
    return None if value is None else _scalar(value, column.fhir_type)


_KIND = {"boolean": "bool", "integer": "int", "positiveInt": "int", "unsignedInt": "int", "integer64": "int",
         "decimal": "float"}


def _scalar(value, fhir_type: str | None):
    kind = _KIND.get(fhir_type or "")
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "int":
        return int(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None
    if kind == "float":
        return float(value) if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


# ---- parsing and validation -------------------------------------------------------------------
def compile_view(definition: dict) -> View:
    """A ViewDefinition dict → a View; ViewError naming the JSON path of the first problem."""
    if not isinstance(definition, dict) or definition.get("resourceType") != "ViewDefinition":
        raise ViewError("resourceType", "must be ViewDefinition")
    name = definition.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ViewError("name", "a name of letters, digits and _ starting with a letter is required")
    resource = definition.get("resource")
    if not isinstance(resource, str) or not resource or not resource[0].isupper():
        raise ViewError("resource", "the FHIR resource type the view reads (e.g. Patient) is required")
    constants = _constants(definition.get("constant", []))
    selects = definition.get("select")
    if not isinstance(selects, list) or not selects:
        raise ViewError("select", "at least one select is required")
    root = Selection(selects=[_selection(item, f"select[{i}]", constants) for i, item in enumerate(selects)])
    where = []
    for i, item in enumerate(definition.get("where", []) or []):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise ViewError(f"where[{i}]", "each where needs a path")
        where.append(_compile(item["path"], f"where[{i}].path", constants))
    view = View(name, resource, root, where, constants, definition)
    view.fast = _all_fast(root) and all(condition.fast is not None for condition in where)
    names = [column.name for column in view.columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ViewError("select", f"column names must be unique in a view (repeated: {', '.join(duplicates)})")
    return view


def _constants(items) -> dict:
    if not isinstance(items, list):
        raise ViewError("constant", "must be a list")
    constants = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not _NAME.fullmatch(item["name"]):
            raise ViewError(f"constant[{i}]", "needs a name")
        values = [key for key in item if key.startswith("value")]
        if len(values) != 1 or values[0] not in _CONSTANT_VALUES:
            raise ViewError(f"constant[{i}]", "needs exactly one primitive value[x]")
        constants[item["name"]] = item[values[0]]
    return constants


def _selection(item, where: str, constants: dict) -> Selection:
    if not isinstance(item, dict):
        raise ViewError(where, "must be an object")
    unknown = set(item) - {"column", "select", "forEach", "forEachOrNull", "unionAll"}
    if unknown:
        raise ViewError(where, f"unknown key(s): {', '.join(sorted(unknown))}")
    if "forEach" in item and "forEachOrNull" in item:
        raise ViewError(where, "forEach and forEachOrNull exclude each other")
    selection = Selection()
    loop = item.get("forEach", item.get("forEachOrNull"))
    if loop is not None:
        key = "forEach" if "forEach" in item else "forEachOrNull"
        if not isinstance(loop, str):
            raise ViewError(f"{where}.{key}", "must be a FHIRPath expression")
        # foci stay fhirpathpy nodes (raw data), so paths below them keep their FHIR types
        # (value.ofType(Quantity) inside a component needs to know it is a component)
        selection.for_each = _compile(loop, f"{where}.{key}", constants, raw=True)
        selection.or_null = key == "forEachOrNull"
    for i, column in enumerate(item.get("column", []) or []):
        selection.columns.append(_column(column, f"{where}.column[{i}]", constants))
    for i, child in enumerate(item.get("select", []) or []):
        selection.selects.append(_selection(child, f"{where}.select[{i}]", constants))
    for i, child in enumerate(item.get("unionAll", []) or []):
        selection.union_all.append(_selection(child, f"{where}.unionAll[{i}]", constants))
    if selection.union_all:
        first = [c.name for c in selection.union_all[0].all_columns()]
        for i, option in enumerate(selection.union_all[1:], 1):
            if [c.name for c in option.all_columns()] != first:
                raise ViewError(f"{where}.unionAll[{i}]", "every unionAll branch must give the same columns")
    if not selection.columns and not selection.selects and not selection.union_all:
        raise ViewError(where, "a select needs column, select or unionAll")
    return selection


def _column(item, where: str, constants: dict) -> Column:
    if not isinstance(item, dict):
        raise ViewError(where, "must be an object")
    name, path = item.get("name"), item.get("path")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ViewError(f"{where}.name", "a name of letters, digits and _ starting with a letter is required")
    if not isinstance(path, str) or not path.strip():
        raise ViewError(f"{where}.path", "a FHIRPath expression is required")
    collection = item.get("collection", False)
    if not isinstance(collection, bool):
        raise ViewError(f"{where}.collection", "must be true or false")
    fhir_type = item.get("type")
    if fhir_type is not None and not isinstance(fhir_type, str):
        raise ViewError(f"{where}.type", "must be a FHIR type name")
    return Column(name, path, fhir_type, collection, _compile(path, f"{where}.path", constants))


class _StrictListener(ErrorListener):
    """fhirpathpy's parser recovers from syntax errors silently; a view must not."""

    def syntaxError(self, recognizer, offending_symbol, line, column, message, error):  # noqa: N802 (antlr's name)
        raise SyntaxError(f"column {column + 1}: {message}")


def _check_syntax(expression: str) -> None:
    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(_StrictListener())
    tokens = CommonTokenStream(lexer)
    parser = FHIRPathParser(tokens)
    parser.removeErrorListeners()
    parser.addErrorListener(_StrictListener())
    parser.expression()
    if tokens.LA(1) != Token.EOF:
        raise SyntaxError("unexpected text after the expression")


def _compile(expression: str, where: str, constants: dict, raw: bool = False):
    expression = _with_constants(expression, constants)
    # $this at the root is the input (fhirpathpy only sets it inside functions): %context says so
    expression = re.sub(r"^\s*\$this\b", "%context", expression)
    try:
        _check_syntax(expression)
    except Exception as exc:
        raise ViewError(where, f"not a valid FHIRPath expression ({str(exc).splitlines()[0][:120]})") from None
    options = {"userInvocationTable": USER_FUNCTIONS}
    if raw:
        options["returnRawData"] = True
    try:
        compiled = fhirpathpy.compile(expression, model=R4_MODEL, options=options)
    except Exception as exc:  # fhirpathpy raises plain Exceptions on syntax errors
        raise ViewError(where, f"not a valid FHIRPath expression ({str(exc).splitlines()[0][:120]})") from None
    try:
        fast = compile_simple(expression)
    except NotSimple:
        fast = None
    return Compiled(compiled, fast)


def _with_constants(expression: str, constants: dict) -> str:
    """%name → the constant as a FHIRPath literal (fhirpathpy's %variables hold collections;
    a literal keeps string/number/boolean semantics exact)."""
    def literal(match: re.Match) -> str:
        name = match[1]
        if name not in constants:
            return match[0]
        value = constants[name]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return re.sub(r"%([A-Za-z][A-Za-z0-9_]*)", literal, expression)


def view_error(source: str, exc: ViewError) -> ValidationFailed:
    return ValidationFailed(N_("%(file)s: ViewDefinition %(path)s: %(problem)s"),
                            params={"file": source, "path": exc.path, "problem": exc.problem}, field="view")
