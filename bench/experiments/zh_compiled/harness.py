"""CPU per Chinese note in-process, as the CLI batches them (detect_many on 32 notes at a time).

Run from a source tree (pure Python, or a copy with compiled modules beside the .py files):
    cd TREE && PYTHONPATH=src python bench/experiments/zh_compiled/harness.py [rounds]
Prints the best of ``rounds`` passes over 2,000 notes (the zh_dev and zh_notes_dev notes, repeated).
With ``--notes N`` it makes one pass over the first N notes and prints nothing (for cachegrind: the
instructions of N=1024 minus those of N=64, divided by 960, are the instructions per note)."""

import json
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "tests" / "deid_text" / "data"
NOTES = [json.loads(line)["text"] for name in ("zh_dev.jsonl", "notes/zh_notes_dev.jsonl")
         for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
TEXTS = ([note for note in NOTES if note] * 10)[:2000]


def one_pass(texts: list[str]) -> float:
    from yizhi.deid.text.pipeline import detect_many

    start = time.process_time()
    for index in range(0, len(texts), 32):
        detect_many(texts[index:index + 32], "zh")
    return time.process_time() - start


if __name__ == "__main__":
    one_pass(TEXTS[:64])  # (loads the dictionaries and the tagger)
    if "--notes" in sys.argv:
        one_pass(TEXTS[:int(sys.argv[sys.argv.index("--notes") + 1])])
    else:
        rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
        best = min(one_pass(TEXTS) for _ in range(rounds))
        print(f"{best / len(TEXTS) * 1e6:.1f} us a note (best of {rounds}), {sum(map(len, TEXTS)) / len(TEXTS):.0f} chars a note")
