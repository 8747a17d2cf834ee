"""Regenerate the README's CLI reference and configuration table from the code.

The parts between `<!-- cli:begin -->`/`<!-- cli:end -->` and `<!-- config:begin -->`/`<!-- config:end -->`
are written by this script; everything else in the README is prose. Usage:
    python scripts/readme_reference.py          # rewrite README.md
    python scripts/readme_reference.py --check  # exit 1 when README.md is stale
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer.main

from yizhi.cli import app
from yizhi.config import documented_settings

README = Path(__file__).resolve().parents[1] / "README.md"


# Typer vendors its own click, so commands are recognised by shape, not by class.
def _usage(command, path: str) -> str:
    pieces = []
    for param in command.params:
        if param.param_type_name == "argument":
            name = param.name.upper()
            pieces.append(name if param.required else f"[{name}]")
        elif param.required:
            pieces.append(f"{param.opts[0]} {param.name.upper()}")
        elif param.name != "help":
            flag = param.opts[0]
            pieces.append(f"[{flag}]" if param.is_flag else f"[{flag} {param.name.upper()}]")
    return f"yizhi {path} {' '.join(pieces)}".strip()


def _walk(group, prefix: str = ""):
    for name in sorted(group.commands):
        command = group.commands[name]
        path = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            yield from _walk(command, path)
        else:
            help_text = (command.help or "").strip().split("\n")[0]
            yield path, _usage(command, path), help_text


def cli_reference() -> str:
    lines = ["| command | what it does |", "| --- | --- |"]
    for _path, usage, help_text in _walk(typer.main.get_command(app)):
        lines.append(f"| `{usage}` | {help_text.replace('|', '/')} |")
    return "\n".join(lines)


def config_table() -> str:
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for variable, default, description in documented_settings():
        shown = f"`{default}`" if default is not None else "—"
        lines.append(f"| `{variable}` | {shown} | {description} |")
    return "\n".join(lines)


# Each capability's section is written beside its code's owners in docs/readme/<domain>.md.
DOMAIN_SECTIONS = ["needs", "deid_text", "deid_dicom", "anonymize", "ledger", "ingest", "catalog", "access", "space", "evaluation", "annotation", "market", "notify", "engine"]
DOCS = README.parent / "docs" / "readme"


def _demote_headings(markdown: str) -> str:
    """Sections are written with '##' headings; inside the README they sit one level deeper.
    Lines inside code fences (shell comments start with '#') are left alone."""
    lines, in_code = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"^#+ ", line):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def domain_sections() -> str:
    parts = []
    for name in DOMAIN_SECTIONS:
        path = DOCS / f"{name}.md"
        if path.exists():
            parts.append(_demote_headings(path.read_text(encoding="utf-8").strip()))
    return "\n\n".join(parts)


def render(text: str) -> str:
    for marker, body in (("cli", cli_reference()), ("config", config_table()), ("domains", domain_sections())):
        text = re.sub(rf"(<!-- {marker}:begin -->).*?(<!-- {marker}:end -->)",
                      lambda m: f"{m.group(1)}\n{body}\n{m.group(2)}", text, flags=re.S)
    return text


def main() -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("README.md is stale: run python scripts/readme_reference.py")
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
