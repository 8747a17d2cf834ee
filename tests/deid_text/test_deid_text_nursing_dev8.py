"""Regressions for the rules of issue 16's en-nursing8 round (english_dates.py, english_numbers.py,
english_nursing_names.py, english_institutions.py; one date cue in english_context.py and one exam form in
english_precision.py), each on a sentence written here by hand, not taken from the dev sets — and what
must stay."""

import pytest

from yizhi.deid.text import detect

from nursing_lines import NOTE, covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, value", [
    # dates: a weekday before an ordinal, an ordinal without "the", line events, "@", dotted dates after a fall
    ("family wants full code until Mon the 9th, then meet again.", "9th"),
    ("pt states last drink Saturday the 4th.", "4th"),
    ("R arm PICC placed on 22nd by IV team.", "22nd"),
    ("foley replaced 6/14, draining clear yellow.", "6/14"),
    ("CVL removed 2/9, tip sent.", "2/9"),
    ("intubated 8/30 @ outside hosp for airway protection.", "8/30"),
    ("pt fell 9.14 at home, down ~6 hrs.", "9.14"),
    ("nov 28th pt had fall at home.", "nov 28th"),
    ("seen in clinic 14 oct, no changes.", "14 oct"),
    ("11-2 CT head neg for bleed.", "11-2"),
    # numbers: an authorisation number, a number dialled abroad
    ("Insurance auth # QX5518302 given by phone.", "QX5518302"),
    ("pt's daughter in Dublin: 011 353 1 555 0147.", "011 353 1 555 0147"),
    # places: a town closing an address, lower-case and capital towns after residence and travel cues
    ("pt lives 40 Main St, Bath.", "Bath"),
    ("sister lives in worcester, will drive in tmrw.", "worcester"),
    ("pt's son driving in from fall river this pm.", "fall river"),
    ("DAUGHTER CALLED FROM SPRINGFIELD, WILL COME SAT.", "SPRINGFIELD"),
    # organisations: an all-caps saint, a hospital after a record cue, an employer by its abbreviation
    ("PT TRANSFERRED FROM ST VINCENTS FOR CATH.", "VINCENTS"),
    ("old records from Whitinsville: cath report faxed.", "Whitinsville"),
    ("pt retired last yr as mechanic for MBTA.", "MBTA"),
    # names as the value of a contact label
    ("Contact: Rosalind cell 508-555-0190.", "Rosalind"),
    ("NOK: marguerite (sister).", "marguerite"),
])
def test_found(line, value):
    assert covered(line, value)


@pytest.mark.parametrize("line, kept", [
    ("pt moved to 4th floor on 2nd day of abx.", {"4th", "2nd"}),  # counts, no days of a month
    ("strength 5/5 @ elbow, 4/5 @ wrist.", {"5/5", "4/5"}),  # exam grades
    ("pt lives in fear of falling, PT to eval.", {"fear"}),  # no town
    ("pt lives alone in a 2nd floor apt.", {"2nd"}),
    ("pt works with PT daily.", {"PT"}),  # a service, no employer
    ("Son's cell number is on the board.", {"cell"}),  # a thing after a possessive relation
    ("HCP: on file. Contact precautions for MRSA.", {"on", "MRSA"}),
    ("daughters Lena & Rita, ex-husband Carl at bedside.", {"ex-husband"}),
    ("K 3.9 @ 0400, fall risk 45 (Morse).", {"45"}),
    ("UO 30 dec from 60, BS dec 2nd day.", {"30 dec", "dec 2nd"}),  # "decreased"
    ("strength 5/5 @ and below knees.", {"5/5"}),
    ("pt had 3-4 ct scans at OSH.", {"3-4"}),
])
def test_kept(line, kept):
    assert not kept & removed(line)


def test_a_name_found_by_its_relation_word_is_found_again_bare_later_in_the_note():
    line = "wife marge at bedside until 2100. marge tearful, support given."
    text = NOTE + line
    later = text.rindex("marge")
    assert any(span.start == later and span.type == "NAME" for span in detect(text, "en"))


def test_a_clinical_word_after_a_relation_word_is_not_repeated_as_a_name():
    text = NOTE + "dtr peg HCP, updated. peg site c/d/i."
    assert not any(span.start == text.rindex("peg") for span in detect(text, "en"))  # (the tube, not the daughter)


def test_ex_relation_still_names_the_person_after_it():
    assert covered("daughters Lena & Rita, ex-husband Carl at bedside.", "Carl")
