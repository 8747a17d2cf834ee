"""Small US towns in English nursing notes (issue 16, en-towns): the ZIP database's towns
(english_words.us_town_words, a list apart from place_words) read only where context says "place" — after a
residence or travel cue, after "from", after a relative and "in", after a bare "in" in a telegraphic note, after
"back to", before a state's code — each on a sentence written here by hand, not taken from the dev sets; and what must stay."""

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
    ("plan: back to hingham w/ vna, hr 80s.", "hingham"),                # a return home
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
    ("back to bed, back to baseline by 1400.", "baseline"),     # a return that is no town
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


def test_town_rules_begin_at_their_anchors():
    """The town rules are tried only where the one scanner pass found their anchor: every match of the return
    rule and of the bare "in" (now also capitalised) begins at one (random text from the rules' own pieces)."""
    import random

    from yizhi.deid.text.recognizers import english_nursing_names as names

    rng = random.Random(16)
    pieces = ["back ", "BACK ", "home ", "returned ", "returning ", "to ", "TO ", "in ", "near ", "hingham ", "Hingham ",
              "HINGHAM ", "north andover ", "Hyde Park ", "bed ", "x", " ", ".", ",", "nh ", "MA "]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(3, 12))) for _ in range(400)]
    for pattern, anchor in ((names._TOWN_BACK, "town_back"), (names._TOWN_IN, "town_in")):
        for text in texts:
            starts = {start for start, _ in names._ANCHORS.scan(text).get(anchor, ())}
            for match in pattern.finditer(text):
                assert match.start() in starts, (anchor, match.group())
