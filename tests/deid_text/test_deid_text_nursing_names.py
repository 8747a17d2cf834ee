"""Regressions for names and organisations in telegraphic English nursing notes (issue 16, branch en-names;
english_nursing_names.py), each on a sentence written here by hand, not taken from the dev sets: a role
before a surname, plural relatives and lists, a parenthesis after the relation, lower-case facilities
named by their kind word, saints and "<name> general", dialysis units, places after work and follow-up
cues — and what must stay."""

import pytest

from yizhi.deid.text import detect

from nursing_lines import NOTE, covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, name", [
    ("chaplain moriarty to visit tonight.", "moriarty"),
    ("SW hendricks met w/ family.", "hendricks"),
    ("RT vasquez pgr 40213.", "vasquez"),
    ("atty Brandeis called re guardianship.", "Brandeis"),
    ("police officer kowalski at bedside.", "kowalski"),
])
def test_a_role_then_a_surname(line, name):
    assert covered(line, name), removed(line)


@pytest.mark.parametrize("line, names", [
    ("sons rick and paulie in this am.", ["rick", "paulie"]),
    ("daughters gina & theresa at bedside.", ["gina", "theresa"]),
    ("kids owen and maeve visited w/ mom.", ["owen", "maeve"]),
    ("sisters rita, agnes and dolores called.", ["rita", "agnes", "dolores"]),
])
def test_plural_relatives_and_their_lists(line, names):
    for name in names:
        assert covered(line, name), (name, removed(line))


def test_a_parenthesis_between_relation_and_name():
    line = "husband (HCP) thaddeus updated by phone."
    assert covered(line, "thaddeus"), removed(line)


@pytest.mark.parametrize("line, place", [
    ("pt from maplewood manor w/ fever.", "maplewood manor"),
    ("fr. lynch from st. columba's parish came in.", "st. columba's parish"),
    ("lives at brookhaven senior living.", "brookhaven senior living"),
    ("arrived via lyons ambulance at 1500.", "lyons ambulance"),
    ("transferred from st. vincent's for cath.", "st. vincent's"),
    ("came from winchester general last pm.", "winchester general"),
    ("HD unit: davita brockton, goes TThS.", "davita brockton"),
    ("wife works at raytheon, will call.", "raytheon"),
])
def test_lower_case_facilities_by_context(line, place):
    assert covered(line, place), removed(line)


def test_a_facility_named_again_bare_is_removed_again():
    line = "HD at fmc taunton MWF. FMC phone on chart."
    text = NOTE + line
    found = {span.text.lower() for span in detect(text, "en") if span.start >= len(NOTE)}
    assert "fmc taunton" in found and "fmc" in found, found


@pytest.mark.parametrize("line, kept", [
    ("SW aware of plan. RT suctioned x2. NP updated.", ["aware", "suctioned", "updated"]),
    ("sons at bedside and updated.", ["bedside", "updated"]),
    ("d/c plan: acute rehab vs snf. cardiac rehab referral.", ["acute", "cardiac", "snf"]),
    ("no st changes on EKG. st depression V4-V6 resolved.", ["st", "depression"]),
    ("PT/OT eval today.", ["eval"]),
    ("6 cm CF colonoscope passed.", ["CF"]),
    ("works at a shoe factory, retired.", ["shoe", "factory"]),
    ("followed by post-ictal confusion.", ["post-ictal"]),
    ("husband walter and pastor visited.", ["pastor"]),
])
def test_clinical_and_common_words_stay(line, kept):
    text = NOTE + line
    spans = [span for span in detect(text, "en") if span.start >= len(NOTE)]
    for word in kept:
        start = text.index(word, len(NOTE))
        assert not any(span.start <= start < span.end for span in spans), (word, [s.text for s in spans])


def test_a_possessive_after_a_title_stays_out_of_the_name():
    text = NOTE + "Mr. hennessy's daughter called."
    names = [span.text for span in detect(text, "en") if span.start >= len(NOTE)]
    assert "hennessy" in names and not any("'s" in name for name in names), names


def test_two_capitalised_names_joined_by_and_are_two_spans():
    text = NOTE + "met w/ pt's two sons, Declan & Fergus, at bedside."
    names = [span.text for span in detect(text, "en") if span.start >= len(NOTE)]
    assert "Declan" in names and "Fergus" in names and not any("&" in name for name in names), names


def test_a_verb_before_rn_is_no_name():
    text = NOTE + "abx day 3. UA neg.\nAccepting RN Marguerite given report."
    names = [span.text for span in detect(text, "en") if span.start >= len(NOTE)]
    assert "Marguerite" in names and "Accepting" not in names, names


def test_a_short_event_note_with_fingersticks_is_clinical():
    text = "Event note\n0300 pt diaphoretic, FS 38. amp D50 given. pt says last low sugar in '11."
    assert "'11" in [span.text for span in detect(text, "en")]


@pytest.mark.parametrize("line, name", [
    ("dtr-in-law kathy called.", "kathy"),
    ("pt's sister in law judy called.", "judy"),
    ("mr. and mrs. o'connor in to visit.", "o'connor"),
    ("NP jen aware of K 3.1.", "jen"),
    ("neuro resident tran paged x2. fellow nguyen at bedside.", "nguyen"),
    ("cardiologist at lahey, appt next wk.", "lahey"),
])
def test_more_relations_roles_and_places(line, name):
    assert covered(line, name), removed(line)


@pytest.mark.parametrize("line, kept", [
    ("contrast seen to opacify bowel loops.", ["opacify"]),
    ("she is attending psychology classes.", ["psychology"]),
    ("CT head at OSH 7/19 neg.", ["OSH"]),
])
def test_verbs_and_units_stay(line, kept):
    text = NOTE + line
    spans = [span for span in detect(text, "en") if span.start >= len(NOTE)]
    for word in kept:
        start = text.index(word, len(NOTE))
        assert not any(span.start <= start < span.end for span in spans), (word, [s.text for s in spans])


@pytest.mark.parametrize("line, names", [
    ("stepson rob will be HCP.", ["rob"]),
    ("family mtg w/ wife lois, sons pete & joey, and dr. ahmed.", ["lois", "pete", "joey", "ahmed"]),
    ("pt lives in assisted living at brookdale.", ["brookdale"]),
    ("seen in er at milford regional.", ["milford regional"]),
    ("Pt is a resident of the leonard florence center.", ["leonard florence center"]),
])
def test_step_relations_two_lists_and_residences(line, names):
    for name in names:
        assert covered(line, name), (name, removed(line))


def test_the_anchors_cover_every_match():
    """The compiled scan (scanner.py) finds every place a rule of english_nursing_names can match."""
    import json
    from pathlib import Path

    from yizhi.deid.text.recognizers import english_nursing_names as rules

    data = Path(__file__).parent / "data" / "notes"
    texts = [json.loads(line)["text"] for name in ("en_nursing_dev5", "en_nursing_dev6", "en_nursing_dev2")
             for line in (data / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    texts += ["half-brother joe and godson max came. Stepdaughter AMY. cardiologist at lahey. HD at davita MWF.",
              "from St. Anne's, to mt auburn; milford Regional. SW: kelly. RRT jones. fellow nguyen."]
    for text in texts:
        hits = rules._ANCHORS.scan(text)
        for pattern, anchor in ((rules._ROLE_NAME, "role"), (rules._RELATIVE_LIST, "relative"), (rules._SAINT, "saint"),
                                (rules._DIALYSIS, "dialysis"), (rules._LOWER_PLACE, "lower_place"), (rules._KIND, "kind")):
            starts = {start for name in (anchor, anchor + "_upper") for start, _ in hits.get(name, ())}
            for match in pattern.finditer(text):
                assert match.start() in starts, (anchor, text[max(0, match.start() - 20) : match.end() + 5])
        ends = {end for _, end in hits.get("general", ())}
        for match in rules._NAMED_GENERAL.finditer(text):
            assert match.end(1) in ends, text[max(0, match.start() - 20) : match.end() + 5]
