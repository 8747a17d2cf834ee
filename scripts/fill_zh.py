"""Fill zh msgstr entries from a JSON dict {msgid: translation} (a translator's helper)."""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1] / "src" / "yizhi"


def main(json_path: str) -> None:
    table = json.loads(Path(json_path).read_text(encoding="utf-8"))
    for po_path in ROOT.glob("*/translations/zh/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale="zh")
        changed = False
        for message in catalog:
            if message.id and not message.string and message.id in table:
                message.string = table[message.id]
                changed = True
        if changed:
            with po_path.open("wb") as handle:
                write_po(handle, catalog, sort_output=True, width=100, include_lineno=False)


if __name__ == "__main__":
    main(sys.argv[1])
