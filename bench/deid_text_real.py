"""Accuracy on real text and real-style notes (issue 16): one command, prints tables, writes
bench/results/deid_text_real.json and .md.

    PYTHONPATH=src python bench/deid_text_real.py [--split test|dev]

Sets (tests/deid_text/data, see GUIDELINE.md there): MTSamples reports annotated by us (real text;
150 per split), MTSamples reports with hand-written identifiers planted into their placeholders (real
context; recall only), English ICU nursing notes and Chinese 病程/护理记录 written by hand (our own view of
such notes; 25 per split). Systems: YiZhi; YiZhi without the English tagger (the pure-rules variant);
Presidio with a blank spaCy pipeline and its pattern recognizers (plus four Chinese patterns), as in
bench/deid_text.py. The test split is sealed (SEALED.json): its figures are read once, at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]

from yizhi.deid.text import detect  # noqa: E402
from yizhi.deid.text.goldsets import load_annotated, load_gold_file, load_planted, read_corpus  # noqa: E402
from yizhi.deid.text.metrics import Evaluation, score_document  # noqa: E402

DATA = ROOT / "tests" / "deid_text" / "data"
MTSAMPLES = ROOT / ".." / "shared" / "data" / "clinical-text" / "en_mtsamples.jsonl"


def load_sets(split: str) -> dict[str, tuple[list[dict], str, bool]]:
    """name -> (documents, language, precision counts)"""
    sets = {}
    if MTSAMPLES.exists():
        corpus = read_corpus(MTSAMPLES)
        sets["MTSamples annotated (real)"] = (load_annotated(DATA / f"real/mtsamples_gold_{split}.jsonl", corpus), "en", True)
        sets["MTSamples planted (real context)"] = (load_planted(DATA / f"real/mtsamples_planted_{split}.jsonl", corpus), "en", False)
    sets["English nursing notes (ours)"] = (load_gold_file(DATA / f"notes/en_nursing_{split}.jsonl"), "en", True)
    sets["Chinese notes (ours)"] = (load_gold_file(DATA / f"notes/zh_notes_{split}.jsonl"), "zh", True)
    return sets


def evaluate(documents: list[dict], find) -> tuple[Evaluation, float]:
    evaluation = Evaluation()
    started = time.perf_counter()
    for document in documents:
        score_document(document["text"], document["spans"], find(document["text"]), evaluation, document["id"])
    return evaluation, time.perf_counter() - started


def systems():
    from deid_text import english_tagger_off, presidio_analyzer

    def yizhi(lang):
        return lambda text: [span.public() for span in detect(text, lang)]

    def rules_alone(lang):
        def find(text):
            with english_tagger_off():
                return [span.public() for span in detect(text, lang)]
        return find

    found = {"YiZhi": yizhi, "YiZhi rules alone (no English tagger)": rules_alone}
    try:
        analyzers = {lang: presidio_analyzer([lang]) for lang in ("en", "zh")}
    except ImportError:
        return found

    def presidio(lang):
        return lambda text: [{"start": r.start, "end": r.end, "type": r.entity_type}
                             for r in analyzers[lang].analyze(text=text, language=lang)]

    found["Presidio (blank spaCy + patterns)"] = presidio
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    split = parser.parse_args().split
    results = {"split": split, "sets": {}}
    lines = [f"# Text de-identification on real text and real-style notes ({split} split)", ""]
    for set_name, (documents, lang, with_precision) in load_sets(split).items():
        rows = {}
        lines += [f"## {set_name}: {len(documents)} documents, {sum(len(d['spans']) for d in documents)} identifiers", "",
                  "| system | char recall | char precision | FP share | entity recall | docs/s |", "| --- | --- | --- | --- | --- | --- |"]
        for system_name, make in systems().items():
            find = make(lang)
            for document in documents[:3]:  # warm up: dictionaries, models and caches load at the first note
                find(document["text"])
            evaluation, seconds = evaluate(documents, find)
            summary = evaluation.report()
            overall = summary["overall"]
            rows[system_name] = {**summary, "seconds": round(seconds, 3),
                                 "misses": evaluation.misses[:200], "docs_per_s": round(len(documents) / seconds, 1)}
            precision = f"{overall['char_precision']:.3f}" if with_precision else "–"
            share = f"{1 - overall['char_precision']:.3f}" if with_precision else "–"
            lines.append(f"| {system_name} | {overall['char_recall']:.3f} | {precision} | {share} | "
                         f"{overall['entity_recall']:.3f} | {len(documents) / seconds:.0f} |")
        lines += ["", "Per type (YiZhi): recall / precision / gold entities", ""]
        for kind, counts in rows["YiZhi"]["by_type"].items():
            lines.append(f"- {kind}: {counts['char_recall']:.3f} / {counts['char_precision']:.3f} / {counts['gold_entities']}")
        lines.append("")
        results["sets"][set_name] = rows
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    suffix = "" if split == "test" else "_dev"
    (out / f"deid_text_real{suffix}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    (out / f"deid_text_real{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
