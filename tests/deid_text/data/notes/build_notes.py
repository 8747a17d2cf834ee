"""Turn the hand-written, hand-marked notes (``*.txt``) into gold files (``*.jsonl``).

    python tests/deid_text/data/notes/build_notes.py

A note begins with a line ``=== <id>``; an identifier is written ``[[T:value]]`` where T is one of the
letters below. The marks are removed and the spans kept as offsets into the clean text.
test_deid_text_goldsets.py rebuilds the files and compares them byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = {"N": "NAME", "D": "DATE", "P": "PHONE", "R": "RECORD_NUMBER", "O": "ORGANIZATION", "L": "LOCATION",
         "A": "ADDRESS", "G": "AGE", "I": "ID_NUMBER", "E": "EMAIL", "Z": "ZIP"}
_MARK = re.compile(r"\[\[([A-Z]):(.+?)\]\]")


def parse(source: str) -> list[dict]:
    notes = []
    for block in re.split(r"^=== ", source, flags=re.MULTILINE)[1:]:
        note_id, _, body = block.partition("\n")
        text, spans, cursor = [], [], 0
        length = 0
        for match in _MARK.finditer(body):
            plain = body[cursor : match.start()]
            text.append(plain)
            length += len(plain)
            value = match.group(2)
            spans.append({"start": length, "end": length + len(value), "type": TYPES[match.group(1)]})
            text.append(value)
            length += len(value)
            cursor = match.end()
        text.append(body[cursor:])
        clean = "".join(text).strip("\n")
        if "[[" in clean or "]]" in clean:
            raise ValueError(f"unbalanced mark in {note_id}")
        notes.append({"id": note_id.strip(), "text": clean, "spans": spans})
    return notes


def build() -> dict[str, str]:
    files = {}
    for source in sorted(HERE.glob("*.txt")):
        notes = parse(source.read_text(encoding="utf-8"))
        files[source.stem + ".jsonl"] = "".join(json.dumps(note, ensure_ascii=False, sort_keys=True) + "\n" for note in notes)
    return files


if __name__ == "__main__":
    for name, content in build().items():
        (HERE / name).write_text(content, encoding="utf-8")
        print(name, content.count("\n"), "notes", content.count('"type"'), "spans")
