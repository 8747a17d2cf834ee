"""Extract translatable strings per domain and update each domain's zh catalog.

Run `make messages` after adding strings; then fill the empty msgstr entries of
`src/yizhi/<domain>/translations/zh/LC_MESSAGES/messages.po`. Source strings are English.
Usage: python scripts/messages.py [--check]   (--check fails when a catalog lacks a msgid).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "src" / "yizhi"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
# The error classes are keywords too: a literal message raised anywhere is a msgid that must be
# translated (f-strings cannot be: write the msgid with named placeholders and pass params=...).
ERROR_CLASSES = ("YizhiError", "ValidationFailed", "NotAuthenticated", "PermissionDenied", "NotFound",
                 "Conflict", "TooManyRequests", "PayloadTooLarge")
KEYWORDS = {"_": None, "gettext": None, "N_": None, **{name: None for name in ERROR_CLASSES}}


def extract(domain_dir: Path) -> Catalog:
    catalog = Catalog(locale="zh", project="yizhi", charset="utf-8")
    for filename, lineno, message, _comments, _context in extract_from_dir(
            domain_dir, METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}):
        if isinstance(message, str) and message:
            catalog.add(message, locations=[(filename, lineno)])
    return catalog


def update(domain_dir: Path, check: bool) -> list[str]:
    template = extract(domain_dir)
    if not len(template):
        return []
    po_path = domain_dir / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale="zh")
    else:
        catalog = Catalog(locale="zh", project="yizhi", charset="utf-8")
    missing = [m.id for m in template if m.id and (m.id not in catalog or not catalog[m.id].string)]
    if check:
        return [f"{domain_dir.name}: {msgid!r}" for msgid in missing]
    before = sorted((m.id, m.string) for m in catalog if m.id)
    catalog.update(template, no_fuzzy_matching=True)
    if po_path.exists() and sorted((m.id, m.string) for m in catalog if m.id) == before:
        return [f"{domain_dir.name}: {msgid!r}" for msgid in missing]  # nothing new: keep the file as is
    po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, sort_output=True, width=100, include_lineno=False)
    return [f"{domain_dir.name}: {msgid!r}" for msgid in missing]


def main() -> int:
    check = "--check" in sys.argv
    problems = []
    for domain_dir in sorted(p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("_")):
        problems.extend(update(domain_dir, check))
    for line in problems:
        print(("untranslated " if check else "needs translation ") + line)
    return 1 if (check and problems) else 0


if __name__ == "__main__":
    raise SystemExit(main())
