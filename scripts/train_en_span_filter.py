"""Train the English span filter (``yizhi/deid/text/recognizers/english_span_filter.py``) and write its
coefficients to ``recognizers/data/en_span_filter.json`` (offline; needs scikit-learn and ../shared/data).

    PYTHONPATH=src python scripts/train_en_span_filter.py docs          # the training notes, to /tmp
    (cd EXPORT_OF_ac7455a && PYTHONPATH=src python .../train_en_span_filter.py listing --out /tmp/a.jsonl)
    PYTHONPATH=src python scripts/train_en_span_filter.py train --earlier /tmp/a.jsonl [--earlier ...] [--dry-run]

Spans: what the tree predicts (with the filter switched off) on the training notes, the guessed ones only
(``english_span_filter.eligible``), in clinical notes. Label: the span overlaps a gold identifier (annotated
dev sets) or a hand-marked identifier (the reviewed unannotated samples; every other predicted span there
was reviewed "not an identifier"). Held out (never read here): CHECK2, MTSamples dev2, English nursing dev6,
and every sealed test set. Threshold: the highest that keeps every identifier span of the training nursing
notes and reports, read on 5-fold out-of-fold scores (folds by note), less a margin.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[1:1] = [str(ROOT / "bench"), str(ROOT / "tests" / "deid_text" / "data" / "real")]

from yizhi.deid.text import detect  # noqa: E402  (the tree on PYTHONPATH: an earlier one for `listing`)

OUT = ROOT / "src" / "yizhi" / "deid" / "text" / "recognizers" / "data" / "en_span_filter.json"
TRAIN_GOLD = ("MTSamples annotated (real)", "MTSamples planted (real context)", "English nursing notes (ours)",
              "English nursing notes dev2 (ours)", "English nursing notes dev3 (ours)",
              "English nursing notes dev4 (ours)", "English nursing notes dev5 (ours)")
TRAIN_REVIEWED = ("tune", "check")
# (in the planted reports only the planted values are gold: the towns and schools the transcription left in
# — "Baltimore", "Hoover High School" — are identifiers too, so their other spans are no negatives)
POSITIVES_ONLY = ("MTSamples planted (real context)",)
MIN_COUNT = 2  # (a feature seen in fewer training notes is dropped: single names would be memorised)
MARGIN = 0.02


def collect(text: str) -> list[tuple[str, object, int, int]]:
    """(normalised text, span, original start, original end) for each eligible span of a clinical note."""
    from yizhi.deid.text.normalize import normalise, original_range
    from yizhi.deid.text.recognizers import english_span_filter as span_filter
    from yizhi.deid.text.recognizers.english_words import clinical_context

    recorded = []

    def recorder(normalised_text, spans):
        if clinical_context(normalised_text):
            recorded.extend((normalised_text, span) for span in spans if span_filter.eligible(normalised_text, span))
        return spans

    original = span_filter.filter_guessed
    span_filter.filter_guessed = recorder
    try:
        detect(text, "en")
    finally:
        span_filter.filter_guessed = original
    _, where = normalise(text)
    out = []
    for normalised_text, span in recorded:
        start, end = (span.start, span.end) if where is None else original_range(where, span.start, span.end)
        out.append((normalised_text, span, start, end))
    return out


def _overlaps(start: int, end: int, regions) -> bool:
    return any(min(end, e) > max(start, s) for s, e in regions)


def write_docs(path: str) -> None:
    """The training notes with their identifier regions (JSON lines, outside the repository: they hold text)."""
    from deid_text_real import load_sets
    from deid_text_review import MTSAMPLES, identifier_regions, samples
    from yizhi.deid.text.goldsets import read_corpus

    sets = load_sets("dev")
    with open(path, "w", encoding="utf-8") as out:
        for name in TRAIN_GOLD:
            for document in sets[name][0]:
                regions = [(gold["start"], gold["end"]) for gold in document["spans"]]
                out.write(json.dumps({"doc": f"{name}:{document['id']}", "group": name, "text": document["text"],
                                      "regions": regions}) + "\n")
        corpus, drawn = read_corpus(MTSAMPLES), samples()
        for sample in TRAIN_REVIEWED:
            for doc_id in drawn[sample]:
                regions = [(start, end) for start, end, _kind in identifier_regions(doc_id)]
                out.write(json.dumps({"doc": f"{sample}:{doc_id}", "group": sample, "text": corpus[doc_id],
                                      "regions": regions}) + "\n")


def write_listing(docs: str, path: str) -> None:
    """What the tree on PYTHONPATH predicts on the training notes (run it on an earlier tree's export too)."""
    with open(path, "w", encoding="utf-8") as out:
        for line in open(docs, encoding="utf-8"):
            document = json.loads(line)
            for span in detect(document["text"], "en"):
                out.write(json.dumps({"doc": document["doc"], "start": span.start, "end": span.end, "type": span.type,
                                      "recognizer": span.recognizer}) + "\n")


def training_rows(docs: str, earlier: list[str]) -> list[dict]:
    """One row per distinct (note, start, end) span: the current tree's (caught where the filter sits) and the
    guessed spans of the earlier trees' listings (more of the clinical words the rules were later written for)."""
    from yizhi.deid.text.recognizers import english_span_filter as span_filter
    from yizhi.deid.text.recognizers.english_words import clinical_context
    from yizhi.deid.text.spans import Span

    documents = {}
    for line in open(docs, encoding="utf-8"):
        document = json.loads(line)
        documents[document["doc"]] = document
    data, seen = [], set()

    def add(document, text, span, start, end):
        key = (document["doc"], start, end)
        label = int(_overlaps(start, end, document["regions"]))
        if key in seen or (document["group"] in POSITIVES_ONLY and not label):
            return
        seen.add(key)
        data.append({"group": document["group"], "doc": document["doc"], "chars": end - start,
                     "label": label,
                     "features": span_filter.features(text, span, True)})

    for document in documents.values():
        for text, span, start, end in collect(document["text"]):
            add(document, text, span, start, end)
    for path in earlier:
        for line in open(path, encoding="utf-8"):
            row = json.loads(line)
            document = documents[row["doc"]]
            text = document["text"]
            span = Span(row["start"], row["end"], row["type"], text[row["start"]:row["end"]], 0.5, row["recognizer"])
            if clinical_context(text) and span_filter.eligible(text, span):
                add(document, text, span, row["start"], row["end"])
    return data


def fit(data: list[dict], c: float):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    # (counted by note: a word of one note only — a patient's town — is never a feature)
    counts = Counter(name for name, _doc in {(name, row["doc"]) for row in data for name in row["features"]})
    kept = {name for name, count in counts.items() if count >= MIN_COUNT}
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([{name: 1 for name in row["features"] if name in kept} for row in data]).toarray()
    labels = [row["label"] for row in data]
    classifier = LogisticRegression(C=c, max_iter=5000)
    classifier.fit(matrix, labels)
    return vectorizer, classifier


def out_of_fold(data: list[dict], c: float, folds: int = 5) -> list[float]:
    import hashlib

    fold_of = [int(hashlib.sha256(row["doc"].encode()).hexdigest(), 16) % folds for row in data]
    scores = [0.0] * len(data)
    for fold in range(folds):
        train = [row for row, f in zip(data, fold_of) if f != fold]
        test_index = [i for i, f in enumerate(fold_of) if f == fold]
        vectorizer, classifier = fit(train, c)
        matrix = vectorizer.transform([{name: 1 for name in data[i]["features"]} for i in test_index]).toarray()
        for i, p in zip(test_index, classifier.predict_proba(matrix)[:, 1]):
            scores[i] = float(p)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("docs", "listing", "train"))
    parser.add_argument("--docs", default="/tmp/en_span_filter_docs.jsonl")
    parser.add_argument("--out", help="listing: where to write the spans")
    parser.add_argument("--earlier", action="append", default=[], help="train: an earlier tree's listing")
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    if args.action == "docs":
        return write_docs(args.docs)
    if args.action == "listing":
        return write_listing(args.docs, args.out)
    data = training_rows(args.docs, args.earlier)
    scores = out_of_fold(data, args.c)
    # (every training identifier kept out of fold, the nursing notes' and the MTSamples reports' alike)
    kept = [s for row, s in zip(data, scores) if row["label"]]
    threshold = max(0.0, min(kept) - MARGIN)
    print(f"{len(data)} spans ({sum(r['label'] for r in data)} identifiers); threshold {threshold:.3f}")
    for group in sorted({row["group"] for row in data}):
        picked = [(row, s) for row, s in zip(data, scores) if row["group"] == group]
        fp = sum(row["chars"] for row, s in picked if not row["label"])
        fp_dropped = sum(row["chars"] for row, s in picked if not row["label"] and s < threshold)
        tp_dropped = [row for row, s in picked if row["label"] and s < threshold]
        print(f"  {group}: {len(picked)} spans; out-of-fold: non-identifier chars {fp} -> {fp - fp_dropped}; "
              f"identifier spans dropped {len(tp_dropped)} of {sum(row['label'] for row, _ in picked)}")
    vectorizer, classifier = fit(data, args.c)
    weights = {name: round(float(w), 4) for name, w in zip(vectorizer.get_feature_names_out(), classifier.coef_[0])
               if abs(w) >= 1e-4}
    shipped = {"about": "english_span_filter.py: logistic regression over guessed English spans; "
                        "scripts/train_en_span_filter.py", "c": args.c, "min_count": MIN_COUNT,
               "trained_on": list(TRAIN_GOLD) + [f"reviewed MTSamples {name}" for name in TRAIN_REVIEWED],
               "held_out": ["reviewed MTSamples check2", "MTSamples annotated dev2", "English nursing notes dev6",
                            "every sealed test set"],
               "spans": len(data), "identifiers": sum(row["label"] for row in data),
               "threshold": round(threshold, 4), "bias": round(float(classifier.intercept_[0]), 4),
               "weights": dict(sorted(weights.items()))}
    if not args.dry_run:
        OUT.write_text(json.dumps(shipped, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)} ({len(weights)} weights)")


if __name__ == "__main__":
    main()
