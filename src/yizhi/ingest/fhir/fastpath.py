"""A fast evaluator for the simple FHIRPath that views mostly hold; fhirpathpy for the rest.

fhirpathpy interprets its syntax tree anew for every resource (about 100–500 µs an expression on
this machine), which made the views 80% of an ingest's time. Most view columns are plain paths
(``subject.getReferenceKey(Patient)``, ``code.coding.code.first()``, ``value.ofType(Quantity).value``,
``coding.where(system = 'http://loinc.org')``, ``a | b``): for those, this module builds a chain of
small Python functions once, which walk the JSON directly. A view is evaluated here only when
every expression in it fits that subset; otherwise the whole view goes to fhirpathpy (so type
information is never mixed). ``tests/ingest/test_ingest_fastpath.py`` checks that both give the
same rows, resource by resource, on every default view.

Semantics kept from FHIRPath: navigation flattens collections and drops empties; a leading
resource type name filters by type; ``x.ofType(T)`` on a choice element ``x`` reads ``xT``; a
bare choice element name (``value``, ``effective``...) falls back to fhirpathpy; ``|`` is a union
without duplicates.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import fhirpathpy

from yizhi.ingest.fhir.viewdef_keys import reference_key

_TOKEN = re.compile(r"""\s*(?:
    (?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)
  | (?P<dot>\.)
  | (?P<pipe>\|)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<eq>=)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<this>\$this)
  | (?P<context>%context)
)""", re.X)
_FUNCTIONS = {"first", "ofType", "getResourceKey", "getReferenceKey", "where", "exists", "empty"}


@lru_cache(maxsize=1)
def choice_names() -> tuple[frozenset[str], frozenset[str]]:
    """(names only ever used as choice elements in R4 — ``effective``, ``onset``...; names that are a
    choice in some places and a plain element in others — ``value``, ``subject``...)."""
    folder = Path(fhirpathpy.__file__).parent / "models" / "r4"
    choices = {key.rsplit(".", 1)[-1] for key in json.loads((folder / "choiceTypePaths.json").read_text(encoding="utf-8"))}
    plain = {key.rsplit(".", 1)[-1] for key in json.loads((folder / "path2Type.json").read_text(encoding="utf-8"))}
    return frozenset(choices - plain), frozenset(choices & plain)


class NotSimple(Exception):
    """The expression is outside the subset; fhirpathpy evaluates it."""


class NeedsModel(Exception):
    """This resource holds a choice element the fast path cannot tell apart: use fhirpathpy for it."""


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise NotSimple(expression)
        kind = match.lastgroup
        tokens.append((kind, match[kind]))
        position = match.end()
    return tokens


def compile_simple(expression: str):
    """A function collection -> collection for ``expression``; NotSimple when outside the subset."""
    tokens = _tokens(expression)
    branches, current = [], []
    for token in tokens:
        if token[0] == "pipe":
            branches.append(current)
            current = []
        else:
            current.append(token)
    branches.append(current)
    steps_per_branch = [_steps(branch, expression) for branch in branches]
    if len(steps_per_branch) == 1:
        steps = steps_per_branch[0]
        return lambda items: _run(steps, items)

    def union(items):
        out, seen = [], set()
        for steps in steps_per_branch:
            for value in _run(steps, items):
                marker = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else (type(value), value)
                if marker not in seen:
                    seen.add(marker)
                    out.append(value)
        return out

    return union


def _run(steps, items):
    for step in steps:
        items = step(items)
        if not items:
            return items
    return items


def _steps(tokens: list[tuple[str, str]], expression: str) -> list:
    steps, index, first = [], 0, True
    while index < len(tokens):
        kind, text = tokens[index]
        if not first:  # every step after the first is introduced by a dot
            if kind != "dot" or index + 1 >= len(tokens):
                raise NotSimple(expression)
            index += 1
            kind, text = tokens[index]
        if kind in ("this", "context"):
            if not first:
                raise NotSimple(expression)
            index += 1
            first = False
            continue
        if kind != "ident":
            raise NotSimple(expression)
        name = text.strip("`")
        is_call = index + 1 < len(tokens) and tokens[index + 1][0] == "open"
        if is_call:
            close = _closing(tokens, index + 1, expression)
            steps.append(_function(name, tokens[index + 2:close], expression))
            index = close + 1
        else:
            following = tokens[index + 2] if index + 2 < len(tokens) and tokens[index + 1][0] == "dot" else None
            typed = following is not None and following == ("ident", "ofType")
            if first and name[:1].isupper():
                steps.append(_resource_type(name))
            elif typed or name in choice_names()[0]:
                if not typed:
                    raise NotSimple(expression)  # a bare choice element: fhirpathpy knows its types
                type_tokens = tokens[index + 4:_closing(tokens, index + 3, expression)]
                if len(type_tokens) != 1 or type_tokens[0][0] != "ident":
                    raise NotSimple(expression)
                type_name = type_tokens[0][1]
                steps.append(_member(name + type_name[0].upper() + type_name[1:]))
                index = _closing(tokens, index + 3, expression) + 1
                first = False
                continue
            else:
                steps.append(_member(name, ambiguous=name in choice_names()[1]))
            index += 1
        first = False
    return steps


def _closing(tokens, open_index: int, expression: str) -> int:
    if open_index >= len(tokens) or tokens[open_index][0] != "open":
        raise NotSimple(expression)
    depth = 0
    for position in range(open_index, len(tokens)):
        if tokens[position][0] == "open":
            depth += 1
        elif tokens[position][0] == "close":
            depth -= 1
            if depth == 0:
                return position
    raise NotSimple(expression)


def _resource_type(name: str):
    def step(items):
        return [item for item in items if isinstance(item, dict) and item.get("resourceType") == name]
    return step


def _member(name: str, ambiguous: bool = False):
    def step(items):
        out = []
        for item in items:
            if isinstance(item, dict):
                value = item.get(name)
                if value is None:
                    if ambiguous and _has_choice(item, name):
                        raise NeedsModel(name)
                    continue
                if isinstance(value, list):
                    out.extend(v for v in value if v is not None)
                else:
                    out.append(value)
        return out
    return step


def _function(name: str, arguments: list, expression: str):
    if name == "first" and not arguments:
        return lambda items: items[:1]
    if name == "exists" and not arguments:
        return lambda items: [bool(items)]
    if name == "empty" and not arguments:
        return lambda items: [not items]
    if name == "getResourceKey" and not arguments:
        return lambda items: [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str) and i["id"]]
    if name == "getReferenceKey" and len(arguments) <= 1:
        if arguments and arguments[0][0] != "ident":
            raise NotSimple(expression)
        wanted = arguments[0][1] if arguments else None
        return lambda items: reference_key(items, wanted)
    if name == "where" and len(arguments) == 3 and arguments[0][0] == "ident" and arguments[1][0] == "eq" \
            and arguments[2][0] == "string":
        key = arguments[0][1]
        literal = arguments[2][1][1:-1].replace("\\'", "'").replace("\\\\", "\\")
        return lambda items: [i for i in items if isinstance(i, dict) and i.get(key) == literal]
    raise NotSimple(expression)


def _has_choice(item: dict, name: str) -> bool:
    size = len(name)
    return any(key.startswith(name) and len(key) > size and key[size].isupper() for key in item)
