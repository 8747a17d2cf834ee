"""Rebuild the English tagger's model (recognizers/data/en_tagger.crfsuite) from the dev data.

    python -m yizhi.deid.text.train_en_tagger              # writes the shipped model
    python -m yizhi.deid.text.train_en_tagger --validate   # train on half of dev, score the other half

Training data (dev halves only; the held-out halves are never read here):
- presidio-research ``synth_dataset_v2`` (https://github.com/microsoft/presidio-research, MIT licence,
  commit 7622dec1e5f7d25dc60b57c28c39f4c4af197018), the even template ids (``metrics.presidio_split``),
  read from ``../shared/data/deid-text/presidio_synth_dataset_v2.json`` next to the repository. Only
  training needs it: the product ships the model, not the data.
- our English clinical notes ``tests/deid_text/data/en_dev.jsonl`` (``evalset.generate_en``).
Gold PERSON/ORGANIZATION/STREET_ADDRESS/GPE become NAME/ORGANIZATION/ADDRESS/LOCATION; every other
label (dates, phones...) is left to the rules and trained as outside.

Deterministic: the same data, order and parameters give the same file (L-BFGS has no randomness).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from yizhi.deid.text.metrics import presidio_gold, presidio_split
from yizhi.deid.text.recognizers import english_tagger

REPO = Path(__file__).resolve().parents[4]
PRESIDIO_SET = REPO / ".." / "shared" / "data" / "deid-text" / "presidio_synth_dataset_v2.json"
CLINICAL_DEV = REPO / "tests" / "deid_text" / "data" / "en_dev.jsonl"
PRESIDIO_TYPES = {"PERSON": "NAME", "ORGANIZATION": "ORGANIZATION", "STREET_ADDRESS": "ADDRESS", "GPE": "LOCATION"}
# L1 keeps the model small (most feature weights go to zero); L2 smooths the rest. Chosen with --validate.
PARAMS = {"c1": 0.2, "c2": 0.01, "max_iterations": 200, "feature.possible_transitions": True}


def presidio_dev(path: Path = PRESIDIO_SET) -> list[dict]:
    """The even-template samples as {id, template, text, spans[(start, end, type)]}."""
    samples = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for index, sample in enumerate(samples):
        if presidio_split(sample["template_id"]) != "dev":
            continue
        spans = [(g["start"], g["end"], PRESIDIO_TYPES[g["type"]]) for g in presidio_gold(sample, True)
                 if g["type"] in PRESIDIO_TYPES]
        out.append({"id": f"presidio-{index}", "template": sample["template_id"], "text": sample["full_text"],
                    "spans": spans})
    return out


def clinical_dev(path: Path = CLINICAL_DEV) -> list[dict]:
    notes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [{"id": note["id"], "template": index, "text": note["text"],
             "spans": [(s["start"], s["end"], s["type"]) for s in note["spans"] if s["type"] in english_tagger.LABEL_TYPES]}
            for index, note in enumerate(notes)]


def train(documents: list[dict], out: Path, params: dict = PARAMS) -> Path:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(algorithm="lbfgs", verbose=False)
    trainer.set_params(params)
    for doc in documents:
        tokens = english_tagger.tokenize(doc["text"])
        labels = english_tagger.bio_labels(doc["text"], tokens, doc["spans"])
        for first, stop, items in english_tagger.windows(tokens):
            trainer.append(items, labels[first:stop])
    out.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out))
    return out


def validation_split(documents: list[dict]) -> tuple[list[dict], list[dict]]:
    """Within dev only: presidio templates 0 mod 4 and notes 0-1 mod 4 train, the rest validate."""
    fit = [d for d in documents if (d["template"] // 2) % 2 == 0]
    check = [d for d in documents if (d["template"] // 2) % 2 == 1]
    return fit, check


def score(documents: list[dict], with_tagger: bool) -> dict:
    """Char recall/precision of detect() on ``documents`` against their full gold (every PHI type)."""
    from yizhi.deid.text import detect
    from yizhi.deid.text.metrics import Evaluation, score_document
    from yizhi.deid.text.recognizers import base

    evaluation = Evaluation()
    saved = [r for r in base.registered("en") if r.name == english_tagger.EnglishTaggerRecognizer.name]
    if not with_tagger:
        base.unregister(english_tagger.EnglishTaggerRecognizer.name)
    try:
        for doc in documents:
            predicted = [s.public() for s in detect(doc["text"], "en")]
            score_document(doc["text"], doc["gold"], predicted, evaluation, doc["id"])
    finally:
        for recognizer in saved:
            base.register(recognizer)
    return evaluation.report()


def _full_gold(documents: list[dict]) -> list[dict]:
    """Attach the scoring gold (all Safe Harbor types) to each document."""
    presidio = json.loads(PRESIDIO_SET.read_text(encoding="utf-8"))
    notes = {json.loads(line)["id"]: json.loads(line) for line in CLINICAL_DEV.read_text(encoding="utf-8").splitlines()}
    for doc in documents:
        if doc["id"].startswith("presidio-"):
            doc["gold"] = presidio_gold(presidio[int(doc["id"].split("-")[1])], True)
        else:
            doc["gold"] = notes[doc["id"]]["spans"]
    return documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=english_tagger.MODEL_PATH)
    parser.add_argument("--validate", action="store_true", help="train on half of dev (by template), report on the other half")
    parser.add_argument("--c1", type=float, default=PARAMS["c1"])
    parser.add_argument("--c2", type=float, default=PARAMS["c2"])
    args = parser.parse_args(argv)
    if not PRESIDIO_SET.exists():
        print(f"training data not found: {PRESIDIO_SET}", file=sys.stderr)
        return 2
    params = {**PARAMS, "c1": args.c1, "c2": args.c2}
    documents = presidio_dev() + clinical_dev()
    if not args.validate:
        path = train(documents, args.out, params)
        print(f"wrote {path} ({path.stat().st_size} bytes) from {len(documents)} documents")
        return 0
    import tempfile

    fit, check = validation_split(documents)
    with tempfile.TemporaryDirectory() as tmp:
        model = train(fit, Path(tmp) / "model.crfsuite", params)
        english_tagger.use_model(model)
        check = _full_gold(check)
        for label, part in (("presidio", [d for d in check if d["id"].startswith("presidio-")]),
                            ("clinical", [d for d in check if not d["id"].startswith("presidio-")])):
            for with_tagger in (False, True):
                overall = score(part, with_tagger)["overall"]
                print(f"{label:9} tagger={with_tagger!s:5} recall={overall['char_recall']:.4f} "
                      f"precision={overall['char_precision']:.4f}  size={model.stat().st_size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
