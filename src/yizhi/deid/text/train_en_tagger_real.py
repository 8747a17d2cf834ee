"""The English tagger on real-style text (issue 16, point 4): training data and leave-one-set-out validation.

    python -m yizhi.deid.text.train_en_tagger_real --validate   # leave-one-set-out over the real-style dev sets
    python -m yizhi.deid.text.train_en_tagger_real               # writes recognizers/data/en_tagger_clinical.crfsuite

The shipped tagger (``train_en_tagger``) learnt from presidio-research's synthetic sentences and generated
notes, and runs on general text only (``english_tagger``: in clinical text its guesses cost precision and
added no recall). This module trains a second model for clinical text from real-style data, dev only:
- the hand-written English nursing dev sets (``notes/en_nursing_dev*.jsonl``, gold spans),
- the annotated MTSamples dev sets (``real/mtsamples_gold_dev{,2}.jsonl``: real text, gold spans),
- the planted MTSamples dev set (``real/mtsamples_planted_dev.jsonl``: real context, planted values),
- the reviewed unannotated MTSamples samples TUNE and CHECK (``real/review_unannotated``: real reports in
  which every span the de-identifier predicted was judged by hand; the identifiers found are labelled,
  everything else is outside: they teach what clinical words are not). CHECK2 is never read here: it is
  ``bench/deid_text_review.py``'s held-out false-positive check.
The sealed test files are never read. Only the tagger's four types (NAME, ORGANIZATION, ADDRESS,
LOCATION) are labels; every other identifier is left to the rules.

Validation, ``--validate``: for each real-style dev set k, a model trained on every other set (and the
review samples) tags set k; printed per set and pooled (nursing, annotated MTSamples, planted): the rules
alone, the pipeline as it ships (no clinical model), the pipeline with the fold's model, and that model's
own spans (its precision against every gold identifier, its recall on its four types). The rules were
tuned on every dev set, so the union moves little there; the tagger's own held-out figures are what
predict how it carries to new text.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from yizhi.deid.text.recognizers import english_tagger
from yizhi.deid.text.train_en_tagger import DATA, MTSAMPLES, PARAMS, train

NURSING_SETS = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9")
REVIEW_SAMPLES = ("tune", "check")  # (never check2: see the module's docstring)


def real_style_sets(corpus: dict[str, str]) -> dict[str, list[dict]]:
    """name -> gold documents {id, text, spans: [{start, end, type}]} of every real-style dev set."""
    from yizhi.deid.text.goldsets import load_annotated, load_gold_file, load_planted

    sets = {f"nursing {name}": load_gold_file(DATA / "notes" / f"en_nursing_{name}.jsonl") for name in NURSING_SETS}
    sets["mtsamples dev"] = load_annotated(DATA / "real" / "mtsamples_gold_dev.jsonl", corpus)
    sets["mtsamples dev2"] = load_annotated(DATA / "real" / "mtsamples_gold_dev2.jsonl", corpus)
    sets["mtsamples planted dev"] = load_planted(DATA / "real" / "mtsamples_planted_dev.jsonl", corpus)
    return sets


def review_documents(corpus: dict[str, str]) -> list[dict]:
    """The reviewed TUNE and CHECK reports as gold documents (the identifiers the review found)."""
    sys.path.insert(0, str(DATA / "real"))
    try:
        from review_unannotated import IDENTIFIERS
    finally:
        sys.path.remove(str(DATA / "real"))
    documents = []
    for line in (DATA / "real" / "review_unannotated.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["sample"] in REVIEW_SAMPLES:
            spans = [{"start": start, "end": end, "type": kind} for start, end, kind in IDENTIFIERS.get(record["id"], [])]
            documents.append({"id": record["id"], "text": corpus[record["id"]], "spans": spans})
    return documents


def training_documents(sets: dict[str, list[dict]], review: list[dict], left_out: str | None = None) -> list[dict]:
    """What ``train`` reads: every set but ``left_out``, and the review reports, with the tagger's types."""
    documents = []
    for name, gold in [("review", review), *sets.items()]:
        if name == left_out:
            continue
        documents += [{"id": f"{name}:{doc['id']}", "template": name, "text": doc["text"],
                       "spans": [(s["start"], s["end"], s["type"]) for s in doc["spans"]
                                 if s["type"] in english_tagger.LABEL_TYPES]} for doc in gold]
    return documents


def validate(sets: dict[str, list[dict]], review: list[dict], params: dict) -> dict:
    """Leave-one-set-out figures (see the module's docstring); returns them by set and pooled."""
    from yizhi.deid.text.metrics import Evaluation

    systems = ("rules", "shipped", "with clinical model", "tagger alone", "tagger alone, its types")
    pools = {group: {system: Evaluation() for system in systems} for group in ("nursing", "mtsamples", "planted")}
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sets:
            model = train(training_documents(sets, review, name), Path(tmp) / "fold.crfsuite", params)
            evaluations = _score_set(sets[name], model)
            group = "nursing" if name.startswith("nursing") else "planted" if "planted" in name else "mtsamples"
            for system, evaluation in evaluations.items():
                pools[group][system].overall.add(evaluation.overall)
            figures[name] = {system: evaluation.overall.summary() for system, evaluation in evaluations.items()}
            _print_row(name, figures[name])
    english_tagger.use_model(english_tagger.CLINICAL_MODEL_PATH, clinical=True)
    pooled = {group: {system: evaluation.overall.summary() for system, evaluation in by_system.items()}
              for group, by_system in pools.items()}
    for group, row in pooled.items():
        _print_row("POOLED " + group, row)
    return {"sets": figures, "pooled": pooled}


def _score_set(documents: list[dict], model: Path) -> dict:
    from yizhi.deid.text import detect
    from yizhi.deid.text.metrics import Evaluation, score_document
    from yizhi.deid.text.recognizers import base

    evaluations = {system: Evaluation() for system in (
        "rules", "shipped", "with clinical model", "tagger alone", "tagger alone, its types")}
    tagger = english_tagger.EnglishTaggerRecognizer()
    for system, model_path in (("rules", None), ("shipped", Path("/nonexistent")), ("with clinical model", model)):
        if model_path is None:
            base.unregister(tagger.name)
        else:
            english_tagger.use_model(model_path, clinical=True)
        try:
            for doc in documents:
                predicted = [span.public() for span in detect(doc["text"], "en")]
                score_document(doc["text"], doc["spans"], predicted, evaluations[system], doc["id"])
        finally:
            if model_path is None:
                base.register(tagger)
    for doc in documents:
        own = [span.public() for span in tagger.find(doc["text"])]
        score_document(doc["text"], doc["spans"], own, evaluations["tagger alone"], doc["id"])
        its_types = [s for s in doc["spans"] if s["type"] in english_tagger.LABEL_TYPES]
        score_document(doc["text"], its_types, own, evaluations["tagger alone, its types"], doc["id"])
    return evaluations


def _print_row(name: str, row: dict) -> None:
    cells = [f"{system} {figures['char_recall']:.3f}/{figures['char_precision']:.3f}" for system, figures in row.items()]
    print(f"{name:24} " + "  ".join(cells), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=english_tagger.CLINICAL_MODEL_PATH)
    parser.add_argument("--validate", action="store_true", help="leave-one-set-out over the real-style dev sets")
    parser.add_argument("--json", type=Path, help="write the validation figures here")
    args = parser.parse_args(argv)
    if not MTSAMPLES.exists():
        print(f"training data not found: {MTSAMPLES}", file=sys.stderr)
        return 2
    from yizhi.deid.text.goldsets import read_corpus

    corpus = read_corpus(MTSAMPLES)
    sets, review = real_style_sets(corpus), review_documents(corpus)
    if args.validate:
        figures = validate(sets, review, PARAMS)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
        return 0
    path = train(training_documents(sets, review), args.out, PARAMS)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
