"""The English span filter (english_span_filter.py) on and off: FP share on the reviewed unannotated MTSamples
samples (CHECK2 held out; TUNE and CHECK trained on) and character recall / precision on every English dev set
(which were trained on: see the shipped JSON's "trained_on"). Writes bench/results/deid_text_span_filter.json.

    PYTHONPATH=src python bench/deid_text_span_filter.py

CPU time (time.process_time) of detect over each set, on a machine shared with other work.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench"), str(ROOT / "tests" / "deid_text" / "data" / "real")]

from yizhi.deid.text import detect  # noqa: E402
from yizhi.deid.text.metrics import Evaluation, score_document  # noqa: E402
from yizhi.deid.text.recognizers import english_span_filter  # noqa: E402


@contextlib.contextmanager
def filter_off():
    original = english_span_filter.filter_guessed
    english_span_filter.filter_guessed = lambda text, spans: spans
    try:
        yield
    finally:
        english_span_filter.filter_guessed = original


def dev_sets() -> dict:
    from deid_text_real import load_sets

    sets = {name: docs for name, (docs, language, _precision) in load_sets("dev").items() if language == "en"}
    return sets


def score_set(documents: list[dict]) -> dict:
    evaluation = Evaluation()
    started = time.process_time()
    for document in documents:
        found = [span.public() for span in detect(document["text"], "en")]
        score_document(document["text"], document["spans"], found, evaluation, document["id"])
    summary = evaluation.overall.summary()
    return {"char_recall": summary.get("char_recall"), "char_precision": summary.get("char_precision"),
            "cpu_s": round(time.process_time() - started, 2)}


def main() -> None:
    from deid_text_review import score

    trained = set(english_span_filter.model()["trained_on"])
    results = {"machine": "2 cores shared with other helpers' work; CPU time", "review": {}, "dev": {}}
    for sample in ("tune", "check", "check2"):
        with filter_off():
            before = score(sample, None)
        after = score(sample, None)
        results["review"][sample] = {"trained_on": sample != "check2", "fp_share_before": before["fp_share"],
                                     "fp_share_after": after["fp_share"], "false_chars": [before["false_chars"], after["false_chars"]],
                                     "predicted_chars": [before["predicted_chars"], after["predicted_chars"]],
                                     "unreviewed_chars_after": after["unreviewed_chars"]}
    for name, documents in dev_sets().items():
        with filter_off():
            before = score_set(documents)
        after = score_set(documents)
        results["dev"][name] = {"trained_on": name in trained, "before": before, "after": after}
    print(f"{'set':45} {'trained':8} {'before':>16} {'after':>16}")
    for sample, row in results["review"].items():
        print(f"{'FP share ' + sample:45} {str(row['trained_on']):8} {row['fp_share_before']:>16} {row['fp_share_after']:>16}")
    for name, row in results["dev"].items():
        b, a = row["before"], row["after"]
        print(f"{name:45} {str(row['trained_on']):8} {b['char_recall']:>7} / {b['char_precision']:<7} "
              f"{a['char_recall']:>7} / {a['char_precision']:<7}")
    out = ROOT / "bench" / "results" / "deid_text_span_filter.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
