"""False-positive share on fresh, unannotated MTSamples reports, from a review of every predicted span
(issue 16, third precision round).

    PYTHONPATH=src python bench/deid_text_review.py list  --sample tune  > /tmp/tune_spans.tsv   # to review
    PYTHONPATH=src python bench/deid_text_review.py record --sample tune   # write the reviewed decisions
    PYTHONPATH=src python bench/deid_text_review.py score [--sample tune|check] [--unreviewed /tmp/new.tsv]
    ... record|score --sample check --listing /tmp/check_before.tsv   # the spans an earlier tree listed

Why a review of predictions and not a full annotation: precision needs only a verdict on each predicted
span. The MTSamples transcriptions were de-identified at source, so most predictions are clinical words
the rules mistook; the few real identifiers left in (a surname after "Dr.", a town, a hospital) are
marked by hand in ``tests/deid_text/data/real/review_unannotated.py`` (IDENTIFIERS, by report id and
offsets); ``record`` then writes every other predicted span of the sample as reviewed "not an identifier"
(``review_unannotated.jsonl``: ids and offsets only, no report text). ``score`` reads the predictions of
the tree as it is now: characters inside an identifier region are true, characters of a reviewed span
outside one are false, and a span never reviewed (a new rule's) is counted apart and listed for review.

FP share = non-identifier predicted characters / predicted characters.

The samples: two disjoint draws (TUNE, seed 16031; CHECK, seed 16032) of 600 reports each from the reports
in no evaluation set, less any report whose normalised text (lower case, letters and digits only) or
whose normalised first or last 400 characters hash like one of ANY evaluation set's reports (the corpus
repeats reports under several ids, sometimes with a changed heading); CHECK also less TUNE's. Only hashes
of the evaluation reports are compared: the sealed reports are never read. Rules are written from TUNE's
errors only; CHECK is scored before and after and its errors are read only at the end.

Fourth round: CHECK2 (seed 16033) is drawn the same way from what TUNE and CHECK leave — 417 reports, all
the distinct ones the corpus has left (no fourth sample can be drawn) — and listed before any rule change
(``list --sample check2 > /tmp/check2_before.tsv``); the rules were written from TUNE's and CHECK's errors,
and CHECK2 was reviewed once, after them (``record``/``score --listing`` for its before-figure).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench"), str(ROOT / "tests" / "deid_text" / "data" / "real")]

from deid_text import _shared_file  # noqa: E402
from yizhi.deid.text import detect  # noqa: E402
from yizhi.deid.text.build_lexicon import EVALUATION_FILES  # noqa: E402
from yizhi.deid.text.goldsets import read_corpus  # noqa: E402

DATA = ROOT / "tests" / "deid_text" / "data"
MTSAMPLES = _shared_file("clinical-text/en_mtsamples.jsonl")
REVIEW = DATA / "real" / "review_unannotated.jsonl"
SAMPLES = {"tune": 16031, "check": 16032, "check2": 16033}
SIZE = 600
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _fingerprints(text: str) -> set[str]:
    """Hashes of the normalised text, whole and its first and last 400 characters (near-duplicates)."""
    plain = _NOT_ALNUM.sub("", text.lower())
    parts = {plain}
    if len(plain) > 800:  # (a short report's ends are too generic to call a duplicate)
        parts |= {"head:" + plain[:400], "tail:" + plain[-400:]}
    return {hashlib.sha256(part.encode()).hexdigest() for part in parts}


def samples() -> dict[str, list[str]]:
    """``{"tune": [ids], "check": [ids]}``: disjoint, deterministic draws."""
    corpus = read_corpus(MTSAMPLES)
    excluded_ids, excluded_prints = set(), set()
    for name in EVALUATION_FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            doc_id = json.loads(line)["id"]
            excluded_ids.add(doc_id)
            if doc_id in corpus:  # hashed, never read
                excluded_prints |= _fingerprints(corpus[doc_id])
    drawn: dict[str, list[str]] = {}
    for name, seed in SAMPLES.items():
        candidates, seen = [], set(excluded_prints)
        for doc_id, text in corpus.items():
            prints = _fingerprints(text)
            if doc_id in excluded_ids or not text.strip() or prints & seen:
                continue
            seen |= prints
            candidates.append(doc_id)
        picked = random.Random(seed).sample(candidates, min(SIZE, len(candidates)))
        drawn[name] = sorted(picked, key=lambda doc_id: int(doc_id.rsplit("-", 1)[1]))
        for doc_id in picked:  # the next sample is drawn from what remains, by id and by text
            excluded_ids.add(doc_id)
            excluded_prints |= _fingerprints(corpus[doc_id])
    return drawn


def predictions(ids: list[str], corpus: dict[str, str]) -> tuple[dict[str, list], float]:
    started = time.process_time()
    found = {doc_id: [(s.start, s.end, s.type, s.recognizer) for s in detect(corpus[doc_id], "en")] for doc_id in ids}
    return found, time.process_time() - started


def listed(path: str) -> dict[str, list]:
    """The predictions a ``list`` run wrote (an earlier tree's: CHECK's before-figure is scored from them)."""
    found: dict[str, list] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        doc_id, start, end, kind, recognizer = line.split("\t")[:5]
        found.setdefault(doc_id, []).append((int(start), int(end), kind, recognizer))
    return found


def _found(ids: list[str], corpus: dict[str, str], listing: str | None) -> tuple[dict[str, list], float]:
    if listing is None:
        return predictions(ids, corpus)
    found = listed(listing)
    return {doc_id: found.get(doc_id, []) for doc_id in ids}, 0.0


def _context(text: str, start: int, end: int) -> str:
    return f"{text[max(0, start - 45):start]!r} [{text[start:end]}] {text[end:end + 45]!r}"


def load_review() -> dict[str, dict]:
    review = {}
    if REVIEW.exists():
        for line in REVIEW.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            review[record["id"]] = record
    return review


def identifier_regions(doc_id: str) -> list[tuple[int, int, str]]:
    from review_unannotated import IDENTIFIERS
    return [tuple(region) for region in IDENTIFIERS.get(doc_id, [])]


def score(name: str, unreviewed_out: str | None, listing: str | None = None) -> dict:
    corpus = read_corpus(MTSAMPLES)
    ids = samples()[name]
    found, cpu = _found(ids, corpus, listing)
    review = load_review()
    predicted = false = unreviewed_chars = 0
    by_type: dict[str, list[int]] = {}
    new_rows = []
    for doc_id in ids:
        regions = identifier_regions(doc_id)
        reviewed = {tuple(span) for span in review.get(doc_id, {}).get("not", [])}
        for start, end, kind, recognizer in found[doc_id]:
            inside = sum(max(0, min(end, e) - max(start, s)) for s, e, _ in regions)
            outside = (end - start) - inside
            counts = by_type.setdefault(kind, [0, 0])
            counts[0] += end - start
            predicted += end - start
            if outside and (start, end) not in reviewed:
                unreviewed_chars += outside
                new_rows.append(f"{doc_id}\t{start}\t{end}\t{kind}\t{recognizer}\t{_context(corpus[doc_id], start, end)}")
            else:
                false += outside
                counts[1] += outside
    if unreviewed_out:
        Path(unreviewed_out).write_text("\n".join(new_rows) + "\n", encoding="utf-8")
    share = false / max(predicted - unreviewed_chars, 1)
    result = {"sample": name, "seed": SAMPLES[name], "reports": len(ids), "chars": sum(len(corpus[i]) for i in ids),
              "predicted_chars": predicted, "false_chars": false, "unreviewed_chars": unreviewed_chars,
              "unreviewed_spans": len(new_rows), "fp_share": round(share, 4), "cpu_s": round(cpu, 1),
              "by_type": {kind: {"predicted": p, "false": f} for kind, (p, f) in sorted(by_type.items())}}
    return result


def list_spans(name: str) -> None:
    corpus = read_corpus(MTSAMPLES)
    found, _ = predictions(samples()[name], corpus)
    for doc_id, spans in found.items():
        for start, end, kind, recognizer in spans:
            print(f"{doc_id}\t{start}\t{end}\t{kind}\t{recognizer}\t{_context(corpus[doc_id], start, end)}")


def record(name: str, listing: str | None = None) -> None:
    """Every predicted span of the sample that is not inside a hand-marked identifier region is written as
    reviewed "not an identifier" (run after reading the listing and marking the identifiers)."""
    corpus = read_corpus(MTSAMPLES)
    found, _ = _found(samples()[name], corpus, listing)
    review = load_review()
    for doc_id, spans in found.items():
        regions = identifier_regions(doc_id)
        entry = review.setdefault(doc_id, {"id": doc_id, "sample": name, "not": []})
        known = {tuple(span) for span in entry["not"]}
        for start, end, _kind, _recognizer in spans:
            covered = sum(max(0, min(end, e) - max(start, s)) for s, e, _ in regions)
            if covered < end - start and (start, end) not in known:
                entry["not"].append([start, end])
                known.add((start, end))
        entry["not"].sort()
    REVIEW.write_text("".join(json.dumps(review[k]) + "\n" for k in sorted(review, key=lambda i: int(i.rsplit("-", 1)[1]))),
                      encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("list", "record", "score"))
    parser.add_argument("--sample", choices=tuple(SAMPLES), default=None)
    parser.add_argument("--unreviewed", default=None, help="write spans never reviewed here (outside the repository)")
    parser.add_argument("--label", default="now", help="the name under which score writes its figures")
    parser.add_argument("--listing", default=None, help="record or score the spans of this list output instead")
    arguments = parser.parse_args()
    if arguments.action == "list":
        list_spans(arguments.sample or "tune")
        return
    if arguments.action == "record":
        record(arguments.sample or "tune", arguments.listing)
        return
    out = ROOT / "bench" / "results" / "deid_text_review.json"
    results = json.loads(out.read_text()) if out.exists() else {"machine": "2 cores shared with other helpers; CPU time"}
    for name in ([arguments.sample] if arguments.sample else list(SAMPLES)):
        result = score(name, arguments.unreviewed, arguments.listing)
        results.setdefault(arguments.label, {})[name] = result
        print(f"{name}: {result['reports']} reports, FP share {result['fp_share']:.3f} "
              f"({result['false_chars']:,} / {result['predicted_chars'] - result['unreviewed_chars']:,} reviewed chars; "
              f"{result['unreviewed_spans']} spans unreviewed), CPU {result['cpu_s']} s")
        for kind, counts in result["by_type"].items():
            print(f"  {kind}: predicted {counts['predicted']:,}, not identifiers {counts['false']:,}")
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
