"""Regressions for the rules of issue 16's en-nursing10 round (dates timed by a clock or named from today in
english_context.py; slash dates before "@" in english_precision.py; relations, roles, employers, clinicians'
places, towns after a bare "in", home-service companies and repeated names in english_nursing_names.py;
"ref #" numbers in english_numbers.py; all-capitals names cut at a verb, four-digit times out of dates and
postcodes in english_clean.py), each on a sentence written here by hand, not taken from the dev sets — and
what must stay."""

import pytest

from nursing_lines import covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, value", [
    # a dashed month-day with a clock time after it, or after a word naming the day from today
    ("Records sent to rehab 3-19 1445.", "3-19"),
    ("CT head 9-2 @ 0610 neg.", "9-2"),
    ("Pt goes home tomorrow 8-21 w/ VNA.", "8-21"),
    # a slash date before "@" and a place (no exam score is out of more than 6)
    ("pt s/p lap chole 6/23 @ nwh, readmitted.", "6/23"),
    # spouse and fiance as relations; a role, then a title, then the name
    ("pt's spouse dominic at bedside.", "dominic"),
    ("pt's fiance rashid called twice.", "rashid"),
    ("pastor rev okonjo prayed with family.", "okonjo"),
    ("State trooper Sgt. Bellamy took report.", "Bellamy"),
    # an employer after "employed by"
    ("Pt is employed by Shaw's Market as a cashier.", "Shaw's Market"),
    # a clinician's place in lower case
    ("pt's cardiologist is dr hwang at nemc.", "nemc"),
    ("followed by np trudy at south shore medical.", "south shore medical"),
    # a town the lists know after a bare "in", in a telegraphic note
    ("pt's son in brockton, pt lives alone.", "brockton"),
    ("DTR LIVES IN WORCESTER, SON IN LOWELL.", "LOWELL"),
    # a record number after an abbreviated reference mark
    ("Ins: Tufts, ref # TF4419027, faxed.", "TF4419027"),
    # a double given name after a relation word; a lower-case place after a transfer
    ("pt's wife rose marie and son jim in.", "rose marie"),
    ("pt sent to shattuck for detox.", "shattuck"),
    # the company after a home service
    ("Home O2 3L per Aeroflow, concentrator at home.", "Aeroflow"),
    # an institution written "Health Ctr"
    ("PCP at Bowdoin Street Health Ctr, sees q3mo.", "Bowdoin Street Health Ctr"),
])
def test_found(line, value):
    assert covered(line, value), (line, value, removed(line))


@pytest.mark.parametrize("line, kept", [
    ("I/O 1-12 2300 neg 500.", "1-12"),                               # a fluid balance, timed
    ("strength 4/5 @ elbow, 5/5 @ knee.", "4/5"),                      # an exam score before "@"
    ("PT IS IN BED, IN NAD. LIVES IN READING.", "BED"),               # no town
    ("pt in reading chair, in mobile unit.", "reading"),              # a common word the city lists hold
    ("oxygen via NC, O2 per Protocol, services w/ Lasix.", "Protocol"),  # no company
    ("oxygen via NC at 2L.", "NC"),                                    # a nasal cannula
    ("dr lee at bedside, dr ortiz at home.", "bedside"),               # no place
    ("pt transferred to stepdown at 1400.", "stepdown"),              # a ward
    ("pt is going to reschedule, going to church.", "church"),        # "going to" is no move
    ("if stable transfer to catheterize in am.", "catheterize"),       # a verb after "transfer to"
    ("wife ann will call in am.", "will"),                             # a verb after the name
    ("fell at her son louis's house in july.", "house"),               # a person's house, no facility
    ("Per MD inc PEEP to 8.", "inc"),                                  # "increase" after a role
    ("Dressing changed per WOCN Tracy.", "WOCN"),                      # the role stays outside the name
    ("see ref # 2 above.", "2"),                                       # a short reference
    ("PT'S DTR ROSEANNE CALLED FROM FLORIDA X2.", "CALLED"),          # the name stops at the verb
    ("insulin gtt off 15 June 2300.", "2300"),                         # a clock time, no year or postcode
    ("Arrived via Boston EMS 0320. GCS 14.", "0320"),                  # a clock time, no street number
])
def test_kept(line, kept):
    assert not any(kept in value for value in removed(line)), (line, removed(line))


def test_a_name_named_again_without_its_relation_word():
    # (a given name that is also a word of the lists, once a relation word named it: "marty" the second time)
    from nursing_lines import NOTE, spans

    line = "sons nick and marty in today. later marty called."
    found = spans(line)
    assert any(span.start == len(NOTE) + line.rindex("marty") and span.text == "marty" for span in found), found
    assert not any(span.text == "later" for span in found)


def test_year_after_a_date_stays_with_it():
    # (a four-digit number that may be a year is no clock time: "June 2015" keeps its year)
    assert covered("MI June 2015 at OSH, stent x1.", "June 2015")


def test_anchors_cover_the_new_rules_matches():
    """The round's anchored rules are tried only where their anchor matched (scanner.py): every match of the
    rule's full scan on the dev nursing notes and on random text begins at an anchor."""
    import glob
    import json
    import random
    from pathlib import Path

    from yizhi.deid.text.recognizers import english_nursing_names as names

    texts = [json.loads(line)["text"] for name in sorted(glob.glob(str(Path(__file__).parent / "data" / "notes"
                                                                      / "en_nursing_dev*.jsonl")))
             for line in open(name, encoding="utf-8")]
    rng = random.Random(10)
    pieces = ["dr lee at ", "np ", "MD ", "nemc ", "south ", "Home O2 ", "per ", "hospice ", "by ", "Care ",
              "Lincare ", "2L ", "at ", "@ ", "x", " ", ".", "PCP ", "in ", "IN ", "lives ", "quincy ", "DORCHESTER "]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(3, 14))) for _ in range(400)]
    for pattern, anchor in ((names._CLINICIAN_AT, "clinician_at"), (names._PROVIDER, "provider"), (names._TOWN_IN, "town_in")):
        for text in texts:
            starts = {start for start, _ in names._ANCHORS.scan(text).get(anchor, ())}
            for match in pattern.finditer(text):
                assert match.start() in starts, (anchor, match.group())


def test_repeated_name_search_matches_the_regular_expression():
    """_occurrences (str.find on the lower-cased note) finds what the whole-word expression it replaced found."""
    import random
    import re

    from yizhi.deid.text.recognizers.english_nursing_names import _occurrences

    rng = random.Random(11)
    pieces = ["marty", "Marty", "MARTY", "smarty", "marty's", "marty-", "-marty", "o'marty", " ", ".", "x", "1", "\n"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        expected = [m.span() for m in re.finditer(r"(?<![\w'’-])marty(?![\w'’-])", text, re.IGNORECASE)]
        assert list(_occurrences(text.lower(), "marty")) == expected, text
