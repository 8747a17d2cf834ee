"""Regressions for the rules of issue 16's en-nursing9 round (english_nursing_places.py; roles, employers,
transport and lower-case places in english_nursing_names.py; record numbers in english_numbers.py; dates in
english_dates.py and english_context.py; signatures after several credentials; local phone numbers; physicians'
towns and saints' churches; where a patient is from; institutions in capitals; "John" no common word;
departments cut off names in english_clean.py), each on a sentence written here
by hand, not taken from the dev sets — and what must stay."""

import pytest

from yizhi.deid.text import detect

from nursing_lines import covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, value", [
    # the place after an event's date
    ("PMH: PPM placed 6-14 at bmc, AICD later.", "bmc"),
    ("Hx PEG '17 @ Hillcrest Commons, removed since.", "Hillcrest Commons"),
    ("Pt had TURP 2011 at Lakeview Medical Clinic.", "Lakeview Medical Clinic"),
    # referral and choice lists
    ("Referrals faxed to: Marlowe Rehab, Glenview, Cranbrook Manor.", "Glenview"),
    ("SW recommends short term rehab (Pinecrest or Alden Court).", "Alden Court"),
    # agencies and ambulance companies by their last word
    ("Pt gets meals through Minuteman Senior Services.", "Minuteman Senior Services"),
    ("Arrived via Lifeguard Ambulance at 0900.", "Lifeguard Ambulance"),
    # an abbreviation after a worker, a second employer, transport without "by"
    ("Pt's counselor Jane at JRI aware of admission.", "JRI"),
    ("Husband works at Bradley Field for Swissport.", "Swissport"),
    ("Transport Cataldo booked for 1300.", "Cataldo"),
    # roles and a title between a role and the name
    ("pt's AA sponsor dwight came by.", "dwight"),
    ("PT'S PASTOR REV OKAFOR PRAYED WITH FAMILY.", "OKAFOR"),
    # record numbers without their mark before a long number
    ("Old chart requested, MRN there 7731902.", "7731902"),
    ("Ins auth ref QM5512093 given.", "QM5512093"),
    # dates: a month before an apostrophe year, a month ending its sentence, "planned" as a cue
    ("Hx: R THR Mar '08, gout.", "Mar '08"),
    ("pt worked as a driver until Oct. Wife Ana at bedside.", "Oct"),
    ("cath planned 3-22 if cr stable.", "3-22"),
    # a physician between a follow-up cue and a lower-case place; a signature after several credentials
    ("f/u: dr amin at east cove next wk.", "east cove"),
    ("Will cont to follow. R. Mendez, PT, DPT", "R. Mendez"),
    # a labelled local number before a comma, a physician's town, a saint's church, a date after a move to a unit
    ("Sister's cell # 624-7781, home 555 2210.", "624-7781"),
    ("PCP Dr. Haddad in Brockton aware of admit.", "Brockton"),
    ("Chaplain from St. Brigid's Church visited.", "St. Brigid's Church"),
    ("Pt admitted to SICU 4/6 w/ abd pain.", "4/6"),
    ("Pt was at Lahey 2/02 for same.", "2/02"),
    # "John" is a name, not one of the commonest words; where the patient is from; an institution in capitals
    ("SON JOHN UPDATED BY PHONE.", "JOHN"),
    ("nephew john will call in am.", "john"),
    ("pt is from attleboro, lives alone.", "attleboro"),
    ("PT WAS SEEN AT NORWOOD HOSPITAL ED LAST WK.", "NORWOOD HOSPITAL"),
    # a therapist's signature after a sentence on the same line
    ("Recs: rehab. T. Okoye, PT", "T. Okoye"),
])
def test_found(line, value):
    assert covered(line, value), (line, value, removed(line))


@pytest.mark.parametrize("line, kept", [
    ("Meds given 2/14 at bedside per MD.", "bedside"),           # a date, then no place
    ("Referrals: PT, OT, SLP.", "PT"),                             # therapies, not facilities
    ("Pt came by Private Ambulance.", "Private Ambulance"),       # generic words only
    ("TOF 1/4 after cisatracurium.", "1/4"),                      # train-of-four, no date
    ("Transport via Armstrong ALS at 0900.", "ALS"),              # the level of care, not the company's name
    ("Guardian Atty. Ruiz notified.", "Atty"),                     # the title stays
    ("Ins: MassHealth, no copay.", "MassHealth"),                  # an insurer (GUIDELINE.md)
    ("Xray L wrist neg.", "Xray"),                                 # a study
    ("SW Will f/u in am.", "Will"),                                # a verb after a role
    ("UO 200-1500, net neg.", "200-1500"),                         # a range, no phone
    ("Dr. Okafor of Nephrology consulted.", "Nephrology"),        # a department, not the name
    ("Dr. Lin in ED aware.", "ED"),                                # a unit, no town
    ("pt 2/2 hypovolemia, bolused.", "2/2"),                       # "secondary to"
    ("Home meds: St. John's wort, MVI.", "John"),                 # an herb
    ("pt from ED at 1400, on 2L.", "ED"),                          # a unit
    ("PT RETURNED TO THE HOSPITAL TODAY.", "HOSPITAL"),            # no name before the kind word
    ("SON AT BEDSIDE. REORIENTED PT", "REORIENTED"),               # the patient, no credential
    ("Vent 20/5/40 overnight, weaned to 10/5/12.", "10/5/12"),     # a ventilator setting
])
def test_kept(line, kept):
    assert not any(kept in value for value in removed(line)), (line, removed(line))


def test_dictated_report_keeps_agency_rule_to_named_agencies():
    # (a public agency is no identifier: generic words only)
    text = "HISTORY: She applied to the Social Security Agency for disability. Denies chest pain. BP 120/80."
    assert not any("Security" in span.text for span in detect(text, "en"))


def test_anchors_cover_the_new_rules_matches():
    """Each rule of english_nursing_places is tried only where its anchor matched (scanner.py): every match its
    own full scan finds on the dev nursing notes and on random text begins at an anchor (the place after a date:
    within the date, which the anchor's first characters may skip)."""
    import glob
    import json
    import random

    from yizhi.deid.text.recognizers import english_nursing_names as names
    from yizhi.deid.text.recognizers import english_nursing_places as places

    texts = [json.loads(line)["text"] for name in sorted(glob.glob(str(__import__("pathlib").Path(__file__).parent
                                                                      / "data" / "notes" / "en_nursing_dev*.jsonl")))
             for line in open(name, encoding="utf-8")]
    rng = random.Random(9)
    pieces = ["pt from ", "PCP Dr. Lee in ", "Newton ", "St. Mark's Church ", "'19 at ", "2014 @ ", "3-11 at nemc ",
              "Referrals: ", "Tobey, ", "rehab (", "case worker ", "at JRI ", "PT IS FROM ", "NORWOOD ", "x", " ", "."]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(3, 14))) for _ in range(400)]
    rules = [(places._LIST, "facility_list"), (places._WORKER_AT, "worker_at"), (places._FROM_TOWN, "from_town"),
             (places._PRACTICE_TOWN, "practice_town"), (places._SAINT_INSTITUTION, "saint_institution")]
    for text in texts:
        hits = names._ANCHORS.scan(text)
        for pattern, anchor in rules:
            starts = {start for start, _ in hits.get(anchor, ())}
            for match in pattern.finditer(text):
                assert match.start() in starts, (anchor, match.group())
        anchored = hits.get("date_at", ())
        for match in places._DATE_AT.finditer(text):
            assert any(match.start() <= start < match.end() and start - match.start() <= 10 for start, _ in anchored), match.group()
