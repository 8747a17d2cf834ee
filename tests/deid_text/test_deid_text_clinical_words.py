"""Clinical language is never removed (issue 16, item 2): drugs and devices read out of real reports,
wards, anatomy, lab and ventilator values, ECG leads and scores in the sentences nurses write.

The drug and device lists are built from MTSamples reports outside every evaluation set (real text,
read in place): a capitalised word before a dose ("Lasix 40 mg") is a drug, one before catheter,
tube, drain, stent, clamp, retractor or scissors a device or instrument. Each is checked in its own
sentence from the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from yizhi.deid.text import detect

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

ROOT = Path(__file__).resolve().parents[2]
MTSAMPLES = ROOT / ".." / "shared" / "data" / "clinical-text" / "en_mtsamples.jsonl"
DATA = Path(__file__).parent / "data"
_DRUG = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z]{3,})(?= \d+(?:\.\d+)? ?(?:mg|mcg|units)\b)")
_DEVICE = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z]{3,})(?= (?:catheter|tube|drain|stent|clamps?|retractors?|scissors|needle|sutures?)\b)")
_SENTENCE = re.compile(r"[^.!?\n]{0,160}")


def _real_sentences(pattern: re.Pattern[str], limit: int) -> list[tuple[str, str]]:
    excluded = {json.loads(line)["id"] for name in ("mtsamples_gold_dev", "mtsamples_gold_test", "mtsamples_gold_dev2", "mtsamples_planted_dev",
                                                     "mtsamples_planted_test")
                for line in (DATA / "real" / f"{name}.jsonl").read_text().splitlines()}
    found: dict[str, str] = {}
    for line in MTSAMPLES.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] in excluded:
            continue
        for match in pattern.finditer(record["text"]):
            word = match.group(1)
            if word not in found:
                found[word] = _sentence_around(record["text"], match.start(), match.end())
        if len(found) >= limit:
            break
    return sorted(found.items())[:limit]


_SENTENCE_END = re.compile(r"[.!?](?!\d)|\n")  # (a decimal point ends no sentence: "Coreg 6.25 mg")


def _sentence_around(text: str, start: int, end: int) -> str:
    ends_before = [match.end() for match in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return text[ends_before[-1] if ends_before else 0 : after.start() if after else None].strip()


def _removed(sentence: str, word: str) -> list[str]:
    at = sentence.find(word)
    return [span.text for span in detect(sentence, "en") if span.start < at + len(word) and span.end > at]


@pytest.mark.skipif(not MTSAMPLES.exists(), reason="../shared/data/clinical-text/en_mtsamples.jsonl is absent")
@pytest.mark.parametrize("pattern,kind", [(_DRUG, "drug"), (_DEVICE, "device")])
def test_drugs_and_devices_from_real_reports_stay(pattern, kind):
    pairs = _real_sentences(pattern, 150)
    assert len(pairs) >= 40, kind
    removed = {word: _removed(sentence, word) for word, sentence in pairs}
    removed = {word: spans for word, spans in removed.items() if spans}
    # (a handful are also towns or surnames a cue could take; the share must stay tiny)
    assert len(removed) <= len(pairs) // 50, removed


CLINICAL = [
    "Transferred from MICU to CSRU after IABP placement; Foley to gravity, NGT to LIWS.",
    "Pt on 6 West, then T-SICU bed 4; report to CCU RN at 1500.",
    "Vent: PS 10/5 FiO2 40%, AC 450/16/+5/40%, then 20/5/40 overnight. ABG 7.41/39/112.",
    "Labs: K 3.6, Hct 27.8, BUN/Cr 45/2.1, INR 1.3, glucose 212, lactate 2.1.",
    "12 lead: ST depressions in II, III, aVF and V4-V6, QTc 470.",
    "GCS 9T (E3 VT M6). RASS -2, CIWA 4, CPOT 1, pain 7/10, MMSE 26/30, 5/5 strength, 2/6 murmur.",
    "Left ventricle dilated; right coronary artery 50% stenosis; the pons and left cerebellum spared.",
    "BP 124/78, HR 88, RR 18, SpO2 96% on 2L NC; shift 0700-1930.",
    "Lasix 40 mg IV, Levaquin 750 mg daily, Coumadin 5 mg, NovoLog 70/30 20 units.",
    "心电图示Ⅱ、Ⅲ、aVF导联ST段压低，V1-V4导联T波倒置。",
    "患者由平车送入心内二病区，床号12，护士长查看。记录时间：",
    "呼吸机模式SIMV，VT 450ml，f 14次/分，PEEP 5cmH2O，FiO2 40%，RASS -2分，GCS 14分。",
    "左侧基底节区出血较前吸收，双肺呼吸音清，心率76次/分。",
]


@pytest.mark.parametrize("sentence", CLINICAL)
def test_wards_values_leads_and_scores_stay(sentence):
    spans = detect(sentence)
    assert spans == [], [(span.text, span.type, span.recognizer) for span in spans]
