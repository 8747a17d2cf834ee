"""Small US towns in English nursing notes (issue 16, en-towns): the ZIP database's towns
(english_words.us_town_words, a list apart from place_words) read only where context says "place" — after a
residence or travel cue, after "from", after a relative and "in", after a bare "in" in a telegraphic note, before
a state's code — each on a sentence written here by hand, not taken from the dev sets; and what must stay."""

import pytest

from nursing_lines import covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, value", [
    ("pt lives in hingham w/ wife, neuro intact.", "hingham"),           # a residence cue, a town of 20,000
    ("pt from duxbury, sbp 110s, lasix 40 iv.", "duxbury"),              # where the patient is from
    ("hr 80s nsr. dtr in randolph, son aware.", "randolph"),             # a relative and "in": a common word too
    ("PT IN DORCHESTER LAST WK. SBP 120S.", "DORCHESTER"),               # a bare "in", capitals, telegraphic
    ("wife visiting from north andover, vss.", "north andover"),         # a town of several words
    ("pt lives in east bridgewater, vss.", "east bridgewater"),          # a direction and a common word
    ("son lives in hyde park. a&ox3.", "hyde park"),                     # a Boston neighbourhood
    ("wife from keene nh staying at hotel. hr 90s.", "keene"),           # before a state's code in lower case
    ("Pt is from Scituate, MA. SBP 110s, HR 80s.", "Scituate"),          # before a state's code after a comma
])
def test_found(line, value):
    assert covered(line, value), (line, value, removed(line))


@pytest.mark.parametrize("line, kept", [
    ("pt in reading chair, in mobile unit.", "reading"),        # a common word the town lists hold
    ("pt moved to bath, skin intact.", "bath"),                 # a town that is a word
    ("lasix in bolus, insulin in gtt, k in range.", "bolus"),   # drug and clinical words after "in"
    ("pt in stepdown, then in micu. hr 80s.", "stepdown"),      # wards
    ("head CT neg. hx CAD, MI, HTN.", "CAD"),                   # a study and a list before state-like codes
    ("son in denial re: prognosis. hr 90s.", "denial"),          # a relative and "in" before a word
    ("Dr. Stone, MD saw pt, no changes. sbp 100s.", "MD"),      # a credential is no state
])
def test_kept(line, kept):
    assert not covered(line, kept), (line, kept, removed(line))


def test_town_list_drops_words():
    from yizhi.deid.text.recognizers.english_words import place_words, us_town_words

    towns = us_town_words()
    assert {"hingham", "duxbury", "mattapan", "north andover", "east bridgewater"} <= towns
    # words, drugs, shorthand and given names are no town on their own; nor "w <town>" (w = with)
    assert not {"reading", "bath", "insulin", "home", "sharon", "w bridgewater"} & towns
    assert "hingham" not in place_words()  # (kept apart: the English tagger reads place_words as a feature)
